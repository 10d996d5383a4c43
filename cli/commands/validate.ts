import { Option, type Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import type { CliIo } from '../io.js';
import { displayPaths, renderGithub, renderHuman, renderJson, type ValidationReport } from '../output/render-diagnostics.js';
import { setExitCode } from '../program.js';
import { discoverConfig } from '../config/discover-config.js';

const FORMATS = ['human', 'json', 'github'] as const;
type Format = (typeof FORMATS)[number];

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

/** Loads and checks a config, returning the report validate prints (also used by build). */
export async function validateConfig(path: string, io: CliIo) {
  const loaded = await loadConfig(path, { env: io.env, cwd: io.cwd, readStdin: io.readStdin });
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
export function printReport(io: CliIo, report: ValidationReport, format: Format): void {
  if (format === 'json') io.out(renderJson(report));
  else if (format === 'github') io.out(renderGithub(report));
  // Diagnostics are validate's result, so they go to stdout (for build they go to stderr).
  else io.out(renderHuman(report, io.color));
}

/** `tengine validate [path]`: schema and semantic checks with file:line:column diagnostics. */
export function registerValidateCommand(program: Command, io: CliIo): void {
  program
    .command('validate')
    .description('Check a config (a file, or a directory holding tengine.config.yaml) and report every problem.')
    .argument('[path]', 'config file or directory, or - for stdin (default: --config, $TENGINE_CONFIG, or the nearest tengine.config.yaml up to the repository root)')
    .option('--config <path>', 'config file or directory (the same as the path argument)')
    .addOption(formatOption(FORMATS))
    .action(async (pathArg: string | undefined, opts: { config?: string; format: Format }, cmd: Command) => {
      const path = await discoverConfig(io, pathArg, opts.config);
      const format = opts.format;
      const { report } = await validateConfig(path, io);
      printReport(io, report, format);
      setExitCode(cmd, report.valid ? 0 : 1);
    });
}
