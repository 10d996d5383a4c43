// Every child process a benchmark starts (gateways, the upstream, wrk), so the bench kills all of them on its way
// out, whether it ends normally, throws, or is interrupted (SIGINT/SIGTERM).
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

const children = new Set<ChildProcess>();

/** Registers a child to be killed when the bench exits. */
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Kills every registered child still running. */
export function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  children.clear();
}

let hooked = false;
/** Kills the children on process exit and on SIGINT/SIGTERM (an interrupted bench leaves no gateway running). */
export function killChildrenOnExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      killAll();
      process.exit(130);
    });
  }
}

/** Spawns a tracked Node child. */
export function spawnNode(args: string[], opts: SpawnOptions): ChildProcess {
  return track(spawn(process.execPath, args, opts));
}
