// What a benchmark report says about where it ran: figures from a shared machine mean little without the load
// average, the CPU and the Node version next to them.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/** The 1, 5 and 15 minute load averages, as `uptime` prints them. */
export function loadAverage(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

/** The CPU model from /proc/cpuinfo and the number of cores (os.cpus() where /proc is missing). */
export function cpuModel(): string {
  let model: string | undefined;
  try {
    model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim();
  } catch {
    model = undefined;
  }
  return `${model ?? cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores`;
}

/** The short hash of HEAD, with `+dirty` when the worktree has uncommitted changes ("unknown" outside git). */
export function gitCommit(): string {
  try {
    const hash = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${hash}+dirty` : hash;
  } catch {
    return 'unknown';
  }
}
