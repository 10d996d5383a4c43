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

  it('chargeLimits runs on the store\'s clock: a GCRA key refuses until its interval has passed by that clock', async () => {
    const s = make();
    const rate = { kind: 'rate' as const, key: 'n', intervalMs: 1000, burst: 1 };
    expect(await s.chargeLimits([rate])).toEqual({ admitted: true });
    expect(await s.chargeLimits([rate])).toEqual({ admitted: false, refused: 0, retryAfterMs: 1000 });
    t += 600;
    expect(await s.chargeLimits([rate])).toEqual({ admitted: false, refused: 0, retryAfterMs: 400 });
    t += 400;
    expect(await s.chargeLimits([rate])).toEqual({ admitted: true });
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
