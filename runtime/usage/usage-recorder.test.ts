// The usage recorder (docs/usage.md "Usage records"): the in-memory aggregate, its writes to the store, its bounds
// and its retries. On the real in-memory store with an injected clock shared by store and recorder; the store
// outage is that same store behind a switch that makes it fail as a Redis outage does (StoreUnavailableError). The
// real Redis restart is in test/usage-records.test.ts.
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../store/memory-store.js';
import { type Store, StoreUnavailableError } from '../store/store.js';
import { DAY_MS, HOUR_MS, recordKey } from './record-keys.js';
import type { UsageRecordSettings } from './record-settings.js';
import { UsageRecorder } from './usage-recorder.js';

const T0 = Date.UTC(2026, 11, 7, 8, 15); // 2026-12-07T08:15Z
const SETTINGS: UsageRecordSettings = { enabled: true, hourlyRetentionMs: 2 * DAY_MS, dailyRetentionMs: 30 * DAY_MS };

function setup(opts: { maxRows?: number; maxPendingFields?: number } = {}) {
  const clock = { t: T0 };
  const now = () => clock.t;
  const memory = createMemoryStore({ now, sweepIntervalMs: 0 });
  const outage = { down: false, writes: 0 };
  // The real store, failing like an unreachable Redis while `down` (every other operation passes through).
  const store: Store = Object.assign(Object.create(memory) as Store, {
    incrementFields: async (key: string, inc: Record<string, number>, ttl: number) => {
      if (outage.down) throw new StoreUnavailableError('redis incrementFields failed: the connection is closed');
      outage.writes++;
      return memory.incrementFields(key, inc, ttl);
    },
  });
  const logs: Record<string, unknown>[] = [];
  const recorder = new UsageRecorder({ store, settings: SETTINGS, now, flushIntervalMs: 0, log: (e) => logs.push(e), ...opts });
  return { clock, memory, outage, recorder, logs };
}

