// Redis Cluster runs a script or a multi-key command only when all its keys hash to one slot (else CROSSSLOT).
// Tengine's rule (docs/storage.md "Redis topologies"): every command and script touches exactly one key, except the
// usage-limit script (chargeLimits), whose keys the caller puts under one hash tag (`lim:{<project>}:…`, tested in
// runtime/usage/usage-limits.test.ts). This test keeps the rule from eroding: a new multi-key script, transaction or
// command in the store fails here, pointing at the docs, before it fails on a customer's cluster.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STORE = readFileSync(path.join(ROOT, 'runtime/store/redis-store.ts'), 'utf8');

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

describe('every Redis operation touches one key (Redis Cluster: no CROSSSLOT, no hash tags needed)', () => {
  it('Lua scripts name only KEYS[1]', () => {
    const keys = [...STORE.matchAll(/KEYS\[(\d+)\]/g)].map((m) => m[1]);
    expect(keys.length).toBeGreaterThan(0);
    expect(new Set(keys)).toEqual(new Set(['1']));
  });

  it('EVAL and EVALSHA declare their keys, and the cluster routes them by the first; only chargeLimits passes several', () => {
    const calls = [...STORE.matchAll(/\['(EVAL|EVALSHA)', (\w+), \.\.\.tail\]/g)];
    expect(calls.map((m) => m[1]).sort()).toEqual(['EVAL', 'EVALSHA']);
    expect(STORE).toContain('const tail = [String(keys.length), ...keys, ...args];');
    // Every script call but chargeLimits' passes one key (a string); chargeLimits passes its list of keys.
    const scriptCalls = [...STORE.matchAll(/script<[^>]+>\('(\w+)', (\w+), ([^,]+),/g)].map((m) => `${m[1]} ${m[3]}`);
    expect(scriptCalls.length).toBeGreaterThan(1);
    for (const c of scriptCalls) expect(c === 'chargeLimits keys' || !c.endsWith(' keys'), c).toBe(true);
    expect(scriptCalls).toContain('chargeLimits keys');
  });

  it('no transaction or multi-key command is sent, and only the store modules talk to Redis', () => {
    const forbidden = /'(MULTI|EXEC|WATCH|MGET|MSET|MSETNX|RENAME|RENAMENX|SUNIONSTORE|SINTERSTORE|ZUNIONSTORE|BLMOVE|LMOVE|RPOPLPUSH|COPY|SMOVE)'/;
    expect(STORE).not.toMatch(forbidden);
    // DEL and EXISTS accept several keys: the store always gives exactly one.
    for (const m of STORE.matchAll(/\['(DEL|EXISTS|UNLINK)', ([^\]]*)\]/g)) expect(m[2]!.split(',')).toHaveLength(1);
    const talking = [...sources('runtime'), ...sources('cli')].filter((f) => /from 'redis'/.test(readFileSync(f, 'utf8'))).map((f) => path.relative(ROOT, f));
    expect(talking.sort()).toEqual(['runtime/store/redis-connection.ts', 'runtime/store/redis-errors.ts']);
  });
});
