/**
 * What the call path needs of "the client went away": a flag and abort listeners. An `AbortSignal` satisfies it;
 * the MCP fast path passes a `ClientGone`, because an AbortController with one listener added and removed per call
 * cost about 3 µs, a few per cent of a whole tools/call.
 */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** A one-shot cancellation fired by `abort()`: listeners run once, in the order added, and are then dropped. */
export class ClientGone implements CancelSignal {
  private fired = false;
  private listeners: (() => void)[] | undefined;

  /** True once the client went away. */
  get aborted(): boolean {
    return this.fired;
  }

  /** Every listener is a once listener: cancellation happens at most once. */
  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.fired) return;
    (this.listeners ??= []).push(listener);
  }

  /** Removes the first registration of `listener`. */
  removeEventListener(_type: 'abort', listener: () => void): void {
    const l = this.listeners;
    if (!l) return;
    const i = l.indexOf(listener);
    if (i >= 0) l.splice(i, 1);
  }

  /** Fires the listeners (once); a throwing listener does not stop the others. */
  abort(): void {
    if (this.fired) return;
    this.fired = true;
    const l = this.listeners;
    this.listeners = undefined;
    if (!l) return;
    for (const fn of l) {
      try {
        fn();
      } catch {
        // A listener's failure is its own; the others must still learn that the client left.
      }
    }
  }
}

/** Waits `ms`; resolves false early (and at once when already aborted) when the signal aborts. */
export function cancellableSleep(ms: number, signal: CancelSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
