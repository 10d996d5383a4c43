import { stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { CliError, type CliIo } from '../io.js';

const ROOT_NAMES = ['tengine.config.yaml', 'tengine.config.yml'];

async function exists(path: string, kind: 'file' | 'any'): Promise<boolean> {
  try {
    const s = await stat(path);
    return kind === 'any' || s.isFile();
  } catch {
    return false;
  }
}

/** The root config file in `dir`, if there is one. */
async function configIn(dir: string): Promise<string | undefined> {
  for (const n of ROOT_NAMES) if (await exists(join(dir, n), 'file')) return join(dir, n);
  return undefined;
}

/**
 * Which config a command reads: the path argument or `--config` (they must agree when both are given), else
 * `TENGINE_CONFIG`, else the nearest `tengine.config.yaml` from the working directory up to the repository root
 * (the directory holding `.git`). A config above the repository root belongs to another project: using it would
 * build someone else's tools, so it is refused with CONFIG_OUTSIDE_REPOSITORY rather than silently read. Outside
 * any repository only the working directory itself is searched. Returns what loadConfig takes (a file, a
 * directory, or `-` for stdin).
 */
export async function discoverConfig(io: CliIo, pathArg: string | undefined, configFlag: string | undefined): Promise<string> {
  if (pathArg !== undefined && configFlag !== undefined && pathArg !== configFlag) {
    throw new CliError('BAD_ARGUMENT', `two configs given: ${pathArg} and --config ${configFlag}`, 'pass the config once, as the path argument or as --config');
  }
  const explicit = pathArg ?? configFlag;
  if (explicit !== undefined) return explicit;
  const fromEnv = io.env.TENGINE_CONFIG;
  if (fromEnv) return fromEnv;

  const start = resolve(io.cwd);
  let repoRoot: string | undefined;
  for (let d = start, i = 0; i < 256; i++) {
    if (await exists(join(d, '.git'), 'any')) {
      repoRoot = d;
      break;
    }
    const up = dirname(d);
    if (up === d) break;
    d = up;
  }
  if (repoRoot === undefined) return '.';
  for (let d = start; ; d = dirname(d)) {
    if (await configIn(d)) return relative(io.cwd, d) || '.';
    if (d === repoRoot || dirname(d) === d) break;
  }
  // Nothing inside the repository. A config further up is the likely mistake (a home-directory config, a parent
  // checkout): say so with its path instead of "no tengine.config.yaml in .".
  for (let d = repoRoot; d !== dirname(d); ) {
    d = dirname(d);
    const found = await configIn(d);
    if (found) {
      throw new CliError(
        'CONFIG_OUTSIDE_REPOSITORY',
        `no config in the repository ${repoRoot}; the nearest, ${found}, is outside it and is not used`,
        'run tengine init to create one here, or pass the config explicitly (tengine validate PATH, --config PATH or TENGINE_CONFIG)',
      );
    }
  }
  return '.';
}
