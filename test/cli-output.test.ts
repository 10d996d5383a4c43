import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { colorAllowed, memoryIo } from '../cli/io.js';
import { runCli } from '../cli/program.js';

/** Output choices (issue 14 item 4): colour switches, SARIF/JUnit, --fail-on warning, GitHub formats under Actions. */
const REPO = fileURLToPath(new URL('..', import.meta.url));
const temps: string[] = [];
afterAll(async () => {
  for (const d of temps) await rm(d, { recursive: true, force: true });
});
const ESC = '\u001b[';
// Fixed dates make the commit id, and so the plan's source label, the same on every run.
const GIT_ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: path.join(REPO, 'does-not-exist.gitconfig'), GIT_TERMINAL_PROMPT: '0', GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.invalid' };

async function cli(args: string[], opts: { env?: Record<string, string>; cwd?: string; color?: boolean } = {}) {
  const { io, buf } = memoryIo({ cwd: opts.cwd ?? REPO, env: opts.env ?? {} });
  if (opts.color) Object.assign(io, { color: true, errColor: true });
  const code = await runCli(args, io);
  return { code, ...buf };
}

/** A config with one warning (TNG223: no projects) and no error. */
async function warningConfig(): Promise<string> {
  const d = await realpath(await mkdtemp(path.join(tmpdir(), 'tng-out-')));
  temps.push(d);
  await writeFile(path.join(d, 'tengine.config.yaml'), 'version: 1\nprojects: []\n');
  return d;
}

describe('colour', () => {
  it('NO_COLOR wins, then FORCE_COLOR (0/false off), then the terminal', () => {
    expect(colorAllowed({ isTTY: true }, {})).toBe(true);
    expect(colorAllowed({ isTTY: false }, {})).toBe(false);
    expect(colorAllowed({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorAllowed({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
    expect(colorAllowed({ isTTY: true }, { FORCE_COLOR: 'false' })).toBe(false);
    expect(colorAllowed({ isTTY: false }, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(false);
    expect(colorAllowed({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
  });

  it('--no-color turns colour off on stdout and stderr, before or after the command', async () => {
    expect((await cli(['validate', 'examples/crm'], { color: true })).out).toContain(ESC);
    for (const args of [['validate', 'examples/crm', '--no-color'], ['--no-color', 'validate', 'examples/crm']]) {
      const r = await cli(args, { color: true });
      expect(r.code).toBe(0);
      expect(r.out).not.toContain(ESC);
    }
  });
});

describe('validate formats and --fail-on', () => {
  it('--format sarif is SARIF 2.1.0 with TNG codes as rule ids and file/line/column locations', async () => {
    const r = await cli(['validate', 'test/fixtures/multi-error', '--format', 'sarif']);
    expect(r.code).toBe(1);
    const log = JSON.parse(r.out);
    expect(log.version).toBe('2.1.0');
    const run = log.runs[0];
    const ids = run.tool.driver.rules.map((x: { id: string }) => x.id);
    expect(ids.every((id: string) => /^TNG\d{3}$/.test(id))).toBe(true);
    expect(run.results.length).toBeGreaterThan(1);
    for (const res of run.results) {
      expect(ids[res.ruleIndex]).toBe(res.ruleId);
      expect(res.locations[0].physicalLocation.region.startLine).toBeGreaterThan(0);
      expect(res.locations[0].physicalLocation.artifactLocation.uri).toMatch(/^test\/fixtures\/multi-error\//);
    }
  });

  it('--format junit has one testcase per file, errors as failures', async () => {
    const r = await cli(['validate', 'test/fixtures/multi-error', '--format', 'junit']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites /);
    expect(r.out.match(/<testcase /g)).toHaveLength(2);
    expect(r.out).toMatch(/<failure type="TNG\d{3}"/);
  });

  it('--fail-on warning (or TENGINE_VALIDATE_FAIL_ON=warning) exits 1 on a warning; the default does not', async () => {
    const d = await warningConfig();
    expect((await cli(['validate', d])).code).toBe(0);
    expect((await cli(['validate', d, '--fail-on', 'warning'])).code).toBe(1);
    expect((await cli(['validate', d], { env: { TENGINE_VALIDATE_FAIL_ON: 'warning' } })).code).toBe(1);
    const junit = await cli(['validate', d, '--fail-on', 'warning', '--format', 'junit']);
    expect(junit.out).toMatch(/<failure type="TNG223"/);
    const bad = await cli(['validate', d, '--fail-on', 'info', '--format', 'json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out).error).toMatchObject({ code: 'BAD_ARGUMENT', hint: 'use one of: error, warning' });
  });

  it('GITHUB_ACTIONS=true picks the github format when none is given; an explicit --format wins', async () => {
    const gh = await cli(['validate', 'test/fixtures/multi-error'], { env: { GITHUB_ACTIONS: 'true' } });
    expect(gh.out).toBe(await readFile(path.join(REPO, 'test/golden/multi-error.validate.github.txt'), 'utf8'));
    const human = await cli(['validate', 'test/fixtures/multi-error', '--format', 'human'], { env: { GITHUB_ACTIONS: 'true' } });
    expect(human.out).toBe(await readFile(path.join(REPO, 'test/golden/multi-error.validate.human.txt'), 'utf8'));
  });
});

describe('plan --format github', () => {
  it('annotates each change at its tool line in the working config (test/golden/plan.github.txt)', async () => {
    const dir = await realpath(await mkdtemp(path.join(tmpdir(), 'tng-plan-gh-')));
    temps.push(dir);
    await cp(path.join(REPO, 'examples/crm'), dir, { recursive: true });
    const git = (...a: string[]) => execFileSync('git', a, { cwd: dir, env: GIT_ENV, stdio: 'pipe' });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'base');
    const file = path.join(dir, 'tools/contacts.yaml');
    // Drop the second tool (breaking: annotated at its project, as it has no line any more) and retitle the first.
    const text = await readFile(file, 'utf8');
    const lines = text.split('\n');
    const start = lines.findIndex((l) => l.startsWith('  - name: crm-contacts-get_by_id'));
    const end = lines.findIndex((l, i) => i > start && l.startsWith('  - name: '));
    lines.splice(start, end - start);
    await writeFile(file, lines.join('\n').replace(/(  - name: crm-contacts-search\n    title: )Search contacts/, '$1Find contacts'));
    const r = await cli(['plan', '--today', '2026-06-01'], { cwd: dir, env: { GITHUB_ACTIONS: 'true' } });
    expect(r.code, r.err).toBe(0);
    const golden = path.join(REPO, 'test/golden/plan.github.txt');
    if (process.env.UPDATE_GOLDEN === '1') await writeFile(golden, r.out);
    expect(r.out).toBe(await readFile(golden, 'utf8'));
    expect(r.out).toMatch(/^::notice file=tools\/contacts\.yaml,line=9,title=/m);
    expect(r.out).toMatch(/^::warning file=tengine\.config\.yaml,line=\d+,title=tengine plan%3A breaking::remove tool crm-contacts-get_by_id/m);
  });
});
