import { re2Property } from './unicode-properties.js';

/** RE2 source with the meaning of an ECMAScript pattern, or why the linear engine cannot express it. */
export type Re2Translation = { ok: true; source: string } | { ok: false; reason: string };

/** How letters compare: exactly, or ASCII letters in either case (what the `i` flag does without `u`). */
export type CaseMode = 'exact' | 'ascii';

type Range = readonly [number, number];

const MAX_CODE_POINT = 0x10ffff;
/** ECMAScript WhiteSpace and LineTerminator (ECMA-262 §22.2.2.9 CharacterClassEscape `s`); RE2's `\s` is ASCII only. */
const SPACE: Range[] = [[0x09, 0x0d], [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200a], [0x2028, 0x2029], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000], [0xfeff, 0xfeff]];
/** ECMAScript LineTerminator: what `.` does not match without the `s` flag (RE2's `.` only leaves out `\n`). */
const LINE_TERMINATOR: Range[] = [[0x0a, 0x0a], [0x0d, 0x0d], [0x2028, 0x2029]];
const EVERYTHING: Range[] = [[0, MAX_CODE_POINT]];

/** The code points not in `ranges` (sorted, disjoint). */
function complement(ranges: readonly Range[]): Range[] {
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of ranges) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

/** RE2 spelling of one code point: letters and digits as they are, everything else as `\x{…}` (no metacharacter survives). */
function char(cp: number): string {
  return /^[A-Za-z0-9_]$/.test(String.fromCodePoint(cp)) ? String.fromCodePoint(cp) : `\\x{${cp.toString(16)}}`;
}

function rangeText([lo, hi]: Range): string {
  return lo === hi ? char(lo) : `${char(lo)}-${char(hi)}`;
}

/** The other-case ASCII letters of `[lo, hi]`, for the `i` flag without `u` (which folds ASCII letters only among themselves). */
function asciiCounterparts([lo, hi]: Range): Range[] {
  const out: Range[] = [];
  const a = Math.max(lo, 0x61), z = Math.min(hi, 0x7a);
  if (a <= z) out.push([a - 0x20, z - 0x20]);
  const A = Math.max(lo, 0x41), Z = Math.min(hi, 0x5a);
  if (A <= Z) out.push([A + 0x20, Z + 0x20]);
  return out;
}

const SPACE_BODY = SPACE.map(rangeText).join('');
const NOT_SPACE_BODY = complement(SPACE).map(rangeText).join('');
const DOT = `[${complement(LINE_TERMINATOR).map(rangeText).join('')}]`;
const NOTHING = `[^${rangeText(EVERYTHING[0]!)}]`;
const ANYTHING = `[${rangeText(EVERYTHING[0]!)}]`;

/** A set that RE2 reads the same with or without brackets around it. */
const SINGLE_ESCAPE = /^\\(?:[dDwW]|[pP]\{[A-Za-z_]+\})$/;

/** Thrown inside the translator to stop at the first construct RE2 cannot express. */
class Refusal extends Error {}

/** One class atom: a single code point (which may bound a range) or a set written as the body of an RE2 class. */
type Atom = { cp: number } | { set: string };

/**
 * Translates an ECMAScript pattern that is valid with the `u` flag (the caller checks that with the native parser,
 * which never runs it) into RE2 syntax with the same matches. ECMAScript's `\s` and `.` are wider than RE2's and are
 * spelled out; `\d`, `\w`, `\b` are ASCII in both. Backreferences and lookaround have no linear-time equivalent and
 * are refused with a reason. Groups become non-capturing: Ajv only asks whether a pattern matches.
 */
