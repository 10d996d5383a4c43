import { describe, expect, it } from 'vitest';
import { createRetryBudget, RETRY_BUDGET_FLOOR, RETRY_BUDGET_WINDOW_MS } from './retry-budget.js';

/** Withdraws until refused (bounded), returning how many retries were granted. */
function drain(budget: ReturnType<typeof createRetryBudget>, now: number, max = 10_000): number {
  let n = 0;
  while (n < max && budget.tryWithdraw(now)) n++;
  return n;
}

describe('retry budget (docs/outbound.md §5 "Retry budget")', () => {
  it('a quiet origin still gets the floor: 3 retries with no calls at all, then none', () => {
    const budget = createRetryBudget(20);
    expect(RETRY_BUDGET_FLOOR).toBe(3);
    expect(drain(budget, 0)).toBe(3);
    expect(budget.tryWithdraw(0)).toBe(false);
  });

  it('retries may add at most the percentage of calls in the window, plus the floor: 100 calls at 20% → 23', () => {
    const budget = createRetryBudget(20);
    for (let i = 0; i < 100; i++) budget.deposit(i * 10);
    expect(drain(budget, 1000)).toBe(23);
  });

  it('integer arithmetic: 15 calls at 20% allow exactly 3 + 3 = 6 retries (0.2 × 15 is not 3.0000000000000004)', () => {
    const budget = createRetryBudget(20);
    for (let i = 0; i < 15; i++) budget.deposit(0);
    expect(drain(budget, 0)).toBe(6);
  });

  it('interleaved like sequential failing calls: 20 calls, one retry each wanted → 7 granted', () => {
    // Call k is granted its retry when retries so far + 1 ≤ 3 + 0.2 × k: calls 1-3 (the floor), then every fifth.
    const budget = createRetryBudget(20);
    const granted: number[] = [];
    for (let k = 1; k <= 20; k++) {
      budget.deposit(k);
      if (budget.tryWithdraw(k)) granted.push(k);
    }
    expect(granted).toEqual([1, 2, 3, 5, 10, 15, 20]);
  });

  it('percent 0 leaves only the floor; percent 100 allows one retry per call on top of it', () => {
    const none = createRetryBudget(0);
    for (let i = 0; i < 50; i++) none.deposit(0);
    expect(drain(none, 0)).toBe(3);
    const all = createRetryBudget(100);
    for (let i = 0; i < 50; i++) all.deposit(0);
    expect(drain(all, 0)).toBe(53);
  });

  it('the window slides: calls and retries older than 10 s no longer count', () => {
    const budget = createRetryBudget(20);
    for (let i = 0; i < 100; i++) budget.deposit(0);
    expect(drain(budget, 500)).toBe(23);
    // 9.5 s later the same second is still in the window: nothing new.
    expect(budget.tryWithdraw(9_500)).toBe(false);
    // Once it has slid out, both the old calls and the old retries are forgotten: the floor again.
    expect(drain(budget, RETRY_BUDGET_WINDOW_MS + 1)).toBe(3);
  });

  it('buckets expire one second at a time', () => {
    const budget = createRetryBudget(50);
    for (let i = 0; i < 10; i++) budget.deposit(0); // second 0
    for (let i = 0; i < 10; i++) budget.deposit(5_000); // second 5
    expect(drain(budget, 9_999)).toBe(3 + 10);
    // At 10.0 s second 0 leaves the window: 10 calls (second 5) allow 3 + 5, and 13 retries (second 9) are counted.
    expect(budget.tryWithdraw(10_000)).toBe(false);
    // At 15 s second 5's calls are gone too, and the 13 retries still count; at 19.x s they have slid out as well.
    expect(budget.tryWithdraw(15_000)).toBe(false);
    expect(drain(budget, 19_999)).toBe(3);
  });

  it('a long idle pause clears everything at once', () => {
    const budget = createRetryBudget(20);
    for (let i = 0; i < 1000; i++) budget.deposit(0);
    expect(drain(budget, 0)).toBe(203);
    expect(drain(budget, 3_600_000)).toBe(3);
  });
});
