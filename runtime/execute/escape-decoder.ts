import { HTML_ENTITIES } from './html-entities.js';

/**
 * A text with one layer of escapes decoded, and a map back: UTF-16 unit `i` of `text` came from
 * `original.slice(start[i], end[i])`, where `original` is the text before the first layer was decoded.
 */
export interface DecodedView {
  text: string;
  start: Int32Array;
  end: Int32Array;
}

const ESCAPE_START = /[&%\\]/;

/** True when a text holds a character that can start an escape (`&`, `%`, `\`): only such a text needs decoding. */
export function mayHoldEscapes(text: string): boolean {
  return ESCAPE_START.test(text);
}

/**
 * Decodes one layer of every escape syntax an echo commonly takes, all at once: HTML character references
 * (`&#x2F;` `&#47;` `&#X2f;` with or without `;`, `&sol;` `&amp;` `&quot;` ...), percent-encoding (UTF-8 byte
 * sequences in either case, a lone byte as Latin-1, `%u002F`), and JS/JSON backslash escapes (`\u002F` `\u{2F}`
 * `\x2F` `\n`, and `\` before any other punctuation: `\/` `\"` `\\` `\_`). Everything else is kept as it is.
 * Double encoding (`%252F`, `&amp;#x2F;`, `%26%23x2F%3B`) is one layer per call. Returns undefined when the
 * text holds no escape. `base` is the view `text` came from (omitted: `text` is the original).
 */
export function decodeLayer(text: string, base?: DecodedView): DecodedView | undefined {
  const n = text.length;
  // Every escape is at least two characters and yields at most two units, so the output is never longer.
  const start = new Int32Array(n);
  const end = new Int32Array(n);
  const pieces: string[] = [];
  let units = 0;
  let literalFrom = 0;
  let decodedAny = false;
  const emit = (from: number, to: number): void => {
    start[units] = base ? base.start[from]! : from;
    end[units] = base ? base.end[to - 1]! : to;
    units++;
  };
  for (let i = 0; i < n; ) {
    const c = text.charCodeAt(i);
    const len = c === 0x26 ? htmlReference(text, i) : c === 0x25 ? percentEscape(text, i) : c === 0x5c ? backslashEscape(text, i) : 0;
    if (len === 0) {
      emit(i, i + 1);
      i++;
      continue;
    }
    if (literalFrom < i) pieces.push(text.slice(literalFrom, i));
    pieces.push(decoded);
    for (let k = 0; k < decoded.length; k++) emit(i, i + len);
    decodedAny = true;
    i += len;
    literalFrom = i;
  }
  if (!decodedAny) return undefined;
  if (literalFrom < n) pieces.push(text.slice(literalFrom));
  return { text: pieces.join(''), start: start.subarray(0, units), end: end.subarray(0, units) };
}

/** What the last successful escape parser decoded (set together with a non-zero length). */
let decoded = '';

function hex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

/** Two hex digits at `i` as a byte, or -1. */
function hexByte(text: string, i: number): number {
  const hi = hex(text.charCodeAt(i));
  const lo = hex(text.charCodeAt(i + 1));
  return hi < 0 || lo < 0 ? -1 : (hi << 4) | lo;
}

/** A code point as text, or undefined for a surrogate or a value past U+10FFFF (not a character). */
function character(cp: number): string | undefined {
  return cp > 0 && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? String.fromCodePoint(cp) : undefined;
}

/** `&#x2F;` `&#47;` (the `;` optional, as HTML parsers accept) or `&name;` at `i`: its length, or 0. */
function htmlReference(text: string, i: number): number {
  if (text.charCodeAt(i + 1) === 0x23) {
    const isHex = (text.charCodeAt(i + 2) | 0x20) === 0x78;
    let j = i + (isHex ? 3 : 2);
    let cp = 0;
    let digits = 0;
    // 16 digits (leading zeros included) bound the work; any real character needs far fewer.
    for (; digits < 16; j++, digits++) {
      const c = text.charCodeAt(j);
      const d = isHex ? hex(c) : c >= 0x30 && c <= 0x39 ? c - 0x30 : -1;
      if (d < 0) break;
      cp = cp * (isHex ? 16 : 10) + d;
    }
    const ch = digits > 0 ? character(cp) : undefined;
    if (ch === undefined) return 0;
    decoded = ch;
    return j - i + (text.charCodeAt(j) === 0x3b ? 1 : 0);
  }
  let j = i + 1;
  while (j - i <= 32 && /[A-Za-z0-9]/.test(text[j] ?? '')) j++;
  if (text.charCodeAt(j) !== 0x3b) return 0;
  const ch = HTML_ENTITIES.get(text.slice(i + 1, j));
  if (ch === undefined) return 0;
  decoded = ch;
  return j + 1 - i;
}

