import { performance } from 'node:perf_hooks';
import type { RetryObserver } from '../execute/retry.js';
import type { DispatchOutcome } from './dispatch.js';
import type { CancelSignal } from '../execute/cancel-signal.js';

/** An MCP progress token: what the client put in `params._meta.progressToken`. */
export type ProgressToken = string | number;

/** Writes one chunk of the response stream; a chunk written after the client left is dropped. */
export type StreamWriter = (chunk: string) => void;

/** The answer to a call that outlived the interval: writes the progress events and the result, then resolves. */
export type ProgressStreamBody = (write: StreamWriter) => Promise<DispatchOutcome>;

/** Longest text of a progress message. */
const MAX_MESSAGE = 200;

/**
 * The progress token of a `tools/call`, or undefined: only a request that asks for progress (MCP 2025-06-18
 * utilities/progress: `_meta.progressToken`, a string or an integer) pays for a timer.
 */
export function progressTokenOf(message: unknown): ProgressToken | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const m = message as { method?: unknown; id?: unknown; params?: { _meta?: { progressToken?: unknown } } };
  if (m.method !== 'tools/call' || m.id === undefined) return undefined;
  const token = m.params?._meta?.progressToken;
  if (typeof token === 'string' && token.length > 0 && token.length <= 256) return token;
  if (typeof token === 'number' && Number.isSafeInteger(token)) return token;
  return undefined;
}

/**
 * Runs a call that may report progress (docs/http-api.md#progress). When it finishes within `intervalMs` its outcome
 * comes back as is and is answered as JSON like any other call. Otherwise the answer becomes a stream: a
 * `notifications/progress` event now and every `intervalMs` after (and at each retry), then the result as the last
 * event. The progress value is the elapsed time in ms, strictly increasing; no `total`, since how long an upstream
 * takes is unknown. The events also keep idle-timeout proxies from cutting a long call. When the client goes away
 * (`signal`), the timer stops at once; the abort reaches the upstream request through the same signal.
 */
export async function runWithProgress(
  token: ProgressToken,
  intervalMs: number,
  run: (observer: RetryObserver) => Promise<DispatchOutcome>,
  signal?: CancelSignal,
): Promise<{ done: DispatchOutcome } | { stream: ProgressStreamBody }> {
  const started = performance.now();
  let attempt = 0;
  let maxAttempts = 1;
  let note = '';
  let write: StreamWriter | undefined;
  let last = 0;
  const emit = (): void => {
    if (!write) return;
    const elapsed = performance.now() - started;
    last = Math.max(last + 1, Math.round(elapsed));
    const doing = attempt === 0 ? 'waiting for the upstream' : `attempt ${attempt} of ${maxAttempts}`;
    const message = `${note ? `${note}; ` : ''}${doing}, ${(elapsed / 1000).toFixed(1)} s elapsed`.slice(0, MAX_MESSAGE);
    write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: token, progress: last, message } })}\n\n`);
  };
  const observer: RetryObserver = {
    attempt(n, max) {
      attempt = n;
      maxAttempts = max;
      if (n > 1) emit();
    },
    retrying(failed, why, waitMs) {
      note = `attempt ${failed} failed (${why}), retrying in ${(waitMs / 1000).toFixed(1)} s`;
      emit();
      note = '';
    },
  };
  const pending = run(observer);
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<'slow'>((resolve) => {
    timer = setTimeout(resolve, intervalMs, 'slow');
  });
  const first = await Promise.race([pending, slow]);
  if (first !== 'slow') {
    clearTimeout(timer);
    return { done: first };
  }
  return {
    stream: async (w) => {
      write = w;
      emit();
      const ticker = setInterval(emit, intervalMs);
      const stop = (): void => {
        clearInterval(ticker);
        write = undefined;
      };
      signal?.addEventListener('abort', stop, { once: true });
      try {
        const outcome = await pending;
        clearInterval(ticker);
        if (write && outcome.body !== undefined) write(`event: message\ndata: ${outcome.body}\n\n`);
        return outcome;
      } finally {
        stop();
        signal?.removeEventListener('abort', stop);
      }
    },
  };
}
