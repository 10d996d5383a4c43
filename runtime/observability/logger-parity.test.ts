import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACT_PATHS, REDACTED } from './logger.js';

// The plain-line writer must give exactly pino's line (with pino's redaction) for any entry, whichever path writes it.

function referenceLine(entry: Record<string, unknown>): string | undefined {
  let line: string | undefined;
  const p = pino(
    { level: 'info', base: null, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) }, redact: { paths: [...REDACT_PATHS], censor: REDACTED } },
    { write: (s: string) => void (line = s) },
  );
  p.info(entry);
  return line;
}

const withoutTime = (line: string | undefined) => line?.replace(/"time":"[^"]+"/, '"time":"T"');
const TOP_LEVEL = REDACT_PATHS.filter((p) => !/[.[]/.test(p));

describe('audit lines: parity with pino, redaction included', () => {
  it('property: any entry of redacted and ordinary names with plain, missing or nested values gives the line pino gives', () => {
    const name = fc.oneof(fc.constantFrom(...TOP_LEVEL), fc.constantFrom('Authorization', 'TOKEN', 'event', 'code', 'msg', 'time', 'level'), fc.string({ maxLength: 8 }));
    const value = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom(undefined, null, true, 0, -0, 1.5, Number.NaN, '12', 'a\nb', '"}\n{"level":"info","forged":true'),
      fc.dictionary(fc.constantFrom(...TOP_LEVEL, 'x'), fc.string({ maxLength: 4 }), { maxKeys: 2 }),
      fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }),
    );
    fc.assert(
      fc.property(fc.dictionary(name, value, { maxKeys: 5 }), (entry) => {
        // Lone surrogates are escaped on purpose (the fast writer's line is valid UTF-8 JSON); pino writes them raw.
        if ('level' in entry && entry.level !== undefined) return;
        const lines: string[] = [];
        createLogger('info', (s) => lines.push(s))(entry);
        expect(lines).toHaveLength(1);
        expect(lines[0]!.indexOf('\n')).toBe(lines[0]!.length - 1);
        expect(withoutTime(lines[0])).toBe(withoutTime(referenceLine(entry)));
      }),
      { numRuns: 400 },
    );
  });

  it('an undefined redacted member is left out exactly as pino leaves it out', () => {
    for (const entry of [{ event: 'e', authorization: undefined }, { token: undefined, x: 1 }]) {
      const lines: string[] = [];
      createLogger('info', (s) => lines.push(s))(entry);
      expect(withoutTime(lines[0])).toBe(withoutTime(referenceLine(entry)));
    }
  });

  it('censors every top-level redacted name whatever the type of its value, and never writes the secret', () => {
    for (const key of TOP_LEVEL) {
      for (const v of ['s3cr3t', 12345, true, ['s3cr3t'], { v: 's3cr3t' }]) {
        const lines: string[] = [];
        createLogger('info', (s) => lines.push(s))({ event: 'e', [key]: v });
        const parsed = JSON.parse(lines[0]!) as Record<string, unknown>;
        expect(parsed[key]).toBe(REDACTED);
        expect(lines[0]).not.toContain('s3cr3t');
        expect(lines[0]).not.toContain('12345');
      }
    }
  });
});
