// `tengine usage` (docs/cli.md): every bad input is `error CODE: message` plus a hint with exit 1 and nothing on
// stdout; without Redis the command says that the embedded store is per process (STORE_REQUIRED). The output
// formats are checked on real data in test/usage-records.test.ts; here the CSV and table escaping of customer text,
// and reads and erasure on a Redis Cluster (the buckets of one project spread over every master).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { deleteKeysWithPrefix, inCI, probeRedis, redisServerInstalled } from '../../test/fixtures/redis-server.js';
import { startRedisCluster, type TestRedisCluster } from '../../test/fixtures/redis-topologies.js';
import { createRedisStore } from '../../runtime/store/redis-store.js';
import type { Store } from '../../runtime/store/store.js';
import { HOUR_MS } from '../../runtime/usage/record-keys.js';
import type { UsageReport } from '../../runtime/usage/usage-report.js';
import { UsageRecorder } from '../../runtime/usage/usage-recorder.js';
import { memoryIo } from '../io.js';
import { runCli } from '../program.js';
import { renderUsageCsv, renderUsageTable } from '../usage/render-usage.js';

async function cli(argv: string[], env: Record<string, string> = {}) {
  const { io, buf } = memoryIo({ env });
  const code = await runCli(argv, io);
  return { code, out: buf.out, err: buf.err };
}

describe('tengine usage: bad input and a missing store', () => {
  const cases: [string, string[], string, RegExp][] = [
    ['no --project', ['usage'], 'BAD_ARGUMENT', /hint: name the project/],
    ['a bad project id', ['usage', '--project', 'Alpha!'], 'BAD_ARGUMENT', /hint: ids are 1-63/],
    ['an unknown --by', ['usage', '--project', 'a', '--by', 'week'], 'BAD_ARGUMENT', /hint: use one of: day, hour, tool, member/],
    ['an unknown --format', ['usage', '--project', 'a', '--format', 'xml'], 'BAD_ARGUMENT', /hint: use one of: table, json, csv/],
    ['a --since in weeks', ['usage', '--project', 'a', '--since', '2w'], 'BAD_ARGUMENT', /hint: give the last N hours or days/],
    ['a --since of zero', ['usage', '--project', 'a', '--since', '0d'], 'BAD_ARGUMENT', /hint: give the last N hours or days/],
    ['a --since past any retention', ['usage', '--project', 'a', '--since', '401d', '--by', 'hour'], 'BAD_ARGUMENT', /is longer than any retention/],
    ['--top 0', ['usage', '--project', 'a', '--by', 'member', '--top', '0'], 'BAD_ARGUMENT', /hint: give how many/],
    ['--top -3', ['usage', '--project', 'a', '--by', 'member', '--top', '-3'], 'BAD_ARGUMENT', /hint: give how many/],
    ['--top with --by day', ['usage', '--project', 'a', '--top', '3'], 'BAD_ARGUMENT', /hint: add --by member or --by tool/],
    ['a bad --tool', ['usage', '--project', 'a', '--tool', 'no spaces'], 'BAD_ARGUMENT', /hint: tool names are/],
    ['an empty --member', ['usage', '--project', 'a', '--member', ''], 'BAD_ARGUMENT', /hint: give the member id/],
    ['a bad --now', ['usage', '--project', 'a', '--now', 'yesterday'], 'BAD_ARGUMENT', /hint: e.g. --now/],
    ['an unknown action', ['usage', 'purge', '--project', 'a'], 'BAD_ARGUMENT', /hint: the only action is erase/],
    ['erase without --member', ['usage', 'erase', '--project', 'a'], 'BAD_ARGUMENT', /hint: name the member/],
    ['erase with --tool', ['usage', 'erase', '--project', 'a', '--member', 'm', '--tool', 't'], 'BAD_ARGUMENT', /hint: run tengine usage erase/],
    ['no Redis configured', ['usage', '--project', 'a'], 'STORE_REQUIRED', /embedded \(in-memory\) store is one process whose memory nothing else can read/],
    ['erase with no Redis configured', ['usage', 'erase', '--project', 'a', '--member', 'm'], 'STORE_REQUIRED', /hint: set TENGINE_REDIS_URL/],
  ];
  for (const [name, argv, code, hint] of cases) {
    it(`${name}: ${code}, a hint, exit 1, nothing on stdout`, async () => {
      const r = await cli(argv);
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err.split('\n')[0]).toMatch(new RegExp(`^error ${code}: \\S`));
      expect(r.err).toMatch(hint);
      expect(r.err).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
    });
  }

  it('with --format json a failure is one JSON document on stdout with the code and hint', async () => {
    const r = await cli(['usage', '--project', 'a', '--since', 'forever', '--format', 'json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ format_version: 1, ok: false, error: { code: 'BAD_ARGUMENT', hint: expect.stringContaining('36h or 7d') } });
  });

  it('an unreachable Redis: STORE_UNAVAILABLE with a hint', async () => {
    const r = await cli(['usage', '--project', 'a'], { TENGINE_REDIS_URL: 'redis://127.0.0.1:1' });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error STORE_UNAVAILABLE: cannot reach the Redis store/);
    expect(r.err).toMatch(/hint: check TENGINE_REDIS_URL/);
  });
});

