/** Log levels in increasing severity. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
/** The accepted level names. */
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A structured log sink: one JSON object per line. Secrets are never passed to it. */
export type Log = (entry: Record<string, unknown>) => void;

/** Creates a logger writing JSON lines at or above `level` (entries without `level` count as info). */
export function createLogger(level: LogLevel, write: (line: string) => void): Log {
  const min = ORDER[level];
  return (entry) => {
    const l = (entry.level as LogLevel | undefined) ?? 'info';
    if ((ORDER[l] ?? 20) < min) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), level: l, ...entry })}\n`);
  };
}

/** Parses a level name, defaulting to info. */
export function parseLogLevel(v: string | undefined): LogLevel {
  return v === 'debug' || v === 'info' || v === 'warn' || v === 'error' ? v : 'info';
}
