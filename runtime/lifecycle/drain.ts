import type { Server } from 'node:http';
import type { Generations } from './generations.js';

/** Drain timings, in milliseconds. */
export interface DrainSettings {
  /** How long to keep serving after readiness turns 503, so load balancers stop sending new requests first. */
  delayMs: number;
  /** How long requests in flight may take to finish once the listener has stopped accepting. */
  timeoutMs: number;
}

/** Drain timings when none are given: 5 s of serving while load balancers notice, then 30 s for calls in flight. */
export const DEFAULT_DRAIN: DrainSettings = { delayMs: 5_000, timeoutMs: 30_000 };

/** How a drain ended. */
export interface DrainOutcome {
  /** Requests still in flight at the deadline, whose connections were cut. */
  cut: number;
  /** Milliseconds from the start of the drain to the end. */
  ms: number;
}

/**
 * The shutdown sequence of a load-balanced instance: readiness 503 at once (`draining()` turns true), keep serving
 * for the delay, stop accepting connections and close idle keep-alive ones (answers from then on say
 * `Connection: close`), wait for the requests in flight up to the timeout, then cut what is left.
 */
export class Drain {
  private started?: Promise<DrainOutcome>;

  /** Binds the drain to the server and the request tracker. */
  constructor(
    private readonly server: Server,
    private readonly generations: Generations,
    private readonly settings: DrainSettings,
    /** Called when the listener stops accepting: answers not yet sent must say `Connection: close`. */
    private readonly onClosing: () => void = () => undefined,
  ) {}

  /** True from the first moment of a drain: `/readyz` answers 503. */
  draining(): boolean {
    return this.started !== undefined;
  }

  /** Runs the drain (once; later calls get the same outcome). */
  run(log?: (entry: Record<string, unknown>) => void): Promise<DrainOutcome> {
    this.started ??= this.sequence(log);
    return this.started;
  }

  private async sequence(log?: (entry: Record<string, unknown>) => void): Promise<DrainOutcome> {
    const t0 = Date.now();
    log?.({ level: 'info', event: 'drain_started', delay_ms: this.settings.delayMs, timeout_ms: this.settings.timeoutMs, in_flight: this.generations.inFlight() });
    if (this.settings.delayMs > 0) await new Promise((r) => setTimeout(r, this.settings.delayMs));
    this.onClosing();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const idle = await this.generations.whenIdle(this.settings.timeoutMs);
    const cut = idle ? 0 : this.generations.inFlight();
    // Connections that became idle after their last answer, and (past the deadline) those still busy.
    if (idle) this.server.closeIdleConnections();
    else this.server.closeAllConnections();
    await closed;
    const outcome = { cut, ms: Date.now() - t0 };
    log?.({ level: cut > 0 ? 'warn' : 'info', event: 'drain_finished', cut, ms: outcome.ms });
    return outcome;
  }
}
