import type { ParsePosition } from './json-position.js';

// Codex keeps its MCP servers in TOML. `connect --write` changes two keys of one table and must leave the rest of
// the user's file byte for byte as it was, comments included, which a parse-and-reserialize round trip cannot do,
// and it must refuse a file it does not understand. So this is a line-level reader of TOML's structure (headers,
// key = value, multi-line strings and arrays), not a general TOML library: it checks the shape of every line and
// finds tables by their header, and never rewrites a line it did not write.

/** One table header of the file, with the line range of its body. */
interface TableSpan {
  /** The header's key path, normalized: `mcp_servers."a b"` and `mcp_servers . "a b"` are the same table. */
  path: string;
  /** 0-based index of the header line. */
  header: number;
  /** 0-based index one past the body's last line. */
  end: number;
}

const BARE_KEY = /^[A-Za-z0-9_-]+/;
const BASIC_STRING = /^"(?:[^"\\\u0000-\u0008\u000a-\u001f\u007f]|\\(?:[btnfr"\\]|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}))*"/;
const LITERAL_STRING = /^'[^'\u0000-\u0008\u000a-\u001f\u007f]*'/;
const SCALAR = /^(?:true|false|[+-]?(?:inf|nan)|[+-]?(?:0x[0-9A-Fa-f_]+|0o[0-7_]+|0b[01_]+|\d[\d_]*(?:\.[\d_]+)?(?:[eE][+-]?[\d_]+)?)|\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})?)?|\d{2}:\d{2}:\d{2}(?:\.\d+)?)/;

class TomlShapeError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    message: string,
  ) {
    super(message);
  }
}

/** Parses a dotted key at the start of `s`; returns its normalized path and the length consumed. */
function readKey(s: string, line: number, col: number): { path: string[]; length: number } {
  const parts: string[] = [];
  let i = 0;
  for (;;) {
    while (s[i] === ' ' || s[i] === '\t') i++;
    const rest = s.slice(i);
    const m = BARE_KEY.exec(rest) ?? BASIC_STRING.exec(rest) ?? LITERAL_STRING.exec(rest);
    if (!m) throw new TomlShapeError(line, col + i, 'expected a key');
    const raw = m[0];
    parts.push(raw.startsWith('"') ? (JSON.parse(raw) as string) : raw.startsWith("'") ? raw.slice(1, -1) : raw);
    i += raw.length;
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (s[i] !== '.') return { path: parts, length: i };
    i++;
  }
}

/**
 * Reads one value starting at `lines[li]` column `ci` (0-based), following multi-line strings and arrays onto the
 * next lines. Returns the line and column just after it.
 */
function readValue(lines: string[], li: number, ci: number, depth = 0): { li: number; ci: number } {
  if (depth > 128) throw new TomlShapeError(li + 1, ci + 1, 'nested too deeply');
  const at = (l: number, c: number) => lines[l]!.slice(c);
  const s = at(li, ci);
  for (const q of ['"""', "'''"]) {
    if (s.startsWith(q)) {
      // A multi-line string: ends at the next unescaped delimiter (up to two more quotes belong to the content).
      let l = li;
      let from = ci + 3;
      for (;;) {
        const text = lines[l]!;
        let k = text.indexOf(q, from);
        while (k >= 0 && q === '"""' && isEscaped(text, k)) k = text.indexOf(q, k + 1);
        if (k >= 0) {
          let end = k + 3;
          while (text[end] === q[0] && end - k < 5) end++;
          return { li: l, ci: end };
        }
        l++;
        from = 0;
        if (l >= lines.length) throw new TomlShapeError(li + 1, ci + 1, 'unterminated multi-line string');
      }
    }
  }
  const m = BASIC_STRING.exec(s) ?? LITERAL_STRING.exec(s) ?? SCALAR.exec(s);
  if (m) return { li, ci: ci + m[0].length };
  if (s.startsWith('[')) {
    let pos = skipBlank(lines, li, ci + 1);
    if (lines[pos.li]![pos.ci] === ']') return { li: pos.li, ci: pos.ci + 1 };
    for (;;) {
      pos = readValue(lines, pos.li, pos.ci, depth + 1);
      pos = skipBlank(lines, pos.li, pos.ci);
      const c = lines[pos.li]![pos.ci];
      if (c === ',') {
        pos = skipBlank(lines, pos.li, pos.ci + 1);
        if (lines[pos.li]![pos.ci] === ']') return { li: pos.li, ci: pos.ci + 1 };
      } else if (c === ']') return { li: pos.li, ci: pos.ci + 1 };
      else throw new TomlShapeError(pos.li + 1, pos.ci + 1, 'expected "," or "]" in an array');
    }
  }
  if (s.startsWith('{')) {
    // Inline tables stay on one line (TOML 1.0).
    let c = ci + 1;
    const line = lines[li]!;
    while (line[c] === ' ' || line[c] === '\t') c++;
    if (line[c] === '}') return { li, ci: c + 1 };
    for (;;) {
      const key = readKey(line.slice(c), li + 1, c + 1);
      c += key.length;
      if (line[c] !== '=') throw new TomlShapeError(li + 1, c + 1, 'expected "=" after the key');
      c++;
      while (line[c] === ' ' || line[c] === '\t') c++;
      const v = readValue(lines, li, c, depth + 1);
      if (v.li !== li) throw new TomlShapeError(li + 1, c + 1, 'an inline table must stay on one line');
      c = v.ci;
      while (line[c] === ' ' || line[c] === '\t') c++;
      if (line[c] === ',') c++;
      else if (line[c] === '}') return { li, ci: c + 1 };
      else throw new TomlShapeError(li + 1, c + 1, 'expected "," or "}" in an inline table');
    }
  }
  throw new TomlShapeError(li + 1, ci + 1, s.trim() === '' ? 'expected a value after "="' : 'expected a value (a string, number, boolean, date, array or inline table)');
}

