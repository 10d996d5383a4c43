import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACT_PATHS, REDACTED } from './logger.js';

/** pino as configured by createLogger, without the plain-line writer: the reference for what a line must be. */
function reference(): { lines: string[]; log: (e: Record<string, unknown>) => void } {
  const lines: string[] = [];
  const p = pino(
    { level: 'info', base: null, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) }, redact: { paths: [...REDACT_PATHS], censor: REDACTED } },
    { write: (s: string) => lines.push(s) },
  );
  return { lines, log: (e) => p.info(e) };
}

const withoutTime = (line: string) => line.replace(/"time":"[^"]+"/, '"time":"T"');

describe('audit lines written without pino', () => {
  it('are byte for byte the lines pino writes, for every kind of plain value', () => {
    const entries: Record<string, unknown>[] = [
      { project: 'bench', integration: 'load', tool: 'get_record', code: 'OK', audit: true, status: 200, latency_ms: 1.2, bytes_in: 123 },
      { text: 'quote " backslash \\ newline \n tab \t ctl \u0001 del \u007f line-sep \u2028 emoji 😀 é', n: -0, big: 1e21, small: 5e-7, nan: Number.NaN, inf: Number.POSITIVE_INFINITY },
      { yes: true, no: false, nothing: null, skipped: undefined, empty: '' },
      { 'weird key "1"': 1, 'ключ': 'значение' },
    ];
    for (const entry of entries) {
      const lines: string[] = [];
      createLogger('info', (s) => lines.push(s))(entry);
      const ref = reference();
      ref.log(entry);
      expect(lines).toHaveLength(1);
      expect(withoutTime(lines[0]!)).toBe(withoutTime(ref.lines[0]!));
      expect(lines[0]!.endsWith('}\n')).toBe(true);
    }
  });

  it('leave redaction to pino: a redacted name or a nested object is censored as before', () => {
    const lines: string[] = [];
    const log = createLogger('info', (s) => lines.push(s));
    log({ event: 'x', token: 'tng_secret_value', n: 1 });
    log({ event: 'y', headers: { authorization: 'Bearer abc', accept: 'json' } });
    const [a, b] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(a!.token).toBe(REDACTED);
    expect(b!.headers).toEqual({ authorization: REDACTED, accept: 'json' });
    expect(lines.join('')).not.toContain('tng_secret_value');
    expect(lines.join('')).not.toContain('Bearer abc');
  });

  it('are not written below the level', () => {
    const lines: string[] = [];
    const log = createLogger('warn', (s) => lines.push(s));
    log({ event: 'audit', code: 'OK' });
    log({ level: 'warn', event: 'w' });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn', event: 'w' });
  });
});
