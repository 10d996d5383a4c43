import { describe, expect, it } from 'vitest';
import { createDraft07UserSchemaAjv, createUserSchemaAjv } from './ajv.js';
import { checkLinearPattern, compileLinear, linearRegExp, PatternNotLinearError } from './linear-regexp.js';

/** Patterns people put in tool schemas, and a few that exercise each translated construct. */
const PATTERNS = [
  '^\\d{3}$', '^[a-z0-9-]+$', '\\p{L}', '^\\S+@\\S+$', '^.$', '^.*$', '^.+$', '^$', 'abc', '^ct_', 'end$',
  '^[A-Z]{2}-\\d{4}$', '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$', '^\\p{Lu}\\p{Ll}+$', '^[\\u00C0-\\u017F]+$', '\\bword\\b', '\\Bor',
  '^(?<year>\\d{4})-(?<month>0[1-9]|1[0-2])$', '^[\\w.-]+$', '^\\w+(?:\\s\\w+)*$', '^(\\w+\\s?)*$', 'a|b|', '^[\\s\\S]$', '^[^]$',
  '[]', '\\u{1F600}', '^\\uD83D\\uDE00$', '^\\x41\\cJ\\0$', '^[\\b]$', '^\\t\\n\\v\\f\\r$', '^\\/api\\/', '\\$\\^\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|',
  '^[+-]?\\d+(\\.\\d+)?$', '^#[0-9a-fA-F]{6}$', '^(?:ab){2,3}$', '^a{2,}?$', '^\\P{L}+$', '\\p{Script=Greek}', '\\p{sc=Cyrillic}', '\\p{gc=Lu}',
  '^\\p{Letter}+$', '^[\\p{L}\\p{N}_-]+$', '^[^\\p{L}]+$', '^[\\d-]+$', '^[a\\-z]+$', '^[\\]\\[^]+$', '^\\s*$', '^[\\s]+$', '^[^\\S]+$', '^\\D\\W$',
  '^\\p{ASCII}+$', '^[\\P{ASCII}]+$', '^\\p{Emoji_Presentation}$', '^\\p{White_Space}$', '^\\ud800$', '^.{2}$',
];
const INPUTS = [
  '', 'a', 'A', 'abc', '123', '1234', 'hello world', 'héllo', 'ÀÉÎ', 'Ωμέγα', 'Привет', '😀', 'a😀b', '😀😀', '\n', 'a\nb', '\r', '\u2028',
  '\u00a0', ' ', '\t', '\v', '\u3000', '\ufeff', 'x@y.z', 'foo bar@baz.com', 'AB-1234', 'ct_1', 'xend', '#a1B2c3', '2024-05', 'word', 'a word here',
  'sword', 'words', '/api/x', '$^.*+?()[]{}|', '-3.14', '+7', 'abab', 'ababab', 'aa', 'aaa', '\u0000', '\b', 'A\n\u0000', '\t\n\v\f\r', '\ud800',
  'a-b', 'a_b.c', '][^', 'x\u0300', 'under_score', '-', 'ΩΩ', 'É1',
];

describe('linear engine: the same matches as ECMAScript RegExp with the u flag (Ajv\'s flag)', () => {
  it.each(PATTERNS)('%s', (pattern) => {
    const native = new RegExp(pattern, 'u');
    const linear = compileLinear(pattern);
    const differ = INPUTS.filter((s) => native.test(s) !== linear.test(s));
    expect(differ).toEqual([]);
  });

  it('`.`, `\\s` and `\\S` agree on every BMP code point and on astral ones (RE2 alone would read them as ASCII and as "not \\n")', () => {
    const classes = ['^.$', '^\\s$', '^\\S$', '^[^\\s\\d]$'].map((p) => [new RegExp(p, 'u'), compileLinear(p)] as const);
    const differ: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp += cp < 0x10000 ? 1 : 0x3e1) {
      const s = String.fromCodePoint(cp);
      for (const [native, linear] of classes) if (native.test(s) !== linear.test(s)) differ.push(`${native.source} U+${cp.toString(16)}`);
    }
    expect(differ).toEqual([]);
  });
});

