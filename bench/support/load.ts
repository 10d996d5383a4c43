// Load generation and measurement shared by the MCP benchmarks: wrk when installed (a C generator, far cheaper per
// request than Node's client), else a bounded Node http loop; CPU of one process read from /proc; medians.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { track } from './children.js';

/** Milliseconds per measured cell (BENCH_MS). */
export const DURATION_MS = Number(process.env.BENCH_MS ?? 4000);
const MAX_REQUESTS = 400_000;
const CLK_TCK = 100; // Linux USER_HZ

/** The p-th percentile of sorted values. */
export const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] ?? NaN;

/** The median of values. */
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The port a child prints on its stdout (the bench's upstream and SDK servers). */
export function waitForPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(\d+)\n/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
  });
}

/** User and kernel CPU seconds a process has used so far. */
export function cpuTimes(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) / CLK_TCK, system: Number(fields[12]) / CLK_TCK }; // utime, stime
}

/** What a Node-driven load run counted. */
export interface RunResult {
  requests: number;
  errors: number;
  seconds: number;
  latenciesMs: number[];
}

/** Bounded load with Node's http client: `concurrency` loops until DURATION_MS passes. */
export async function load(port: number, path: string, headers: Record<string, string>, body: string | undefined, concurrency: number): Promise<RunResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let requests = 0;
  let errors = 0;
  const deadline = performance.now() + DURATION_MS;
  const one = () =>
    new Promise<void>((resolve) => {
      const t = performance.now();
      const req = request({ host: '127.0.0.1', port, path, method: body ? 'POST' : 'GET', headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          latencies.push(performance.now() - t);
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode !== 200 || (body && !text.includes('"structuredContent"'))) errors++;
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline && requests < MAX_REQUESTS) {
        requests++;
        await one();
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  return { requests, errors, seconds, latenciesMs: latencies.sort((a, b) => a - b) };
}

/** A loopback port nobody listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createNetServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Waits until /readyz on the port answers 200 (10 s at most). */
export async function waitForHttp(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/readyz' }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.end();
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('runtime did not become ready');
}

/** Load through `wrk` (a C load generator, far cheaper per request than Node's client) when it is installed. */
export function hasWrk(): boolean {
  return spawnSync('wrk', ['--version']).error === undefined;
}

/** A wrk duration (`512.00us`, `1.2ms`) in milliseconds. */
export function parseWrkDuration(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

let wrkScripts = 0;

/**
 * Load through wrk with a Lua script written to `dir`. Asynchronous (not spawnSync) so the bench's event loop keeps
 * draining the gateways' log pipes while wrk runs, as a log shipper would; a pipe left full would stall the gateway.
 * Latency percentiles are wrk's own: per request, from the request's first byte written to its response parsed, at
 * 1 µs resolution; requests that time out are counted as errors, not latencies.
 */
export function loadWrk(port: number, path: string, headers: Record<string, string>, body: string | undefined, concurrency: number, dir: string): Promise<Cell> {
  const script = join(dir, `wrk-${++wrkScripts}.lua`);
  const lines = [`wrk.method = "${body ? 'POST' : 'GET'}"`];
  if (body) lines.push(`wrk.body = ${JSON.stringify(body)}`);
  for (const [k, v] of Object.entries(headers)) if (k !== 'content-length') lines.push(`wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`);
  writeFileSync(script, lines.join('\n') + '\n');
  const seconds = Math.max(1, Math.round(DURATION_MS / 1000));
  return new Promise((resolve, reject) => {
    const child = track(spawn('wrk', ['-t1', `-c${concurrency}`, `-d${seconds}s`, '--latency', '-s', script, `http://127.0.0.1:${port}${path}`], { stdio: ['ignore', 'pipe', 'inherit'] }));
    // wrk stops itself after -d; the timer only guards against a wrk that hangs.
    const guard = setTimeout(() => child.kill('SIGKILL'), seconds * 1000 + 15_000);
    let text = '';
    child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
    child.once('error', (e) => {
      clearTimeout(guard);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(guard);
      if (code !== 0) return reject(new Error(`wrk exited with ${code}`));
      resolve(parseWrkOutput(text));
    });
  });
}

/** The figures of wrk's `--latency` report. */
export function parseWrkOutput(text: string): Cell {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(text)?.[1]);
  const errors = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0) + Number(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text)?.slice(1).reduce((a, b) => a + Number(b), 0) ?? 0);
  const p = (q: string) => parseWrkDuration(new RegExp(`^\\s+${q}%\\s+(\\S+)`, 'm').exec(text)?.[1] ?? '');
  return { rps, requests, errors, p50: p('50'), p99: p('99') };
}

/** One cell of load at `concurrency`: wrk when installed (unless BENCH_LOADGEN=node), else the Node loop. */
export function measureCell(port: number, path: string, headers: Record<string, string>, body: string | undefined, concurrency: number, dir: string): Promise<Cell> {
  return useWrk() ? loadWrk(port, path, headers, body, concurrency, dir) : loadNode(port, path, headers, body, concurrency);
}

let wrkInstalled: boolean | undefined;
/** Whether cells are measured with wrk. */
export function useWrk(): boolean {
  wrkInstalled ??= hasWrk();
  return wrkInstalled && process.env.BENCH_LOADGEN !== 'node';
}

/** One measured cell, whichever generator produced it. */
export interface Cell {
  rps: number;
  requests: number;
  errors: number;
  p50: number;
  p99: number;
}

/** `load` reduced to a Cell. */
export async function loadNode(port: number, path: string, headers: Record<string, string>, body: string | undefined, concurrency: number): Promise<Cell> {
  const r = await load(port, path, headers, body, concurrency);
  return { rps: r.requests / r.seconds, requests: r.requests, errors: r.errors, p50: pct(r.latenciesMs, 50), p99: pct(r.latenciesMs, 99) };
}