function isEscaped(text: string, k: number): boolean {
  let n = 0;
  while (text[k - 1 - n] === '\\') n++;
  return n % 2 === 1;
}

/** Skips blanks, newlines and comments (inside arrays). */
function skipBlank(lines: string[], li: number, ci: number): { li: number; ci: number } {
  for (;;) {
    const line = lines[li];
    if (line === undefined) throw new TomlShapeError(lines.length, 1, 'unterminated array');
    while (line[ci] === ' ' || line[ci] === '\t') ci++;
    if (ci >= line.length || line[ci] === '#') {
      li++;
      ci = 0;
      continue;
    }
    return { li, ci };
  }
}

/** Checks the end of a logical line: blanks and an optional comment only. */
function expectEnd(lines: string[], li: number, ci: number): void {
  const rest = lines[li]!.slice(ci).trimStart();
  if (rest !== '' && !rest.startsWith('#')) throw new TomlShapeError(li + 1, lines[li]!.length - rest.length + 1, 'unexpected text after the value');
}

/** Reads the file's structure: its tables, or where its shape is not TOML. */
function scan(text: string): TableSpan[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const tables: TableSpan[] = [];
  const seen = new Set<string>();
  // Keys given a value (`a.b = …`, under the current table), so a header naming the same path is a redefinition.
  const values = new Set<string>();
  let current: string[] = [];
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li]!;
    const t = line.trimStart();
    const col = line.length - t.length;
    if (t === '' || t.startsWith('#')) continue;
    if (t.startsWith('[')) {
      const array = t.startsWith('[[');
      const open = array ? 2 : 1;
      const key = readKey(t.slice(open), li + 1, col + open + 1);
      const close = open + key.length;
      if (t.slice(close, close + open) !== (array ? ']]' : ']')) throw new TomlShapeError(li + 1, col + close + 1, `expected "${array ? ']]' : ']'}" to close the table header`);
      expectEnd(lines, li, col + close + open);
      const path = key.path.map((p) => JSON.stringify(p)).join('.');
      if (!array) {
        if (seen.has(path) || values.has(path)) throw new TomlShapeError(li + 1, col + 1, `table [${key.path.join('.')}] is defined twice`);
        seen.add(path);
      }
      // Each [[array]] element is a table of its own: its keys may repeat those of the element before.
      current = array ? [...key.path, `[${li}]`] : key.path;
      if (tables.length) tables[tables.length - 1]!.end = li;
      tables.push({ path: array ? `[]${path}` : path, header: li, end: lines.length });
      continue;
    }
    const key = readKey(t, li + 1, col + 1);
    const full = [...current, ...key.path].map((p) => JSON.stringify(p)).join('.');
    if (values.has(full) || seen.has(full)) throw new TomlShapeError(li + 1, col + 1, `key ${[...current, ...key.path].join('.')} is defined twice`);
    values.add(full);
    let c = col + key.length;
    if (line[c] !== '=') throw new TomlShapeError(li + 1, c + 1, 'expected "=" after the key');
    c++;
    while (line[c] === ' ' || line[c] === '\t') c++;
    const end = readValue(lines, li, c);
    expectEnd(lines, end.li, end.ci);
    li = end.li;
  }
  return tables;
}

/** Where `text` is not TOML this module can edit safely, or undefined when it is. */
export function tomlShapeError(text: string): ParsePosition | undefined {
  try {
    scan(text);
    return undefined;
  } catch (e) {
    if (e instanceof TomlShapeError) return { line: e.line, column: e.column, message: e.message };
    throw e;
  }
}

/**
 * Sets `values` (key → TOML value text) in the table `path` (e.g. ['mcp_servers', 'tengine']), replacing those keys'
 * lines and keeping every other line; appends the table at the end when the file has none. The text must have
 * passed tomlShapeError. Returns the same string when nothing changes, so a second run writes nothing.
 */
export function upsertTomlTable(text: string, path: string[], header: string, values: [string, string][]): string {
  const tables = scan(text);
  const want = path.map((p) => JSON.stringify(p)).join('.');
  const table = tables.find((t) => t.path === want);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (!table) {
    const body = [header, ...values.map(([k, v]) => `${k} = ${v}`)].join(eol);
    const base = text.replace(/\s*$/, '');
    return base === '' ? `${body}${eol}` : `${base}${eol}${eol}${body}${eol}`;
  }
  const out = [...lines];
  const missing: string[] = [];
  for (const [k, v] of values) {
    const wanted = `${k} = ${v}`;
    let found = false;
    for (let li = table.header + 1; li < table.end; li++) {
      const t = out[li]!.trimStart();
      const m = BARE_KEY.exec(t);
      if (m && m[0] === k && /^\s*=/.test(t.slice(k.length))) {
        // Only single-line values of our own keys are replaced (url and bearer_token_env_var are strings).
        if (out[li]!.trim() !== wanted) out[li] = wanted;
        found = true;
        break;
      }
    }
    if (!found) missing.push(wanted);
  }
  out.splice(table.header + 1, 0, ...missing);
  const next = out.join(eol);
  return next === lines.join(eol) ? text : next;
}
