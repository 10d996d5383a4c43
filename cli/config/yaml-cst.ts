import type { CST, LineCounter } from 'yaml';
import { yamlLib } from './yaml-lib.js';
import { MAX_NESTING_DEPTH } from './yaml-limits.js';

// The `yaml` library's concrete syntax tree, read without recursion: the CST parser keeps its own stack, so
// everything here works on documents nested far deeper than the composer (which recurses) could take.

/**
 * Runs the CST parser, stopping as soon as its stack of open collections is deeper than the limit: the parser
 * needs a few microseconds per level, so a 4 MiB file of `[` would otherwise take seconds to be rejected.
 */
export function readCst(text: string, lineCounter: LineCounter): { tokens: CST.Token[]; tooDeep?: number } {
  const parser = new (yamlLib().Parser)(lineCounter.addNewLine);
  const tokens: CST.Token[] = [];
  lineCounter.addNewLine(0);
  for (const lexeme of new (yamlLib().Lexer)().lex(text)) {
    for (const t of parser.next(lexeme)) tokens.push(t);
    // The stack holds the open document and collections (and at most a scalar): cheap to test, rarely counted.
    if (parser.stack.length > MAX_NESTING_DEPTH) {
      const open = parser.stack.filter((t) => yamlLib().CST.isCollection(t));
      if (open.length > MAX_NESTING_DEPTH) return { tokens, tooDeep: open[MAX_NESTING_DEPTH]!.offset };
    }
  }
  for (const t of parser.end()) tokens.push(t);
  return { tokens };
}

/** What the loader needs from the CST before composing: nesting depth, tags and directives of the first document. */
export interface CstOutline {
  /** Offset of the first collection nested deeper than MAX_NESTING_DEPTH, if any (in any document). */
  tooDeep?: number;
  tags: CST.SourceToken[];
  directives: CST.Directive[];
}

/** Scans the CST once for what must be checked before composing. */
export function outlineCst(tokens: CST.Token[]): CstOutline {
  const out: CstOutline = { tags: [], directives: [] };
  let documents = 0;
  walkCst(tokens, (token, depth) => {
    if (token.type === 'document') documents++;
    if (depth > MAX_NESTING_DEPTH) {
      out.tooDeep = token.offset;
      return true;
    }
    // Directives come before their document; later documents are reported as TNG011 anyway.
    if (token.type === 'directive' && documents === 0) out.directives.push(token);
    else if (token.type === 'tag' && documents === 1) out.tags.push(token);
    return false;
  });
  return out;
}

/**
 * Visits CST tokens in document order without recursion (a document may nest thousands of levels). `depth` is
 * the nesting level of collections (1 for a top-level mapping); `isKey` marks tokens that are mapping keys.
 * The visit stops when `visit` returns true.
 */
function walkCst(tokens: CST.Token[], visit: (token: CST.Token, depth: number, isKey: boolean) => boolean): void {
  const { isCollection } = yamlLib().CST;
  const stack: [CST.Token, number, boolean][] = [];
  for (let i = tokens.length - 1; i >= 0; i--) stack.push([tokens[i]!, 0, false]);
  const pushAll = (list: readonly CST.Token[] | undefined, depth: number) => {
    if (list) for (let i = list.length - 1; i >= 0; i--) stack.push([list[i]!, depth, false]);
  };
  while (stack.length > 0) {
    const [token, depth, isKey] = stack.pop()!;
    const inner = isCollection(token) ? depth + 1 : depth;
    if (visit(token, inner, isKey)) return;
    switch (token.type) {
      case 'document':
        pushAll(token.end, depth);
        if (token.value) stack.push([token.value, depth, false]);
        pushAll(token.start, depth);
        break;
      case 'block-map':
      case 'block-seq':
      case 'flow-collection':
        if (token.type === 'flow-collection') pushAll(token.end, inner);
        for (let i = token.items.length - 1; i >= 0; i--) {
          const item = token.items[i]! as CST.CollectionItem;
          if (item.value) stack.push([item.value, inner, false]);
          pushAll(item.sep, inner);
          if (item.key) stack.push([item.key, inner, true]);
          pushAll(item.start, inner);
        }
        if (token.type === 'flow-collection') stack.push([token.start, inner, false]);
        break;
      case 'block-scalar':
        pushAll(token.props, depth);
        break;
      case 'doc-end':
        pushAll(token.end, depth);
        break;
      default:
        if ('end' in token && Array.isArray(token.end)) pushAll(token.end, depth);
    }
  }
}

/** The text of the scalar key that starts at `offset`, for messages about that key. */
export function keyText(tokens: CST.Token[], offset: number): string | undefined {
  let found: string | undefined;
  walkCst(tokens, (token, _depth, isKey) => {
    if (!isKey || token.offset !== offset) return false;
    found = yamlLib().CST.isScalar(token) ? yamlLib().CST.resolveAsScalar(token)?.value : yamlLib().CST.stringify(token).trim();
    return true;
  });
  return found;
}

/** Where the quoted scalar that runs to `end` (because its closing quote is missing) starts. */
export function quotedScalarEndingAt(tokens: CST.Token[], end: number): number | undefined {
  let found: number | undefined;
  walkCst(tokens, (token) => {
    if ((token.type === 'double-quoted-scalar' || token.type === 'single-quoted-scalar') && token.offset + token.source.length === end) {
      found = token.offset;
      return true;
    }
    return false;
  });
  return found;
}