describe('linear engine: what it refuses (TNG229), and why', () => {
  it.each([
    ['^(a)\\1$', 'a backreference (\\1) needs backtracking'],
    ['(?<x>a)\\k<x>', 'a named backreference (\\k<…>) needs backtracking'],
    ['^(?=a)', 'a lookahead (?=…) needs backtracking'],
    ['^(?!a)', 'a lookahead (?!…) needs backtracking'],
    ['(?<=a)b', 'a lookbehind (?<=…) is not supported by the linear engine'],
    ['(?<!a)b', 'a lookbehind (?<!…) is not supported by the linear engine'],
    ['a{1001}', 'invalid repeat count'],
    ['(?:a{100}){100}', 'invalid repeat count'],
    ['\\p{scx=Greek}', 'the Unicode property \\p{scx=Greek} has no equivalent in the linear engine'],
    ['\\p{sc=Grek}', 'the Unicode property \\p{sc=Grek} has no equivalent in the linear engine'],
    ['\\p{ID_Start}', 'the Unicode property \\p{ID_Start} has no equivalent in the linear engine'],
  ])('%s', (pattern, reason) => {
    expect(() => new RegExp(pattern, 'u')).not.toThrow();
    const r = checkLinearPattern(pattern);
    expect(r).toMatchObject({ ok: false, syntax: false });
    expect(r.ok === false && r.reason).toContain(reason);
    expect(() => compileLinear(pattern)).toThrow(PatternNotLinearError);
  });

  it('a pattern that is not valid ECMAScript with the u flag is a syntax error, not TNG229', () => {
    for (const pattern of ['(', '\\-', 'a{', '[z-a]']) {
      expect(checkLinearPattern(pattern)).toMatchObject({ ok: false, syntax: true });
      expect(() => compileLinear(pattern)).toThrow(SyntaxError);
    }
  });

  it('linearRegExp (Ajv code.regExp) accepts only Ajv\'s u flag and names each pattern distinctly (Ajv caches compiled patterns by toString)', () => {
    expect(() => linearRegExp('a', 'g')).toThrow(/"u" flag/);
    expect(String(linearRegExp('^a$', 'u'))).toBe('/^a$/u');
    expect(String(linearRegExp('^b$', 'u'))).not.toBe(String(linearRegExp('^a$', 'u')));
  });
});

describe('user schema Ajv (2020-12 and draft-07): pattern, patternProperties and propertyNames run on the linear engine', () => {
  // Exponential on a backtracking engine: 30 characters already take tens of seconds there.
  const EVIL = '^(\\w+\\s?)*$';
  const attack = 'a'.repeat(100_000) + '!';
  const dialects = [
    ['2020-12', () => createUserSchemaAjv(), {}],
    ['draft-07', () => createDraft07UserSchemaAjv(), { $schema: 'http://json-schema.org/draft-07/schema#' }],
  ] as const;

  it.each(dialects)('%s', (_name, create, head) => {
    const ajv = create();
    const v = ajv.compile({
      ...head,
      type: 'object',
      properties: {
        text: { type: 'string', pattern: EVIL },
        other: { type: 'string', pattern: '^[a-z]+$' },
        tags: { type: 'object', patternProperties: { [EVIL]: { type: 'string' } }, additionalProperties: false },
        names: { type: 'object', propertyNames: { pattern: EVIL } },
      },
    });
    expect(v({ text: 'hello world', other: 'abc', tags: { ok: 'x' }, names: { fine: 1 } })).toBe(true);
    expect(v({ text: attack })).toBe(false);
    expect(v.errors?.[0]).toMatchObject({ keyword: 'pattern', instancePath: '/text' });
    expect(v({ tags: { [attack]: 'x' } })).toBe(false);
    expect(v.errors?.[0]).toMatchObject({ keyword: 'additionalProperties', instancePath: '/tags' });
    expect(v({ names: { [attack]: 1 } })).toBe(false);
    expect(v.errors?.[0]).toMatchObject({ keyword: 'pattern', propertyName: attack });
    // Each pattern keeps its own meaning (Ajv keys compiled patterns by their text).
    expect(v({ other: 'hello world' })).toBe(false);
    expect(() => ajv.compile({ ...head, type: 'string', pattern: '^(a)\\1$' })).toThrow(PatternNotLinearError);
  });
});
