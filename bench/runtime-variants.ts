// Benchmark: the same API-key tools/call against several runtime variants in one run, in interleaved rounds, with
// medians and ratios to the first variant. A variant is a built checkout (its dist/) and extra flags/variables, so
// the run answers both "what does this change cost" (BENCH_BASE_DIR: a worktree of the commit before, built) and
// "what do logs and metrics cost" (the same build with audit logging at info and a metrics listener, or not).
// Run: `npm run build && npm run bench:variants` (optionally BENCH_BASE_DIR=/path/to/other/checkout).
// Traffic stays on 127.0.0.1; every loop is bounded.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GET_RECORD_CALL, writeBenchBundle } from './support/bench-tool.js';
import { cpuTimes, DURATION_MS, freePort, hasWrk, loadNode, loadWrk, median, waitForHttp, waitForPort, type Cell } from './support/load.js';

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

const dir = mkdtempSync(join(tmpdir(), 'tengine-bench-variants-'));
const children: ChildProcess[] = [];
try {
  const upstream = spawn(process.execPath, ['bench/support/upstream-server.mjs'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(upstream);
  const upstreamPort = await waitForPort(upstream);
  const keys = await writeBenchBundle(dir, upstreamPort);
  const { apiKey } = keys;
  if (variants.some((v) => v.bundle === 'bundle-limited.json')) {
    // The same key (a fresh key would not match the other bundle): re-sign with the limit added, reusing the key pair.
    await writeBenchBundle(dir, upstreamPort, [], { file: 'bundle-limited.json', toolExtra: { usage_limits: [{ limit: 1_000_000_000, window: '1s', per: 'member' }] }, reuse: keys });
  }

  const body = GET_RECORD_CALL;
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${apiKey}`, 'mcp-protocol-version': '2025-06-18', 'content-length': String(Buffer.byteLength(body)) };
  const useWrk = hasWrk() && process.env.BENCH_LOADGEN !== 'node';
  const measure = (port: number): Promise<Cell> => (useWrk ? Promise.resolve(loadWrk(port, '/mcp', headers, body, CONCURRENCY, dir)) : loadNode(port, '/mcp', headers, body, CONCURRENCY));

  const running: { v: Variant; port: number; pid: number; logged: () => number }[] = [];
  for (const v of variants) {
    if (v.floor) {
      const child = spawn(process.execPath, ['bench/support/floor-gateway.mjs'], { stdio: ['ignore', 'pipe', 'inherit'], env: { PATH: process.env.PATH ?? '', UPSTREAM_PORT: String(upstreamPort) } });
      children.push(child);
      const port = await waitForPort(child);
      const probe = await loadNode(port, '/mcp', headers, body, 8);
      if (probe.errors > 0) throw new Error(`${v.name}: the probe tools/call failed`);
      running.push({ v, port, pid: child.pid!, logged: () => 0 });
      continue;
    }
    const port = await freePort();
    // The runtime's logs go to a file, as a log shipper would read them, not to this terminal.
    const child = spawn(process.execPath, [join(v.root, 'dist/runtime/main.js'), '--bundle', join(dir, v.bundle ?? 'bundle.json'), '--bundle-public-key', join(dir, 'pub.pem'), '--port', String(port), '--allow-development', ...v.args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env.PATH ?? '', TENGINE_DRAIN_DELAY: '0', ...v.env },
    });
    children.push(child);
    let logged = 0;
    child.stderr!.on('data', (d: Buffer) => (logged += d.length));
    await waitForHttp(port);
    // Warm-up and a probe: a failing call makes the table meaningless.
    const probe = await loadNode(port, '/mcp', headers, body, 8);
    if (probe.errors > 0) throw new Error(`${v.name}: the probe tools/call failed`);
    running.push({ v, port, pid: child.pid!, logged: () => logged });
  }

  const cpu: number[][] = running.map(() => []);
  const rps: number[][] = running.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    // Rotate the order each round so no variant always runs first (warmer caches, quieter machine).
    for (let k = 0; k < running.length; k++) {
      const i = (k + r) % running.length;
      const { pid, port, v } = running[i]!;
      const c0 = cpuTimes(pid);
      const cell = await measure(port);
      const c1 = cpuTimes(pid);
      if (cell.errors > 0) throw new Error(`${v.name}: ${cell.errors} errors in round ${r}`);
      cpu[i]!.push(((c1.user - c0.user + c1.system - c0.system) / cell.requests) * 1e6);
      rps[i]!.push(cell.rps);
    }
  }
  console.log(`tools/call (API key, GET tool, loopback upstream), concurrency ${CONCURRENCY}, ${ROUNDS} interleaved rounds of ${DURATION_MS / 1000} s, medians; load ${useWrk ? 'wrk' : 'Node http'}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const base = { cpu: median(cpu[0]!), rps: median(rps[0]!) };
  const floorAt = running.findIndex((r) => r.v.floor);
  const floor = floorAt < 0 ? undefined : { cpu: median(cpu[floorAt]!), rps: median(rps[floorAt]!) };
  for (let i = 0; i < running.length; i++) {
    const c = median(cpu[i]!);
    const q = median(rps[i]!);
    console.log(`  ${running[i]!.v.name}: ${q.toFixed(0)} calls/s, ${c.toFixed(0)} µs CPU/call (rounds ${cpu[i]!.map((x) => x.toFixed(0)).join(' ')}; ${(running[i]!.logged() / 1024).toFixed(0)} KiB logged); ratio to the first: CPU ${(c / base.cpu).toFixed(3)}, calls/s ${(q / base.rps).toFixed(3)}${floor && i !== floorAt ? `; to the floor: CPU ${(c / floor.cpu).toFixed(2)}, calls/s ${(q / floor.rps).toFixed(2)}` : ''}`);
  }
} finally {
  for (const c of children) c.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
