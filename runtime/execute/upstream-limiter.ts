import type { CancelSignal } from './cancel-signal.js';

/** Why a wait for a slot ended without one. */
export type LimiterRefusal = 'full' | 'timeout' | 'aborted';

/** A concurrency cap for one upstream origin with a bounded first-in-first-out wait queue. */
export interface UpstreamLimiter {
  /** Requests holding a slot. */
  readonly inFlight: number;
  /** Calls waiting for a slot. */
  readonly queued: number;
  /** Takes a slot when one is free (never while others wait: the queue is served first). No allocation, no timer. */
  tryAcquire(): boolean;
  /**
   * Waits in line for a slot, at most `timeoutMs` and until `signal` aborts; `full` at once when `maxQueued` calls
   * already wait. Resolves `true` holding a slot, which the caller must `release`.
   */
  wait(timeoutMs: number, signal?: CancelSignal): Promise<true | LimiterRefusal>;
  /** Frees a slot; the longest-waiting call gets it. */
  release(): void;
}

interface Waiter {
  resolve(v: true | LimiterRefusal): void;
  timer: NodeJS.Timeout;
  signal: CancelSignal | undefined;
  onAbort: () => void;
  prev: Waiter | undefined;
  next: Waiter | undefined;
}

// Node timers overflow above 2^31-1 ms and then fire at once.
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Creates a limiter allowing `maxConcurrent` requests at once and `maxQueued` waiting. Calls beyond both are
 * refused at once, so a hung upstream costs a bounded number of pending calls (and of timers: one per waiting call,
 * none on the fast path) instead of an ever-growing queue that stalls the process when it drains.
 */
export function createUpstreamLimiter(maxConcurrent: number, maxQueued: number): UpstreamLimiter {
  let inFlight = 0;
  let queued = 0;
  // A doubly linked list: a waiter that times out or is cancelled leaves from the middle in O(1).
  let head: Waiter | undefined;
  let tail: Waiter | undefined;
  const unlink = (w: Waiter): void => {
    if (w.prev) w.prev.next = w.next;
    else head = w.next;
    if (w.next) w.next.prev = w.prev;
    else tail = w.prev;
    w.prev = w.next = undefined;
    queued--;
    clearTimeout(w.timer);
    w.signal?.removeEventListener('abort', w.onAbort);
  };
  return {
    get inFlight() {
      return inFlight;
    },
    get queued() {
      return queued;
    },
    tryAcquire() {
      // Slots are handed straight to waiters on release, so a free slot means nobody is waiting.
      if (inFlight >= maxConcurrent) return false;
      inFlight++;
      return true;
    },
    wait(timeoutMs, signal) {
      if (signal?.aborted) return Promise.resolve('aborted');
      if (inFlight < maxConcurrent) {
        inFlight++;
        return Promise.resolve(true);
      }
      if (queued >= maxQueued) return Promise.resolve('full');
      return new Promise((resolve) => {
        const w: Waiter = {
          resolve,
          signal,
          prev: tail,
          next: undefined,
          onAbort: () => {
            unlink(w);
            resolve('aborted');
          },
          timer: setTimeout(() => {
            unlink(w);
            resolve('timeout');
          }, Math.min(MAX_TIMER_MS, Math.max(1, timeoutMs))),
        };
        if (tail) tail.next = w;
        else head = w;
        tail = w;
        queued++;
        signal?.addEventListener('abort', w.onAbort, { once: true });
      });
    },
    release() {
      const w = head;
      if (w) {
        // The slot passes to the first waiter: inFlight stays the same.
        unlink(w);
        w.resolve(true);
        return;
      }
      if (inFlight > 0) inFlight--;
    },
  };
}
