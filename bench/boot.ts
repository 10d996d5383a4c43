// Benchmark: cold start, from spawn to the first successful API-key tools/call, of the floor gateway
// (bench/support/floor-gateway.mjs) and of the runtime serving bundles of 1, 1,000 and 10,000 tools, in interleaved
// rounds with medians and ratios to the floor; then the idle RSS of each after its first call (/proc/<pid>/status).
// Targets (issue 15): ≤ 1.5× the floor with 1 tool, ≤ 400 ms with 1,000, ≤ 800 ms with 10,000, idle RSS ≤ 120 MB
// with 1,000. BENCH_BASE_DIR=/path/to/other/built/checkout adds its runtime to every round (before/after a change).
// Also the CPU time each process used until that call (/proc/<pid>/stat), steadier than wall time on a busy machine.
// `--json` (or BENCH_JSON=1) prints the results as JSON on stdout and the table on stderr.
// Run: `npm run bench:boot` (builds dist/ first). Traffic stays on 127.0.0.1; every loop is bounded.
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GET_RECORD_CALL, writeBenchBundle } from './support/bench-tool.js';
import { cpuTimes, freePort, median, waitForPort } from './support/load.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const SIZES = (process.env.BENCH_BOOT_TOOLS ?? '1,1000,10000').split(',').map(Number);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 1000);
const JSON_OUT = process.argv.includes('--json') || process.env.BENCH_JSON === '1';
const POLL_MS = 2;
const BOOT_DEADLINE_MS = 20_000;

interface Variant {
  key: string;
  label: string;
  floor?: boolean;
  root?: string;
  tools: number;
}

const here = resolve('.');
const base = process.env.BENCH_BASE_DIR ? resolve(process.env.BENCH_BASE_DIR) : undefined;
const baseLabel = process.env.BENCH_BASE_LABEL ?? (base ? gitHead(base) : '');
const variants: Variant[] = [{ key: 'floor', label: 'floor gateway (1 tool)', floor: true, tools: 1 }];
for (const n of SIZES) {
  if (base) variants.push({ key: `base-${n}`, label: `base ${baseLabel}, ${n} tools`, root: base, tools: n });
  variants.push({ key: `runtime-${n}`, label: `runtime, ${n} tools`, root: here, tools: n });
}

