import jsyaml from 'js-yaml';
import { MAX_NESTING_DEPTH } from './yaml-limits.js';

// Plain-scalar resolution of the YAML 1.2 core schema, written to match the `yaml` library's core tags exactly,
// so that this fast parser and the precise one agree on every value of a valid file. js-yaml tries every implicit
// type on every plain scalar, and most scalars of a config are strings that none of them matches, so each
// resolver first rules out by the first character what its expressions could never match (a third of the parse).
const NULL_START = new Set(['~', 'n', 'N']);
const BOOL_START = new Set(['t', 'T', 'f', 'F']);
const NUMBER_START = new Set(['-', '+', '.', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
const coreNull = new jsyaml.Type('tag:yaml.org,2002:null', {
  kind: 'scalar',
  resolve: (s: string) => (s.length === 0 || NULL_START.has(s[0]!)) && /^(?:~|[Nn]ull|NULL)?$/.test(s),
  construct: () => null,
});
const coreBool = new jsyaml.Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (s: string) => BOOL_START.has(s[0]!) && /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(s),
  construct: (s: string) => s[0] === 't' || s[0] === 'T',
});
const coreInt = new jsyaml.Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (s: string) => NUMBER_START.has(s[0]!) && (/^0o[0-7]+$/.test(s) || /^[-+]?[0-9]+$/.test(s) || /^0x[0-9a-fA-F]+$/.test(s)),
  construct: (s: string) => {
    const n = s.startsWith('0o') ? parseInt(s.slice(2), 8) : s.startsWith('0x') ? parseInt(s.slice(2), 16) : parseInt(s, 10);
    // A rounded integer would be written silently into the bundle: abort, and the precise parser reports TNG101.
    if (!Number.isSafeInteger(n)) throw new RangeError('integer beyond Number.MAX_SAFE_INTEGER');
    return n;
  },
});
const coreFloat = new jsyaml.Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (s: string) =>
    NUMBER_START.has(s[0]!) &&
    (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(s) ||
    /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(s) ||
    /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(s)),
  // Non-finite values are rejected by the walk that follows; they only need to be recognisable here.
  construct: (s: string) => (/nan/i.test(s) ? NaN : /inf/i.test(s) ? (s[0] === '-' ? -Infinity : Infinity) : parseFloat(s)),
});

// FAILSAFE contributes the explicit !!str, !!seq and !!map; with the implicit types above, exactly the core tags
// are known, so js-yaml itself throws on any other tag ("unknown tag") and on a core tag whose value does not
// resolve (`!!float 1`, `!!int 1.5`), which sends the file to the precise parser.
const CORE_1_2 = jsyaml.FAILSAFE_SCHEMA.extend({ implicit: [coreNull, coreBool, coreInt, coreFloat] });

/** The parts of js-yaml's parser state the listener reads (not declared by @types/js-yaml). */
interface ComposeState {
  kind: string | null;
  result: unknown;
  tag: string | null;
  anchor: string | null;
  depth: number;
  version: string | null;
  anchorMap: Record<string, unknown>;
}

/** A document the fast parser read without anything that needs the precise parser's judgement. */
export interface FastParse {
  value: unknown;
  /** How many distinct mappings and lists js-yaml built; the caller compares it with what the value holds. */
  collections: number;
}

/**
 * Parses one YAML document quickly, or returns undefined when the text needs the precise parser: any syntax
 * error, duplicate key, tag other than the core ones (or one that does not apply to its value), integer beyond
 * 2^53 - 1, nesting deeper than the limit, anchor or alias, `%YAML` directive other than 1.2, or several
 * documents. It never reports errors itself.
 *
 * Documents with anchors always take the precise path: alias expansion is budgeted there (TNG012) and an alias
 * used as a mapping key is reported there (TNG002), so the two parsers cannot disagree about either.
 */
export function fastParseYaml(text: string): FastParse | undefined {
  // js-yaml turns a mapping or list used as a key into a string ("a,b", "[object Object]") instead of failing.
  // Rather than guessing such keys from the text, count the collections js-yaml composed: each one that is not
  // in the final value was consumed as a key (checkedInPlace in parse-config-file.ts compares the two numbers). A Set, because js-yaml
  // reports some collections twice (once from the node that read it, once from its caller).
  const composed = new Set<unknown>();
  let needsPrecise = false;
  const listener = (event: string, s: ComposeState) => {
    if (event !== 'close') return;
    if (s.kind === 'mapping' || s.kind === 'sequence') composed.add(s.result);
    // The non-specific tag `!` bypasses js-yaml's type lookup, so it is the one tag the schema cannot catch.
    if (s.anchor !== null || s.tag === '!') needsPrecise = true;
    if (s.depth === 1 && ((s.version !== null && s.version !== '1.2') || hasOwnKeys(s.anchorMap))) needsPrecise = true;
  };
  const options = {
    schema: CORE_1_2,
    json: false,
    // composeNode depth: a collection at nesting level n is depth n, so deeper documents throw before the
    // recursion can get anywhere near the stack limit.
    maxDepth: MAX_NESTING_DEPTH + 1,
    listener: listener as unknown as jsyaml.LoadOptions['listener'],
  } as jsyaml.LoadOptions;
  try {
    const value = jsyaml.load(text, options);
    return needsPrecise ? undefined : { value, collections: composed.size };
  } catch {
    return undefined;
  }
}

function hasOwnKeys(o: object | null | undefined): boolean {
  for (const _ in o ?? {}) return true;
  return false;
}
