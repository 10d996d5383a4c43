import { HTML_ENTITIES } from './html-entities.js';

/**
 * A text with one layer of escapes decoded, and a map back to the text it was decoded from. The map is a list of
 * segments (a run of literal characters, or the output of one escape), so building it costs one entry per escape,
 * not one per character, and looking a position up is a binary search.
 */
export class DecodedView {
  /** Segment starts in `text`, ascending. */
  private readonly at: number[] = [];
  /** Where each segment starts in the source. */
  private readonly from: number[] = [];
  /** Where an escape segment ends in the source; -1 for a literal run (its units map one to one). */
  private readonly to: number[] = [];
  text = '';

  /** Records a segment starting at `viewAt` (internal to decodeLayer). */
  add(viewAt: number, from: number, to: number): void {
    this.at.push(viewAt);
    this.from.push(from);
    this.to.push(to);
  }

  /** The `[from, to)` span of the source that unit `i` of `text` came from. */
  source(i: number): [number, number] {
    let lo = 0;
    let hi = this.at.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.at[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    const to = this.to[lo]!;
    if (to >= 0) return [this.from[lo]!, to];
    const at = this.from[lo]! + (i - this.at[lo]!);
    return [at, at + 1];
  }
}

const ESCAPE_START = /[&%\\]/;
const ESCAPE_STARTS = /[&%\\]/g;

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
 * text holds no escape. Work is one regex scan plus one step per escape character.
 */
export function decodeLayer(text: string): DecodedView | undefined {
  const view = new DecodedView();
  const pieces: string[] = [];
  let length = 0;
  let literalFrom = 0;
  ESCAPE_STARTS.lastIndex = 0;
  for (let m = ESCAPE_STARTS.exec(text); m !== null; m = ESCAPE_STARTS.exec(text)) {
    const i = m.index;
    const c = text.charCodeAt(i);
    const len = c === 0x26 ? htmlReference(text, i) : c === 0x25 ? percentEscape(text, i) : backslashEscape(text, i);
    if (len === 0) continue;
    if (literalFrom < i) {
      view.add(length, literalFrom, -1);
      pieces.push(text.slice(literalFrom, i));
      length += i - literalFrom;
    }
    view.add(length, i, i + len);
    pieces.push(decoded);
    length += decoded.length;
    literalFrom = i + len;
    ESCAPE_STARTS.lastIndex = literalFrom;
  }
  if (pieces.length === 0) return undefined;
  if (literalFrom < text.length) {
    view.add(length, literalFrom, -1);
    pieces.push(text.slice(literalFrom));
  }
  view.text = pieces.join('');
  return view;
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
  if (text.charCodeAt(j) === 0x3b) {
    const ch = HTML_ENTITIES.get(text.slice(i + 1, j));
    if (ch !== undefined) {
      decoded = ch;
      return j + 1 - i;
    }
  }
  // Without `;`, browsers still decode the legacy names, taking the longest one that starts the run even when letters
  // follow (`&ampary` is `&ary`, `&notit` is `¬it`): an echo spelled that way must be decoded the same way.
  for (let k = Math.min(j, i + 1 + LEGACY_LONGEST); k > i + 1; k--) {
    const name = text.slice(i + 1, k);
    if (LEGACY_NAMES.has(name)) {
      decoded = HTML_ENTITIES.get(name)!;
      return k - i;
    }
  }
  return 0;
}

/** HTML's legacy named references, which parsers decode without a `;` (HTML Living Standard, named character references). */
export const LEGACY_NAMES: ReadonlySet<string> = new Set(
  (
    'AMP LT GT QUOT COPY REG amp lt gt quot nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn ' +
    'sup2 sup3 acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde Auml Aring AElig ' +
    'Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave Uacute ' +
    'Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml igrave iacute icirc ' +
    'iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml'
  ).split(' '),
);
const LEGACY_LONGEST = 6;

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
      // Searched within the longest valid form only, so a text of many `\u{` stays linear.
      const close = text.slice(i + 3, i + 12).indexOf('}') + i + 3;
      if (close < i + 4) return 0;
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
