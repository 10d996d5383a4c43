// Benchmark: does validating tool arguments stay linear in their size (issue 8, defect 3, beyond patterns)? Three
// tables, milliseconds per validation (best of three) as the arguments double up to BENCH_MAX_BYTES (1 MiB):
//   1. uniqueItems on distinct objects: Tengine's linear keyword vs Ajv's own pairwise one (skipped once a check
//      passes BENCH_BUDGET_MS, default 1000: it is quadratic);
//   2. every other keyword a user schema can use, against a fixed schema; the last column is how much longer the
//      largest input took than the smallest (linear: about the size ratio, ×8);
//   3. recursive schemas that reach one nested value by two paths, by nesting depth (the arguments stay tiny):
//      time doubles per level, the one super-linear shape left (docs/config.md, "Patterns and formats run in
//      linear time"); stopped once a check passes the budget.
// Run: `npm run bench:validation`.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { createUserSchemaAjv } from '../schemas/ajv.js';
import { withJsonValueKeys } from '../schemas/json-value-keys.js';

const BUDGET_MS = Number(process.env.BENCH_BUDGET_MS ?? 1000);
const MAX = Number(process.env.BENCH_MAX_BYTES ?? 1 << 20);

const ajv = createUserSchemaAjv();
const stock = new Ajv2020({ allErrors: false, strict: false });

