// Interleaved rounds: every target measured once per round, the order rotated each round so that no target always
// runs first (warmer caches, a quieter machine), and the gateway's CPU per call read from /proc around each cell.
// Medians of the rounds are what the benches report; ratios are taken within one run.
import type { Cell } from './load.js';
import { cpuTimes, median } from './load.js';

/** One measured target: a gateway process (or none, for the direct upstream) and how to load it once. */
export interface Target {
  name: string;
  /** The process whose CPU is charged to the calls; none for the direct upstream row. */
  pid?: number;
  measure: () => Promise<Cell>;
  /** Throws when the cell's calls did not all succeed (checked after each cell, outside the CPU window). */
  check?: (cell: Cell) => void | Promise<void>;
}

/** Every cell of one target over the rounds. */
export interface Series {
  cpuUs: number[];
  rps: number[];
  p50: number[];
  p99: number[];
}

/** The medians of a series. */
export interface Summary {
  cpuUs: number;
  rps: number;
  p50: number;
  p99: number;
}

/** Runs `rounds` rounds over `targets`, rotating the order; `onCell` sees each cell as it completes (progress). */
export async function interleave(targets: readonly Target[], rounds: number, onCell?: (t: Target, round: number, cell: Cell) => void): Promise<Series[]> {
  const series: Series[] = targets.map(() => ({ cpuUs: [], rps: [], p50: [], p99: [] }));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < targets.length; k++) {
      const i = (k + r) % targets.length;
      const t = targets[i]!;
      const c0 = t.pid === undefined ? undefined : cpuTimes(t.pid);
      const cell = await t.measure();
      const c1 = t.pid === undefined ? undefined : cpuTimes(t.pid);
      if (cell.errors > 0 || !(cell.requests > 0)) throw new Error(`${t.name}: ${cell.errors} errors of ${cell.requests} requests in round ${r + 1}`);
      await t.check?.(cell);
      const s = series[i]!;
      s.cpuUs.push(c0 && c1 ? ((c1.user - c0.user + c1.system - c0.system) / cell.requests) * 1e6 : NaN);
      s.rps.push(cell.rps);
      s.p50.push(cell.p50);
      s.p99.push(cell.p99);
      onCell?.(t, r, cell);
    }
  }
  return series;
}

/** Medians of each figure of a series. */
export function summarize(s: Series): Summary {
  return { cpuUs: median(s.cpuUs), rps: median(s.rps), p50: median(s.p50), p99: median(s.p99) };
}