export function ecmaScriptToRe2(pattern: string, caseMode: CaseMode = 'exact'): Re2Translation {
  let i = 0;
  const peek = (k = 0) => pattern[i + k];

  const hex = (digits: string) => parseInt(digits, 16);
  /** A `\u` escape after the `u`: `{…}`, or four hex digits, joined with a following low surrogate escape (u-mode pairs them). */
  const unicodeEscape = (): number => {
    if (peek() === '{') {
      const end = pattern.indexOf('}', i);
      const cp = hex(pattern.slice(i + 1, end));
      i = end + 1;
      return cp;
    }
    const cp = hex(pattern.slice(i, i + 4));
    i += 4;
    if (cp >= 0xd800 && cp <= 0xdbff && pattern.startsWith('\\u', i) && /^[dD][c-fC-F][0-9a-fA-F]{2}$/.test(pattern.slice(i + 2, i + 6))) {
      const low = hex(pattern.slice(i + 2, i + 6));
      i += 6;
      return (cp - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
    }
    return cp;
  };

  const property = (negated: boolean): Atom => {
    const end = pattern.indexOf('}', i);
    const body = pattern.slice(i + 1, end);
    i = end + 1;
    const p = re2Property(body);
    if (!p) throw new Refusal(`the Unicode property \\${negated ? 'P' : 'p'}{${body}} has no equivalent in the linear engine (it knows General_Category values, scripts by their long name such as Script=Greek, and common binary properties)`);
    if ('name' in p) return { set: `\\${negated ? 'P' : 'p'}{${p.name}}` };
    return { set: (negated ? complement(p.ranges) : p.ranges).map(rangeText).join('') };
  };

  /** Reads the escape after a `\` (already consumed). */
  const escape = (inClass: boolean): Atom | { assertion: string } => {
    const c = pattern[i++]!;
    switch (c) {
      case 'd': case 'D': case 'w': case 'W':
        return { set: `\\${c}` };
      case 's': return { set: SPACE_BODY };
      case 'S': return { set: NOT_SPACE_BODY };
      case 'b': case 'B':
        if (inClass && c === 'b') return { cp: 0x08 };
        return { assertion: `\\${c}` };
      case 't': return { cp: 0x09 };
      case 'n': return { cp: 0x0a };
      case 'v': return { cp: 0x0b };
      case 'f': return { cp: 0x0c };
      case 'r': return { cp: 0x0d };
      case '0': return { cp: 0 };
      case 'c': return { cp: pattern.charCodeAt(i++) % 32 };
      case 'x': {
        const cp = hex(pattern.slice(i, i + 2));
        i += 2;
        return { cp };
      }
      case 'u': return { cp: unicodeEscape() };
      case 'p': case 'P': return property(c === 'P');
      case 'k': throw new Refusal('a named backreference (\\k<…>) needs backtracking');
      default:
        if (c >= '1' && c <= '9') throw new Refusal(`a backreference (\\${c}) needs backtracking`);
        // u-mode identity escapes: syntax characters, `/`, and `-` in a class.
        if ('^$\\.*+?()[]{}|/-'.includes(c)) return { cp: c.charCodeAt(0) };
        throw new Refusal(`the escape \\${c} has no equivalent in the linear engine`);
    }
  };

  const fold = (ranges: Range[]): Range[] => (caseMode === 'ascii' ? ranges.flatMap((r) => [r, ...asciiCounterparts(r)]) : ranges);

  const literal = (cp: number): string => {
    const ranges = fold([[cp, cp]]);
    return ranges.length === 1 ? char(cp) : `[${ranges.map(rangeText).join('')}]`;
  };

  const atomText = (a: Atom): string => ('cp' in a ? fold([[a.cp, a.cp]]).map(rangeText).join('') : a.set);

  const characterClass = (): string => {
    const negated = peek() === '^';
    if (negated) i++;
    if (peek() === ']') {
      i++;
      return negated ? ANYTHING : NOTHING;
    }
    let body = '';
    while (peek() !== ']') {
      const from = classAtom();
      if (peek() === '-' && peek(1) !== ']' && 'cp' in from) {
        i++;
        const to = classAtom();
        // u-mode refuses a range with a class escape at either end, so `to` is a code point here.
        if (!('cp' in to)) throw new Refusal('a character class range ends in a class escape');
        body += fold([[from.cp, to.cp]]).map(rangeText).join('');
      } else {
        body += atomText(from);
      }
    }
    i++;
    return `[${negated ? '^' : ''}${body}]`;
  };

  const classAtom = (): Atom => {
    if (peek() === '\\') {
      i++;
      const a = escape(true);
      if ('assertion' in a) throw new Refusal(`${a.assertion} inside a character class`);
      return a;
    }
    const cp = pattern.codePointAt(i)!;
    i += cp > 0xffff ? 2 : 1;
    return { cp };
  };

  const group = (): string => {
    if (peek() !== '?') return '(?:';
    const next = peek(1);
    if (next === ':') {
      i += 2;
      return '(?:';
    }
    if (next === '=' || next === '!') throw new Refusal(`a lookahead (?${next}…) needs backtracking`);
    if (next === '<' && (peek(2) === '=' || peek(2) === '!')) throw new Refusal(`a lookbehind (?<${peek(2)}…) is not supported by the linear engine`);
    if (next === '<') {
      i = pattern.indexOf('>', i) + 1;
      return '(?:';
    }
    throw new Refusal(`the group syntax (?${next ?? ''} has no equivalent in the linear engine`);
  };

  let out = '';
  try {
    while (i < pattern.length) {
      const c = pattern[i]!;
      if (c === '\\') {
        i++;
        const a = escape(false);
        out += 'assertion' in a ? a.assertion : 'cp' in a ? literal(a.cp) : SINGLE_ESCAPE.test(a.set) ? a.set : `[${a.set}]`;
      } else if (c === '[') {
        i++;
        out += characterClass();
      } else if (c === '(') {
        i++;
        out += group();
      } else if (c === '.') {
        i++;
        out += DOT;
      } else if (c === '{') {
        // u-mode allows `{` only as a quantifier: {n}, {n,}, {n,m}.
        const end = pattern.indexOf('}', i);
        out += pattern.slice(i, end + 1);
        i = end + 1;
      } else if ('^$|)*+?'.includes(c)) {
        i++;
        out += c;
      } else {
        const cp = pattern.codePointAt(i)!;
        i += cp > 0xffff ? 2 : 1;
        out += literal(cp);
      }
    }
  } catch (e) {
    if (e instanceof Refusal) return { ok: false, reason: e.message };
    throw e;
  }
  return { ok: true, source: out };
}
