import { Command, CommanderError } from 'commander';
import { CliError, type CliIo } from './io.js';
import { registerCommands } from './commands/index.js';
import { addHelpFooters } from './help-text.js';

/** Builds the `tengine` commander program bound to an io; `run` returns the exit code. */
export function createProgram(io: CliIo): Command {
  const program = new Command('tengine')
    .description('Tengine: an execution gateway for AI tool calls.')
    .version(PACKAGE_VERSION, '-V, --version')
    .exitOverride()
    // Usage errors are printed by runCli in the `error CODE: message` + hint shape of every other error, so
    // commander's own "error: ..." line is silenced. Help and version still go through writeOut/writeErr.
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s), outputError: () => {} })
    .showSuggestionAfterError(true)
    // Read by runCli before parsing (the io's colour is fixed by then); declared so commander accepts it anywhere.
    .option('--no-color', 'no ANSI colour on stdout or stderr (also NO_COLOR=1; FORCE_COLOR=1 forces it on)');
  registerCommands(program, io);
  addHelpFooters(program);
  tagUsageErrors(program);
  return program;
}

/** The CLI's version (`tengine --version`, SARIF's tool version). */
export const PACKAGE_VERSION = '0.1.0';

/** The commander codes that are not usage errors: help and version output end the parse with these. */
const NOT_USAGE_ERRORS = new Set(['commander.help', 'commander.helpDisplayed', 'commander.version', 'commander.executeSubCommandAsync']);

/** A CommanderError with the full name of the (sub)command that raised it, e.g. `tengine keys api-key`. */
type TaggedCommanderError = CommanderError & { commandPath?: string };

/** Makes every command record its own name on the errors it raises, so the hint can point at its --help. */
function tagUsageErrors(cmd: Command): void {
  cmd.exitOverride((err: TaggedCommanderError) => {
    err.commandPath ??= commandPath(cmd);
    throw err;
  });
  for (const sub of cmd.commands) tagUsageErrors(sub);
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Turns a commander usage error ("error: unknown option '--bogus'\n(Did you mean --format?)") into the CLI's
 * one-line shape: code BAD_ARGUMENT, the message without commander's prefix, and a hint (the suggestion, the
 * allowed choices, or the command's --help).
 */
export function usageError(err: TaggedCommanderError): CliError {
  const [first = '', ...rest] = err.message.replace(/^error:\s*/, '').split('\n');
  let message = first.trim();
  const suggestion = /^\(Did you mean (.+)\?\)$/.exec(rest.join(' ').trim());
  const help = `run ${err.commandPath ?? 'tengine'} --help`;
  let hint: string;
  const choices = /^(.*?)\.? Allowed choices are (.+?)\.?$/.exec(message);
  if (suggestion) hint = `did you mean ${suggestion[1]}? (${help})`;
  else if (choices) {
    message = choices[1]!;
    hint = `use one of: ${choices[2]}`;
  } else if (err.code === 'commander.unknownCommand') hint = `${help} for the list of commands`;
  else hint = `${help} for the flags and arguments it takes`;
  return new CliError('BAD_ARGUMENT', message, hint);
}

/** Runs the CLI with `argv` (without node and script) and returns the process exit code. Never throws. */
export async function runCli(argv: string[], rawIo: CliIo): Promise<number> {
  // Tracks whether the command wrote its result, so a JSON caller always gets exactly one document on stdout.
  let wroteOut = false;
  const noColor = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length).includes('--no-color');
  const io: CliIo = { ...rawIo, out: (t) => ((wroteOut = true), rawIo.out(t)), ...(noColor ? { color: false, errColor: false } : {}) };
  const json = wantsJson(argv);
  const program = createProgram(io);
  let exitCode = 0;
  program.hook('postAction', (_cmd, action) => {
    const code = (action as Command & { exitCodeValue?: number }).exitCodeValue;
    if (typeof code === 'number') exitCode = code;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (caught) {
    let e = caught;
    if (e instanceof CommanderError) {
      // --help and --version end with a CommanderError too; they are successes. A command group without a
      // sub-command (`tengine`, `tengine keys`) prints its help on stderr and exits 1.
      if (NOT_USAGE_ERRORS.has(e.code) || e.exitCode === 0) return e.exitCode === 0 ? 0 : 1;
      e = usageError(e);
    }
    if (e instanceof CliError) {
      if (json && !wroteOut) {
        io.out(`${JSON.stringify({ format_version: 1, ok: false, error: { code: e.code, message: e.message, ...(e.details.length ? { details: e.details } : {}), ...(e.hint ? { hint: e.hint } : {}) } }, null, 2)}\n`);
      }
      io.err(`error ${e.code}: ${e.message}\n`);
      for (const d of e.details) io.err(`  ${d}\n`);
      if (e.hint) io.err(`  hint: ${e.hint}\n`);
      return e.exitCode;
    }
    if (json && !wroteOut) io.out(`${JSON.stringify({ format_version: 1, ok: false, error: { code: 'TNG_INTERNAL', message: 'unexpected failure' } }, null, 2)}\n`);
    io.err(`error TNG_INTERNAL: unexpected failure: ${(e as Error)?.message ?? String(e)}\n  hint: this is a bug in tengine; please report it with the command you ran\n`);
    return 1;
  }
}

/** Records the exit code a command action wants main.ts to use. */
export function setExitCode(cmd: Command, code: number): void {
  (cmd as Command & { exitCodeValue?: number }).exitCodeValue = code;
}

/** True when the command line asks for JSON output (`-f json`, `--format json`, `--format=json`, `-fjson`). */
function wantsJson(argv: string[]): boolean {
  return argv.some((a, i) => a === '--format=json' || a === '-fjson' || ((a === '-f' || a === '--format') && argv[i + 1] === 'json'));
}
