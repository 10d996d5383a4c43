// What only the in-memory store has: an injectable clock (exact expiry boundaries without sleeping) and the sweep
// that bounds memory by live keys. The behaviour shared with Redis is in store.contract.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryStore, type MemoryStore } from './memory-store.js';
import { StoreUnavailableError } from './store.js';

let t = 1_000_000;
const clock = () => t;
const stores: MemoryStore[] = [];
function make(sweepIntervalMs = 0): MemoryStore {
  const s = createMemoryStore({ now: clock, sweepIntervalMs });
  stores.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

describe('memory store with an injected clock', () => {
  it('a key lives for exactly ttlMs: present 1 ms before, gone at the TTL', async () => {
    const s = make();
    await s.set('k', 'v', 1000);
    t += 999;
    expect(await s.get('k')).toBe('v');
    t += 1;
    expect(await s.get('k')).toBeUndefined();
  });

  it('rounds a fractional TTL up, so a guard never expires early', async () => {
    const s = make();
    await s.setIfAbsent('k', 'v', 10.2);
    t += 10;
    expect(await s.get('k')).toBe('v');
    t += 1;
    expect(await s.get('k')).toBeUndefined();
  });

  it('countInWindow runs on the store\'s clock: the first count fixes the window end, the next window starts at 1', async () => {
    const s = make();
    expect(await s.countInWindow('n', 1000)).toEqual({ count: 1, remainingMs: 1000 });
    t += 600;
    expect(await s.countInWindow('n', 5000)).toEqual({ count: 2, remainingMs: 400 });
    t += 400;
    expect(await s.get('n')).toBeUndefined();
    expect(await s.countInWindow('n', 5000)).toEqual({ count: 1, remainingMs: 5000 });
    t += 4999;
    expect(await s.get('n')).toBe('1');
  });

  it('countInWindow of a non-integer value fails like Redis INCR, without echoing the value', async () => {
    const s = make();
    await s.set('k', 'secret-ish', 1000);
    const err = await s.countInWindow('k', 1000).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as Error).message).not.toContain('secret-ish');
  });

  it('expired entries are dropped on access and by sweep(): memory is bounded by live keys', async () => {
    const s = make();
    for (let i = 0; i < 1000; i++) await s.set(`short:${i}`, 'v', 100);
    for (let i = 0; i < 10; i++) await s.set(`long:${i}`, 'v', 10_000);
    expect(s.size()).toBe(1010);
    t += 100;
    await s.get('short:0');
    expect(s.size()).toBe(1009);
    s.sweep();
    expect(s.size()).toBe(10);
  });

  it('the periodic sweep runs on its own (and its timer is unref’d so it never holds the process)', async () => {
    const s = make(10);
    await s.set('k', 'v', 50);
    t += 50;
    await new Promise((r) => setTimeout(r, 60));
    expect(s.size()).toBe(0);
  });

  it('close clears the entries and stops the timer', async () => {
    const s = make(10);
    await s.set('k', 'v', 50);
    await s.close();
    expect(s.size()).toBe(0);
    await expect(s.take('k')).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
