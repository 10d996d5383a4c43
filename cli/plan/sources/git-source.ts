import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, sep } from 'node:path';
import { CliError } from '../../io.js';

/** Runs git and returns stdout as a Buffer; rejects with the exit code and stderr. */
function git(cwd: string, args: string[]): Promise<Buffer> {
  return new Promise((res, rej) => {
    execFile('git', args, { cwd, encoding: 'buffer', maxBuffer: 256 * 1024 * 1024, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) rej(Object.assign(err, { stderr: stderr.toString('utf8') }));
      else res(stdout);
    });
  });
}

/** Where a config was materialized from git, and how to clean it up. */
export interface GitSnapshot {
  /** The root config file inside the temporary copy. */
  rootFile: string;
  /** The temporary directory standing for the repository root. */
  root: string;
  /** The resolved commit. */
  commit: string;
  cleanup(): Promise<void>;
}

/**
 * Copies the config files as they are at `ref` (every tracked file under the config's directory) into a
 * temporary directory, reading blobs with `git show` so the working tree and index are never touched. A ref
 * missing from a shallow clone is a clear error (fetch more history), not an empty plan.
 */
export async function snapshotFromGit(configFile: string, ref: string): Promise<GitSnapshot> {
  const dir = dirname(configFile);
  let top: string;
  let prefix: string;
  try {
    // --show-prefix is the config directory relative to the top as git sees it: computing it with path.relative
    // instead breaks when the path goes through a symlink (git reports the real top; macOS's /var → /private/var).
    const [t = '', p = ''] = (await git(dir, ['rev-parse', '--show-toplevel', '--show-prefix'])).toString('utf8').split('\n');
    top = t.trim();
    prefix = p.trim();
  } catch {
    throw new CliError('PLAN_NOT_A_REPOSITORY', `${dir} is not inside a git repository`, 'run plan in the config repository, or compare against a bundle (--against bundle:FILE)');
  }
  if (!/^[A-Za-z0-9._/@{}~^:-]{1,200}$/.test(ref) || ref.startsWith('-')) {
    throw new CliError('PLAN_REF_INVALID', `"${ref}" is not a git revision`, 'pass a branch, tag or commit, e.g. --against git:origin/main');
  }
  let commit: string;
  try {
    commit = (await git(top, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).toString('utf8').trim();
  } catch {
    const shallow = (await git(top, ['rev-parse', '--is-shallow-repository']).catch(() => Buffer.from('false'))).toString('utf8').trim() === 'true';
    if (shallow) {
      throw new CliError('PLAN_REF_UNAVAILABLE_SHALLOW', `${ref} is not in this shallow clone`, 'fetch the history first (actions/checkout with fetch-depth: 0, or git fetch --unshallow origin)');
    }
    // A repository without any commit (git init, config written, plan run) has nothing to compare against yet.
    const unborn = await git(top, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']).then(() => false, () => true);
    if (unborn) {
      throw new CliError('PLAN_REF_NOT_FOUND', `git cannot resolve ${ref}: the repository has no commits yet`, 'commit the config first (git add, git commit), then plan your next change against it');
    }
    throw new CliError('PLAN_REF_NOT_FOUND', `git cannot resolve ${ref}`, 'check the ref name; for a remote branch run git fetch first');
  }
  const relDir = prefix.replace(/\/+$/, '');
  const root = await mkdtemp(join(tmpdir(), 'tengine-plan-'));
  try {
    const listing = (await git(top, ['ls-tree', '-r', '-z', '--name-only', '--full-tree', commit, '--', relDir || '.'])).toString('utf8').split('\0').filter(Boolean);
    for (const path of listing) {
      if (!/\.(ya?ml|json)$/i.test(path)) continue;
      const target = join(root, ...path.split('/'));
      if (!target.startsWith(root + sep)) continue;
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, await git(top, ['show', `${commit}:${path}`]));
    }
  } catch (e) {
    await rm(root, { recursive: true, force: true });
    throw new CliError('PLAN_GIT_FAILED', `reading ${ref} from git failed: ${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}`, 'check that git works in this repository');
  }
  const relRoot = `${prefix}${basename(configFile)}`;
  return { rootFile: join(root, ...relRoot.split('/')), root, commit, cleanup: () => rm(root, { recursive: true, force: true }) };
}
