import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError } from '../io.js';
import { isoSeconds, resolveBuildMetadata } from './build-metadata.js';
import { tempDir } from '../../test/fixtures/bundle-fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('tengine-meta-'));
});
afterEach(async () => cleanup());

// A repo of its own: no global git config is read for identity, and the commit time is fixed.
function git(...args: string[]): string {
  return execFileSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, GIT_COMMITTER_DATE: '2023-03-04T05:06:07Z', GIT_AUTHOR_DATE: '2023-03-04T05:06:07Z' },
  }).trim();
}

async function initRepo(): Promise<string> {
  git('init', '-q');
  git('config', 'user.email', 'test@example.com');
  git('config', 'user.name', 'Tengine Test');
  git('config', 'commit.gpgsign', 'false');
  await writeFile(path.join(dir, 'tengine.config.yaml'), 'version: 1\n');
  git('add', 'tengine.config.yaml');
  git('commit', '-q', '-m', 'config');
  return git('rev-parse', 'HEAD');
}

describe('resolveBuildMetadata', () => {
  it('takes created_at from SOURCE_DATE_EPOCH (reproducible-builds.org)', async () => {
    const meta = await resolveBuildMetadata(dir, [], { SOURCE_DATE_EPOCH: '1700000000' });
    expect(meta).toEqual({ createdAt: '2023-11-14T22:13:20Z' });
  });

  it('refuses a malformed SOURCE_DATE_EPOCH with SOURCE_DATE_EPOCH_INVALID', async () => {
    for (const bad of ['1.5', '-1', 'yesterday', '99999999999999']) {
      const e = await resolveBuildMetadata(dir, [], { SOURCE_DATE_EPOCH: bad }).catch((err: unknown) => err);
      expect((e as CliError).code).toBe('SOURCE_DATE_EPOCH_INVALID');
    }
  });

  it('falls back to the clock, with seconds precision, outside a git repository', async () => {
    const meta = await resolveBuildMetadata(dir, ['tengine.config.yaml'], {}, { now: () => new Date('2024-05-01T12:00:00.789Z') });
    expect(meta).toEqual({ createdAt: '2024-05-01T12:00:00Z' });
  });

  it('reads the revision and commit time of HEAD and reports clean files', async () => {
    const rev = await initRepo();
    const meta = await resolveBuildMetadata(dir, ['tengine.config.yaml'], {});
    expect(meta).toEqual({ createdAt: '2023-03-04T05:06:07Z', revision: rev, dirty: false });
  });

  it('SOURCE_DATE_EPOCH wins over the commit time; the revision stays', async () => {
    const rev = await initRepo();
    const meta = await resolveBuildMetadata(dir, ['tengine.config.yaml'], { SOURCE_DATE_EPOCH: '0' });
    expect(meta).toEqual({ createdAt: '1970-01-01T00:00:00Z', revision: rev, dirty: false });
  });

  it('marks modified and untracked config files as dirty', async () => {
    await initRepo();
    await writeFile(path.join(dir, 'tools.yaml'), 'tools: []\n');
    expect((await resolveBuildMetadata(dir, ['tengine.config.yaml'], {})).dirty).toBe(false);
    expect((await resolveBuildMetadata(dir, [path.join(dir, 'tools.yaml')], {})).dirty).toBe(true);
    await writeFile(path.join(dir, 'tengine.config.yaml'), 'version: 1\nprojects: []\n');
    expect((await resolveBuildMetadata(dir, ['tengine.config.yaml'], {})).dirty).toBe(true);
  });

  it('isoSeconds drops milliseconds', () => {
    expect(isoSeconds(1)).toBe('1970-01-01T00:00:01Z');
  });
});
