import type { Alias, CST, Document, Node } from 'yaml';
import { yamlLib } from './yaml-lib.js';
import { diagnostic, type Diagnostic, type DiagnosticCode } from '../../schemas/diagnostics.js';
import { escapePointer, type FileSourceMap, type Position } from './source-map.js';
import { keyText, outlineCst, quotedScalarEndingAt, readCst, type CstOutline } from './yaml-cst.js';
import { CORE_TAGS, FORBIDDEN_KEYS, MAX_ALIAS_BYTES, MAX_ALIAS_NODES, MAX_NESTING_DEPTH } from './yaml-limits.js';

/** Result of turning one YAML text into plain JSON data plus where each value came from. */
export interface ParsedYaml {
  data: unknown;
  map: FileSourceMap;
  diagnostics: Diagnostic[];
  /**
   * Pointers of strings holding `${` that an alias copied from its anchor: a reference there is reported where it
   * is written (at the anchor), not again at every alias.
   */
  aliasedReferences: Set<string>;
}

/**
 * `schema: 'core'` and `merge: false` pin YAML 1.2 core resolution even under a `%YAML 1.1` directive (which is
 * reported anyway), so no directive can turn `yes` into true, `012` into 10 or `<<` into a merge. Integers are
 * read as bigint so that one beyond 2^53 - 1 is reported instead of rounded.
 */
const COMPOSE_OPTIONS = { uniqueKeys: true, strict: true, version: '1.2', schema: 'core', merge: false, intAsBigInt: true } as const;

const TAG_HINT = 'remove the tag: config files hold plain YAML 1.2 values (only !!str, !!int, !!float, !!bool, !!null, !!map and !!seq are accepted)';

/**
 * Parses YAML into JSON-compatible data, recording the position of every value and key, rejecting duplicate and
 * prototype-polluting keys, unsupported tags and directives, excessive nesting and alias expansion. Strings are
 * kept as written: environment references are resolved afterwards (resolve-env.ts). Never throws for bad input.
 */
