import { describe, expect, it } from 'vitest';
import { createCalendar, isKnownTimeZone, proposedWindows, type QuotaPeriod } from './calendar.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const hours = (w: { startMs: number; endMs: number }) => (w.endMs - w.startMs) / 3_600_000;
const span = (period: QuotaPeriod, zone: string, when: string) => createCalendar(period, zone)(at(when));

describe('quota calendar windows (docs/usage.md#limits)', () => {
  it('a UTC day runs from midnight to midnight, labelled by its date, with both neighbours', () => {
    const s = span('day', 'UTC', '2026-12-07T10:00:00Z');
    expect([iso(s.current.startMs), iso(s.current.endMs), s.current.label]).toEqual(['2026-12-07T00:00:00.000Z', '2026-12-08T00:00:00.000Z', 'd:2026-12-07']);
    expect([s.previous.label, s.next.label]).toEqual(['d:2026-12-06', 'd:2026-12-08']);
    expect(s.previous.endMs).toBe(s.current.startMs);
    expect(s.next.startMs).toBe(s.current.endMs);
  });

  it('days start at local midnight in the time zone (Asia/Kolkata +05:30, Pacific/Chatham +13:45)', () => {
    expect(iso(span('day', 'Asia/Kolkata', '2026-12-07T20:00:00Z').current.startMs)).toBe('2026-12-07T18:30:00.000Z'); // already the 8th there
    expect(span('day', 'Asia/Kolkata', '2026-12-07T20:00:00Z').current.label).toBe('d:2026-12-08');
    expect(iso(span('day', 'Pacific/Chatham', '2026-12-07T00:00:00Z').current.startMs)).toBe('2026-12-06T10:15:00.000Z');
  });

  it('DST: the spring-forward day is 23 h and the fall-back day 25 h (Europe/Berlin 2026)', () => {
    const spring = span('day', 'Europe/Berlin', '2026-03-29T12:00:00Z').current;
    expect([iso(spring.startMs), iso(spring.endMs), hours(spring)]).toEqual(['2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z', 23]);
    const fall = span('day', 'Europe/Berlin', '2026-10-25T12:00:00Z').current;
    expect([iso(fall.startMs), iso(fall.endMs), hours(fall)]).toEqual(['2026-10-24T22:00:00.000Z', '2026-10-25T23:00:00.000Z', 25]);
  });

  it('DST at midnight (America/Santiago): a skipped midnight starts the day after the gap; a repeated one at its first occurrence', () => {
    // 2026-09-06 00:00 -04 jumps to 01:00 -03: the day starts at 04:00Z and lasts 23 h.
    const gap = span('day', 'America/Santiago', '2026-09-06T12:00:00Z').current;
    expect([iso(gap.startMs), hours(gap)]).toEqual(['2026-09-06T04:00:00.000Z', 23]);
    // 2026-04-05 00:00 -03 falls back to 2026-04-04 23:00 -04: the 4th lasts 25 h and the 5th starts at 04:00Z.
    const back = span('day', 'America/Santiago', '2026-04-05T12:00:00Z');
    expect([iso(back.current.startMs), hours(back.previous)]).toEqual(['2026-04-05T04:00:00.000Z', 25]);
  });

  it('an ISO week starts on Monday, whatever the day of the call, also across a month and a year end', () => {
    for (const day of ['2026-12-07T00:30:00Z', '2026-12-09T12:00:00Z', '2026-12-13T23:59:59Z']) {
      const s = span('week', 'UTC', day);
      expect([s.current.label, iso(s.current.startMs), hours(s.current)]).toEqual(['w:2026-12-07', '2026-12-07T00:00:00.000Z', 168]);
    }
    const yearEnd = span('week', 'UTC', '2027-01-01T12:00:00Z'); // a Friday
    expect([yearEnd.current.label, yearEnd.previous.label, yearEnd.next.label]).toEqual(['w:2026-12-28', 'w:2026-12-21', 'w:2027-01-04']);
  });

  it('months: end of a 31-day month, a leap February, and December into January, in a zone west of UTC', () => {
    const jan = span('month', 'UTC', '2027-01-31T23:59:59Z');
    expect([jan.current.label, iso(jan.current.endMs), jan.next.label]).toEqual(['m:2027-01', '2027-02-01T00:00:00.000Z', 'm:2027-02']);
    const feb = span('month', 'UTC', '2028-02-15T12:00:00Z').current;
    expect([feb.label, hours(feb)]).toEqual(['m:2028-02', 29 * 24]);
    // 23:00Z on Dec 31 is 15:00 in Los Angeles: still December there, which ends at 08:00Z.
    const la = span('month', 'America/Los_Angeles', '2026-12-31T23:00:00Z');
    expect([la.current.label, iso(la.current.endMs), la.next.label]).toEqual(['m:2026-12', '2027-01-01T08:00:00.000Z', 'm:2027-01']);
    // November in Los Angeles has the fall-back hour: 30 days and one hour.
    expect(hours(la.previous)).toBe(30 * 24 + 1);
  });

  it('proposes the window holding now and the nearer neighbour (the store picks the one holding its own time)', () => {
    const cal = createCalendar('day', 'UTC');
    const morning = at('2026-12-07T03:00:00Z');
    expect(proposedWindows(cal(morning), morning).map((w) => w.label)).toEqual(['d:2026-12-07', 'd:2026-12-06']);
    const evening = at('2026-12-07T21:00:00Z');
    expect(proposedWindows(cal(evening), evening).map((w) => w.label)).toEqual(['d:2026-12-07', 'd:2026-12-08']);
  });

  it('caches the span within a window and moves on at its end', () => {
    const cal = createCalendar('day', 'UTC');
    const a = cal(at('2026-12-07T01:00:00Z'));
    expect(cal(at('2026-12-07T23:59:59.999Z'))).toBe(a);
    expect(cal(at('2026-12-08T00:00:00Z')).current.label).toBe('d:2026-12-08');
  });

  it('knows IANA zones and refuses made-up ones', () => {
    expect(isKnownTimeZone('Europe/Berlin')).toBe(true);
    expect(isKnownTimeZone('UTC')).toBe(true);
    expect(isKnownTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isKnownTimeZone('')).toBe(false);
  });
});
