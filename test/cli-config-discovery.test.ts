import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryIo } from '../cli/io.js';
import { runCli } from '../cli/program.js';

/** Config discovery (issue 14 item 3): path/--config, then TENGINE_CONFIG, then up the tree to the repository root. */
const CONFIG = 'version: 1\nprojects: []\n';
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** outer/ (maybe with a config) > repo/ (.git) > a/b (cwd). */
async function tree(opts: { outerConfig?: boolean; repoConfig?: boolean; git?: boolean }) {
  const outer = await realpath(await mkdtemp(path.join(tmpdir(), 'tng-discover-')));
  dirs.push(outer);
  const repo = path.join(outer, 'repo');
  const cwd = path.join(repo, 'a', 'b');
  await mkdir(cwd, { recursive: true });
  if (opts.git !== false) await mkdir(path.join(repo, '.git'));
  if (opts.outerConfig) await writeFile(path.join(outer, 'tengine.config.yaml'), CONFIG);
  if (opts.repoConfig) await writeFile(path.join(repo, 'tengine.config.yaml'), CONFIG);
  return { outer, repo, cwd };
}

async function validate(cwd: string, args: string[] = [], env: Record<string, string> = {}) {
  const { io, buf } = memoryIo({ cwd, env });
  const code = await runCli(['validate', ...args, '--format', 'json'], io);
  return { code, out: buf.out, err: buf.err, json: JSON.parse(buf.out) as Record<string, any> };
}

describe('config discovery', () => {
  it('finds the nearest tengine.config.yaml up the tree, within the repository', async () => {
    const t = await tree({ repoConfig: true });
    const r = await validate(t.cwd);
    expect(r.code).toBe(0);
    expect(r.json.root).toBe(path.join('..', '..', 'tengine.config.yaml'));
  });

  it('prefers the nearest config when there are several', async () => {
    const t = await tree({ repoConfig: true });
    await writeFile(path.join(t.repo, 'a', 'tengine.config.yaml'), CONFIG);
    const r = await validate(t.cwd);
    expect(r.json.root).toBe(path.join('..', 'tengine.config.yaml'));
  });

  it('refuses a config found above the repository root with CONFIG_OUTSIDE_REPOSITORY', async () => {
    const t = await tree({ outerConfig: true });
    const r = await validate(t.cwd);
    expect(r.code).toBe(1);
    expect(r.json.error.code).toBe('CONFIG_OUTSIDE_REPOSITORY');
    expect(r.json.error.hint).toMatch(/tengine init/);
    expect(r.err).toMatch(/^error CONFIG_OUTSIDE_REPOSITORY: /);
  });

  it('outside any repository only the working directory is searched', async () => {
    const t = await tree({ outerConfig: true, git: false });
    const r = await validate(t.cwd);
    expect(r.code).toBe(1);
    expect(r.json.diagnostics[0].code).toBe('TNG001');
  });

  it('TENGINE_CONFIG comes before discovery, and an explicit path or --config before TENGINE_CONFIG', async () => {
    const t = await tree({ outerConfig: true });
    const outerFile = path.join(t.outer, 'tengine.config.yaml');
    const byEnv = await validate(t.cwd, [], { TENGINE_CONFIG: outerFile });
    expect(byEnv.code).toBe(0);
    expect(byEnv.json.root).toBe(path.relative(t.cwd, outerFile));
    await writeFile(path.join(t.cwd, 'other.yaml'), CONFIG);
    const byFlag = await validate(t.cwd, ['--config', 'other.yaml'], { TENGINE_CONFIG: outerFile });
    expect(byFlag.json.root).toBe('other.yaml');
    const byArg = await validate(t.cwd, ['other.yaml'], { TENGINE_CONFIG: outerFile });
    expect(byArg.json.root).toBe('other.yaml');
  });

  it('a path argument and a different --config is BAD_ARGUMENT', async () => {
    const t = await tree({ repoConfig: true });
    const r = await validate(t.cwd, ['x.yaml', '--config', 'y.yaml']);
    expect(r.code).toBe(1);
    expect(r.json.error.code).toBe('BAD_ARGUMENT');
  });

  it('build and plan discover the same way', async () => {
    const t = await tree({ outerConfig: true });
    for (const cmd of [['build', '--key', 'nope.pem'], ['plan']]) {
      const { io, buf } = memoryIo({ cwd: t.cwd, env: {} });
      const code = await runCli([...cmd, '--format', 'json'], io);
      expect(code).toBe(1);

      expect(JSON.parse(buf.out).error.code).toBe('CONFIG_OUTSIDE_REPOSITORY');
    }
  });

  it('TENGINE_PLAN_AGAINST is the default of plan --against (a bad value is BAD_ARGUMENT naming the flag)', async () => {
    const t = await tree({ repoConfig: true });
    const { io, buf } = memoryIo({ cwd: t.cwd, env: { TENGINE_PLAN_AGAINST: 'nowhere' } });
    expect(await runCli(['plan', '--format', 'json'], io)).toBe(1);
    expect(JSON.parse(buf.out).error).toMatchObject({ code: 'BAD_ARGUMENT', message: expect.stringContaining('"nowhere"') });
  });
});
