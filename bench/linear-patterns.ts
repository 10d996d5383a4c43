// Benchmark: what the linear-time pattern engine costs, and what it saves (issue 8, defect 3). Two tables, each
// against a baseline measured in the same run:
//   1. per-call cost of schema patterns: the linear engine (re2js) vs V8's native RegExp, on typical patterns and
//      on long inputs (the hot-path cost of `pattern` in tools/call);
//   2. growth on adversarial inputs: time per check as the input doubles up to 1 MiB, for every format Tengine
//      replaced or kept and for the pattern, vs ajv-formats / native RegExp (skipped once a check passes
//      BENCH_BUDGET_MS, default 1000: they are super-linear there).
// Run: `npm run bench:patterns`.
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { createUserSchemaAjv } from '../schemas/ajv.js';
import { compileLinear } from '../schemas/linear-regexp.js';

const BUDGET_MS = Number(process.env.BENCH_BUDGET_MS ?? 1000);
const MAX = Number(process.env.BENCH_MAX_BYTES ?? 1 << 20);

function perCall(fn: () => unknown, minMs = 200): number {
  for (let i = 0; i < 1000; i++) fn();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
  }
  return ((performance.now() - start) / n) * 1e6;
}

console.log('1. per call (ns): linear engine vs native RegExp (u flag)');
for (const [pattern, input] of [
  ['^[a-z0-9-]+$', 'customer-12345'],
  ['^\\d{3}$', '123'],
  ['^ct_[A-Za-z0-9]{10,30}$', 'ct_AbCdEf123456'],
  ['^\\S+@\\S+$', 'someone@example.com'],
  ['^\\p{L}[\\p{L} .\'-]*$', 'Zoë O\'Brien'],
  ['^[a-z0-9-]+$', 'x'.repeat(1000)],
  ['^[a-z0-9-]+$', 'x'.repeat(100_000)],
] as const) {
  const linear = compileLinear(pattern);
  const native = new RegExp(pattern, 'u');
  const [l, n] = [perCall(() => linear.test(input)), perCall(() => native.test(input))];
  console.log(`  ${pattern.padEnd(24)} ${String(input.length).padStart(7)} chars  linear ${l.toFixed(0).padStart(9)}  native ${n.toFixed(0).padStart(7)}  ×${(l / n).toFixed(1)}`);
}

/** Milliseconds for one call. */
function once(fn: () => unknown): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

const ajv = createUserSchemaAjv();
const ours = (format: string) => {
  const v = ajv.compile({ type: 'string', format });
  return (s: string) => v(s);
};
const theirs = (format: string) => {
  const f = (fullFormats as Record<string, unknown>)[format];
  const v = f instanceof RegExp ? f : typeof f === 'function' ? f : (f as { validate: RegExp | ((s: string) => boolean) }).validate;
  return v instanceof RegExp ? (s: string) => v.test(s) : (v as (s: string) => boolean);
};
const cases: [string, (n: number) => string, (s: string) => unknown, (s: string) => unknown][] = [
  ['url  http://::::…', (n) => 'http://' + ':'.repeat(n), ours('url'), theirs('url')],
  ['url  http://a:a:…␠', (n) => 'http://' + 'a:'.repeat(n / 2) + ' ', ours('url'), theirs('url')],
  ['uri  a:a/a/…', (n) => 'a:' + 'a/'.repeat(n / 2) + '\x00', ours('uri'), theirs('uri')],
  ['uri-reference //a::::…', (n) => '//a' + ':'.repeat(n) + '\x00', ours('uri-reference'), theirs('uri-reference')],
  ['duration P111…!', (n) => 'P' + '1'.repeat(n) + '!', ours('duration'), theirs('duration')],
  ['date-time ttt…', (n) => 't'.repeat(n), ours('date-time'), theirs('date-time')],
  ['email a@a---…!', (n) => 'a@a' + '-'.repeat(n) + '!', ours('email'), theirs('email')],
  ['regex (a)(a)…)', (n) => '(a)'.repeat(n / 3) + ')', ours('regex'), theirs('regex')],
];
console.log(`\n2. adversarial growth, ms per check: Tengine / baseline ("-": baseline skipped, it would pass ${BUDGET_MS} ms)`);
// The pattern is exponential natively (about ×2 per character), so its baseline grows by two characters.
const EVIL = '^(\\w+\\s?)*$';
const [evilLinear, evilNative] = [compileLinear(EVIL), new RegExp(EVIL, 'u')];
for (let i = 0; i < 20; i++) [evilLinear, evilNative].forEach((r) => r.test('ab c'));
const evil: string[] = [];
for (let n = 16, b = 0; b * 4 < BUDGET_MS; n += 2) {
  const s = 'a'.repeat(n - 1) + '!';
  b = once(() => evilNative.test(s));
  evil.push(`${n}: ${once(() => evilLinear.test(s)).toFixed(2)} / ${b.toFixed(1)}`);
}
const huge = 'a'.repeat(MAX - 1) + '!';
evil.push(`${MAX}: ${once(() => evilLinear.test(huge)).toFixed(1)} / -`);
console.log(`  ${'pattern ^(\\w+\\s?)*$'.padEnd(26)} ${evil.join('  ')}`);
for (const [name, make, mine, baseline] of cases) {
  // Warm up both (lazy pattern compilation, JIT) on a short input first.
  for (let i = 0; i < 20; i++) [mine, baseline].forEach((f) => f(make(4)));
  const row: string[] = [];
  let last = 0;
  for (let n = 16; n <= MAX; n *= 4) {
    const s = make(n);
    const a = once(() => mine(s));
    // Skipped once the next check could pass the budget (x16 per step allows for quadratic growth).
    const b = last * 16 > BUDGET_MS ? undefined : once(() => baseline(s));
    if (b !== undefined) last = b;
    row.push(`${n}: ${a.toFixed(1)} / ${b === undefined ? '-' : b.toFixed(1)}`);
  }
  console.log(`  ${name.padEnd(26)} ${row.join('  ')}`);
}
