// The report of `npm run bench:mcp`: issue 15's targets checked against one run's medians, rendered for the terminal
// and as the generated section of docs/performance.md. Pure: the bench computes the figures, this only judges and
// formats them.
import type { Summary } from './interleave.js';

/** One gateway row of the run. */
export interface Row {
  key: 'floor' | 'api_key' | 'api_key_image' | 'member' | 'oauth' | 'sdk';
  name: string;
  /** Medians at the bench's concurrency. */
  throughput: Summary;
  /** CPU µs per call of each round, for the reader to judge the spread. */
  cpuRounds: number[];
  /** Medians at concurrency 1. */
  latency: Summary;
  /** p99 ms at concurrency 1 of each round: on a loaded machine it is the scheduler's as much as the gateway's. */
  p99Rounds: number[];
  /** Log bytes the gateway wrote per audited call (0 for the floor, which logs nothing). */
  logBytesPerCall: number;
}

/** Everything one run measured, and where. */
export interface Report {
  date: string;
  commit: string;
  node: string;
  cpu: string;
  loadStart: string;
  loadEnd: string;
  concurrency: number;
  rounds: number;
  seconds: number;
  /** The load generator, e.g. `wrk, 1 thread`. */
  loadgen: string;
  rows: Row[];
  /** The direct upstream GET at concurrency 1. */
  direct: Summary;
  directP99Rounds: number[];
}

/** One of issue 15's targets, judged. */
export interface Verdict {
  what: string;
  value: string;
  met: boolean | undefined;
}

/** The CPU-per-call ceilings of issue 15, as ratios to the floor; rows without one are reported only. */
export const CPU_TARGETS: Partial<Record<Row['key'], number>> = { api_key: 1.5, api_key_image: 1.5, member: 2 };
/** Added p50 at concurrency 1 may exceed the floor's by this much (ms). */
export const ADDED_P50_SLACK_MS = 0.1;
/** p99 at concurrency 1 may be this many times the floor's. */
export const P99_RATIO_TARGET = 1.5;

const floorOf = (r: Report) => r.rows.find((x) => x.key === 'floor')!;

/** The ratios of a row to the floor, and its added latency against the direct upstream call. */
export function ratios(r: Report, row: Row) {
  const floor = floorOf(r);
  const added = row.latency.p50 - r.direct.p50;
  const floorAdded = floor.latency.p50 - r.direct.p50;
  return {
    cpu: row.throughput.cpuUs / floor.throughput.cpuUs,
    rps: row.throughput.rps / floor.throughput.rps,
    addedP50: added,
    addedOverFloor: added - floorAdded,
    p99: row.latency.p99 / floor.latency.p99,
  };
}

/** Issue 15's targets judged on this run: CPU per call of the API-key and member rows, latency of the API-key rows. */
export function verdicts(r: Report): Verdict[] {
  const out: Verdict[] = [];
  for (const row of r.rows) {
    if (row.key === 'floor') continue;
    const q = ratios(r, row);
    const limit = CPU_TARGETS[row.key];
    if (limit !== undefined) out.push({ what: `${row.name}: CPU per call ≤ ${limit}× the floor's`, value: `${q.cpu.toFixed(2)}×`, met: q.cpu <= limit });
    else if (row.key === 'oauth') out.push({ what: `${row.name}: CPU per call (reported, no target)`, value: `${q.cpu.toFixed(2)}×`, met: undefined });
    // The API key as the container image runs it (its NODE_OPTIONS) is judged by the same targets.
    if (row.key === 'api_key' || row.key === 'api_key_image') {
      out.push({ what: `${row.name}: added p50 at concurrency 1 within ${ADDED_P50_SLACK_MS} ms of the floor's`, value: `${signed(q.addedOverFloor)} ms`, met: q.addedOverFloor <= ADDED_P50_SLACK_MS });
      out.push({ what: `${row.name}: p99 at concurrency 1 ≤ ${P99_RATIO_TARGET}× the floor's`, value: `${q.p99.toFixed(2)}×`, met: q.p99 <= P99_RATIO_TARGET });
    }
  }
  return out;
}

