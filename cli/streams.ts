import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CliError, type CliIo } from './io.js';

/** The conventional name for standard input (where a file is read) or standard output (where one is written). */
export const STDIO = '-';

/**
 * Refuses a command line that names standard input for more than one input (`tengine build - --key -`): stdin
 * can be read once, so the second reader would get nothing. Checked before anything is read. `uses` pairs what
 * the input is (for the message) with whether it was given as `-`.
 */
export function assertStdinOnce(uses: ReadonlyArray<readonly [string, boolean]>): void {
  const takers = uses.filter(([, isStdin]) => isStdin).map(([what]) => what);
  if (takers.length > 1) {
    throw new CliError('STDIN_TWICE', `standard input (-) is given for ${takers.join(' and ')}`, 'stdin can be read only once: pipe one of them and pass the others as files');
  }
}

/** Reads a file the user named, or standard input for `-`. Errors propagate as from readFile. */
export async function readInput(io: CliIo, path: string): Promise<Buffer> {
  return path === STDIO ? io.readStdin() : readFile(resolve(io.cwd, path));
}
