import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { TengineConfig } from '../../schemas/config-types.js';
import type { LoadedConfig } from '../config/load-config.js';
import { CliError, type CliIo } from '../io.js';
import { displayPaths, renderHuman, renderJson, type ValidationReport } from '../output/render-diagnostics.js';
import { IGNORE_FILE_NAME } from '../plan/ignore-file-name.js';
import { setExitCode } from '../program.js';
import { assertStdinOnce, readInput, STDIO } from '../streams.js';
import { addProgressOptions, countConfig, defaultFormat } from './validate.js';
import { progressReporter } from '../output/progress.js';
import { discoverConfig } from '../config/discover-config.js';

/**
 * The modules plan runs with, loaded when it runs (the config loader, the ignore file's YAML parser, the bundle
 * verifier): registering the command must not make every other command load them (lazy-commands.test.ts).
 */
async function planModules() {
  const [config, ignore, core, human, json, markdown, github, bundle, git, runtime, redact] = await Promise.all([
    import('../config/load-config.js'),
    import('../plan/ignore.js'),
    import('../plan/plan.js'),
    import('../plan/render-human.js'),
    import('../plan/render-json.js'),
    import('../plan/render-markdown.js'),
    import('../plan/render-github.js'),
    import('../plan/sources/bundle-source.js'),
    import('../plan/sources/git-source.js'),
    import('../plan/sources/runtime-source.js'),
    import('../../schemas/redact-config.js'),
  ]);
  return { ...config, ...ignore, ...core, ...human, ...json, ...markdown, ...github, ...bundle, ...git, ...runtime, ...redact };
}

const FORMATS = ['human', 'json', 'markdown', 'github'] as const;
const LEVELS = ['breaking', 'security'] as const;

interface PlanFlags {
  config?: string;
  against?: string;
  format?: (typeof FORMATS)[number];
  detailedExitcode?: boolean;
  failOn?: string[];
  ignoreFile?: string;
  bundleKey?: string[];
  today?: string;
  progress?: boolean;
}

