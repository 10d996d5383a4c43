// The safety overrides read from flags and TENGINE_* variables (docs/operations.md "Starting"): each one turns a
// boot check off, so a value that is not clearly "on" or a digest is a USAGE error (exit 2), never a guess.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test/fixtures/bundle-fixtures.js';
import { RuntimeBootError } from './boot-types.js';
import { resolveRuntimeOptions, type RuntimeFlags } from './options.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('tengine-options-'));
  await writeFile(path.join(dir, 'b.json'), '{}');
  await writeFile(path.join(dir, 'k.pem'), 'x');
});
afterAll(() => cleanup?.());

const resolve = (flags: RuntimeFlags, env: Record<string, string>) =>
  resolveRuntimeOptions({ bundle: path.join(dir, 'b.json'), bundlePublicKey: [path.join(dir, 'k.pem')], ...flags }, env, () => undefined);

async function usage(flags: RuntimeFlags, env: Record<string, string>): Promise<RuntimeBootError> {
  const err = await resolve(flags, env).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RuntimeBootError);
  expect((err as RuntimeBootError).code).toBe('USAGE');
  expect((err as RuntimeBootError).exitCode).toBe(2);
  return err as RuntimeBootError;
}

describe('TENGINE_ALLOW_DEVELOPMENT and TENGINE_ALLOW_EVICTING_STORE: true or false', () => {
  it.each(['TENGINE_ALLOW_DEVELOPMENT', 'TENGINE_ALLOW_EVICTING_STORE'])('%s: unset, empty and false are off; true is on', async (name) => {
    const field = name === 'TENGINE_ALLOW_DEVELOPMENT' ? 'allowDevelopment' : 'allowEvictingStore';
    expect((await resolve({}, {}))[field]).toBeUndefined();
    expect((await resolve({}, { [name]: '' }))[field]).toBeUndefined();
    expect((await resolve({}, { [name]: 'false' }))[field]).toBeUndefined();
    expect((await resolve({}, { [name]: 'true' }))[field]).toBe(true);
  });

  it.each([
    ['TENGINE_ALLOW_DEVELOPMENT', 'yes'],
    ['TENGINE_ALLOW_DEVELOPMENT', '1'],
    ['TENGINE_ALLOW_DEVELOPMENT', 'TRUE'],
    ['TENGINE_ALLOW_EVICTING_STORE', 'on'],
    ['TENGINE_ALLOW_EVICTING_STORE', 'ture'],
  ])('%s=%s is USAGE, naming the variable and the accepted values', async (name, value) => {
    const err = await usage({}, { [name]: value });
    expect(err.message).toBe(`${name} "${value}" is not true or false`);
    expect(err.hint).toContain(`${name}=true`);
  });

  it('the flags turn the checks off whatever the variables say (flags win)', async () => {
    const opts = await resolve({ allowDevelopment: true, allowEvictingStore: true }, { TENGINE_ALLOW_DEVELOPMENT: 'false', TENGINE_ALLOW_EVICTING_STORE: 'false' });
    expect(opts).toMatchObject({ allowDevelopment: true, allowEvictingStore: true });
  });
});

describe('--allow-rollback-to / TENGINE_ALLOW_ROLLBACK_TO: one bundle digest', () => {
  it('takes the sha256:<hex> form (/readyz) and the bare hex (tengine verify), upper or lower case, as sha256:<lowercase hex>', async () => {
    expect((await resolve({ allowRollbackTo: DIGEST }, {})).allowRollbackTo).toBe(DIGEST);
    expect((await resolve({}, { TENGINE_ALLOW_ROLLBACK_TO: 'AB'.repeat(32) })).allowRollbackTo).toBe(DIGEST);
    expect((await resolve({}, { TENGINE_ALLOW_ROLLBACK_TO: '' })).allowRollbackTo).toBeUndefined();
    expect((await resolve({ allowRollbackTo: DIGEST }, { TENGINE_ALLOW_ROLLBACK_TO: `sha256:${'cd'.repeat(32)}` })).allowRollbackTo).toBe(DIGEST);
  });

  it.each([
    [{ allowRollbackTo: 'latest' }, {}, '--allow-rollback-to "latest"'],
    [{ allowRollbackTo: '' }, {}, '--allow-rollback-to ""'],
    [{}, { TENGINE_ALLOW_ROLLBACK_TO: 'sha256:abc' }, 'TENGINE_ALLOW_ROLLBACK_TO "sha256:abc"'],
    [{}, { TENGINE_ALLOW_ROLLBACK_TO: `sha512:${'ab'.repeat(32)}` }, 'TENGINE_ALLOW_ROLLBACK_TO "sha512:'],
  ] as [RuntimeFlags, Record<string, string>, string][])('%j %j is USAGE', async (flags, env, named) => {
    const err = await usage(flags, env);
    expect(err.message).toContain(named);
    expect(err.message).toContain('is not a bundle digest');
  });
});

describe('Redis topology variables (docs/storage.md "Redis topologies")', () => {
  it('TENGINE_REDIS_CLUSTER_NODES and TENGINE_REDIS_SENTINELS select a cluster or a sentinel group; one URL stays redisUrl', async () => {
    const cluster = await resolve({}, { TENGINE_REDIS_CLUSTER_NODES: 'redis://10.0.0.1:7000,redis://10.0.0.2:7000' });
    expect(cluster.redisEndpoints).toEqual({ mode: 'cluster', nodes: ['redis://10.0.0.1:7000', 'redis://10.0.0.2:7000'] });
    expect(cluster.redisUrl).toBeUndefined();
    const sentinel = await resolve({}, { TENGINE_REDIS_SENTINELS: '10.0.0.1:26379', TENGINE_REDIS_SENTINEL_NAME: 'mymaster' });
    expect(sentinel.redisEndpoints).toEqual({ mode: 'sentinel', sentinels: ['10.0.0.1:26379'], name: 'mymaster' });
    const one = await resolve({}, { TENGINE_REDIS_URL: 'redis://10.0.0.1:6379' });
    expect(one.redisUrl).toBe('redis://10.0.0.1:6379');
    expect(one.redisEndpoints).toBeUndefined();
  });

  it('a URL and a cluster at once, or sentinels without a group name, are USAGE errors before any file is read', async () => {
    const both = await usage({ bundle: path.join(dir, 'missing.json') }, { TENGINE_REDIS_URL: 'redis://a:1', TENGINE_REDIS_CLUSTER_NODES: 'redis://b:2' });
    expect(both.message).toBe('TENGINE_REDIS_URL and TENGINE_REDIS_CLUSTER_NODES are both set');
    expect(both.hint).toMatch(/exactly one of/);
    const unnamed = await usage({}, { TENGINE_REDIS_SENTINELS: '10.0.0.1:26379' });
    expect(unnamed.message).toMatch(/without TENGINE_REDIS_SENTINEL_NAME/);
  });
});