const out = (line: string) => (JSON_OUT ? process.stderr : process.stdout).write(`${line}\n`);
const dir = mkdtempSync(join(tmpdir(), 'tengine-bench-boot-'));
const children = new Set<ChildProcess>();
try {
  const upstream = spawn(process.execPath, ['bench/support/upstream-server.mjs'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(upstream);
  const upstreamPort = await waitForPort(upstream);
  // One key for every bundle, so one header serves all variants.
  let keys = await writeBenchBundle(dir, upstreamPort, [], { file: `bundle-${SIZES[0]}.json`, tools: SIZES[0] });
  for (const n of SIZES.slice(1)) keys = await writeBenchBundle(dir, upstreamPort, [], { file: `bundle-${n}.json`, tools: n, reuse: keys });
  const sizes = Object.fromEntries(SIZES.map((n) => [n, statSync(join(dir, `bundle-${n}.json`)).size]));
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${keys.apiKey}`, 'mcp-protocol-version': '2025-06-18' };

  /** One cold start: spawn, poll tools/call until it succeeds, then the idle RSS; the process is stopped after. */
  const coldStart = async (v: Variant): Promise<{ ms: number; cpuMs: number; rssKb: number }> => {
    const port = await freePort();
    const t0 = performance.now();
    const child = v.floor
      ? spawn(process.execPath, ['bench/support/floor-gateway.mjs'], { stdio: 'ignore', env: { PATH: process.env.PATH ?? '', UPSTREAM_PORT: String(upstreamPort), PORT: String(port) } })
      : spawn(process.execPath, [join(v.root!, 'dist/runtime/main.js'), '--bundle', join(dir, `bundle-${v.tools}.json`), '--bundle-public-key', join(dir, 'pub.pem'), '--port', String(port), '--allow-development', '--log-level', 'warn'], {
          stdio: ['ignore', 'ignore', 'pipe'],
          env: { PATH: process.env.PATH ?? '', TENGINE_DRAIN_DELAY: '0' },
        });
    children.add(child);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    let exited = false;
    child.once('exit', () => (exited = true));
    try {
      while (!(await callOnce(port, headers))) {
        if (exited) throw new Error(`${v.label}: exited before answering: ${stderr.slice(0, 500)}`);
        if (performance.now() - t0 > BOOT_DEADLINE_MS) throw new Error(`${v.label}: no successful call within ${BOOT_DEADLINE_MS} ms`);
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
      const ms = performance.now() - t0;
      // CPU the process spent to get there (all its threads, 10 ms ticks): less sensitive to a busy machine than wall time.
      const c = cpuTimes(child.pid!);
      const cpuMs = (c.user + c.system) * 1000;
      // Idle: after the first call, nothing running; what an instance holds while waiting for traffic.
      await new Promise((r) => setTimeout(r, IDLE_MS));
      return { ms, cpuMs, rssKb: vmRssKb(child.pid!) };
    } finally {
      await stop(child);
      children.delete(child);
    }
  };

  const ms: number[][] = variants.map(() => []);
  const rss: number[][] = variants.map(() => []);
  const cpu: number[][] = variants.map(() => []);
  const load: number[] = [];
  // A warm-up of each (file cache, the compiled-code cache of node itself), not counted.
  for (const v of variants) await coldStart(v);
  for (let r = 0; r < ROUNDS; r++) {
    // Rotate the order each round so no variant always runs first.
    for (let k = 0; k < variants.length; k++) {
      const i = (k + r) % variants.length;
      const res = await coldStart(variants[i]!);
      ms[i]!.push(res.ms);
      rss[i]!.push(res.rssKb);
      cpu[i]!.push(res.cpuMs);
    }
    load.push(loadavg()[0]!);
  }

  const floorMs = median(ms[0]!);
  const results = variants.map((v, i) => ({
    key: v.key,
    label: v.label,
    checkout: v.floor ? 'floor' : v.root === here ? 'this' : 'base',
    tools: v.tools,
    bundle_bytes: v.floor ? 0 : sizes[v.tools]!,
    cold_start_ms: { median: round(median(ms[i]!)), min: round(Math.min(...ms[i]!)), max: round(Math.max(...ms[i]!)), rounds: ms[i]!.map((x) => round(x)) },
    ratio_to_floor: round(median(ms[i]!) / floorMs, 2),
    cpu_ms: { median: round(median(cpu[i]!)), rounds: cpu[i]!.map((x) => round(x)) },
    cpu_ratio_to_floor: round(median(cpu[i]!) / median(cpu[0]!), 2),
    idle_rss_mb: round(median(rss[i]!) / 1024),
  }));
  const of = (key: string) => results.find((r) => r.key === key);
  const targets = [
    { target: 'cold start, 1 tool ≤ 1.5× the floor', limit: 1.5, value: of('runtime-1')?.ratio_to_floor },
    { target: 'cold start, 1,000 tools ≤ 400 ms', limit: 400, value: of('runtime-1000')?.cold_start_ms.median },
    { target: 'cold start, 10,000 tools ≤ 800 ms', limit: 800, value: of('runtime-10000')?.cold_start_ms.median },
    { target: 'idle RSS, 1,000 tools ≤ 120 MB', limit: 120, value: of('runtime-1000')?.idle_rss_mb },
  ]
    .filter((t) => t.value !== undefined)
    .map((t) => ({ ...t, met: t.value! <= t.limit }));
  const loadAverage = { during: { min: round(Math.min(...load), 2), median: round(median(load), 2), max: round(Math.max(...load), 2) }, at_end: loadavg().map((x) => round(x, 2)) };

  out(`cold start: spawn → first successful tools/call (API key), ${ROUNDS} interleaved rounds, medians; idle RSS ${IDLE_MS} ms after the first call; node ${process.version}; load average (1 min) ${loadAverage.during.min}–${loadAverage.during.max}, median ${loadAverage.during.median}`);
  out(`${'variant'.padEnd(36)} ${'median ms'.padStart(9)} ${'min–max'.padStart(13)} ${'× floor'.padStart(7)} ${'CPU ms'.padStart(7)} ${'× floor'.padStart(7)} ${'idle RSS MB'.padStart(11)}`);
  for (const r of results) {
    out(`${r.label.padEnd(36)} ${r.cold_start_ms.median.toFixed(0).padStart(9)} ${`${r.cold_start_ms.min.toFixed(0)}–${r.cold_start_ms.max.toFixed(0)}`.padStart(13)} ${r.ratio_to_floor.toFixed(2).padStart(7)} ${r.cpu_ms.median.toFixed(0).padStart(7)} ${r.cpu_ratio_to_floor.toFixed(2).padStart(7)} ${r.idle_rss_mb.toFixed(0).padStart(11)}`);
  }
  for (const t of targets) out(`target: ${t.target}: ${t.value} → ${t.met ? 'met' : 'NOT met'}`);
  if (JSON_OUT) {
    const report = { format_version: 1, bench: 'boot', date: new Date().toISOString(), commit: gitHead(here), base_commit: base ? baseLabel : undefined, node: process.version, rounds: ROUNDS, idle_ms: IDLE_MS, load_average: loadAverage, results, targets };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  }
} finally {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}

/** One tools/call of get_record: true when it answered 200 with a structured result. */
function callOnce(port: number, headers: Record<string, string>): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/mcp', method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(GET_RECORD_CALL)) }, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve(res.statusCode === 200 && text.includes('"structuredContent"') && !text.includes('"isError":true')));
    });
    req.on('error', () => resolve(false));
    req.end(GET_RECORD_CALL);
  });
}

function vmRssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

function gitHead(cwd: string): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
