import type { RunningRuntime } from '../boot-types.js';

/** What signal handling needs from its process. */
export interface SignalDeps {
  /** Subscribes to a process signal (process.on). */
  on(signal: NodeJS.Signals, handler: () => void): void;
  /** Ends the process. */
  exit(code: number): void;
  log?: (entry: Record<string, unknown>) => void;
}

const EXIT_ON_SECOND: Partial<Record<NodeJS.Signals, number>> = { SIGTERM: 143, SIGINT: 130 };

/**
 * Wires the process signals to the runtime being booted: SIGTERM or SIGINT drains and exits 0 (a second one exits at
 * once with 128 + the signal number, for the operator who will not wait); SIGHUP reloads the bundle. Call it before
 * awaiting the boot, so that no signal finds the process without handlers once the port is open; a stop signal during
 * the boot drains right after it. A failed boot is left to the caller (no handler acts on it). Resolves when the
 * drain has finished and everything is closed, just before the exit.
 */
export function handleSignals(booting: Promise<RunningRuntime>, deps: SignalDeps): Promise<void> {
  const ready = booting.then(
    (r) => r,
    () => undefined,
  );
  return new Promise((resolve) => {
    let stopping = false;
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      deps.on(signal, () => {
        if (stopping) {
          deps.log?.({ level: 'warn', event: 'shutdown_forced', signal });
          deps.exit(EXIT_ON_SECOND[signal] ?? 1);
          return;
        }
        stopping = true;
        void ready.then((running) => {
          if (!running) return;
          deps.log?.({ level: 'info', event: 'shutdown_requested', signal, in_flight: running.inFlight() });
          return running.shutdown().then(
            () => {
              resolve();
              deps.exit(0);
            },
            (e: unknown) => {
              deps.log?.({ level: 'error', event: 'shutdown_failed', error: (e as Error)?.message });
              deps.exit(1);
            },
          );
        });
      });
    }
    deps.on('SIGHUP', () => {
      deps.log?.({ level: 'info', event: 'reload_requested', signal: 'SIGHUP' });
      // The outcome is logged by the reload itself (bundle_reloaded, bundle_reload_refused); before the boot ends
      // there is nothing to reload yet.
      void ready.then((running) => running?.reload());
    });
  });
}
