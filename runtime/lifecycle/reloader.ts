/** What one reload attempt did. */
export type ReloadOutcome =
  | { result: 'ok'; digest: string; previous: string }
  | { result: 'unchanged'; digest: string }
  | { result: 'refused'; code: string; message: string; hint?: string };

/**
 * Serializes reloads and coalesces bursts: a request that arrives while one runs schedules exactly one more run,
 * which reads the bundle as it is by then. So a storm of SIGHUPs (or file events) ends with one load of the last
 * bundle written, never with two loads racing to swap.
 */
export class Reloader {
  private running?: Promise<ReloadOutcome>;
  private again?: Promise<ReloadOutcome>;

  /** `attempt` loads, checks and swaps once; it reports failures as a `refused` outcome, never by throwing. */
  constructor(private readonly attempt: () => Promise<ReloadOutcome>) {}

  /** Reloads now, or after the reload in progress (joining a later one already queued). */
  request(): Promise<ReloadOutcome> {
    if (!this.running) return this.start();
    this.again ??= this.running.catch(() => undefined).then(() => {
      this.again = undefined;
      return this.start();
    });
    return this.again;
  }

  private start(): Promise<ReloadOutcome> {
    const run = this.attempt().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }
}
