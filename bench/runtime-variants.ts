// Benchmark: the same API-key tools/call against several runtime variants in one run, in interleaved rounds, with
// medians and ratios to the first variant. A variant is a built checkout (its dist/) and extra flags/variables, so
// the run answers both "what does this change cost" (BENCH_BASE_DIR: a worktree of the commit before, built) and
// "what do logs and metrics cost" (the same build with audit logging at info and a metrics listener, or not).
// Run: `npm run build && npm run bench:variants` (optionally BENCH_BASE_DIR=/path/to/other/checkout).
// Traffic stays on 127.0.0.1; every loop is bounded; every child is killed on exit.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GET_RECORD_CALL, writeBenchBundle } from './support/bench-tool.js';
import { killAll, killChildrenOnExit } from './support/children.js';
import { interleave, summarize } from './support/interleave.js';
import { DURATION_MS, loadNode, measureCell, useWrk } from './support/load.js';
import { loadAverage } from './support/machine.js';
import { startRuntime, startScriptGateway, startUpstream, type Gateway } from './support/processes.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);

interface Variant {
  name: string;
  /** The minimal hand-written gateway (bench/support/floor-gateway.mjs) instead of a runtime. */
  floor?: boolean;
  /** The bundle file in the run's directory (default bundle.json). */
  bundle?: string;
  /** Checkout whose dist/runtime/main.js runs. */
  root: string;
  args: string[];
  env: Record<string, string>;
}

const here = resolve('.');
const variants: Variant[] = [];
// The floor (BENCH_FLOOR=1, issue 15): every figure is also given as a ratio to it.
if (process.env.BENCH_FLOOR === '1') variants.push({ name: 'floor: minimal hand-written MCP→HTTP gateway', floor: true, root: here, args: [], env: {} });
if (process.env.BENCH_BASE_DIR) variants.push({ name: `base (${process.env.BENCH_BASE_LABEL ?? process.env.BENCH_BASE_DIR})`, root: resolve(process.env.BENCH_BASE_DIR), args: ['--log-level', 'warn'], env: {} });
// More built checkouts to bisect a cost: BENCH_DIRS="label=/path,label=/path".
for (const entry of (process.env.BENCH_DIRS ?? '').split(',').filter(Boolean)) {
  const [label, dirPath] = entry.includes('=') ? (entry.split('=', 2) as [string, string]) : [entry, entry];
  variants.push({ name: label, root: resolve(dirPath), args: ['--log-level', process.env.BENCH_DIRS_LEVEL ?? 'warn'], env: {} });
}
variants.push({ name: 'this checkout, log level warn, no metrics listener', root: here, args: ['--log-level', 'warn'], env: {} });
// What usage limits cost (BENCH_LIMITS=1): the same tool with a limit that never refuses, counted in memory and in
// Redis (the shared 127.0.0.1:6379 unless BENCH_REDIS_URL; keys under a prefix unique to the run, expiring on their
// own), against the same store without the limit.
const limitsRedis = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const limitsPrefix = `tengine-bench-${process.pid}-${Date.now()}:`;
if (process.env.BENCH_LIMITS === '1') {
  const redisEnv = { TENGINE_REDIS_URL: limitsRedis, TENGINE_REDIS_KEY_PREFIX: limitsPrefix };
  variants.push({ name: 'this checkout, memory store, limit per member', root: here, bundle: 'bundle-limited.json', args: ['--log-level', 'warn'], env: {} });
  variants.push({ name: 'this checkout, Redis store, no limit', root: here, args: ['--log-level', 'warn'], env: redisEnv });
  variants.push({ name: 'this checkout, Redis store, limit per member (one chargeLimits per call)', root: here, bundle: 'bundle-limited.json', args: ['--log-level', 'warn'], env: redisEnv });
  // The same limit through the base checkout's limiter (a `{limit, window, per}` limit is valid in both).
  if (process.env.BENCH_BASE_DIR) {
    variants.push({ name: `base (${process.env.BENCH_BASE_LABEL ?? process.env.BENCH_BASE_DIR}), Redis store, limit per member`, root: resolve(process.env.BENCH_BASE_DIR), bundle: 'bundle-limited.json', args: ['--log-level', 'warn'], env: redisEnv });
  }
}
if (process.env.BENCH_OBSERVABILITY !== '0') {
  variants.push({ name: 'this checkout, audit logs at info + metrics listener', root: here, args: ['--log-level', 'info'], env: { TENGINE_METRICS_PORT: '0' } });
}