/** Best of three, in milliseconds, with one JsonValueKeys per validation as the runtime does. */
function time(validate: (d: unknown) => unknown, data: unknown): number {
  validate(data);
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const start = performance.now();
    withJsonValueKeys(() => validate(data));
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

const range = (n: number) => Array.from({ length: Math.max(1, Math.floor(n)) }, (_, i) => i);
const obj = (n: number, f: (i: number) => [string, unknown]) => Object.fromEntries(range(n).map(f));
const sizes: number[] = [];
for (let n = MAX / 8; n <= MAX; n *= 2) sizes.push(n);

console.log('1. uniqueItems over distinct {"n": i}, ms: Tengine / Ajv\'s own ("-": skipped, it would pass the budget)');
{
  const schema = { type: 'array', uniqueItems: true };
  const [mine, theirs] = [ajv.compile(schema), stock.compile(schema)];
  const row: string[] = [];
  let last = 0;
  for (let n = 1024; n <= MAX; n *= 2) {
    const data = range(n / 10).map((i) => ({ n: i }));
    const a = time(mine, data);
    // x4 per doubling is what a quadratic check does.
    const b = last * 4 > BUDGET_MS ? undefined : time(theirs, data);
    if (b !== undefined) last = b;
    row.push(`${Math.round(JSON.stringify(data).length / 1024)}K: ${a.toFixed(1)} / ${b === undefined ? '-' : b.toFixed(1)}`);
  }
  console.log(`  ${row.join('  ')}`);
}

type Case = [name: string, schema: Record<string, unknown>, data: (bytes: number) => unknown];
const branches = (k: number) => range(k).map((b) => ({ type: 'object', properties: { kind: { const: `k${b}` }, v: { type: 'integer' } }, required: ['kind'] }));
const cases: Case[] = [
  ['contains, minContains, maxContains (no match)', { type: 'array', contains: { type: 'string', minLength: 3 }, minContains: 1, maxContains: 3 }, (n) => range(n / 7)],
  ['contains, maxContains (all match)', { type: 'array', contains: { type: 'integer' }, maxContains: 1e9 }, (n) => range(n / 7)],
  ['oneOf of 20 per item', { type: 'array', items: { oneOf: branches(20) } }, (n) => range(n / 20).map((i) => ({ kind: 'k19', v: i }))],
  ['anyOf of 20 per item (last matches)', { type: 'array', items: { anyOf: branches(20) } }, (n) => range(n / 20).map((i) => ({ kind: 'k19', v: i }))],
  ['anyOf of 20 over one array', { anyOf: range(20).map((b) => ({ type: 'array', items: { type: 'integer', not: { const: b } } })) }, (n) => range(n / 2).map(() => 0)],
  ['if/then/else per item', { type: 'array', items: { if: { properties: { a: { const: 1 } } }, then: { required: ['b'] }, else: { required: ['c'] } } }, (n) => range(n / 14).map((i) => ({ a: i % 2, b: 1, c: 1 }))],
  ['dependentSchemas (10) over one object', { type: 'object', dependentSchemas: obj(10, (i) => [`d${i}`, { additionalProperties: { type: 'integer' } }]) }, (n) => obj(n / 12, (i) => [i < 10 ? `d${i}` : `key${i}`, i])],
  ['dependentRequired (100)', { type: 'object', dependentRequired: obj(100, (i) => [`k${i}`, range(50).map((j) => `k${j}`)]) }, (n) => obj(n / 12, (i) => [`k${i}`, i])],
  ['propertyNames (pattern, maxLength)', { type: 'object', propertyNames: { pattern: '^[a-z0-9]+$', maxLength: 20 } }, (n) => obj(n / 14, (i) => [`key${i}`, 1])],
  ['patternProperties (10), additionalProperties', { type: 'object', patternProperties: obj(10, (i) => [`^p${i}_`, { type: 'integer' }]), additionalProperties: false }, (n) => obj(n / 14, (i) => [`p${i % 10}_${i}`, 1])],
  ['unevaluatedProperties (allOf, anyOf)', { type: 'object', allOf: [{ properties: { a: {} } }, { patternProperties: { '^x': {} } }], anyOf: [{ patternProperties: { '^y': {} } }, { properties: { b: {} } }], unevaluatedProperties: false }, (n) => obj(n / 14, (i) => [i % 2 ? `x${i}` : `y${i}`, 1])],
  ['unevaluatedItems (prefixItems, anyOf)', { type: 'array', prefixItems: [{}], anyOf: [{ contains: { type: 'string' } }, { items: { type: 'integer' } }], unevaluatedItems: false }, (n) => range(n / 7)],
  ['$ref recursion, one path (binary tree)', { $defs: { n: { type: 'object', properties: { l: { $ref: '#/$defs/n' }, r: { $ref: '#/$defs/n' }, v: { type: 'integer' } } } }, $ref: '#/$defs/n' }, (n) => { const build = (size: number): unknown => (size <= 1 ? { v: 1 } : { v: 1, l: build(Math.floor((size - 1) / 2)), r: build(Math.ceil((size - 1) / 2)) }); return build(Math.floor(n / 30)); }],
  ['const (2,000 members) vs a large object', { type: 'object', properties: { a: { const: obj(2000, (i) => [`k${i}`, i]) } } }, (n) => ({ a: obj(n / 14, (i) => [`k${i}`, i]) })],
  ['enum of 50 arrays vs a large array', { enum: range(50).map((b) => range(2000).map((i) => i + b)) }, (n) => range(n / 6)],
  ['multipleOf 0.01 on huge and tiny numbers', { type: 'array', items: { anyOf: [{ multipleOf: 0.01 }, { type: 'number' }] } }, (n) => range(n / 24).map((i) => (i % 2 ? 1.7976931348623157e308 : 5e-324))],
  ['maxLength on astral characters', { type: 'string', maxLength: 1e9 }, (n) => '😀'.repeat(n / 4)],
  ['required (1,000), additionalProperties', { type: 'object', required: range(1000).map((i) => `r${i}`), properties: obj(1000, (i) => [`r${i}`, {}]), additionalProperties: { type: 'integer' } }, (n) => obj(Math.max(1000, n / 14), (i) => [`r${i}`, 1])],
  ['format date-time per item', { type: 'array', items: { type: 'string', format: 'date-time' } }, (n) => range(n / 27).map(() => '2024-01-01T00:00:00Z')],
  ['uniqueItems on objects', { type: 'array', uniqueItems: true }, (n) => range(n / 12).map((i) => ({ n: i }))],
  ['uniqueItems nested 60 deep', { $defs: { t: { type: 'array', uniqueItems: true, items: { anyOf: [{ type: 'integer' }, { $ref: '#/$defs/t' }] } } }, $ref: '#/$defs/t' }, (n) => { let y: unknown[] = range(10); for (let d = 0; d < 60; d++) y = [y, ...range(n / 60 / 8).map((i) => i + 1e6)]; return y; }],
];
console.log(`\n2. every other keyword, ms per validation at ${sizes.map((s) => `${s / 1024}K`).join(', ')} of arguments; growth for ×${sizes.at(-1)! / sizes[0]!} data`);
for (const [name, schema, make] of cases) {
  const validate = ajv.compile(schema);
  const ms = sizes.map((n) => time(validate, make(n)));
  console.log(`  ${name.padEnd(48)} ${ms.map((m) => m.toFixed(1).padStart(7)).join(' ')}   ×${(ms.at(-1)! / Math.max(ms[0]!, 0.01)).toFixed(1)}`);
}

console.log('\n3. recursive schemas reaching one value by two paths: ms by nesting depth (arguments of a few hundred bytes)');
const chain = (depth: number, wrap: (x: unknown) => unknown, leaf: unknown) => {
  let x = leaf;
  for (let i = 0; i < depth; i++) x = wrap(x);
  return x;
};
const node = (n: unknown) => ({ $defs: { n }, $ref: '#/$defs/n' });
const children = { type: 'array', items: { $ref: '#/$defs/n' } };
const recursive: Case[] = [
  ['anyOf: both branches descend', node({ anyOf: [{ type: 'array', items: { $ref: '#/$defs/n' }, contains: { type: 'string' } }, { type: 'array', items: { $ref: '#/$defs/n' } }, { type: 'integer' }] }), (d) => chain(d, (x) => [x], 1)],
  ['oneOf on kind, children listed first', node({ type: 'object', oneOf: [{ properties: { children, kind: { const: 'a' } } }, { properties: { children, kind: { const: 'b' } } }] }), (d) => chain(d, (x) => ({ children: [x], kind: 'b' }), { kind: 'b' })],
  ['the same, not matching', node({ type: 'object', oneOf: [{ properties: { children, kind: { const: 'a' } } }, { properties: { children, kind: { const: 'b' } } }] }), (d) => chain(d, (x) => ({ children: [x], kind: 'b' }), 1)],
  ['allOf of a base and an extension', { $defs: { base: { type: 'object', properties: { children } }, n: { allOf: [{ $ref: '#/$defs/base' }, { properties: { children, name: { type: 'string' } } }] } }, $ref: '#/$defs/n' }, (d) => chain(d, (x) => ({ children: [x], name: 'x' }), {})],
  ['if and then both descend', node({ type: 'object', if: { properties: { children } }, then: { properties: { children } } }), (d) => chain(d, (x) => ({ children: [x] }), {})],
  ['for comparison: oneOf by required (one path)', node({ type: 'object', oneOf: [{ required: ['and'], properties: { and: children } }, { required: ['or'], properties: { or: children } }, { required: ['leaf'] }] }), (d) => chain(d, (x) => ({ and: [x] }), { leaf: 1 })],
];
for (const [name, schema, make] of recursive) {
  const validate = ajv.compile(schema);
  const row: string[] = [];
  for (let depth = 10; depth <= 64; depth += 2) {
    const m = time(validate, make(depth));
    row.push(`${depth}: ${m.toFixed(1)}`);
    if (m * 4 > BUDGET_MS) break;
  }
  console.log(`  ${name.padEnd(46)} ${row.join('  ')}`);
}
