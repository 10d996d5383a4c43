const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * Parses a config duration (`^[1-9][0-9]*(ms|s|m|h|d)$`, e.g. `500ms`, `10s`, `15m`) into milliseconds. Throws a
 * RangeError for anything else: durations in a bundle were validated by the CLI, so a bad one is a programmer error.
 */
export function parseDuration(text: string): number {
  const m = /^([1-9][0-9]{0,14})(ms|s|m|h|d)$/.exec(text);
  if (!m) throw new RangeError(`invalid duration "${text}" (expected e.g. 500ms, 10s, 15m, 1h, 30d)`);
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  if (!Number.isSafeInteger(ms)) throw new RangeError(`duration "${text}" is too large`);
  return ms;
}
