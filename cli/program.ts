import { Command, CommanderError } from 'commander';
import { CliError, type CliIo } from './io.js';
import { registerCommands } from './commands/index.js';

/** Builds the `tengine` commander program bound to an io; `run` returns the exit code. */
export function createProgram(io: CliIo): Command {
  const program = new Command('tengine')
    .description('Tengine: an execution gateway for AI tool calls.')
    .version(PACKAGE_VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showSuggestionAfterError(true);
  registerCommands(program, io);
  return program;
}

const PACKAGE_VERSION = '0.1.0';

/** Runs the CLI with `argv` (without node and script) and returns the process exit code. Never throws. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = createProgram(io);
  let exitCode = 0;
  program.hook('postAction', (_cmd, action) => {
    const code = (action as Command & { exitCodeValue?: number }).exitCodeValue;
    if (typeof code === 'number') exitCode = code;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end with a CommanderError too; they are successes.
      return e.exitCode === 0 ? 0 : 1;
    }
    if (e instanceof CliError) {
      io.err(`error ${e.code}: ${e.message}\n`);
      if (e.hint) io.err(`  hint: ${e.hint}\n`);
      return e.exitCode;
    }
    io.err(`error TNG_INTERNAL: unexpected failure: ${(e as Error)?.message ?? String(e)}\n  hint: this is a bug in tengine; please report it with the command you ran\n`);
    return 1;
  }
}

/** Records the exit code a command action wants main.ts to use. */
export function setExitCode(cmd: Command, code: number): void {
  (cmd as Command & { exitCodeValue?: number }).exitCodeValue = code;
}