/** `tengine plan [path] --against git:REF|bundle:FILE|runtime:URL`: what a change does to the tool surface. */
export function registerPlanCommand(program: Command, io: CliIo): void {
  const command = program
    .command('plan')
    .description('Show what the working config changes against a git ref, a built bundle or a running runtime, and flag breaking and security-relevant changes.')
    .argument('[path]', 'config file or directory, or - for stdin (default: --config, $TENGINE_CONFIG, or the nearest tengine.config.yaml up to the repository root)')
    .option('--config <path>', 'config file or directory (the same as the path argument)')
    .option('--against <source>', 'baseline: git:REF, bundle:FILE or runtime:URL (default: $TENGINE_PLAN_AGAINST, else git:HEAD)')
    .addOption(new Option('-f, --format <format>', 'output format (default: github when GITHUB_ACTIONS=true, else human)').choices(FORMATS))
    .option('--detailed-exitcode', 'exit 2 when there are changes (0: none, 1: error)')
    // Repeatable (or comma-separated) rather than variadic: a variadic option would swallow the [path] after it
    // (`tengine plan --fail-on breaking examples/crm` would read "examples/crm" as a level).
    .addOption(new Option('--fail-on <level>', 'exit 1 when a breaking and/or security change is not accepted by the ignore file (repeatable, or comma-separated; default: $TENGINE_PLAN_FAIL_ON)').argParser(collect))
    .option('--ignore-file <file>', `accepted changes with reasons (default: ${IGNORE_FILE_NAME} next to the config, if present)`)
    .addOption(new Option('--bundle-key <file>', 'trusted public key to verify a bundle baseline (repeatable; default $TENGINE_BUNDLE_PUBLIC_KEYS)').argParser(collect))
    .option('--today <date>', 'the date (YYYY-MM-DD) for deprecation sunsets and ignore expiries; default: today (UTC)');
  addProgressOptions(command).action(async (pathArg: string | undefined, flags: PlanFlags, cmd: Command) => {
      const { loadConfig, isIsoDate, parseIgnoreFile, readIgnoreFile, computePlan, failsOn, hasChanges, isoDate, renderPlanHuman, renderPlanJson, renderPlanMarkdown, changeLocator, renderPlanGithub, redactConfig } = await planModules();
      const path = await discoverConfig(io, pathArg, flags.config);
      const format = flags.format ?? defaultFormat<(typeof FORMATS)[number]>(io, 'github', 'human');
      flags.against ??= io.env.TENGINE_PLAN_AGAINST || 'git:HEAD';
      flags.failOn ??= io.env.TENGINE_PLAN_FAIL_ON ? [io.env.TENGINE_PLAN_FAIL_ON] : undefined;
      const failOn = [...new Set((flags.failOn ?? []).flatMap((v) => v.split(',')).map((v) => parseLevel(v.trim())))];
      const today = flags.today ?? isoDate(new Date());
      if (!isIsoDate(today)) throw new CliError('BAD_ARGUMENT', `--today "${today}" is not a YYYY-MM-DD date`, 'e.g. --today 2026-11-21');

      // The working config first: a config that cannot be read never produces a plan, empty or not.
      assertStdinOnce([
        ['the config', path === STDIO],
        ['--against bundle:-', flags.against === `bundle:${STDIO}`],
        ['--ignore-file', flags.ignoreFile === STDIO],
        ['--bundle-key', (flags.bundleKey ?? []).includes(STDIO)],
      ]);
      const progress = progressReporter(io, flags.progress);
      const after = await loadConfig(path, { env: io.env, cwd: io.cwd, readStdin: io.readStdin, progress: (e) => progress.load(e) }).finally(() => progress.done());
      if (!after.config) return invalid(io, format, after, 'the working config');
      const before = await loadBaseline(io, flags, after, format);
      /** What a plan compares: the resolved config with secrets fingerprinted and build-only fields dropped. */
      const surface = (config: TengineConfig): TengineConfig => {
        const { include: _include, $schema: _schema, ...rest } = redactConfig(config);
        return rest as TengineConfig;
      };

      const ignorePath = flags.ignoreFile ? resolve(io.cwd, flags.ignoreFile) : join(dirname(after.rootFile), IGNORE_FILE_NAME);
      const ignore =
        flags.ignoreFile === STDIO
          ? parseIgnoreFile((await io.readStdin()).toString('utf8'), '<stdin>')
          : await readIgnoreFile(ignorePath, { optional: !flags.ignoreFile, display: displayPaths([ignorePath], io.cwd)[0] });
      if (ignore.errors.length > 0) {
        const [first, ...more] = ignore.errors;
        // One problem per line: the first on the `error CODE:` line, any others indented under it.
        const error = new CliError(
          first!.code,
          first!.message,
          first!.code === 'PLAN_IGNORE_UNREADABLE'
            ? `check the path given to --ignore-file (without the flag, ${IGNORE_FILE_NAME} next to the config is read when it exists)`
            : 'every entry needs rule, project and a non-empty reason, and may have tool and expires (YYYY-MM-DD); see docs/plan-rules.md#the-ignore-file',
        );
        error.details = more.map((e) => e.message);
        throw error;
      }
      const plan = computePlan(surface(before.config), surface(after.config), {
        today,
        ignore: ignore.entries,
        sources: { before: before.label, after: displayPaths([after.rootFile], io.cwd)[0]! },
      });
      if (before.note) io.err(`note: ${before.note}\n`);
      io.out(
        format === 'json'
          ? renderPlanJson(plan)
          : format === 'markdown'
            ? renderPlanMarkdown(plan)
            : format === 'github'
              ? renderPlanGithub(plan, changeLocator(after.config, after.locate))
              : renderPlanHuman(plan, io.color),
      );
      if (failOn.length > 0 && failsOn(plan, failOn)) {
        // The plan is on stdout; stderr says why the exit code is 1, so a CI log tells "refused" from "could not plan".
        const hits = failOn.map((level) => ({ level, n: plan.changes.filter((c) => c.rules.some((h) => h.severity === level && !h.accepted)).length })).filter((h) => h.n > 0);
        const what = hits.map((h) => `${h.n} ${h.level} change${h.n === 1 ? '' : 's'}`).join(' and ');
        io.err(`error PLAN_FAIL_ON: ${what} not accepted (--fail-on ${failOn.join(',')})\n  hint: review the plan; accept an intended change in ${IGNORE_FILE_NAME} with a reason (docs/plan-rules.md#the-ignore-file)\n`);
        setExitCode(cmd, 1);
      } else setExitCode(cmd, flags.detailedExitcode && hasChanges(plan) ? 2 : 0);
    });
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function parseLevel(value: string): (typeof LEVELS)[number] {
  if (!(LEVELS as readonly string[]).includes(value)) {
    throw new CliError('BAD_ARGUMENT', `--fail-on "${value}" is not a level`, `use ${LEVELS.join(' or ')} (repeat the flag or separate with commas for both)`);
  }
  return value as (typeof LEVELS)[number];
}

async function loadBaseline(io: CliIo, flags: PlanFlags, working: { rootFile: string; envAllowlist: string[] }, format: (typeof FORMATS)[number]): Promise<{ config: TengineConfig; label: string; note?: string }> {
  const rootFile = working.rootFile;
  const m = /^(git|bundle|runtime):(.+)$/.exec(flags.against ?? 'git:HEAD');
  if (!m) throw new CliError('BAD_ARGUMENT', `--against "${flags.against}" is not git:REF, bundle:FILE or runtime:URL`, 'e.g. --against git:origin/main');
  const [, kind, target] = m as unknown as [string, 'git' | 'bundle' | 'runtime', string];
  const { loadConfig, snapshotFromGit, snapshotFromBundle, snapshotFromRuntime } = await planModules();
  if (kind === 'git') {
    const snap = await snapshotFromGit(rootFile, target);
    try {
      // A config that did not exist at the ref (the repository's first config) is an empty baseline: everything
      // shows as added. A config that exists but cannot be read is an error, never an empty plan.
      if (!(await stat(snap.rootFile).then((s) => s.isFile(), () => false))) {
        return { config: { version: 1, projects: [] }, label: `git:${target} (${snap.commit.slice(0, 12)}, no config yet)`, note: `${target} has no config at this path; planning against an empty config` };
      }
      // The working config's env_allowlist applies to the baseline too: the change that introduces the list (or
      // adds a name to it) compares against a commit whose references would otherwise not resolve.
      const loaded = await loadConfig(snap.rootFile, { env: io.env, cwd: snap.root, extraEnvAllowlist: working.envAllowlist });
      if (!loaded.config) return invalid(io, format, loaded, `the config at ${target} (${snap.commit.slice(0, 12)})`, snap.root);
      return { config: loaded.config, label: `git:${target} (${snap.commit.slice(0, 12)})` };
    } finally {
      await snap.cleanup();
    }
  }
  if (kind === 'bundle') {
    const keyPaths = flags.bundleKey?.length ? flags.bundleKey : (io.env.TENGINE_BUNDLE_PUBLIC_KEYS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const keys = await Promise.all(keyPaths.map((p) => readInput(io, p).then((b) => b.toString('utf8')).catch(() => {
      throw new CliError('KEY_FILE_UNREADABLE', `cannot read the bundle public key ${p}`, 'check the path');
    })));
    const snap = await snapshotFromBundle(resolve(io.cwd, target), keys, () => readInput(io, target));
    return { config: snap.config, label: `bundle:${target}`, ...(snap.verified ? {} : { note: 'the baseline bundle was not verified (pass --bundle-key to check its signature)' }) };
  }
  const snap = await snapshotFromRuntime(target, io.env.TENGINE_ADMIN_TOKEN);
  return { config: snap.config, label: `runtime:${target} (${snap.digest.slice(0, 19)})` };
}

/** Prints an invalid config's diagnostics (stdout in JSON, else stderr) and stops the plan with CONFIG_INVALID. */
function invalid(io: CliIo, format: string, loaded: LoadedConfig, which: string, shownFrom = io.cwd): never {
  // A baseline read from git lives in a temporary copy: its paths are shown relative to that copy's root, which
  // are the paths in the repository (as its diagnostics already are).
  const report: ValidationReport = {
    valid: false,
    root: displayPaths([loaded.rootFile], shownFrom)[0]!,
    files: displayPaths(loaded.files, shownFrom),
    diagnostics: loaded.diagnostics,
    counts: countConfig(loaded.config),
  };
  if (format === 'json') io.out(renderJson(report));
  else io.err(renderHuman(report, io.errColor ?? false));
  throw new CliError('CONFIG_INVALID', `${which} is invalid; plan not computed`, 'fix the problems listed above (tengine validate checks a config on its own)');
}