killChildrenOnExit();
const dir = mkdtempSync(join(tmpdir(), 'tengine-bench-variants-'));
// Also on an interrupt, which exits without running the finally below.
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
try {
  const upstream = await startUpstream();
  const upstreamPort = upstream.port;
  const keys = await writeBenchBundle(dir, upstreamPort);
  const { apiKey } = keys;
  if (variants.some((v) => v.bundle === 'bundle-limited.json')) {
    // The same key (a fresh key would not match the other bundle): re-sign with the limit added, reusing the key pair.
    await writeBenchBundle(dir, upstreamPort, [], { file: 'bundle-limited.json', toolExtra: { usage_limits: [{ limit: 1_000_000_000, window: '1s', per: 'member' }] }, reuse: keys });
  }

  const body = GET_RECORD_CALL;
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${apiKey}`, 'mcp-protocol-version': '2025-06-18', 'content-length': String(Buffer.byteLength(body)) };

  const running: { v: Variant; gw: Gateway }[] = [];
  for (const v of variants) {
    // The runtime's logs go to a pipe this process drains, as a log shipper would read them, not to this terminal.
    const gw = v.floor
      ? await startScriptGateway('bench/support/floor-gateway.mjs', upstreamPort)
      : await startRuntime({ root: v.root, bundle: join(dir, v.bundle ?? 'bundle.json'), publicKey: join(dir, 'pub.pem'), args: v.args, env: v.env });
    // Warm-up and a probe: a failing call makes the table meaningless.
    const probe = await loadNode(gw.port, '/mcp', headers, body, 8);
    if (probe.errors > 0) throw new Error(`${v.name}: the probe tools/call failed`);
    running.push({ v, gw });
  }

  const series = await interleave(
    running.map(({ v, gw }) => ({ name: v.name, pid: gw.pid, measure: () => measureCell(gw.port, '/mcp', headers, body, CONCURRENCY, dir) })),
    ROUNDS,
  );
  console.log(`tools/call (API key, GET tool, loopback upstream), concurrency ${CONCURRENCY}, ${ROUNDS} interleaved rounds of ${DURATION_MS / 1000} s, medians; load ${useWrk() ? 'wrk' : 'Node http'}; load average ${loadAverage()}`);
  const medians = series.map(summarize);
  const base = medians[0]!;
  const floorAt = running.findIndex((r) => r.v.floor);
  const floor = floorAt < 0 ? undefined : medians[floorAt]!;
  for (let i = 0; i < running.length; i++) {
    const { cpuUs: c, rps: q } = medians[i]!;
    console.log(`  ${running[i]!.v.name}: ${q.toFixed(0)} calls/s, ${c.toFixed(0)} µs CPU/call (rounds ${series[i]!.cpuUs.map((x) => x.toFixed(0)).join(' ')}; ${(running[i]!.gw.log.bytes / 1024).toFixed(0)} KiB logged); ratio to the first: CPU ${(c / base.cpuUs).toFixed(3)}, calls/s ${(q / base.rps).toFixed(3)}${floor && i !== floorAt ? `; to the floor: CPU ${(c / floor.cpuUs).toFixed(2)}, calls/s ${(q / floor.rps).toFixed(2)}` : ''}`);
  }
} finally {
  killAll();
  rmSync(dir, { recursive: true, force: true });
}