/** `%XX` (a whole UTF-8 sequence of them when valid, else one byte as Latin-1) or `%uXXXX` at `i`: its length, or 0. */
function percentEscape(text: string, i: number): number {
  if ((text.charCodeAt(i + 1) | 0x20) === 0x75) {
    const hi = hexByte(text, i + 2);
    const lo = hexByte(text, i + 4);
    if (hi < 0 || lo < 0) return 0;
    decoded = String.fromCharCode((hi << 8) | lo);
    return 6;
  }
  const b0 = hexByte(text, i + 1);
  if (b0 < 0) return 0;
  const size = b0 >= 0xc2 && b0 <= 0xdf ? 2 : b0 >= 0xe0 && b0 <= 0xef ? 3 : b0 >= 0xf0 && b0 <= 0xf4 ? 4 : 1;
  let cp = size === 1 ? b0 : b0 & (0xff >> (size + 1));
  for (let k = 1; k < size && cp >= 0; k++) {
    const at = i + 3 * k;
    const b = text.charCodeAt(at) === 0x25 ? hexByte(text, at + 1) : -1;
    cp = b >= 0x80 && b <= 0xbf ? (cp << 6) | (b & 0x3f) : -1;
  }
  const minimum = [0, 0, 0x80, 0x800, 0x10000][size]!;
  const ch = size > 1 && cp >= minimum ? character(cp) : undefined;
  if (ch !== undefined) {
    decoded = ch;
    return 3 * size;
  }
  // Not UTF-8: the byte as Latin-1, as JavaScript's escape() and old servers wrote it.
  decoded = String.fromCharCode(b0);
  return 3;
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v' };

/** A JS/JSON escape at `i`: `\uXXXX`, `\u{X}`, `\xXX`, `\n`-style, `\0`, or `\` before punctuation; its length, or 0. */
function backslashEscape(text: string, i: number): number {
  const next = text[i + 1];
  if (next === undefined || next === '\n' || next === '\r' || next === '\u2028' || next === '\u2029') return 0;
  if (next === 'u') {
    if (text[i + 2] === '{') {
      const close = text.indexOf('}', i + 3);
      if (close < 0 || close - (i + 3) > 8 || close === i + 3) return 0;
      const digits = text.slice(i + 3, close);
      if (!/^[0-9A-Fa-f]+$/.test(digits)) return 0;
      const cp = parseInt(digits, 16);
      if (cp > 0x10ffff) return 0;
      decoded = String.fromCodePoint(cp);
      return close + 1 - i;
    }
    const hi = hexByte(text, i + 2);
    const lo = hexByte(text, i + 4);
    if (hi < 0 || lo < 0) return 0;
    // A surrogate is one unit of a pair spelled as two escapes; the view is UTF-16, so each stands for itself.
    decoded = String.fromCharCode((hi << 8) | lo);
    return 6;
  }
  if (next === 'x') {
    const b = hexByte(text, i + 2);
    if (b < 0) return 0;
    decoded = String.fromCharCode(b);
    return 4;
  }
  const simple = SIMPLE_ESCAPES[next];
  if (simple !== undefined) {
    decoded = simple;
    return 2;
  }
  if (next === '0') {
    if (/[0-9]/.test(text[i + 2] ?? '')) return 0;
    decoded = '\0';
    return 2;
  }
  // Any other letter or digit after a backslash is not an escape of itself (`\d`, `\s` stay as written).
  if (/[A-Za-z0-9]/.test(next)) return 0;
  decoded = next;
  return 2;
}