describe('usage recorder', () => {
  it('aggregates calls per integration, tool and member and writes hourly and daily hashes with every metric', async () => {
    const { memory, recorder } = setup();
    recorder.record('crm', 'backend', 'alice', 'get_contact', 'OK', 12.5, 100, 400);
    recorder.record('crm', 'backend', 'alice', 'get_contact', 'OK', 7.5, 100, 600);
    recorder.record('crm', 'backend', 'alice', 'get_contact', 'UPSTREAM_HTTP_ERROR', 20, 90, 0);
    recorder.record('crm', 'backend', 'bob smith', 'get_contact', 'USAGE_LIMIT_EXCEEDED', undefined, 80, 0);
    recorder.record('crm', 'backend', undefined, 'list', 'OK', 1.25, 50, 10);
    expect(recorder.held()).toEqual({ rows: 3, pendingFields: 0 });
    await recorder.flush();
    const hourly = await memory.readFields(recordKey('crm', 'h', Date.UTC(2026, 11, 7, 8)));
    expect(hourly).toEqual({
      'backend get_contact c alice': '3',
      'backend get_contact e alice': '1',
      'backend get_contact e:UPSTREAM_HTTP_ERROR alice': '1',
      'backend get_contact n alice': '3',
      'backend get_contact us alice': '40000',
      'backend get_contact bi alice': '290',
      'backend get_contact bu alice': '1000',
      'backend get_contact c bob smith': '1',
      'backend get_contact e bob smith': '1',
      'backend get_contact e:USAGE_LIMIT_EXCEEDED bob smith': '1',
      'backend get_contact bi bob smith': '80',
      'backend list c ': '1',
      'backend list n ': '1',
      'backend list us ': '1250',
      'backend list bi ': '50',
      'backend list bu ': '10',
    });
    expect(await memory.readFields(recordKey('crm', 'd', Date.UTC(2026, 11, 7)))).toEqual(hourly);
    expect(recorder.held()).toEqual({ rows: 0, pendingFields: 0 });
  });

  it('keys expire at the end of their bucket plus the retention (hourly and daily apart)', async () => {
    const { clock, memory, recorder } = setup();
    recorder.record('crm', 'backend', 'alice', 't', 'OK', 1, 1, 1);
    await recorder.flush();
    const hourKey = recordKey('crm', 'h', Date.UTC(2026, 11, 7, 8));
    const dayKey = recordKey('crm', 'd', Date.UTC(2026, 11, 7));
    clock.t = Date.UTC(2026, 11, 7, 9) + SETTINGS.hourlyRetentionMs - 1;
    expect(await memory.readFields(hourKey)).not.toEqual({});
    clock.t += 1;
    expect(await memory.readFields(hourKey)).toEqual({});
    expect(await memory.readFields(dayKey)).not.toEqual({});
    clock.t = Date.UTC(2026, 11, 8) + SETTINGS.dailyRetentionMs;
    expect(await memory.readFields(dayKey)).toEqual({});
  });

  it('calls either side of midnight UTC land in their own hourly and daily buckets', async () => {
    const { clock, memory, recorder } = setup();
    clock.t = Date.UTC(2026, 11, 7, 23, 59, 59, 999);
    recorder.record('crm', 'backend', 'alice', 't', 'OK', undefined, 0, 0);
    clock.t += 1;
    recorder.record('crm', 'backend', 'alice', 't', 'OK', undefined, 0, 0);
    recorder.record('crm', 'backend', 'alice', 't', 'OK', undefined, 0, 0);
    await recorder.flush();
    expect(await memory.readFields('usage:rec:crm:h:2026120723')).toEqual({ 'backend t c alice': '1' });
    expect(await memory.readFields('usage:rec:crm:h:2026120800')).toEqual({ 'backend t c alice': '2' });
    expect(await memory.readFields('usage:rec:crm:d:20261207')).toEqual({ 'backend t c alice': '1' });
    expect(await memory.readFields('usage:rec:crm:d:20261208')).toEqual({ 'backend t c alice': '2' });
  });

  it('beyond maxRows distinct rows, calls are counted in the project overflow row "* *" and it is logged once', async () => {
    const { memory, recorder, logs } = setup({ maxRows: 2 });
    for (let i = 0; i < 10; i++) recorder.record('crm', 'backend', `m${i}`, 't', i % 2 ? 'OK' : 'UPSTREAM_TIMEOUT', undefined, 1, 0);
    recorder.record('crm', 'backend', 'm0', 't', 'OK', undefined, 1, 0); // an existing row still takes its calls
    expect(recorder.held().rows).toBe(2);
    await recorder.flush();
    const fields = await memory.readFields('usage:rec:crm:h:2026120708');
    expect(fields['backend t c m0']).toBe('2');
    expect(fields['backend t c m1']).toBe('1');
    expect(fields['* * c ']).toBe('8');
    expect(fields['* * e:UPSTREAM_TIMEOUT ']).toBe('4');
    expect(Object.keys(fields).filter((f) => f.endsWith(' m2'))).toEqual([]);
    expect(logs.filter((l) => l.event === 'usage_records_overflow')).toEqual([expect.objectContaining({ level: 'warn', calls: 8, max_rows: 2 })]);
  });

  it('a store outage loses nothing: writes are retried every flush and merged with new calls, each counted once', async () => {
    const { clock, memory, outage, recorder, logs } = setup();
    recorder.record('crm', 'backend', 'alice', 't', 'OK', 2, 10, 20);
    await recorder.flush();
    outage.down = true;
    for (let s = 0; s < 5; s++) {
      clock.t += 1000;
      recorder.record('crm', 'backend', 'alice', 't', 'OK', 2, 10, 20);
      recorder.record('crm', 'backend', 'bob', 't', 'UPSTREAM_HTTP_ERROR', 3, 10, 0);
      await recorder.flush();
    }
    expect(recorder.held().pendingFields).toBeGreaterThan(0);
    expect(logs.filter((l) => l.event === 'usage_records_unwritten')).toHaveLength(1);
    outage.down = false;
    clock.t += 1000;
    await recorder.flush();
    expect(recorder.held()).toEqual({ rows: 0, pendingFields: 0 });
    const fields = await memory.readFields('usage:rec:crm:d:20261207');
    expect(fields['backend t c alice']).toBe('6');
    expect(fields['backend t us alice']).toBe('12000');
    expect(fields['backend t c bob']).toBe('5');
    expect(fields['backend t e:UPSTREAM_HTTP_ERROR bob']).toBe('5');
    expect(await memory.readFields('usage:rec:crm:h:2026120708')).toEqual(fields);
  });

  it('what waits for a retry is bounded: past maxPendingFields the oldest hashes are dropped and it is logged', async () => {
    const { clock, memory, outage, recorder, logs } = setup({ maxPendingFields: 4 });
    outage.down = true;
    recorder.record('crm', 'backend', 'alice', 't', 'OK', undefined, 0, 0); // hour 08: 2 hashes × 1 field
    await recorder.flush();
    expect(recorder.held().pendingFields).toBe(2);
    clock.t += HOUR_MS;
    recorder.record('crm', 'backend', 'alice', 't', 'OK', undefined, 0, 0); // hour 09 and the same day
    recorder.record('crm', 'backend', 'bob', 't', 'OK', undefined, 0, 0);
    await recorder.flush();
    expect(recorder.held().pendingFields).toBeLessThanOrEqual(4);
    expect(logs.filter((l) => l.event === 'usage_records_dropped')).toEqual([expect.objectContaining({ level: 'error', max_pending_fields: 4 })]);
    outage.down = false;
    await recorder.flush();
    // The oldest hash (hour 08) was dropped; hour 09 survived.
    expect(await memory.readFields('usage:rec:crm:h:2026120708')).toEqual({});
    expect(await memory.readFields('usage:rec:crm:h:2026120709')).toEqual({ 'backend t c alice': '1', 'backend t c bob': '1' });
  });

  it('records held past their retention (a long outage) are dropped, not written with a TTL already passed', async () => {
    const { clock, memory, outage, recorder } = setup();
    outage.down = true;
    recorder.record('crm', 'backend', 'alice', 't', 'OK', undefined, 0, 0);
    await recorder.flush();
    clock.t = Date.UTC(2026, 11, 7, 9) + SETTINGS.hourlyRetentionMs;
    outage.down = false;
    await recorder.flush();
    expect(await memory.readFields('usage:rec:crm:h:2026120708')).toEqual({});
    expect(await memory.readFields('usage:rec:crm:d:20261207')).toEqual({ 'backend t c alice': '1' });
    expect(recorder.held().pendingFields).toBe(0);
  });

  it('concurrent flushes write every call exactly once; close writes the rest and later calls are ignored', async () => {
    const { memory, recorder } = setup();
    for (let i = 0; i < 50; i++) recorder.record('crm', 'backend', `m${i % 5}`, 't', 'OK', undefined, 1, 0);
    const first = recorder.flush();
    recorder.record('crm', 'backend', 'm0', 't', 'OK', undefined, 1, 0);
    await Promise.all([first, recorder.flush(), recorder.flush()]);
    recorder.record('crm', 'backend', 'm0', 't', 'OK', undefined, 1, 0);
    await recorder.close();
    recorder.record('crm', 'backend', 'm0', 't', 'OK', undefined, 1, 0);
    await recorder.flush();
    const fields = await memory.readFields('usage:rec:crm:h:2026120708');
    expect(fields['backend t c m0']).toBe('12');
    expect(fields['backend t bi m1']).toBe('10');
  });

  it('close with the store still down logs what is lost (the documented loss window)', async () => {
    const { outage, recorder, logs } = setup();
    outage.down = true;
    recorder.record('crm', 'backend', 'alice', 't', 'OK', undefined, 0, 0);
    await recorder.close();
    expect(logs.filter((l) => l.event === 'usage_records_lost')).toEqual([expect.objectContaining({ level: 'warn', fields: 2 })]);
  });

  it('writes at most 512 fields per store call (bounded script size), every field arriving', async () => {
    const { memory, outage, recorder } = setup();
    for (let i = 0; i < 300; i++) recorder.record('crm', 'backend', `member-${i}`, 't', 'OK', undefined, 1, 0);
    await recorder.flush(); // 300 rows × 2 metrics (c, bi) = 600 fields per hash: 2 calls each for 2 hashes
    expect(outage.writes).toBe(4);
    expect(Object.keys(await memory.readFields('usage:rec:crm:d:20261207'))).toHaveLength(600);
  });
});
