// The processes an MCP benchmark runs: the loopback upstream, the floor gateway and runtimes built in dist/, all
// registered in children.ts (killed when the bench exits) and listening on 127.0.0.1 only.
import type { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { spawnNode } from './children.js';
import { freePort, waitForHttp, waitForPort } from './load.js';

/** A running gateway the bench measures: where it listens and which process to read the CPU of. */
export interface Gateway {
  port: number;
  pid: number;
  /** Bytes and lines written to its stderr (its log), and audit lines of failed or cancelled calls, so far. */
  log: LogCounter;
}

/** Counts what a child writes to its log pipe, reading it as a log shipper would (line by line, as it comes). */
export class LogCounter {
  bytes = 0;
  lines = 0;
  audit = 0;
  failed = 0;
  cancelled = 0;
  /** The first audit line that was not OK, to show why. */
  firstFailure: string | undefined;
  private partial = '';
  /** Feeds a chunk of the pipe. */
  add(chunk: Buffer): void {
    this.bytes += chunk.length;
    const text = this.partial + chunk.toString('utf8');
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      this.line(text.slice(start, nl));
      start = nl + 1;
    }
    this.partial = text.slice(start);
  }
  private line(l: string): void {
    this.lines++;
    if (!l.includes('"audit":true')) return;
    this.audit++;
    if (l.includes('"code":"OK"')) return;
    // wrk closes its connections at the end of a cell with calls in flight: the runtime logs those as CANCELLED.
    if (l.includes('"code":"CANCELLED"')) {
      this.cancelled++;
      return;
    }
    this.failed++;
    this.firstFailure ??= l;
  }
}

/** Starts bench/support/upstream-server.mjs; returns its process and port. */
export async function startUpstream(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawnNode(['bench/support/upstream-server.mjs'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return { child, port: await waitForPort(child) };
}

/** Starts a hand-written gateway script (the floor, the SDK baseline) forwarding to the upstream on `upstreamPort`. */
export async function startScriptGateway(script: string, upstreamPort: number): Promise<Gateway> {
  const child = spawnNode([script], { stdio: ['ignore', 'pipe', 'inherit'], env: { PATH: process.env.PATH ?? '', UPSTREAM_PORT: String(upstreamPort) } });
  const port = await waitForPort(child);
  return { port, pid: child.pid!, log: new LogCounter() };
}

/** How to start one runtime: the checkout whose dist/ runs, its bundle and public key, flags and environment. */
export interface RuntimeSpec {
  root: string;
  bundle: string;
  publicKey: string;
  args: string[];
  env: Record<string, string>;
}

/**
 * Starts dist/runtime/main.js of `spec.root` on a free loopback port and waits for /readyz. Its stderr (the log) goes
 * to a pipe this process drains and counts; only PATH and `spec.env` reach its environment.
 */
export async function startRuntime(spec: RuntimeSpec): Promise<Gateway> {
  const port = await freePort();
  // BENCH_CPU_PROF_DIR: each runtime writes a V8 CPU profile there when it exits (to see where a row's CPU goes).
  const profile = process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', resolve(process.env.BENCH_CPU_PROF_DIR)] : [];
  const child = spawnNode([...profile, join(spec.root, 'dist/runtime/main.js'), '--bundle', spec.bundle, '--bundle-public-key', spec.publicKey, '--port', String(port), '--allow-development', ...spec.args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH ?? '', TENGINE_DRAIN_DELAY: '0', ...spec.env },
  });
  const log = new LogCounter();
  let tail = '';
  child.stderr!.on('data', (d: Buffer) => {
    log.add(d);
    if (log.bytes < 8192) tail += d.toString();
  });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`the runtime exited with ${code} before it was ready: ${tail.slice(0, 2000)}`))));
  await Promise.race([waitForHttp(port), exited]);
  exited.catch(() => undefined);
  return { port, pid: child.pid!, log };
}

/** Whether a TCP server answers at host:port within a second (is the Redis the bench needs there?). */
export function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}
