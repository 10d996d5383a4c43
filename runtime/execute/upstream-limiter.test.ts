import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createUpstreamLimiter } from './upstream-limiter.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Settles pending promise callbacks. */
const flush = () => vi.advanceTimersByTimeAsync(0);

describe('upstream concurrency cap with a bounded FIFO queue (docs/outbound.md §5 "Concurrency cap")', () => {
  it('hands out max_concurrent slots at once, queues max_queued, refuses the rest at once with "full"', async () => {
    const l = createUpstreamLimiter(2, 3);
    expect(l.tryAcquire()).toBe(true);
    expect(l.tryAcquire()).toBe(true);
    expect(l.tryAcquire()).toBe(false);
    const waits = Array.from({ length: 5 }, () => l.wait(10_000));
    const settled: unknown[] = [];
    waits.forEach((p, i) => void p.then((v) => settled.push([i, v])));
    await flush();
    // Waiters 3 and 4 did not fit into the queue of 3.
    expect(settled).toEqual([
      [3, 'full'],
      [4, 'full'],
    ]);
    expect(l.inFlight).toBe(2);
    expect(l.queued).toBe(3);
  });

  it('serves the queue first in, first out; a free slot is never taken past the queue', async () => {
    const l = createUpstreamLimiter(1, 10);
    expect(l.tryAcquire()).toBe(true);
    const order: number[] = [];
    const waits = [0, 1, 2].map((i) => l.wait(10_000).then((v) => (v === true ? order.push(i) : undefined)));
    l.release();
    // The slot went to waiter 0, not to a newcomer.
    expect(l.tryAcquire()).toBe(false);
    l.release();
    l.release();
    await Promise.all(waits);
    expect(order).toEqual([0, 1, 2]);
    expect(l.inFlight).toBe(1);
    l.release();
    expect(l.inFlight).toBe(0);
    expect(l.tryAcquire()).toBe(true);
  });

  it('a waiter that reaches its timeout leaves the queue with "timeout" and frees its place', async () => {
    const l = createUpstreamLimiter(1, 1);
    expect(l.tryAcquire()).toBe(true);
    const w = l.wait(500);
    expect(await Promise.race([l.wait(500), flush().then(() => 'pending')])).toBe('full');
    await vi.advanceTimersByTimeAsync(500);
    expect(await w).toBe('timeout');
    expect(l.queued).toBe(0);
    // Its place is free again, and releasing the slot does not hand it to the departed waiter.
    const next = l.wait(500);
    l.release();
    expect(await next).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a waiter whose signal aborts leaves the queue with "aborted"; an aborted signal never queues', async () => {
    const l = createUpstreamLimiter(1, 2);
    expect(l.tryAcquire()).toBe(true);
    const ac = new AbortController();
    const first = l.wait(10_000, ac.signal);
    const second = l.wait(10_000);
    ac.abort();
    expect(await first).toBe('aborted');
    expect(l.queued).toBe(1);
    expect(await l.wait(10_000, ac.signal)).toBe('aborted');
    l.release();
    expect(await second).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('the fast path sets no timer, and max_queued 0 refuses at once when every slot is taken', async () => {
    const l = createUpstreamLimiter(1, 0);
    expect(l.tryAcquire()).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    expect(await l.wait(1000)).toBe('full');
    expect(vi.getTimerCount()).toBe(0);
    l.release();
    expect(await l.wait(1000)).toBe(true);
  });

  it('removes a waiter from the middle of the queue without disturbing the others', async () => {
    const l = createUpstreamLimiter(1, 3);
    expect(l.tryAcquire()).toBe(true);
    const ac = new AbortController();
    const got: string[] = [];
    const a = l.wait(10_000).then((v) => got.push(`a:${String(v)}`));
    const b = l.wait(10_000, ac.signal).then((v) => got.push(`b:${String(v)}`));
    const c = l.wait(10_000).then((v) => got.push(`c:${String(v)}`));
    ac.abort();
    l.release();
    l.release();
    await Promise.all([a, b, c]);
    expect(got).toEqual(['b:aborted', 'a:true', 'c:true']);
    expect(l.queued).toBe(0);
    expect(l.inFlight).toBe(1);
  });
});
