import { isDeepStrictEqual } from 'node:util';
import { parseYaml } from '../config/parse-yaml.js';
import { escapePointer, type FileSourceMap, type NodeLocation } from '../config/source-map.js';

// Positions of a large document without parsing all of it again. The fast parser (js-yaml) gives no positions, and
// the precise parser needs seconds for a 10,000-operation document; but a diagnostic needs the position of one
// pointer. So the block structure is followed line by line (indentation says where each mapping entry and list
// item starts and ends) down to the entry the pointer lies in, and only that entry's lines are parsed by the
// precise parser, which gives the exact positions. The lines keep their columns and the line numbers are shifted,
// so the answer is what the whole-document parse would say. Anything the line scan is unsure of (flow
// collections at the root, tags, anchors, complex keys, tabs, several documents) and any entry whose parse does
// not reproduce the document's own value falls back to the whole-document map.

/** A block node as the line scan sees it: where its first token is, and the line after its last. */
interface ScanNode {
  line: number;
  col: number;
  end: number;
}

/** A mapping entry or list item, with the lines it spans and its value (absent for a value on the key's line). */
interface ScanEntry {
  line: number;
  /** Column of the key (or of the `-`): text before it on its line is blanked when the entry is parsed alone. */
  col: number;
  end: number;
  /** The key of a mapping entry, or undefined for a list item (which has its index instead). */
  key?: string;
  index?: number;
  value?: ScanNode;
}

interface ScanIndex {
  kind: 'map' | 'seq';
  entries: Map<string, ScanEntry>;
  /** True when some line of the node could not be read: a key not found may still be there. */
  unsure: boolean;
}

type Slice = { map: FileSourceMap } | null;

