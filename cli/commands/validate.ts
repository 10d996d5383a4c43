import { Option, type Command } from 'commander';
import { AUTO_PROGRESS_TOOLS, progressReporter, type ProgressReporter } from '../output/progress.js';
import { CliError, type CliIo } from '../io.js';
import { displayPaths, renderGithub, renderHuman, renderJson, type ValidationReport } from '../output/render-diagnostics.js';
import { PACKAGE_VERSION, setExitCode } from '../program.js';
import { renderJunit } from '../output/render-junit.js';
import { renderSarif } from '../output/render-sarif.js';
import { discoverConfig } from '../config/discover-config.js';

const FORMATS = ['human', 'json', 'github', 'sarif', 'junit'] as const;
type Format = (typeof FORMATS)[number];
const FAIL_ON = ['error', 'warning'] as const;

/**
 * The format when none was given: GitHub annotations inside a GitHub Actions job (GITHUB_ACTIONS=true), so a bare
 * `tengine validate` annotates the pull request; human text everywhere else.
 */
export function defaultFormat<F extends string>(io: CliIo, github: F | undefined, human: F): F {
  return github !== undefined && io.env.GITHUB_ACTIONS === 'true' ? github : human;
}

/**
 * The `-f, --format` option every command with a result takes, with the same help text and the same usage error
 * (BAD_ARGUMENT, with the allowed values as the hint) everywhere.
 */
export function formatOption(formats: readonly string[], description = 'output format'): Option {
  return new Option('-f, --format <format>', description).choices(formats).default('human');
}

/**
 * Counts what a config declares, for summaries. It also counts an invalid config (the merged data as read), so
 * it reads every level defensively: only lists are counted.
 */
export function countConfig(config: unknown) {
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  const field = (v: unknown, key: string): unknown => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined);
  const projects = list(field(config, 'projects'));
  return {
    projects: projects.length,
    tools: projects.reduce<number>((n, p) => n + list(field(p, 'tools')).length, 0),
    integrations: projects.reduce<number>((n, p) => n + list(field(p, 'integrations')).length, 0),
  };
}

/** The `--progress` / `--no-progress` pair of the commands that load a config (output/progress.ts). */
export function addProgressOptions(cmd: Command): Command {
  return cmd
    .option('--progress', `progress lines on stderr while a large config is read and checked (default: on a terminal, for configs over ${AUTO_PROGRESS_TOOLS} tools)`)
    .option('--no-progress', 'no progress on stderr, even on a terminal');
}

/** Loads and checks a config, returning the report validate prints (also used by build). */
export async function validateConfig(path: string, io: CliIo, progress?: ProgressReporter) {
  // The loader (YAML parsers, schema validators, rules) is loaded when a command reads a config, not for --help.
  const { loadConfig } = await import('../config/load-config.js');
  const loaded = await loadConfig(path, { env: io.env, cwd: io.cwd, readStdin: io.readStdin, progress: progress && ((e) => progress.load(e)) });
  const report: ValidationReport = {
    valid: loaded.config !== undefined,
    root: displayPaths([loaded.rootFile], io.cwd)[0]!,
    files: displayPaths(loaded.files, io.cwd),
    diagnostics: loaded.diagnostics,
    counts: countConfig(loaded.config ?? loaded.data),
  };
  return { loaded, report };
}

/** Writes a validation report in the chosen format. */
export function printReport(io: CliIo, report: ValidationReport, format: Format, warningsFail = false): void {
  if (format === 'json') io.out(renderJson(report));
  else if (format === 'github') io.out(renderGithub(report));
  else if (format === 'sarif') io.out(renderSarif(report, PACKAGE_VERSION));
  else if (format === 'junit') io.out(renderJunit(report, warningsFail));
  // Diagnostics are validate's result, so they go to stdout (for build they go to stderr).
  else io.out(renderHuman(report, io.color));
}

/** `tengine validate [path]`: schema and semantic checks with file:line:column diagnostics. */
export function registerValidateCommand(program: Command, io: CliIo): void {
  const command = program
    .command('validate')
    .description('Check a config (a file, or a directory holding tengine.config.yaml) and report every problem.')
    .argument('[path]', 'config file or directory, or - for stdin (default: --config, $TENGINE_CONFIG, or the nearest tengine.config.yaml up to the repository root)')
    .option('--config <path>', 'config file or directory (the same as the path argument)')
    .addOption(new Option('-f, --format <format>', 'output format (default: github when GITHUB_ACTIONS=true, else human)').choices(FORMATS))
    .option('--fail-on <severity>', 'exit 1 on diagnostics of this severity or worse: error or warning (default: $TENGINE_VALIDATE_FAIL_ON, else error)');
  addProgressOptions(command).action(async (pathArg: string | undefined, opts: { config?: string; format?: Format; failOn?: string; progress?: boolean }, cmd: Command) => {
      const failOn = opts.failOn ?? (io.env.TENGINE_VALIDATE_FAIL_ON || 'error');
      if (!(FAIL_ON as readonly string[]).includes(failOn)) throw new CliError('BAD_ARGUMENT', `--fail-on "${failOn}" is not a severity`, `use one of: ${FAIL_ON.join(', ')}`);
      const path = await discoverConfig(io, pathArg, opts.config);
      const format = opts.format ?? defaultFormat<Format>(io, 'github', 'human');
      const progress = progressReporter(io, opts.progress);
      const { report } = await validateConfig(path, io, progress).finally(() => progress.done());
      const warningsFail = failOn === 'warning';
      printReport(io, report, format, warningsFail);
      setExitCode(cmd, report.valid && !(warningsFail && report.diagnostics.length > 0) ? 0 : 1);
    });
}
