import { pino, type DestinationStream, type Logger } from 'pino';

/** Log levels in increasing severity. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
/** The accepted level names. */
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/**
 * A structured log sink: one JSON object per line. Call sites pass plain entries (`level` defaults to info); a
 * pino-backed sink also offers `child` (fields bound once, e.g. the request id) and `flush` (at shutdown).
 */
export interface Log {
  (entry: Record<string, unknown>): void;
  /** A sink that adds `bindings` to every entry (serialized once, not per line). */
  child?: (bindings: Record<string, unknown>) => Log;
  /** Writes out buffered lines (asynchronous destinations); call before the process exits. */
  flush?: () => void;
}

/** The value that replaces a redacted field. */
export const REDACTED = '[REDACTED]';

/**
 * Fields that may carry a credential, wherever a log entry puts them: headers, tokens, secrets, assertions, cookies
 * and OAuth codes. Call sites never log these on purpose; redaction is the net under a mistake. A top-level `code` is
 * an error code (always an upper-case constant), so authorization codes are covered under their own names and
 * inside request objects only.
 */
export const REDACT_PATHS: readonly string[] = [
  'authorization',
  'cookie',
  'set-cookie',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'session_token',
  'api_key',
  'apiKey',
  'secret',
  'client_secret',
  'connect_secret',
  'auth_secret',
  'password',
  'member_assertion',
  'assertion',
  'code_verifier',
  'authorization_code',
  'arguments',
  ...['headers', 'req.headers', 'request.headers', 'upstream.headers'].flatMap((h) => [`${h}.authorization`, `${h}.cookie`, `${h}["set-cookie"]`, `${h}["x-tengine-signature"]`, `${h}["x-tengine-identity"]`, `${h}["proxy-authorization"]`]),
  ...['form', 'body', 'query', 'params'].flatMap((o) => [`${o}.code`, `${o}.client_secret`, `${o}.code_verifier`, `${o}.refresh_token`, `${o}.token`, `${o}.member_assertion`, `${o}.password`]),
];

/**
 * Creates the runtime's logger: pino writing JSON lines at or above `level`, with ISO times, string levels and
 * redaction. `write` receives each line (tests, `tengine serve` through its io); without it lines go to stderr
 * buffered (bufferedStderr). `flush()` writes out what is left at shutdown; pino also flushes on process exit.
 */
export function createLogger(level: LogLevel, write?: (line: string) => void): Log {
  const stderr = write ? undefined : bufferedStderr();
  const destination: DestinationStream = write ? { write } : stderr!;
  const logger = pino(
    {
      level,
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    },
    destination,
  );
  const fast = logger.isLevelEnabled('info') ? plainLineWriter(destination) : undefined;
  return facade(logger, stderr, fast);
}

