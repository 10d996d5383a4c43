import { describe, expect, it } from 'vitest';
import type { DispatchOutcome } from './dispatch.js';
import { progressTokenOf, runWithProgress } from './progress-stream.js';

const RESULT: DispatchOutcome = { status: 200, body: '{"jsonrpc":"2.0","id":1,"result":{"content":[]}}' };
const later = <T>(ms: number, v: T) => new Promise<T>((r) => setTimeout(() => r(v), ms));
const events = (chunks: string[]) => chunks.map((c) => JSON.parse(c.slice('event: message\ndata: '.length)) as Record<string, any>);

describe('progressTokenOf (MCP utilities/progress: a string or an integer in params._meta)', () => {
  it('reads the token of a tools/call request only', () => {
    const call = (token: unknown, method = 'tools/call', id: unknown = 1) => ({ jsonrpc: '2.0', id, method, params: { name: 't', _meta: { progressToken: token } } });
    expect(progressTokenOf(call('abc'))).toBe('abc');
    expect(progressTokenOf(call(42))).toBe(42);
    expect(progressTokenOf(call(1.5))).toBeUndefined();
    expect(progressTokenOf(call(''))).toBeUndefined();
    expect(progressTokenOf(call('x'.repeat(257)))).toBeUndefined();
    expect(progressTokenOf(call({ a: 1 }))).toBeUndefined();
    expect(progressTokenOf(call('abc', 'tools/list'))).toBeUndefined();
    expect(progressTokenOf({ jsonrpc: '2.0', method: 'tools/call', params: { _meta: { progressToken: 'abc' } } })).toBeUndefined(); // a notification
    expect(progressTokenOf({ jsonrpc: '2.0', id: 1, method: 'tools/call' })).toBeUndefined();
    expect(progressTokenOf(null)).toBeUndefined();
  });
});

describe('runWithProgress', () => {
  it('a call that finishes within the interval comes back as is: no stream', async () => {
    const r = await runWithProgress('t', 200, () => later(5, RESULT));
    expect(r).toEqual({ done: RESULT });
  });

  it('a slow call becomes a stream: a notification at once, one per interval, retries reported, the response last', async () => {
    const r = await runWithProgress('t', 30, async (observer) => {
      observer.attempt(1, 2);
      await later(80, null);
      observer.retrying(1, 'HTTP 503', 400);
      observer.attempt(2, 2);
      return later(40, RESULT);
    });
    expect('stream' in r).toBe(true);
    const chunks: string[] = [];
    const outcome = await (r as { stream: (w: (c: string) => void) => Promise<DispatchOutcome> }).stream((c) => chunks.push(c));
    expect(outcome).toBe(RESULT);
    const all = events(chunks);
    expect(all.at(-1)).toEqual(JSON.parse(RESULT.body!));
    const progress = all.slice(0, -1);
    expect(progress.length).toBeGreaterThanOrEqual(3);
    for (const p of progress) expect(p).toMatchObject({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 't' } });
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.params.progress).toBeGreaterThan(progress[i - 1]!.params.progress);
    const messages = progress.map((p) => p.params.message as string);
    expect(messages[0]).toMatch(/^attempt 1 of 2, 0\.\d s elapsed$/);
    expect(messages).toContainEqual(expect.stringMatching(/^attempt 1 failed \(HTTP 503\), retrying in 0\.4 s; attempt 1 of 2, /));
    expect(messages).toContainEqual(expect.stringMatching(/^attempt 2 of 2, /));
  });

  it('after the client goes away nothing more is written, not even the response', async () => {
    const controller = new AbortController();
    const r = await runWithProgress('t', 20, () => later(150, RESULT), controller.signal);
    const chunks: string[] = [];
    const done = (r as { stream: (w: (c: string) => void) => Promise<DispatchOutcome> }).stream((c) => chunks.push(c));
    await later(50, null);
    controller.abort();
    const written = chunks.length;
    await done;
    expect(written).toBeGreaterThanOrEqual(1);
    expect(chunks.length).toBe(written);
  });
});
