import type { RequestListener } from 'node:http';

/** One loaded bundle serving requests: its listener, and what to release once its last request has ended. */
export interface Generation {
  /** `sha256:<hex>` of the bundle it serves. */
  digest: string;
  listener: RequestListener;
  /** Closes what belongs to this bundle alone (its upstream connection pools). Called once, when retired and idle. */
  release: () => Promise<void>;
}

interface Tracked extends Generation {
  active: number;
  retired: boolean;
  released?: Promise<void>;
}

/**
 * Routes each request to the generation current when it arrived and counts it until its response closes. A swap
 * makes new requests go to the new generation at once while requests in flight finish on the old one, whose
 * resources are released when its count reaches zero. This is the whole of "atomic": one reference assignment.
 */
export class Generations {
  private current: Tracked;
  private readonly retiring = new Set<Tracked>();
  private readonly idleWaiters = new Set<() => void>();
  /** Responses in flight, so a drain can make them close their connections. */
  private readonly unanswered = new Set<import('node:http').ServerResponse>();
  private closing = false;

  /** Starts with the boot generation. */
  constructor(first: Generation) {
    this.current = { ...first, active: 0, retired: false };
  }

  /** The Node request listener: serves with the current generation and tracks the request until it closes. */
  readonly listener: RequestListener = (req, res) => {
    const g = this.current;
    g.active++;
    // Once the listener stops accepting (a drain), keep-alive connections must not carry further requests.
    if (this.closing) res.setHeader('Connection', 'close');
    else this.unanswered.add(res);
    res.once('close', () => {
      this.unanswered.delete(res);
      g.active--;
      if (g.active === 0) {
        if (g.retired) this.release(g);
        if (this.inFlight() === 0) for (const wake of [...this.idleWaiters]) wake();
      }
    });
    g.listener(req, res);
  };

  /** The digest of the bundle new requests are served with. */
  get digest(): string {
    return this.current.digest;
  }

  /** Makes `next` serve every request from now on; the old generation is released once its requests have ended. */
  swap(next: Generation): void {
    const old = this.current;
    this.current = { ...next, active: 0, retired: false };
    old.retired = true;
    if (old.active === 0) this.release(old);
    else this.retiring.add(old);
  }

  /**
   * From now on every answer says `Connection: close`, those being prepared for requests in flight included (their
   * headers are not sent yet), so no client sends another request on a connection that is about to close.
   */
  closeConnections(): void {
    this.closing = true;
    for (const res of this.unanswered) if (!res.headersSent) res.setHeader('Connection', 'close');
    this.unanswered.clear();
  }

  /** Requests being served now, by every generation. */
  inFlight(): number {
    let n = this.current.active;
    for (const g of this.retiring) n += g.active;
    return n;
  }

  /** Resolves true when no request is in flight, or false when `ms` pass first. */
  whenIdle(ms: number): Promise<boolean> {
    if (this.inFlight() === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.idleWaiters.delete(wake);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.idleWaiters.delete(wake);
        resolve(false);
      }, ms);
      this.idleWaiters.add(wake);
    });
  }

  /** Releases every generation, current included (at shutdown, once requests have ended or been cut). */
  async releaseAll(): Promise<void> {
    const all = [this.current, ...this.retiring];
    this.current.retired = true;
    for (const g of all) this.release(g);
    await Promise.all(all.map((g) => g.released));
  }

  private release(g: Tracked): void {
    this.retiring.delete(g);
    // A failure to close a pool must not take the process down; the pool is unreachable from now on anyway.
    g.released ??= g.release().catch(() => undefined);
  }
}
