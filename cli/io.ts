import process from 'node:process';

/** Where a command writes: results to `out`, progress and diagnostics for humans to `err`. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Reads all of standard input (for `tengine secret encrypt`). */
  readStdin(): Promise<Buffer>;
  /** True when `out` is a terminal and colour is not disabled by `NO_COLOR`. */
  color: boolean;
  /** The same for `err`: text written to stderr is coloured only when stderr itself is a terminal. */
  errColor?: boolean;
  /** True when `err` is a terminal: progress is then shown on its own for large configs (output/progress.ts). */
  errIsTTY?: boolean;
  /** True when standard input is a terminal (nothing piped in): commands that read stdin say what they wait for. */
  stdinIsTTY?: boolean;
  env: Record<string, string | undefined>;
  cwd: string;
  /** True when `err` is this process's own stderr (not a test buffer): `tengine serve` then logs through a buffered destination on fd 2. */
  errIsProcessStderr?: boolean;
}

/** Thrown by a command for a user-facing failure; main.ts prints it and exits with `exitCode`. */
export class CliError extends Error {
  /** Further problems of the same failure (one per line, printed indented under the error line). */
  details: string[] = [];
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

/**
 * Colour for a stream. `NO_COLOR` set to a non-empty value (no-color.org) always wins; then `FORCE_COLOR`
 * (force-color.org: non-empty turns colour on even in a pipe or a CI log, `0` or `false` turns it off); else a
 * terminal that is not TERM=dumb. `--no-color` is applied on top by runCli.
 */
export function colorAllowed(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  if (env.NO_COLOR) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force.toLowerCase() !== 'false';
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

/**
 * A writer for a process stream that goes quiet once the reader has gone (`tengine validate | head`): the EPIPE
 * would otherwise be an unhandled 'error' event, a stack trace, instead of the command's own exit code.
 */
function quietWriter(stream: NodeJS.WriteStream): (text: string) => void {
  let closed = false;
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') closed = true;
    else throw e;
  });
  return (text) => {
    if (!closed) stream.write(text);
  };
}

/** The io of the real process. */
export function processIo(): CliIo {
  return {
    out: quietWriter(process.stdout),
    err: quietWriter(process.stderr),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    },
    color: colorAllowed(process.stdout, process.env),
    errColor: colorAllowed(process.stderr, process.env),
    stdinIsTTY: Boolean(process.stdin.isTTY),
    errIsTTY: Boolean(process.stderr.isTTY),
    env: process.env,
    cwd: process.cwd(),
    errIsProcessStderr: true,
  };
}

/** An io that captures output in memory, for tests. */
export function memoryIo(opts: { stdin?: string | Buffer; stdinIsTTY?: boolean; env?: Record<string, string | undefined>; cwd?: string } = {}) {
  const buf = { out: '', err: '' };
  const io: CliIo = {
    out: (t) => void (buf.out += t),
    err: (t) => void (buf.err += t),
    readStdin: async () => Buffer.from(opts.stdin ?? ''),
    color: false,
    errColor: false,
    stdinIsTTY: opts.stdinIsTTY ?? false,
    env: opts.env ?? {},
    cwd: opts.cwd ?? process.cwd(),
  };
  return { io, buf };
}
