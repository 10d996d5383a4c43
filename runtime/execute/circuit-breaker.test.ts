import { describe, expect, it } from 'vitest';
import { createCircuitBreaker, type CircuitBreaker } from './circuit-breaker.js';

const settings = { failureThreshold: 3, openForMs: 1000, halfOpenProbes: 1 };

/** Sends `n` requests at `now` that all end with `outcome`. */
function run(b: CircuitBreaker, n: number, outcome: 'success' | 'failure' | 'neutral', now: number): void {
  for (let i = 0; i < n; i++) {
    const t = b.admit(now);
    expect(t).not.toBe('refused');
    b.record(t, outcome, now, outcome === 'failure' ? `failure ${i}` : undefined);
  }
}

describe('circuit breaker state machine (docs/outbound.md §5 "Circuit breaker")', () => {
  it('opens after failure_threshold consecutive failures and refuses until open_for has passed', () => {
    const b = createCircuitBreaker(settings);
    run(b, 2, 'failure', 0);
    expect(b.state).toBe('closed');
    run(b, 1, 'failure', 10);
    expect(b.state).toBe('open');
    expect(b.lastFailure).toBe('failure 0');
    expect(b.admit(500)).toBe('refused');
    expect(b.retryAfterMs(500)).toBe(510);
    expect(b.admit(1009)).toBe('refused');
  });

  it('a success resets the count: failures must be consecutive', () => {
    const b = createCircuitBreaker(settings);
    run(b, 2, 'failure', 0);
    run(b, 1, 'success', 0);
    run(b, 2, 'failure', 0);
    expect(b.state).toBe('closed');
    run(b, 1, 'failure', 0);
    expect(b.state).toBe('open');
  });

  it('a neutral outcome (the caller went away) neither counts nor resets', () => {
    const b = createCircuitBreaker(settings);
    run(b, 2, 'failure', 0);
    run(b, 5, 'neutral', 0);
    expect(b.state).toBe('closed');
    run(b, 1, 'failure', 0);
    expect(b.state).toBe('open');
  });

  it('half-open lets exactly half_open_probes through; a successful probe closes', () => {
    const b = createCircuitBreaker(settings);
    run(b, 3, 'failure', 0);
    expect(b.admit(1010)).toBe('probe');
    expect(b.state).toBe('half_open');
    // While the probe is out, everything else is refused, told to come back in a second.
    expect(b.admit(1011)).toBe('refused');
    expect(b.retryAfterMs(1011)).toBe(1000);
    b.record('probe', 'success', 1020);
    expect(b.state).toBe('closed');
    expect(b.admit(1021)).toBe('pass');
  });

  it('a failed probe reopens for another open_for', () => {
    const b = createCircuitBreaker(settings);
    run(b, 3, 'failure', 0);
    expect(b.admit(1010)).toBe('probe');
    b.record('probe', 'failure', 1100, 'still down');
    expect(b.state).toBe('open');
    expect(b.lastFailure).toBe('still down');
    expect(b.admit(2099)).toBe('refused');
    expect(b.admit(2100)).toBe('probe');
  });

  it('with 2 probes: both must succeed to close; a neutral probe gives its place back', () => {
    const b = createCircuitBreaker({ ...settings, halfOpenProbes: 2 });
    run(b, 3, 'failure', 0);
    expect(b.admit(1000)).toBe('probe');
    expect(b.admit(1000)).toBe('probe');
    expect(b.admit(1000)).toBe('refused');
    b.record('probe', 'neutral', 1001);
    expect(b.admit(1002)).toBe('probe');
    b.record('probe', 'success', 1003);
    expect(b.state).toBe('half_open');
    // The first success does not free a place: two probes in all per half-open period.
    expect(b.admit(1004)).toBe('refused');
    b.record('probe', 'success', 1005);
    expect(b.state).toBe('closed');
  });

  it('a cancelled probe (never sent) gives its place back', () => {
    const b = createCircuitBreaker(settings);
    run(b, 3, 'failure', 0);
    expect(b.admit(1000)).toBe('probe');
    b.cancel('probe');
    expect(b.admit(1000)).toBe('probe');
  });

  it('late results of requests admitted before the breaker opened change nothing', () => {
    const b = createCircuitBreaker(settings);
    const slow = b.admit(0);
    expect(slow).toBe('pass');
    run(b, 3, 'failure', 0);
    expect(b.state).toBe('open');
    b.record(slow, 'success', 10);
    expect(b.state).toBe('open');
    expect(b.admit(1000)).toBe('probe');
    b.record(slow, 'failure', 1001);
    expect(b.state).toBe('half_open');
    b.record('probe', 'success', 1002);
    expect(b.state).toBe('closed');
    // And a stale probe result after closing changes nothing either.
    b.record('probe', 'failure', 1003);
    expect(b.state).toBe('closed');
  });
});