// Top-level names that redaction censors: an entry with one of them always goes through pino's redaction.
const REDACTED_KEYS: ReadonlySet<string> = new Set(REDACT_PATHS.filter((p) => !/[.[]/.test(p)));

/**
 * Writes an info entry of plain values (strings, finite numbers, booleans, null) without pino, byte for byte the line
 * pino would write (level, ISO time, then the fields; lone surrogates escaped, as JSON.stringify does). Audit lines,
 * one per request, are such entries; going through pino's generic serializer and redaction cost several times more.
 * Returns false, writing nothing, for any entry it cannot write exactly so: objects, arrays, redacted names.
 */
function plainLineWriter(destination: DestinationStream): (entry: Record<string, unknown>) => boolean {
  const keyText = new Map<string, string>();
  return (entry) => {
    let line = '';
    for (const key in entry) {
      if (!Object.hasOwn(entry, key)) continue;
      const v = entry[key];
      let value: string;
      switch (typeof v) {
        case 'string':
          value = JSON.stringify(v);
          break;
        case 'number':
          value = Number.isFinite(v) ? String(v) : 'null';
          break;
        case 'boolean':
          value = v ? 'true' : 'false';
          break;
        case 'undefined':
          continue;
        default:
          if (v !== null) return false;
          value = 'null';
      }
      if (REDACTED_KEYS.has(key)) return false;
      let k = keyText.get(key);
      if (k === undefined) {
        k = `,${JSON.stringify(key)}:`;
        if (keyText.size < 512) keyText.set(key, k);
      }
      line += k + value;
    }
    destination.write(`{"level":"info","time":"${new Date().toISOString()}"${line}}\n`);
    return true;
  };
}

/**
 * Bytes of log lines gathered before one write to stderr. Each write goes through libuv's thread pool and wakes the
 * reader (a log shipper); at 4 KiB, about ten audit lines a write, the writes cost more CPU than building the lines.
 */
export const LOG_WRITE_BYTES = 32 * 1024;

/** Flush period of the buffered stderr destination: the longest a line waits at low traffic. */
export const LOG_FLUSH_INTERVAL_MS = 250;

/**
 * stderr, buffered: lines are gathered here and handed to sonic-boom (asynchronous writes, retried on EAGAIN, in
 * order) about LOG_WRITE_BYTES at a time, and at least every LOG_FLUSH_INTERVAL_MS. Gathering them in sonic-boom itself
 * (its minLength) measures the whole pending text on every line, which at this size costs more than the writes saved.
 */
function bufferedStderr(): DestinationStream & { flushSync(): void } {
  const dest = pino.destination({ dest: 2, sync: false, maxWrite: 2 * LOG_WRITE_BYTES });
  let pending: string[] = [];
  let size = 0;
  const handOver = (): void => {
    if (pending.length === 0) return;
    const chunk = pending.length === 1 ? pending[0]! : pending.join('');
    pending = [];
    size = 0;
    dest.write(chunk);
  };
  const timer = setInterval(() => {
    try {
      handOver();
    } catch {
      // Destroyed (shutdown) or a broken pipe: nothing more can be written anyway.
    }
  }, LOG_FLUSH_INTERVAL_MS);
  timer.unref();
  // pino flushes sonic-boom when the process exits; what is still gathered here must reach it first.
  const handOverSafely = (): void => {
    try {
      handOver();
    } catch {
      // Already ended: nothing more can be written.
    }
  };
  process.once('beforeExit', handOverSafely);
  process.once('exit', () => {
    handOverSafely();
    try {
      dest.flushSync();
    } catch {
      // Not yet open, or closed.
    }
  });
  return {
    write(line: string) {
      pending.push(line);
      // UTF-16 length: a threshold, not an exact byte count.
      size += line.length;
      if (size >= LOG_WRITE_BYTES) handOver();
    },
    flushSync() {
      handOver();
      dest.flushSync();
    },
  };
}

/** Wraps a pino logger in the `Log` façade used across runtime/ (entries carry their own `level`). */
function facade(logger: Logger, flushable?: { flushSync(): void }, plainInfo?: (entry: Record<string, unknown>) => boolean): Log {
  const log: Log = (entry) => {
    const level = entry.level;
    if (level === undefined) {
      if (plainInfo?.(entry)) return;
      return void logger.info(entry);
    }
    const { level: _drop, ...rest } = entry;
    switch (level) {
      case 'debug':
        return void logger.debug(rest);
      case 'warn':
        return void logger.warn(rest);
      case 'error':
        return void logger.error(rest);
      default:
        return void logger.info(rest);
    }
  };
  log.child = (bindings) => facade(logger.child(bindings), flushable);
  log.flush = () => {
    try {
      flushable?.flushSync();
    } catch {
      // Not yet open (nothing written) or already closed: nothing to flush.
    }
  };
  return log;
}

/** A sink with `bindings` added to every entry: the pino child when there is one, else a merging wrapper. */
export function childLog(log: Log | undefined, bindings: Record<string, unknown>): Log | undefined {
  if (!log) return undefined;
  if (log.child) return log.child(bindings);
  return (entry) => log({ ...bindings, ...entry });
}

/** Parses a level name, defaulting to info. */
export function parseLogLevel(v: string | undefined): LogLevel {
  return v === 'debug' || v === 'info' || v === 'warn' || v === 'error' ? v : 'info';
}