// A store that fails after it connected (a key under the prefix that is not a usage hash, a Redis that goes away
// mid-read) is the store's failure, not a bug in tengine: STORE_UNAVAILABLE with a hint, like an unreachable one.
const SHARED_REDIS = process.env.TENGINE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const sharedProbe = await probeRedis(SHARED_REDIS);
describe.skipIf(sharedProbe !== undefined && !inCI())('tengine usage: a store failing after it connected', () => {
  const prefix = `tengine-test:usage-cli:${randomUUID()}:`;
  let store: Store | undefined;
  beforeAll(async () => {
    if (sharedProbe !== undefined) throw new Error(`Redis at ${SHARED_REDIS} is unreachable and CI is set: ${sharedProbe}`);
    store = await createRedisStore({ url: SHARED_REDIS, keyPrefix: prefix });
    // Today's daily bucket of project a holds a string: HGETALL answers WRONGTYPE, HDEL too.
    await store.set('usage:rec:a:d:20261207', 'not a hash', 60_000);
  });
  afterAll(async () => {
    await store?.close();
    if (sharedProbe === undefined) await deleteKeysWithPrefix(SHARED_REDIS, prefix);
  });

  for (const [name, argv] of [
    ['usage', ['usage', '--project', 'a', '--since', '1d', '--now', '2026-12-07T10:00:00Z']],
    ['usage erase', ['usage', 'erase', '--project', 'a', '--member', 'm']],
  ] as const) {
    it(`${name}: STORE_UNAVAILABLE with the store's reason and a hint, exit 1, nothing on stdout`, async () => {
      const r = await cli([...argv], { TENGINE_REDIS_URL: SHARED_REDIS, TENGINE_REDIS_KEY_PREFIX: prefix });
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err).toMatch(/^error STORE_UNAVAILABLE: .*WRONGTYPE/);
      expect(r.err).toMatch(/hint: /);
      expect(r.err).not.toMatch(/TNG_INTERNAL|a bug in tengine/);
    });
  }
});