/** A FileSourceMap facade answering each lookup from the entry it lies in, falling back to the whole map. */
export class PointerPositions extends Map<string, NodeLocation> {
  private full?: FileSourceMap;
  private starts?: Int32Array;
  private readonly indexes = new Map<string, ScanIndex | null>();
  private rootNode?: ScanNode | null;
  private readonly slices = new Map<string, Slice>();
  private readonly answers = new Map<string, NodeLocation | undefined>();

  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly data: unknown,
    private readonly buildFull: () => FileSourceMap,
  ) {
    super();
  }

  override get(pointer: string): NodeLocation | undefined {
    if (this.full) return this.full.get(pointer);
    if (this.answers.has(pointer)) return this.answers.get(pointer);
    const found = this.lookup(pointer);
    if (found === 'fallback') {
      this.full = this.buildFull();
      return this.full.get(pointer);
    }
    this.answers.set(pointer, found);
    return found;
  }

  /** True once a lookup needed the whole-document map (for tests and the bench). */
  get usedFullMap(): boolean {
    return this.full !== undefined;
  }

  private lookup(pointer: string): NodeLocation | undefined | 'fallback' {
    const root = this.root();
    if (!root) return 'fallback';
    const segs = pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    let node: ScanNode | undefined = root;
    let deepest: { entry: ScanEntry; parent: string } | undefined;
    let at = '';
    if (segs.length === 0) {
      // The root collection starts where its first entry does.
      const idx = this.index(root);
      const first = idx && [...idx.entries.values()][0];
      if (!first) return 'fallback';
      const slice = this.slice(first, '', true);
      return slice ? slice.map.get('') : 'fallback';
    }
    for (const seg of segs) {
      const idx: ScanIndex | null | undefined = node && this.index(node);
      if (!idx) break;
      const entry = idx.entries.get(seg);
      if (!entry) {
        // Every line of the node was read: the key is not there, so neither is anything under it.
        if (!idx.unsure) return undefined;
        break;
      }
      deepest = { entry, parent: at };
      at = `${at}/${escapePointer(seg)}`;
      node = entry.value;
    }
    if (!deepest) return 'fallback';
    const slice = this.slice(deepest.entry, deepest.parent);
    return slice ? slice.map.get(pointer) : 'fallback';
  }

  /** Parses one entry's lines alone, checks it reproduces the document's value, and maps its pointers back. */
  private slice(entry: ScanEntry, parent: string, first = false): Slice {
    const id = `${parent}\u0000${entry.line}\u0000${first}`;
    if (this.slices.has(id)) return this.slices.get(id)!;
    let result: Slice = null;
    const starts = this.lineStarts();
    const from = starts[entry.line]!;
    const to = entry.end < starts.length ? starts[entry.end]! : this.text.length;
    const lead = this.text.slice(from, from + entry.col);
    if (/^[ -]*$/.test(lead)) {
      const parsed = parseYaml(' '.repeat(entry.col) + this.text.slice(from + entry.col, to), this.file);
      const own = entry.key === undefined ? `/${entry.index}` : `/${escapePointer(entry.key)}`;
      const local = entry.key === undefined ? '/0' : own;
      const value = valueAt(this.data, parent + own);
      const got = parsed.data as Record<string, unknown> | unknown[] | undefined;
      const same =
        parsed.diagnostics.length === 0 &&
        got !== null &&
        typeof got === 'object' &&
        Object.keys(got).length === 1 &&
        isDeepStrictEqual(entry.key === undefined ? (got as unknown[])[0] : (got as Record<string, unknown>)[entry.key], value);
      if (same) {
        const map: FileSourceMap = new Map();
        const shift = (l: NodeLocation['value']) => ({ line: l.line + entry.line, column: l.column });
        for (const [p, loc] of parsed.map) {
          // The slice's own root is the parent collection only when the entry is its first (the root lookup).
          const full = p === '' ? (first ? parent : undefined) : p === local || p.startsWith(`${local}/`) ? parent + own + p.slice(local.length) : undefined;
          if (full === undefined) continue;
          map.set(full, loc.key ? { value: shift(loc.value), key: shift(loc.key) } : { value: shift(loc.value) });
        }
        result = { map };
      }
    }
    this.slices.set(id, result);
    return result;
  }

  /** The root node: the first content line, unless the text has directives or several documents. */
  private root(): ScanNode | undefined {
    if (this.rootNode === undefined) this.rootNode = this.findRoot() ?? null;
    return this.rootNode ?? undefined;
  }

  private findRoot(): ScanNode | undefined {
    const starts = this.lineStarts();
    let first = -1;
    for (let i = 0; i < starts.length; i++) {
      const ch = this.text[starts[i]!];
      if (ch === '%' || (this.text.startsWith('---', starts[i]!) && first >= 0) || this.text.startsWith('...', starts[i]!)) return undefined;
      if (first < 0 && this.text.startsWith('---', starts[i]!)) {
        if (this.content(i) !== 3 || /\S/.test(this.lineText(i).slice(3))) return undefined;
        continue;
      }
      if (first < 0 && this.content(i) >= 0) first = i;
    }
    return first < 0 ? undefined : { line: first, col: this.content(first), end: starts.length };
  }

  /** Reads a block mapping or list once (its entries by key or index); null for anything else. */
  private index(node: ScanNode): ScanIndex | null {
    const id = `${node.line}:${node.col}`;
    if (this.indexes.has(id)) return this.indexes.get(id)!;
    const line = this.lineText(node.line);
    const seq = line[node.col] === '-' && (line.length === node.col + 1 || line[node.col + 1] === ' ');
    const keyAt = (l: number, c: number) => parseKey(this.lineText(l), c);
    let result: ScanIndex | null = null;
    if (seq || keyAt(node.line, node.col)) {
      result = { kind: seq ? 'seq' : 'map', entries: new Map(), unsure: false };
      const starts: number[] = [node.line];
      for (let i = node.line + 1; i < node.end; i++) {
        const c = this.content(i);
        if (c === -1 || c > node.col) continue;
        if (c < node.col) {
          result.unsure = true;
          break;
        }
        const text = this.lineText(i);
        const dash = text[c] === '-' && (text.length === c + 1 || text[c + 1] === ' ');
        if (seq ? dash : !dash) starts.push(i);
        else if (seq) break;
      }
      for (let k = 0; k < starts.length; k++) {
        const l = starts[k]!;
        const end = k + 1 < starts.length ? starts[k + 1]! : node.end;
        const entry = seq ? this.item(l, node.col, end, k) : this.entry(l, node.col, end);
        if (!entry) {
          result.unsure = true;
          continue;
        }
        const name = entry.key ?? String(k);
        if (!result.entries.has(name)) result.entries.set(name, entry);
      }
    }
    this.indexes.set(id, result);
    return result;
  }

  private entry(line: number, col: number, end: number): ScanEntry | undefined {
    const key = parseKey(this.lineText(line), col);
    if (!key) return undefined;
    const rest = this.lineText(line).slice(key.after);
    const e: ScanEntry = { line, col, end, key: key.key };
    // A value on the key's line is a leaf for the scan (the entry's parse has its insides).
    if (/^\s*(#.*)?$/.test(rest)) e.value = this.next(line + 1, end);
    return e;
  }

  private item(line: number, col: number, end: number, index: number): ScanEntry | undefined {
    const text = this.lineText(line);
    const e: ScanEntry = { line, col, end, index };
    let c = col + 1;
    while (text[c] === ' ') c++;
    if (c >= text.length || text[c] === '#') e.value = this.next(line + 1, end);
    else if (text[c] === '\t') return undefined;
    else e.value = { line, col: c, end };
    return e;
  }

  /** The node on the first content line of [from, end). */
  private next(from: number, end: number): ScanNode | undefined {
    for (let i = from; i < end; i++) {
      const c = this.content(i);
      if (c >= 0) return { line: i, col: c, end };
      if (c === -2) return undefined;
    }
    return undefined;
  }

  /** Column of the first character of a content line; -1 for a blank or comment line, -2 for a tab in the indent. */
  private content(i: number): number {
    const text = this.lineText(i);
    let c = 0;
    while (text[c] === ' ') c++;
    if (text[c] === '\t') return -2;
    return c >= text.length || text[c] === '#' ? -1 : c;
  }

  private lineText(i: number): string {
    const starts = this.lineStarts();
    const s = starts[i]!;
    let e = i + 1 < starts.length ? starts[i + 1]! - 1 : this.text.length;
    if (this.text[e - 1] === '\r') e--;
    return this.text.slice(s, e);
  }

  private lineStarts(): Int32Array {
    if (this.starts) return this.starts;
    let n = 1;
    for (let i = this.text.indexOf('\n'); i >= 0; i = this.text.indexOf('\n', i + 1)) n++;
    const starts = new Int32Array(n);
    let k = 1;
    for (let i = this.text.indexOf('\n'); i >= 0; i = this.text.indexOf('\n', i + 1)) starts[k++] = i + 1;
    return (this.starts = starts);
  }
}

// Plain keys the core schema reads as something other than a string (the map then holds String(value)).
const CORE_INT = /^[-+]?[0-9]+$/;
const CORE_OTHER = /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;

/** A simple key at `col` of a line (plain, or quoted on one line) followed by `:`, or undefined when unsure. */
function parseKey(line: string, col: number): { key: string; after: number } | undefined {
  const ch = line[col];
  if (ch === undefined || '-?:,[]{}#&*!|>\'"%@`'.includes(ch)) {
    if (ch !== '"' && ch !== "'") return undefined;
    let i = col + 1;
    for (; i < line.length; i++) {
      if (ch === '"' && line[i] === '\\') i++;
      else if (line[i] === ch) {
        if (ch === "'" && line[i + 1] === "'") i++;
        else break;
      }
    }
    if (i >= line.length) return undefined;
    const m = /^[ ]*:(?=[ ]|$)/.exec(line.slice(i + 1));
    if (!m) return undefined;
    const raw = line.slice(col, i + 1);
    let key: string;
    if (ch === "'") key = raw.slice(1, -1).replace(/''/g, "'");
    else {
      try {
        key = JSON.parse(raw) as string;
      } catch {
        return undefined;
      }
    }
    return { key, after: i + 1 + m[0].length };
  }
  const m = /^(.*?)[ ]*:(?= |$)/.exec(line.slice(col));
  if (!m || / #/.test(m[1]!) || m[1]!.includes('\t')) return undefined;
  const plain = m[1]!;
  if (CORE_INT.test(plain)) return { key: String(BigInt(plain)), after: col + m[0].length };
  if (CORE_OTHER.test(plain) || plain === '') return undefined;
  return { key: plain, after: col + m[0].length };
}

function valueAt(data: unknown, pointer: string): unknown {
  let cur = data;
  if (pointer === '') return cur;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}
