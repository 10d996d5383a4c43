import process from 'node:process';

/** Where a command writes: results to `out`, progress and diagnostics for humans to `err`. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Reads all of standard input (for `tengine secret encrypt`). */
  readStdin(): Promise<Buffer>;
  /** True when `out` is a terminal and colour is not disabled by `NO_COLOR`. */
  color: boolean;
  env: Record<string, string | undefined>;
  cwd: string;
}

/** Thrown by a command for a user-facing failure; main.ts prints it and exits with `exitCode`. */
export class CliError extends Error {
  /** Creates an error with a stable code, a one-line hint and the exit code to use. */
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** The io of the real process. */
export function processIo(): CliIo {
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    },
    color: Boolean(process.stdout.isTTY) && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb',
    env: process.env,
    cwd: process.cwd(),
  };
}

/** An io that captures output in memory, for tests. */
export function memoryIo(opts: { stdin?: string | Buffer; env?: Record<string, string | undefined>; cwd?: string } = {}) {
  const buf = { out: '', err: '' };
  const io: CliIo = {
    out: (t) => void (buf.out += t),
    err: (t) => void (buf.err += t),
    readStdin: async () => Buffer.from(opts.stdin ?? ''),
    color: false,
    env: opts.env ?? {},
    cwd: opts.cwd ?? process.cwd(),
  };
  return { io, buf };
}