const mark = (v: Verdict) => (v.met === undefined ? 'reported' : v.met ? 'met' : 'missed');
const signed = (ms: number) => `${ms >= 0 ? '+' : '−'}${Math.abs(ms).toFixed(3)}`;
const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** The report as the terminal shows it. */
export function renderConsole(r: Report): string {
  const pad = (s: string | number, n: number) => String(s).padStart(n);
  const w = Math.max(...r.rows.map((x) => x.name.length), 'direct upstream GET'.length);
  const name = (s: string) => s.padEnd(w);
  const lines = [
    `MCP tools/call bench (issue 15): ${r.date}, commit ${r.commit}, Node ${r.node}, ${r.cpu}`,
    `load average at start ${r.loadStart}, at end ${r.loadEnd}`,
    'get_record (GET) against a loopback upstream; every runtime logs audit lines at info to a drained pipe, metrics listener on',
    '',
    `throughput: concurrency ${r.concurrency}, ${r.rounds} interleaved rounds of ${r.seconds} s, medians; load generator: ${r.loadgen}`,
    `${name('row')}  ${pad('calls/s', 8)}  ${pad('CPU µs/call', 11)}  ${pad('CPU × floor', 11)}  ${pad('calls/s × floor', 15)}  ${pad('log B/call', 10)}  CPU µs/call by round`,
  ];
  for (const row of r.rows) {
    const q = ratios(r, row);
    lines.push(`${name(row.name)}  ${pad(int(row.throughput.rps), 8)}  ${pad(row.throughput.cpuUs.toFixed(0), 11)}  ${pad(q.cpu.toFixed(2), 11)}  ${pad(q.rps.toFixed(2), 15)}  ${pad(row.logBytesPerCall.toFixed(0), 10)}  ${row.cpuRounds.map((x) => x.toFixed(0)).join(' ')}`);
  }
  lines.push('', `latency: concurrency 1, medians of ${r.rounds} interleaved rounds of ${r.seconds} s`);
  lines.push(`${name('row')}  ${pad('p50 ms', 7)}  ${pad('p99 ms', 7)}  ${pad('added p50 ms', 12)}  ${pad("vs floor's added", 16)}  ${pad('p99 × floor', 11)}  p99 ms by round`);
  lines.push(`${name('direct upstream GET')}  ${pad(r.direct.p50.toFixed(3), 7)}  ${pad(r.direct.p99.toFixed(3), 7)}  ${' '.repeat(12 + 2 + 16 + 2 + 11)}  ${r.directP99Rounds.map((x) => x.toFixed(2)).join(' ')}`);
  for (const row of r.rows) {
    const q = ratios(r, row);
    lines.push(`${name(row.name)}  ${pad(row.latency.p50.toFixed(3), 7)}  ${pad(row.latency.p99.toFixed(3), 7)}  ${pad(q.addedP50.toFixed(3), 12)}  ${pad(signed(q.addedOverFloor), 16)}  ${pad(q.p99.toFixed(2), 11)}  ${row.p99Rounds.map((x) => x.toFixed(2)).join(' ')}`);
  }
  lines.push('', 'targets (issue 15):');
  for (const v of verdicts(r)) lines.push(`  [${mark(v)}] ${v.what}: ${v.value}`);
  return lines.join('\n');
}

/** The report as the generated section of docs/performance.md. */
export function renderMarkdown(r: Report): string {
  const lines = [
    `Generated by \`npm run bench:mcp -- --write-docs\` on ${r.date}, commit \`${r.commit}\`; Node ${r.node}; ${r.cpu}; load average ${r.loadStart} at the start, ${r.loadEnd} at the end.`,
    `Every runtime logs its audit lines at info to a pipe the bench drains and has its metrics listener on.`,
    '',
    `**Throughput**, concurrency ${r.concurrency}, ${r.rounds} interleaved rounds of ${r.seconds} s, medians; load generator: ${r.loadgen}:`,
    '',
    '| row | calls/s | CPU µs per call | CPU × floor | calls/s × floor | log bytes per call |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const row of r.rows) {
    const q = ratios(r, row);
    lines.push(`| ${row.name} | ${int(row.throughput.rps)} | ${row.throughput.cpuUs.toFixed(0)} | ${q.cpu.toFixed(2)} | ${q.rps.toFixed(2)} | ${row.logBytesPerCall.toFixed(0)} |`);
  }
  lines.push('', `**Latency**, concurrency 1, medians of ${r.rounds} interleaved rounds of ${r.seconds} s (added: p50 minus the direct upstream GET's):`, '');
  lines.push("| row | p50 ms | p99 ms | added p50 ms | added p50 vs the floor's | p99 × floor |", '|---|---:|---:|---:|---:|---:|');
  lines.push(`| direct upstream GET | ${r.direct.p50.toFixed(3)} | ${r.direct.p99.toFixed(3)} | | | |`);
  for (const row of r.rows) {
    const q = ratios(r, row);
    lines.push(`| ${row.name} | ${row.latency.p50.toFixed(3)} | ${row.latency.p99.toFixed(3)} | ${q.addedP50.toFixed(3)} | ${signed(q.addedOverFloor)} ms | ${q.p99.toFixed(2)} |`);
  }
  lines.push('', '**Targets** (issue 15):', '', '| target | this run | |', '|---|---:|---|');
  for (const v of verdicts(r)) lines.push(`| ${v.what} | ${v.value} | ${mark(v)} |`);
  return lines.join('\n');
}
