import { RE2JS } from 're2js';
import { ecmaScriptToRe2, type CaseMode } from './ecmascript-to-re2.js';
import { burn, PATTERN_FUEL_PER_CHAR } from './validation-fuel.js';

/**
 * Why Tengine runs user patterns on a linear-time engine: a backtracking engine (V8's) takes exponential time on
 * `^(\w+\s?)*$` and quadratic time on plain unanchored patterns such as `\d+x`, and one such call blocks every
 * project on the instance. RE2 (here re2js, a pure JavaScript port) runs in time linear in the input for every
 * pattern it accepts; what it cannot express (backreferences, lookaround) is refused when the schema compiles.
 */

/** A pattern the linear engine cannot run, with the construct at fault (`tengine validate` reports it as TNG229). */
export class PatternNotLinearError extends Error {
  override readonly name = 'PatternNotLinearError';
  constructor(
    readonly pattern: string,
    readonly reason: string,
  ) {
    super(`pattern ${JSON.stringify(pattern)} cannot run in linear time: ${reason}`);
  }
}

/** The part of RegExp that Ajv uses (`test`), plus `toString`, which Ajv uses as the cache key of a compiled pattern. */
export interface LinearRegExp {
  readonly source: string;
  readonly flags: string;
  test(input: string): boolean;
  toString(): string;
}

/**
 * Compiles an ECMAScript pattern (with the `u` flag's meaning) for the linear engine. Throws a SyntaxError when the
 * pattern is not valid ECMAScript (the native parser checks it; a native RegExp is parsed here, never run) and a
 * PatternNotLinearError when it is valid but needs backtracking or exceeds RE2's limits (e.g. a repeat over 1000).
 */
export function compileLinear(pattern: string, caseMode: CaseMode = 'exact'): LinearRegExp {
  new RegExp(pattern, 'u');
  const t = ecmaScriptToRe2(pattern, caseMode);
  if (!t.ok) throw new PatternNotLinearError(pattern, t.reason);
  let re: RE2JS;
  try {
    re = RE2JS.compile(t.source);
  } catch (e) {
    const why = (e as Error).message.replace(/^error parsing regexp: /, '');
    throw new PatternNotLinearError(pattern, why.startsWith('invalid repeat count') ? `${why} (the linear engine allows at most 1000 repetitions, nested repeats multiplied)` : why);
  }
  const flags = caseMode === 'exact' ? 'u' : 'i';
  const text = `/${pattern}/${flags}`;
  // Linear, but per character a long pattern costs more than a keyword: a test burns fuel by the length it reads.
  const test = (input: string) => {
    burn(1 + PATTERN_FUEL_PER_CHAR * input.length);
    return re.test(input);
  };
  return { source: pattern, flags, test, toString: () => text };
}

/** Whether `pattern` compiles for the linear engine, and why not (`syntax` when it is not valid ECMAScript at all). */
export function checkLinearPattern(pattern: string): { ok: true } | { ok: false; syntax: boolean; reason: string } {
  try {
    compileLinear(pattern);
    return { ok: true };
  } catch (e) {
    if (e instanceof PatternNotLinearError) return { ok: false, syntax: false, reason: e.reason };
    return { ok: false, syntax: true, reason: (e as Error).message };
  }
}

/**
 * Ajv's `code.regExp` engine (used for `pattern`, `patternProperties` and so `propertyNames: {pattern}`), called
 * when Ajv compiles a schema, never per validation. Ajv passes the `u` flag (its `unicodeRegExp` default); no other
 * flag is expected.
 */
export const linearRegExp = Object.assign(
  (pattern: string, flags: string): LinearRegExp => {
    if (flags !== 'u') throw new Error(`linearRegExp expects Ajv's "u" flag, got ${JSON.stringify(flags)}`);
    return compileLinear(pattern);
  },
  // Ajv only reads `code` when it generates standalone validator source (the meta-schema check of user schemas,
  // schemas/generated/user-meta-validator.ts, imports the function under this name).
  { code: 'linearRegExp' },
);
