/** A quota period: a calendar day, an ISO week (Monday to Sunday) or a calendar month. */
export type QuotaPeriod = 'day' | 'week' | 'month';

/** One calendar window in a time zone: epoch milliseconds (end exclusive) and a label for its key (`d:2026-12-07`). */
export interface CalendarWindow {
  startMs: number;
  endMs: number;
  label: string;
}

/** The window holding an instant and both its neighbours, as the quota keys need them. */
export interface CalendarSpan {
  previous: CalendarWindow;
  current: CalendarWindow;
  next: CalendarWindow;
}

/** True when `zone` is an IANA time zone this runtime's Intl knows (what `tengine validate` checks, TNG243). */
export function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Calendar windows of one period in one time zone. Local midnights come from Intl, so a day with a DST change is
 * 23 or 25 hours long, and a zone whose clocks skip midnight starts its day at the first instant after the gap. The
 * span holding the last instant asked about is cached: Intl runs once per window, not once per call.
 */
export function createCalendar(period: QuotaPeriod, timeZone: string): (now: number) => CalendarSpan {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  /** The wall-clock date and time at `t`, as if it were UTC (whole seconds). */
  const wall = (t: number): number => {
    const p: Record<string, number> = {};
    for (const part of format.formatToParts(t)) if (part.type !== 'literal') p[part.type] = Number(part.value);
    return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  };
  const offsetAt = (t: number): number => wall(t) - Math.floor(t / 1000) * 1000;
  /** The first instant whose local date is the given one (y, m 0-based, d; overflowing values roll over). */
  const startOfDay = (y: number, m: number, d: number): number => {
    const local = Date.UTC(y, m, d);
    const day = Math.floor(local / 86_400_000);
    // The offsets in force around that midnight (before and after a transition near it); the earliest candidate
    // that falls on the date is its start (a skipped midnight gives the instant after the gap).
    let best = Infinity;
    for (const probe of [local - 50_400_000, local, local + 50_400_000]) {
      const t = local - offsetAt(probe);
      if (Math.floor(wall(t) / 86_400_000) === day && t < best) best = t;
    }
    return best === Infinity ? local - offsetAt(local) : best;
  };
  /** The local date (UTC fields of the wall time) of instant t. */
  const dateOf = (t: number) => {
    const w = new Date(wall(t));
    return { y: w.getUTCFullYear(), m: w.getUTCMonth(), d: w.getUTCDate(), dow: w.getUTCDay() };
  };
  const iso = (y: number, m: number, d: number) => new Date(Date.UTC(y, m, d)).toISOString().slice(0, 10);

  /** The window `shift` periods after the one starting on the local date (y, m, d) (already a period start). */
  const windowAt = (y: number, m: number, d: number, shift: number): CalendarWindow => {
    if (period === 'day') return { startMs: startOfDay(y, m, d + shift), endMs: startOfDay(y, m, d + shift + 1), label: `d:${iso(y, m, d + shift)}` };
    if (period === 'week') return { startMs: startOfDay(y, m, d + 7 * shift), endMs: startOfDay(y, m, d + 7 * shift + 7), label: `w:${iso(y, m, d + 7 * shift)}` };
    return { startMs: startOfDay(y, m + shift, 1), endMs: startOfDay(y, m + shift + 1, 1), label: `m:${iso(y, m + shift, 1).slice(0, 7)}` };
  };

  let cached: CalendarSpan | undefined;
  return (now) => {
    if (cached !== undefined && now >= cached.current.startMs && now < cached.current.endMs) return cached;
    const { y, m, d, dow } = dateOf(now);
    // The period's first local date: the day itself, the Monday of its ISO week, the first of its month.
    const first = period === 'day' ? d : period === 'week' ? d - ((dow + 6) % 7) : 1;
    cached = { previous: windowAt(y, m, first, -1), current: windowAt(y, m, first, 0), next: windowAt(y, m, first, 1) };
    return cached;
  };
}

/** The window holding `now` and the nearer of its neighbours: what a quota check proposes to the store. */
export function proposedWindows(span: CalendarSpan, now: number): readonly [CalendarWindow, CalendarWindow] {
  const { current } = span;
  return [current, now - current.startMs < current.endMs - now ? span.previous : span.next];
}
