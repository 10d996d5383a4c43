import { execFile } from 'node:child_process';
import process from 'node:process';
import { CliError } from '../io.js';

/** Where and when a bundle was built, as it goes into the payload. */
export interface BuildMetadata {
  /** ISO 8601 UTC with seconds precision. */
  createdAt: string;
  /** `git rev-parse HEAD` of the config directory, when it is in a git work tree. */
  revision?: string;
  /** Whether git lists any of the config files as changed, untracked or ignored. Set only with `revision`. */
  dirty?: boolean;
}

/** Knobs for tests; production callers pass none. */
export interface BuildMetadataOptions {
  now?: () => Date;
  /** Per git invocation; a hung git (network filesystem, credential prompt) must not hang the build. */
  gitTimeoutMs?: number;
}

/**
 * Resolves the build time and source revision. The time comes from SOURCE_DATE_EPOCH (reproducible-builds.org),
 * else from the commit time of HEAD, else the clock, so rebuilding the same commit gives the same payload bytes.
 * Git being absent, or the directory not being a repository, only means there is no revision.
 */
export async function resolveBuildMetadata(
  configDir: string,
  files: readonly string[],
  env: Record<string, string | undefined>,
  opts: BuildMetadataOptions = {},
): Promise<BuildMetadata> {
  const timeout = opts.gitTimeoutMs ?? 10_000;
  const revision = parseRevision(await git(configDir, ['rev-parse', '--verify', 'HEAD'], timeout));
  let dirty: boolean | undefined;
  let commitSeconds: number | undefined;
  if (revision) {
    const ct = (await git(configDir, ['show', '-s', '--format=%ct', revision], timeout))?.trim();
    if (ct && /^\d+$/.test(ct)) commitSeconds = Number(ct);
    if (files.length > 0) {
      // --ignored as well: an ignored config file is not in the commit either, so the revision does not describe it.
      const status = await git(configDir, ['status', '--porcelain', '--ignored', '--untracked-files=all', '--', ...files], timeout);
      // When git cannot answer (a file outside the work tree), the revision is not known to describe the files.
      dirty = status === undefined ? true : status.trim() !== '';
    } else {
      dirty = false;
    }
  }

  const sde = env.SOURCE_DATE_EPOCH;
  let createdAt: string;
  if (sde !== undefined && sde !== '') {
    createdAt = isoSeconds(parseSourceDateEpoch(sde));
  } else if (commitSeconds !== undefined) {
    createdAt = isoSeconds(commitSeconds);
  } else {
    createdAt = isoSeconds(Math.floor((opts.now?.() ?? new Date()).getTime() / 1000));
  }
  const meta: BuildMetadata = { createdAt };
  if (revision) {
    meta.revision = revision;
    meta.dirty = dirty ?? true;
  }
  return meta;
}

/** Formats Unix seconds as ISO 8601 UTC without fractional seconds, e.g. `2024-05-01T12:00:00Z`. */
export function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function parseSourceDateEpoch(value: string): number {
  // The spec asks builds to fail on a malformed value rather than silently fall back to the clock.
  const seconds = /^\d{1,12}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(seconds) || seconds > 253_402_300_799) {
    throw new CliError(
      'SOURCE_DATE_EPOCH_INVALID',
      `SOURCE_DATE_EPOCH is ${JSON.stringify(value)}, not a whole number of seconds since 1970`,
      'set it to Unix seconds, e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct), or unset it',
    );
  }
  return seconds;
}

function parseRevision(out: string | undefined): string | undefined {
  const rev = out?.trim();
  return rev && /^[0-9a-f]{40,64}$/.test(rev) ? rev : undefined;
}

function git(cwd: string, args: string[], timeout: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    try {
      execFile(
        'git',
        args,
        // git needs the real PATH and HOME (`env` is only the build's settings); optional locks off so a build never
        // takes index.lock and breaks a git command running next to it.
        { cwd, timeout, windowsHide: true, maxBuffer: 4 * 1024 * 1024, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' } },
        (error, stdout) => resolve(error ? undefined : String(stdout)),
      );
    } catch {
      resolve(undefined);
    }
  });
}