describe('usage output escapes customer text', () => {
  const zero = { calls: 0, errors: 0, error_rate: 0, errors_by_code: {}, upstream_calls: 0, upstream_ms_avg: null, upstream_ms_total: 0, request_bytes: 0, upstream_bytes: 0 };
  const report = (groups: (string | null)[]): UsageReport => ({
    project: 'p',
    filters: { integration: null, member: null, tool: null },
    by: 'member',
    bucket: 'day',
    from: '2026-12-07T00:00:00Z',
    to: '2026-12-08T00:00:00Z',
    rows: groups.map((group, i) => ({ ...zero, calls: i + 1, errors_by_code: (i === 0 ? { UPSTREAM_TIMEOUT: 1 } : {}) as Record<string, number>, group, series: [i + 1] })),
    groups: groups.length,
    total: zero,
  });

  it('CSV quotes commas and quotes (RFC 4180) and defuses spreadsheet formulas with a leading quote', () => {
    const csv = renderUsageCsv(report(['=HYPERLINK("x")', 'bob, "the builder"', '+1', null]));
    expect(csv.split('\r\n')).toEqual([
      'member,calls,errors,error_rate,upstream_calls,upstream_ms_avg,upstream_ms_total,request_bytes,upstream_bytes,errors_by_code',
      `"'=HYPERLINK(""x"")",1,0,0,0,,0,0,0,UPSTREAM_TIMEOUT=1`,
      '"bob, ""the builder""",2,0,0,0,,0,0,0,',
      "'+1,3,0,0,0,,0,0,0,",
      ',4,0,0,0,,0,0,0,',
      '',
    ]);
  });

  it('the table shows control characters as \\u escapes, cuts ids past 40 characters, and names calls without a member', () => {
    const table = renderUsageTable(report(['evil\u001b[2Jid', 'm'.repeat(60), null]), false);
    expect(table).not.toContain('\u001b');
    expect(table).toContain('evil\\u001b[2Jid');
    expect(table).toContain(`${'m'.repeat(39)}…`);
    expect(table).not.toContain('m'.repeat(40));
    expect(table).toContain('(no member)');
  });
});

// Buckets are one key each with no hash tag, so a project's buckets spread over the masters of a cluster; reads
// address each key and erasure walks every master (docs/storage.md). A private three-master cluster, stopped by pid.
const installed = redisServerInstalled();
describe.skipIf(!installed && !inCI())('tengine usage on a Redis Cluster (TENGINE_REDIS_CLUSTER_NODES)', () => {
  let cluster: TestRedisCluster | undefined;
  let store: Store | undefined;
  let env: Record<string, string> = {};
  const start = Date.UTC(2026, 11, 7, 0, 30);
  beforeAll(async () => {
    if (!installed) throw new Error('redis-server is not on the PATH and CI is set');
    cluster = await startRedisCluster();
    env = { TENGINE_REDIS_CLUSTER_NODES: cluster.urls.join(','), TENGINE_REDIS_KEY_PREFIX: 'usage-cluster:' };
    store = await createRedisStore({ endpoints: { mode: 'cluster', nodes: cluster.urls }, keyPrefix: 'usage-cluster:' });
    const clock = { t: start };
    const recorder = new UsageRecorder({ store, settings: { enabled: true, hourlyRetentionMs: 14 * 24 * HOUR_MS, dailyRetentionMs: 400 * 24 * HOUR_MS }, now: () => clock.t, flushIntervalMs: 0 });
    for (let h = 0; h < 24; h++) {
      clock.t = start + h * HOUR_MS;
      recorder.record('crm', 'backend', 'alice', 'get', 'OK', 10, 100, 50);
      recorder.record('crm', 'backend', 'bob', 'get', h % 3 === 0 ? 'UPSTREAM_TIMEOUT' : 'OK', 20, 100, 0);
    }
    await recorder.close();
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await cluster?.stop();
  });

  it('24 hourly buckets on three masters read back whole; erase removes bob from all 25 buckets', async () => {
    const now = '2026-12-07T23:59:00Z';
    const hours = await cli(['usage', '--project', 'crm', '--since', '24h', '--by', 'hour', '--now', now, '-f', 'json'], env);
    expect(hours.code, hours.err).toBe(0);
    const doc = JSON.parse(hours.out) as { rows: { calls: number }[]; summary: { calls: number; errors: number; upstream_ms_avg: number } };
    expect(doc.rows.map((r) => r.calls)).toEqual(new Array(24).fill(2));
    expect(doc.summary).toMatchObject({ calls: 48, errors: 8, upstream_ms_avg: 15 });
    const erased = await cli(['usage', 'erase', '--project', 'crm', '--member', 'bob', '-f', 'json'], env);
    expect(JSON.parse(erased.out)).toMatchObject({ erased: { buckets: 25 } });
    const members = await cli(['usage', '--project', 'crm', '--since', '1d', '--by', 'member', '--now', now, '-f', 'json'], env);
    expect((JSON.parse(members.out) as { rows: { group: string; calls: number }[] }).rows.map((r) => [r.group, r.calls])).toEqual([['alice', 24]]);
  });
});