export function parseYaml(text: string, file: string): ParsedYaml {
  const { Composer, LineCounter, isAlias, isMap, isScalar, isSeq } = yamlLib();
  const lineCounter = new LineCounter();
  const diagnostics: Diagnostic[] = [];
  const map: FileSourceMap = new Map();
  const aliasedReferences = new Set<string>();
  const pos = (offset: number | undefined): Position => {
    const p = lineCounter.linePos(offset ?? 0);
    return { line: p.line, column: p.col };
  };
  const report = (code: DiagnosticCode, message: string, offset: number | undefined, hint?: string) =>
    diagnostics.push(diagnostic(code, message, { file, ...pos(offset) }, hint));
  const failed = () => ({ data: undefined, map, diagnostics, aliasedReferences });

  let tokens: CST.Token[];
  let outline: CstOutline;
  let docs: Document.Parsed[];
  try {
    // The CST parser keeps its own stack, so it reads any nesting; the composer recurses, so the depth is checked
    // on the CST first and a too-deep document never reaches it.
    const read = readCst(text, lineCounter);
    tokens = read.tokens;
    outline = read.tooDeep === undefined ? outlineCst(tokens) : { tooDeep: read.tooDeep, tags: [], directives: [] };
    if (outline.tooDeep !== undefined) {
      report('TNG014', `mappings and lists are nested more than ${MAX_NESTING_DEPTH} levels deep`, outline.tooDeep);
      return failed();
    }
    docs = Array.from(new Composer(COMPOSE_OPTIONS).compose(tokens)) as Document.Parsed[];
  } catch (e) {
    report('TNG002', `YAML could not be parsed: ${(e as Error).message}`, 0);
    return failed();
  }
  if (docs.length === 0) {
    report('TNG013', 'the file holds no YAML document', 0);
    return failed();
  }
  if (docs.length > 1) report('TNG011', `the file holds ${docs.length} YAML documents`, docs[1]!.range[0]);
  const doc = docs[0]!;

  for (const d of outline.directives) {
    const version = /^%YAML\s+(\S+)/.exec(d.source)?.[1];
    if (version !== undefined && version !== '1.2') {
      report('TNG002', `%YAML ${version} is not supported: config files are YAML 1.2`, d.offset, 'remove the %YAML directive (in YAML 1.2 only true and false are booleans and there are no merge keys)');
    }
  }
  // Tags are checked on the CST, where each has its own position, before the errors they also cause.
  const tagAt = new Map<number, string>();
  for (const t of outline.tags) {
    tagAt.set(t.offset, t.source);
    const name = doc.directives.tagName(t.source, () => undefined);
    if (name === null || !CORE_TAGS.has(name)) report('TNG002', `the YAML tag ${t.source} is not supported`, t.offset, TAG_HINT);
  }
  const tagReported = (offset: number) => tagAt.has(offset) && !CORE_TAGS.has(doc.directives.tagName(tagAt.get(offset)!, () => undefined) ?? '');
  for (const err of doc.errors) {
    const offset = err.pos[0];
    if (tagReported(offset)) continue;
    if (err.code === 'DUPLICATE_KEY') {
      const key = keyText(tokens, offset) ?? text.slice(offset, offset + 1);
      report('TNG003', `duplicate key "${key.length > 80 ? key.slice(0, 80) + '…' : key}"`, offset);
      continue;
    }
    const msg = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    // An unclosed quote is reported where the text ends; the quote that was left open is the useful position.
    const opened = err.code === 'MISSING_CHAR' && /quote/.test(msg) ? quotedScalarEndingAt(tokens, offset) : undefined;
    report('TNG002', msg, opened ?? offset);
  }
  for (const w of doc.warnings) {
    // `!!float 1` or `!!map [1]`: a core tag that does not apply, which the library downgrades to a warning and
    // resolves as a plain string; js-yaml refuses the same file, so both parsers end in TNG002.
    if ((w.code === 'TAG_RESOLVE_FAILED' || w.code === 'BAD_COLLECTION_TYPE') && !tagReported(w.pos[0])) {
      const tag = tagAt.get(w.pos[0]);
      report('TNG002', tag ? `the YAML tag ${tag} does not apply to this value` : w.message.split('\n')[0]!, w.pos[0], TAG_HINT);
    }
  }
  if (diagnostics.length > 0) return failed();
  if (doc.contents === null) {
    report('TNG013', 'the file is empty', 0);
    return failed();
  }

  let aliasBudget = MAX_ALIAS_NODES;
  let aliasBytes = MAX_ALIAS_BYTES;
  let aliasReported = false;
  /**
   * Counts `text` (a string or key an alias copies) against the byte budget; false once it is spent, after
   * reporting it once at the outermost alias. Only expansion pays: what is written out is bounded by the file size.
   */
  const spendAliasBytes = (text: string, via: Alias): boolean => {
    aliasBytes -= Buffer.byteLength(text);
    if (aliasBytes >= 0) return true;
    if (!aliasReported) {
      report('TNG012', `YAML aliases expand to more than ${MAX_ALIAS_BYTES} bytes of text; *${via.source} crosses the limit`, via.range?.[0], `aliases may add at most ${MAX_ALIAS_BYTES} bytes (4 MiB) to a file: write large values once, or split the file with include`);
    }
    aliasReported = true;
    return false;
  };
  let depthReported = false;
  // Anchors are registered when their node is complete, in document order: an alias refers to the latest one
  // before it, and an alias inside the node it names would expand forever.
  const anchors = new Map<string, Node>();
  const openAnchors = new Map<string, number>();
  const resolved = new Map<Alias, Node | 'recursive' | undefined>();

  /** `via` is the outermost alias being expanded: what is reported when expansion goes wrong. */
  const convert = (node: Node | null, pointer: string, keyPos: Position | undefined, via: Alias | undefined, depth: number): unknown => {
    if (node === null) return null;
    if (!via) map.set(pointer, keyPos ? { value: pos(node.range?.[0]), key: keyPos } : { value: pos(node.range?.[0]) });
    else if (--aliasBudget < 0) {
      if (!aliasReported) report('TNG012', `YAML aliases expand to more than ${MAX_ALIAS_NODES} values`, via.range?.[0]);
      aliasReported = true;
      return null;
    }
    if (isAlias(node)) {
      if (!resolved.has(node)) resolved.set(node, openAnchors.get(node.source) ? 'recursive' : anchors.get(node.source));
      const target = resolved.get(node);
      if (target === undefined || target === 'recursive') {
        const why = target ? `alias *${node.source} is inside the node it refers to` : `unknown alias *${node.source}`;
        report('TNG002', why, node.range?.[0], target ? 'YAML data for a config cannot refer to itself' : 'define the anchor (&name) before the alias');
        return null;
      }
      return convert(target, pointer, keyPos, via ?? node, depth);
    }
    const anchor = via ? undefined : (node as { anchor?: string }).anchor;
    if (anchor) openAnchors.set(anchor, (openAnchors.get(anchor) ?? 0) + 1);
    const value = convertValue(node, pointer, via, depth);
    if (anchor) {
      openAnchors.set(anchor, openAnchors.get(anchor)! - 1);
      anchors.set(anchor, node);
    }
    return value;
  };

  // Inside an alias expansion every node was already converted (and any problem reported) where it is written,
  // so only what the expansion itself causes (TNG012, TNG014) is reported there.
  const convertValue = (node: Node, pointer: string, via: Alias | undefined, depth: number): unknown => {
    const say: typeof report = (...args) => (via ? 0 : report(...args));
    if (isMap(node) || isSeq(node)) {
      // Only reachable through aliases: the CST check bounds what is written out.
      if (++depth > MAX_NESTING_DEPTH) {
        if (!depthReported) report('TNG014', `YAML aliases expand to mappings and lists nested more than ${MAX_NESTING_DEPTH} levels deep`, (via ?? node).range?.[0]);
        depthReported = true;
        return null;
      }
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        const k = pair.key as Node | null;
        const kOffset = k?.range?.[0] ?? node.range?.[0];
        if (!isScalar(k) || (k.value !== null && typeof k.value === 'object')) {
          say('TNG002', 'mapping keys must be plain scalars (not lists, mappings or aliases)', kOffset);
          continue;
        }
        if (!via && k.anchor) anchors.set(k.anchor, k);
        const key = String(k.value);
        if (via && !spendAliasBytes(key, via)) return out;
        if (FORBIDDEN_KEYS.has(key)) {
          say('TNG006', `the key "${key}" is not allowed`, kOffset);
          continue;
        }
        const kPos = pos(kOffset);
        const childPointer = `${pointer}/${escapePointer(key)}`;
        const v = pair.value as Node | null;
        if (v === null && !via) map.set(childPointer, { value: kPos, key: kPos });
        out[key] = convert(v, childPointer, kPos, via, depth);
      }
      return out;
    }
    if (isSeq(node)) {
      return node.items.map((item, i) => convert(item as Node | null, `${pointer}/${i}`, undefined, via, depth));
    }
    if (isScalar(node)) {
      const v = node.value;
      const at = node.range?.[0];
      if (typeof v === 'string') {
        if (!via) return v;
        if (!spendAliasBytes(v, via)) return null;
        if (v.includes('${')) aliasedReferences.add(pointer);
        return v;
      }
      if (v === null || typeof v === 'boolean') return v;
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) {
          say('TNG101', 'numbers must be finite (.inf and .nan are not JSON)', at);
          return null;
        }
        return v;
      }
      if (typeof v === 'bigint') {
        if (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) {
          // -0 is an integer to YAML and to js-yaml (parseInt), but not to BigInt.
          return v === 0n && node.source?.trimStart().startsWith('-') ? -0 : Number(v);
        }
        say('TNG101', `the integer ${node.source ?? String(v)} is beyond ±(2^53 - 1) and would be rounded in JSON`, at, 'quote it to keep the digits as a string, or use a smaller number');
        return null;
      }
      say('TNG002', `unsupported YAML value (tag ${node.tag ?? 'unknown'})`, at);
      return null;
    }
    say('TNG002', 'unsupported YAML node', (node as Node).range?.[0]);
    return null;
  };

  const data = convert(doc.contents as Node, '', undefined, undefined, 0);
  return { data, map, diagnostics, aliasedReferences };
}
