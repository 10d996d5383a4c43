import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMap, isSeq, parseDocument, type YAMLMap } from 'yaml';
import { memoryIo } from '../cli/io.js';
import { runCli } from '../cli/program.js';
import { startRuntime, type RunningRuntime } from '../runtime/start.js';

// `tengine plan` end to end, through the same runCli that main.ts calls, in throw-away git repositories that hold a
// copy of examples/crm under gateway/ (a subdirectory, so the git source has to map paths).

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CRM = path.join(ROOT, 'examples/crm');
const MARKER = '<!-- tengine-plan -->';
const TODAY = '2026-06-01';
// The crm tools read these at boot; only the runtime tests start one.
const UPSTREAM_ENV = { CRM_HMAC_SECRET: 'test-hmac-secret', CRM_BILLING_API_TOKEN: 'test-billing-token' };
// Git must not pick up the developer's or the machine's configuration (signing, hooks, default branch).
const GIT_ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: path.join(ROOT, 'does-not-exist.gitconfig'), GIT_TERMINAL_PROMPT: '0' };

const temps: string[] = [];
let keys: string;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** A repository with one commit holding examples/crm at gateway/; returns its path. */
async function crmRepo(): Promise<string> {
  const dir = await tempDir('tplancmd-repo-');
  await cp(CRM, path.join(dir, 'gateway'), { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.name', 'Plan Test');
  git(dir, 'config', 'user.email', 'plan-test@example.invalid');
  git(dir, 'config', 'commit.gpgsign', 'false');
  commitAll(dir, 'base: examples/crm');
  return dir;
}

function commitAll(dir: string, message: string): void {
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', message);
}

async function cli(cwd: string, args: string[], env: Record<string, string | undefined> = {}, stdin?: string) {
  const { io, buf } = memoryIo({ cwd, env, ...(stdin !== undefined ? { stdin } : {}) });
  const code = await runCli(args, io);
  return { code, out: buf.out, err: buf.err };
}

const TOOL_FILES = ['gateway/tools/contacts.yaml', 'gateway/tools/deals.yaml'];

/** Edits the YAML map of one tool in place (comments and layout of the rest of the file are kept). */
async function editTool(repo: string, name: string, edit: (tool: YAMLMap) => void): Promise<void> {
  for (const rel of TOOL_FILES) {
    const file = path.join(repo, rel);
    const doc = parseDocument(await readFile(file, 'utf8'));
    const tools = doc.get('tools');
    if (!isSeq(tools)) continue;
    const tool = tools.items.find((t) => isMap(t) && t.get('name') === name);
    if (!tool || !isMap(tool)) continue;
    edit(tool);
    await writeFile(file, doc.toString());
    return;
  }
  throw new Error(`no tool ${name} in the test repository`);
}

async function removeTool(repo: string, name: string): Promise<void> {
  for (const rel of TOOL_FILES) {
    const file = path.join(repo, rel);
    const doc = parseDocument(await readFile(file, 'utf8'));
    const tools = doc.get('tools');
    if (!isSeq(tools)) continue;
    const i = tools.items.findIndex((t) => isMap(t) && t.get('name') === name);
    if (i < 0) continue;
    tools.items.splice(i, 1);
    await writeFile(file, doc.toString());
    return;
  }
  throw new Error(`no tool ${name} in the test repository`);
}

const editDescription = (repo: string) =>
  editTool(repo, 'crm-contacts-search', (t) => t.set('description', 'Find CRM contacts by name, email address or company, best match first.'));

interface PlanJson {
  format_version: number;
  sources: { before: string | null; after: string | null };
  summary: Record<string, number>;
  changes: { name?: string; action: string; accepted: boolean; rules: { rule: string; accepted: boolean; reason: string | null }[] }[];
}

function rulesOf(out: string): string[] {
  return (JSON.parse(out) as PlanJson).changes.flatMap((c) => c.rules.map((r) => r.rule));
}

async function buildBundle(repo: string, out: string): Promise<void> {
  const r = await cli(repo, ['build', 'gateway', '--key', path.join(keys, 'bundle-signing.key.pem'), '--out', out]);
  expect(r.code, r.err).toBe(0);
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A runtime on 127.0.0.1 serving `bundle` with the admin surface on; its config's public_url is overridden. */
async function serve(bundle: string, adminToken: string, runtimeKeys?: string): Promise<{ url: string; runtime: RunningRuntime }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const runtime = await startRuntime({
    bundle: await readFile(bundle),
    bundlePublicKeys: [await readFile(path.join(keys, 'bundle-signing.pub.pem'), 'utf8')],
    ...(runtimeKeys ? { runtimeKeys } : {}),
    host: '127.0.0.1',
    port,
    publicUrl: url,
    env: UPSTREAM_ENV,
    adminToken,
    log: () => {},
  });
  return { url, runtime };
}

beforeAll(async () => {
  keys = await tempDir('tplancmd-keys-');
  const r = await cli(keys, ['keys', 'generate', '--out', keys, '--force']);
  expect(r.code, r.err).toBe(0);
});

afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

describe('tengine plan --against git:REF', () => {
  it('an unchanged config: exit 0 and "No changes", also with --detailed-exitcode', async () => {
    const repo = await crmRepo();
    const r = await cli(repo, ['plan', 'gateway', '--against', 'git:HEAD']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('No changes');
    expect((await cli(repo, ['plan', 'gateway', '--against', 'git:HEAD', '--detailed-exitcode'])).code).toBe(0);
  });

  it('the change that introduces env_allowlist plans against a commit without it: the working list reads the baseline', async () => {
    // Configs written before env_allowlist existed resolve no reference today (TNG228); the baseline is read with
    // the working config's list, so the pull request that adds the list shows no change instead of failing.
    const repo = await crmRepo();
    const rootFile = path.join(repo, 'gateway/tengine.config.yaml');
    const withList = await readFile(rootFile, 'utf8');
    const withoutList = withList.replace(/\n(# [^\n]*\n)*env_allowlist:\n( {2}- [A-Z_]+\n)+/, '\n');
    expect(withoutList).not.toContain('env_allowlist');
    await writeFile(rootFile, withoutList);
    commitAll(repo, 'before env_allowlist');
    await writeFile(rootFile, withList);
    const env = { CRM_API_ORIGIN: 'https://crm.internal.example.com' };
    const r = await cli(repo, ['plan', 'gateway', '--against', 'git:HEAD', '--detailed-exitcode'], env);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('No changes');
    // The baseline alone still reads nothing: validated by itself it fails at the references.
    await writeFile(rootFile, withoutList);
    const alone = await cli(repo, ['validate', 'gateway', '--format', 'json'], env);
    expect(alone.code).toBe(1);
    expect(new Set((JSON.parse(alone.out) as { diagnostics: { code: string }[] }).diagnostics.map((d) => d.code))).toEqual(new Set(['TNG228']));
  });

  it('a description edit: exit 2 with --detailed-exitcode, 0 without, and --fail-on breaking does not fail', async () => {
    const repo = await crmRepo();
    await editDescription(repo);
    const detailed = await cli(repo, ['plan', 'gateway', '--against', 'git:HEAD', '--detailed-exitcode']);
    expect(detailed.code, detailed.err).toBe(2);
    expect(detailed.out).toContain('DESCRIPTION_CHANGED');
    expect(detailed.out).toMatch(/Plan: 0 to add, 1 to change, 0 to remove \(0 breaking, 0 security\)/);
    expect((await cli(repo, ['plan', 'gateway', '--against', 'git:HEAD'])).code).toBe(0);
    expect((await cli(repo, ['plan', 'gateway', '--against', 'git:HEAD', '--fail-on', 'breaking'])).code).toBe(0);
  });

  it('removing a tool with --fail-on breaking: exit 1, and the JSON plan has TOOL_REMOVED', async () => {
    const repo = await crmRepo();
    await removeTool(repo, 'crm-deals-delete');
    const r = await cli(repo, ['plan', 'gateway', '--against', 'git:HEAD', '--fail-on', 'breaking', '-f', 'json']);
    expect(r.code, r.err).toBe(1);
    const plan = JSON.parse(r.out) as PlanJson;
    expect(plan.format_version).toBe(1);
    expect(plan.changes).toContainEqual(expect.objectContaining({ name: 'crm-deals-delete', action: 'remove' }));
    expect(rulesOf(r.out)).toContain('TOOL_REMOVED');
    expect(plan.summary.breaking).toBe(1);
  });

  it('--fail-on before the path does not swallow it (repeatable flag, not variadic)', async () => {
    const repo = await crmRepo();
    await removeTool(repo, 'crm-deals-delete');
    const r = await cli(repo, ['plan', '--fail-on', 'breaking', 'gateway', '--against', 'git:HEAD']);
    expect(r.code, r.err).toBe(1);
    expect(r.out).toContain('TOOL_REMOVED');
    // stdout holds the plan; stderr only says why the exit code is 1.
    expect(r.err).toMatch(/^error PLAN_FAIL_ON: 1 breaking change not accepted \(--fail-on breaking\)\n {2}hint: [^\n]+\n$/);
    const both = await cli(repo, ['plan', 'gateway', '--fail-on', 'security', '--fail-on', 'breaking', '--against', 'git:HEAD']);
    expect(both.code).toBe(1);
    const bad = await cli(repo, ['plan', 'gateway', '--fail-on', 'everything', '--against', 'git:HEAD']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/error BAD_ARGUMENT: --fail-on "everything"/);
    expect(bad.out).toBe('');
  });

  it('an ignore-file entry with a reason accepts the removal: exit 0 with --fail-on breaking, reason shown', async () => {
    const repo = await crmRepo();
    await removeTool(repo, 'crm-deals-delete');
    const reason = 'deleting deals moved to the admin UI (SEC-412)';
    await writeFile(
      path.join(repo, 'gateway/.tengine-plan-ignore.yaml'),
      `version: 1\naccept:\n  - rule: TOOL_REMOVED\n    project: crm\n    tool: crm-deals-delete\n    reason: ${reason}\n    expires: "2026-12-31"\n`,
    );
    const r = await cli(repo, ['plan', 'gateway', '--against', 'git:HEAD', '--fail-on', 'breaking', '--today', TODAY, '-f', 'json']);
    expect(r.code, r.err).toBe(0);
    const plan = JSON.parse(r.out) as PlanJson;
    const hit = plan.changes.flatMap((c) => c.rules).find((h) => h.rule === 'TOOL_REMOVED');
    expect(hit).toMatchObject({ accepted: true, reason });
    expect(plan.summary.breaking).toBe(0);
    // The same entry, expired: the change is breaking again, and the plan says why.
    const later = await cli(repo, ['plan', 'gateway', '--against', 'git:HEAD', '--fail-on', 'breaking', '--today', '2027-01-01']);
    expect(later.code).toBe(1);
    expect(later.out).toContain('PLAN_IGNORE_EXPIRED');
    // --ignore-file names the file explicitly (here: the same file, from another directory's point of view).
    const named = await cli(repo, ['plan', 'gateway', '--against', 'git:HEAD', '--fail-on', 'breaking', '--today', TODAY, '--ignore-file', 'gateway/.tengine-plan-ignore.yaml']);
    expect(named.code, named.err).toBe(0);
  });

  it('deprecation with a sunset (docs/gitops.md §8): marking is benign; removal is benign on the sunset, breaking before', async () => {
    const repo = await crmRepo();
    await editTool(repo, 'crm-contacts-list_mine', (t) => t.set('deprecated', { since: '2026-11-01', sunset: '2027-02-01', message: 'Use crm-contacts-search with owner "me".' }));
    const marked = await cli(repo, ['plan', 'gateway', '--against', 'git:HEAD', '--fail-on', 'breaking', '--today', '2026-11-21', '-f', 'json']);
    expect(marked.code, marked.err).toBe(0);
    expect(rulesOf(marked.out)).toEqual(['DEPRECATION_CHANGED']);
    commitAll(repo, 'deprecate crm-contacts-list_mine');
    await removeTool(repo, 'crm-contacts-list_mine');
    const early = await cli(repo, ['plan', 'gateway', '--against', 'git:HEAD', '--fail-on', 'breaking', '--today', '2027-01-31', '-f', 'json']);
    expect(early.code).toBe(1);
    expect(rulesOf(early.out)).toEqual(['TOOL_REMOVED']);
    const onTime = await cli(repo, ['plan', 'gateway', '--against', 'git:HEAD', '--fail-on', 'breaking', '--today', '2027-02-01', '-f', 'json']);
    expect(onTime.code, onTime.err).toBe(0);
    expect(rulesOf(onTime.out)).toEqual(['DEPRECATED_TOOL_REMOVED']);
  });

  it('an ignore-file entry without a reason: exit 1 with PLAN_IGNORE_INVALID, and no plan', async () => {
    const repo = await crmRepo();
    await removeTool(repo, 'crm-deals-delete');
    await writeFile(path.join(repo, 'gateway/.tengine-plan-ignore.yaml'), 'version: 1\naccept:\n  - rule: TOOL_REMOVED\n    project: crm\n    tool: crm-deals-delete\n');
    const r = await cli(repo, ['plan', 'gateway', '--against', 'git:HEAD', '--fail-on', 'breaking']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error PLAN_IGNORE_INVALID: .*\.tengine-plan-ignore\.yaml:3: accept\[0\]: reason is required/);
    expect(r.out).toBe('');
    // Without --fail-on too: a broken ignore file is an error, not a silently ignored file.
    expect((await cli(repo, ['plan', 'gateway', '--against', 'git:HEAD'])).code).toBe(1);
    const missing = await cli(repo, ['plan', 'gateway', '--against', 'git:HEAD', '--ignore-file', 'nope.yaml']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('PLAN_IGNORE_UNREADABLE');
  });

  it('an invalid working config: exit 1, diagnostics printed, and never a plan (in any format)', async () => {
    const repo = await crmRepo();
    await editTool(repo, 'crm-contacts-search', (t) => t.set('http_method', 'FETCH'));
    for (const format of ['human', 'markdown'] as const) {
      const r = await cli(repo, ['plan', 'gateway', '--against', 'git:HEAD', '-f', format, '--detailed-exitcode']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/gateway\/tools\/contacts\.yaml:\d+:\d+: error TNG\d+/);
      expect(r.err).toContain('error CONFIG_INVALID: the working config is invalid; plan not computed');
      expect(r.out).toBe('');
    }
    const json = await cli(repo, ['plan', 'gateway', '--against', 'git:HEAD', '-f', 'json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.out) as Record<string, unknown>;
    expect(report.valid).toBe(false);
    expect(report).not.toHaveProperty('changes');
    expect((report.diagnostics as { code: string }[]).length).toBeGreaterThan(0);
  });

  it('an invalid config at the ref: exit 1 naming the ref, and no plan', async () => {
    const repo = await crmRepo();
    const file = path.join(repo, 'gateway/tools/contacts.yaml');
    const good = await readFile(file, 'utf8');
    await editTool(repo, 'crm-contacts-search', (t) => t.set('http_method', 'FETCH'));
    commitAll(repo, 'broken');
    await writeFile(file, good);
    const r = await cli(repo, ['plan', 'gateway', '--against', 'git:HEAD', '--detailed-exitcode']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error TNG\d+/);
    expect(r.err).toMatch(/error CONFIG_INVALID: the config at HEAD \([0-9a-f]{12}\) is invalid; plan not computed/);
    // The baseline's files are named as in the repository, never by the temporary copy they were read from.
    expect(r.err).toMatch(/✗ gateway\/tengine\.config\.yaml is invalid/);
    expect(r.err).not.toContain('tengine-plan-');
    expect(r.out).toBe('');
  });

  it('an unknown ref: PLAN_REF_NOT_FOUND; an option-like ref: PLAN_REF_INVALID', async () => {
    const repo = await crmRepo();
    const r = await cli(repo, ['plan', 'gateway', '--against', 'git:origin/no-such-branch']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('error PLAN_REF_NOT_FOUND');
    expect(r.out).toBe('');
    const opt = await cli(repo, ['plan', 'gateway', '--against', 'git:--output=/tmp/x']);
    expect(opt.code).toBe(1);
    expect(opt.err).toContain('error PLAN_REF_INVALID');
  });

  it('outside a git repository: PLAN_NOT_A_REPOSITORY', async () => {
    const dir = await tempDir('tplancmd-norepo-');
    await cp(CRM, path.join(dir, 'gateway'), { recursive: true });
    const r = await cli(dir, ['plan', 'gateway', '--against', 'git:HEAD']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('error PLAN_NOT_A_REPOSITORY');
  });

  it('a config reached through a symlinked path (macOS /var → /private/var) still maps onto the repository', async () => {
    const repo = await crmRepo();
    await editDescription(repo);
    const link = path.join(await tempDir('tplancmd-link-'), 'checkout');
    await symlink(repo, link, 'dir');
    const r = await cli(path.dirname(link), ['plan', path.join(link, 'gateway'), '--against', 'git:HEAD', '--detailed-exitcode']);
    expect(r.code, r.err).toBe(2);
    expect(r.out).toContain('DESCRIPTION_CHANGED');
  });

  it('a shallow clone asked for history it does not have: PLAN_REF_UNAVAILABLE_SHALLOW', async () => {
    const repo = await crmRepo();
    await editDescription(repo);
    commitAll(repo, 'second');
    const clone = path.join(await tempDir('tplancmd-shallow-'), 'clone');
    git(path.dirname(clone), 'clone', '-q', '--depth', '1', `file://${repo}`, clone);
    expect(git(clone, 'rev-parse', '--is-shallow-repository').trim()).toBe('true');
    const r = await cli(clone, ['plan', 'gateway', '--against', 'git:HEAD~1']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('error PLAN_REF_UNAVAILABLE_SHALLOW');
    expect(r.err).toContain('fetch-depth: 0');
    expect(r.out).toBe('');
    // What the clone does have still plans.
    expect((await cli(clone, ['plan', 'gateway', '--against', 'git:HEAD'])).code).toBe(0);
  });

  it('leaves the working tree, the index, HEAD and the stash untouched', async () => {
    const repo = await crmRepo();
    await editDescription(repo);
    git(repo, 'add', 'gateway/tools/contacts.yaml'); // a staged change
    await removeTool(repo, 'crm-deals-delete'); // an unstaged change
    await writeFile(path.join(repo, 'gateway/notes.txt'), 'untracked\n');
    const snapshot = async () => ({
      status: git(repo, 'status', '--porcelain=v2', '--branch', '--untracked-files=all'),
      staged: git(repo, 'diff', '--cached'),
      unstaged: git(repo, 'diff'),
      head: git(repo, 'rev-parse', 'HEAD'),
      stash: git(repo, 'stash', 'list'),
      branches: git(repo, 'for-each-ref'),
      files: await Promise.all(TOOL_FILES.map((f) => readFile(path.join(repo, f), 'utf8'))),
    });
    const before = await snapshot();
    for (const f of ['human', 'json', 'markdown']) {
      expect((await cli(repo, ['plan', 'gateway', '--against', 'git:HEAD', '-f', f])).code).toBe(0);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('--format markdown starts with the comment marker the workflow looks for', async () => {
    const repo = await crmRepo();
    await editDescription(repo);
    const r = await cli(repo, ['plan', 'gateway', '--against', 'git:HEAD', '-f', 'markdown']);
    expect(r.code).toBe(0);
    expect(r.out.startsWith(MARKER)).toBe(true);
    expect(r.out).toContain('`crm-contacts-search`');
    const none = await cli(repo, ['plan', 'gateway', '--against', 'git:HEAD~0', '-f', 'markdown']);
    expect(none.out).toContain(MARKER);
  });
});

describe('tengine plan --against bundle:FILE', () => {
  it('plans against a bundle built from the base commit, verified with --bundle-key or noted as unverified', async () => {
    const repo = await crmRepo();
    const bundle = path.join(await tempDir('tplancmd-bundle-'), 'base.bundle.json');
    await buildBundle(repo, bundle);
    // The unchanged config matches its own bundle exactly (defaults applied on both sides).
    const same = await cli(repo, ['plan', 'gateway', '--against', `bundle:${bundle}`, '--bundle-key', path.join(keys, 'bundle-signing.pub.pem'), '--detailed-exitcode']);
    expect(same.code, same.out + same.err).toBe(0);

    await editDescription(repo);
    const unverified = await cli(repo, ['plan', 'gateway', '--against', `bundle:${bundle}`, '--detailed-exitcode', '-f', 'json']);
    expect(unverified.code, unverified.err).toBe(2);
    expect(rulesOf(unverified.out)).toEqual(['DESCRIPTION_CHANGED']);
    expect(unverified.err).toMatch(/note: the baseline bundle was not verified/);

    const verified = await cli(repo, ['plan', 'gateway', '--against', `bundle:${bundle}`, '--bundle-key', path.join(keys, 'bundle-signing.pub.pem'), '--detailed-exitcode', '-f', 'json']);
    expect(verified.code, verified.err).toBe(2);
    expect(rulesOf(verified.out)).toEqual(['DESCRIPTION_CHANGED']);
    expect(verified.err).not.toContain('not verified');

    // TENGINE_BUNDLE_PUBLIC_KEYS is the default of --bundle-key.
    const fromEnv = await cli(repo, ['plan', 'gateway', '--against', `bundle:${bundle}`], { TENGINE_BUNDLE_PUBLIC_KEYS: path.join(keys, 'bundle-signing.pub.pem') });
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.err).not.toContain('not verified');
  });

  it('refuses a tampered bundle, an untrusted signer and a private key when --bundle-key is given', async () => {
    const repo = await crmRepo();
    const dir = await tempDir('tplancmd-tamper-');
    const bundle = path.join(dir, 'base.bundle.json');
    await buildBundle(repo, bundle);
    const jws = JSON.parse(await readFile(bundle, 'utf8')) as { payload: string; protected: string; signature: string };
    const payload = JSON.parse(Buffer.from(jws.payload, 'base64url').toString('utf8')) as { config: { projects: { tools: { base_url: string }[] }[] } };
    payload.config.projects[0]!.tools[0]!.base_url = 'https://attacker.example';
    const tampered = path.join(dir, 'tampered.bundle.json');
    await writeFile(tampered, `${JSON.stringify({ payload: Buffer.from(JSON.stringify(payload)).toString('base64url'), protected: jws.protected, signature: jws.signature })}\n`);

    const r = await cli(repo, ['plan', 'gateway', '--against', `bundle:${tampered}`, '--bundle-key', path.join(keys, 'bundle-signing.pub.pem')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error BUNDLE_SIGNATURE_INVALID/);
    expect(r.out).toBe('');

    const other = await tempDir('tplancmd-otherkeys-');
    expect((await cli(other, ['keys', 'generate', '--out', other, '--force'])).code).toBe(0);
    const unknown = await cli(repo, ['plan', 'gateway', '--against', `bundle:${bundle}`, '--bundle-key', path.join(other, 'bundle-signing.pub.pem')]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/error BUNDLE_KEY_UNKNOWN/);

    const priv = await cli(repo, ['plan', 'gateway', '--against', `bundle:${bundle}`, '--bundle-key', path.join(keys, 'bundle-signing.key.pem')]);
    expect(priv.code).toBe(1);
    expect(priv.err).toMatch(/error KEY_FILE_INVALID/);
    expect(priv.err).not.toContain('TNG_INTERNAL');

    const missing = await cli(repo, ['plan', 'gateway', '--against', `bundle:${path.join(dir, 'nope.json')}`]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/error BUNDLE_UNREADABLE/);
  });
});

describe('tengine plan --against runtime:URL', () => {
  const ADMIN = `adm_${'k'.repeat(40)}`;
  let repo: string;
  let rt: { url: string; runtime: RunningRuntime } | undefined;

  beforeAll(async () => {
    repo = await crmRepo();
    const bundle = path.join(await tempDir('tplancmd-rt-'), 'base.bundle.json');
    await buildBundle(repo, bundle);
    rt = await serve(bundle, ADMIN);
  });
  afterAll(async () => {
    await rt?.runtime.close();
  });

  it('the served config equals the working config it was built from: no changes', async () => {
    const r = await cli(repo, ['plan', 'gateway', '--against', `runtime:${rt!.url}`, '--detailed-exitcode'], { TENGINE_ADMIN_TOKEN: ADMIN });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain('No changes');
  });

  it('shows what deploying the edited config would change, labelled with the served digest', async () => {
    await editDescription(repo);
    try {
      const r = await cli(repo, ['plan', 'gateway', '--against', `runtime:${rt!.url}`, '--detailed-exitcode', '-f', 'json'], { TENGINE_ADMIN_TOKEN: ADMIN });
      expect(r.code, r.err).toBe(2);
      expect(rulesOf(r.out)).toEqual(['DESCRIPTION_CHANGED']);
      expect((JSON.parse(r.out) as PlanJson).sources.before).toBe(`runtime:${rt!.url} (${rt!.runtime.bundleDigest.slice(0, 19)})`);
    } finally {
      git(repo, 'checkout', '-q', '--', 'gateway');
    }
  });

  it('a wrong admin token: PLAN_RUNTIME_UNAUTHORIZED; none: PLAN_ADMIN_TOKEN_MISSING', async () => {
    const wrong = await cli(repo, ['plan', 'gateway', '--against', `runtime:${rt!.url}`], { TENGINE_ADMIN_TOKEN: 'not-the-token' });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain('error PLAN_RUNTIME_UNAUTHORIZED');
    expect(wrong.out).toBe('');
    const none = await cli(repo, ['plan', 'gateway', '--against', `runtime:${rt!.url}`]);
    expect(none.code).toBe(1);
    expect(none.err).toContain('error PLAN_ADMIN_TOKEN_MISSING');
    // The token is never echoed back.
    expect(wrong.err + none.err).not.toContain('not-the-token');
  });

  it('an unreachable runtime: PLAN_RUNTIME_UNREACHABLE', async () => {
    const port = await freePort();
    const r = await cli(repo, ['plan', 'gateway', '--against', `runtime:http://127.0.0.1:${port}`], { TENGINE_ADMIN_TOKEN: ADMIN });
    expect(r.code).toBe(1);
    expect(r.err).toContain('error PLAN_RUNTIME_UNREACHABLE');
  });
});

describe('encrypted secrets in plans', () => {
  it('a changed encrypted_auth_secret is SECRET_CHANGED in every format and source, never the JWE or the plaintext', async () => {
    const PLAIN = ['first-upstream-secret-AAAA', 'second-upstream-secret-BBBB'];
    const jwes: string[] = [];
    for (const p of PLAIN) {
      const r = await cli(keys, ['secret', 'encrypt', '--key', path.join(keys, 'runtime-keys.pub.json')], {}, `${p}\n`);
      expect(r.code, r.err).toBe(0);
      jwes.push(r.out.trim());
    }
    const useSecret = (jwe: string) => (t: YAMLMap) => {
      t.delete('auth_secret_env');
      t.set('encrypted_auth_secret', jwe);
    };
    const repo = await crmRepo();
    await editTool(repo, 'crm-contacts-search', useSecret(jwes[0]!));
    commitAll(repo, 'encrypted secret');
    const bundle = path.join(await tempDir('tplancmd-secret-'), 'base.bundle.json');
    await buildBundle(repo, bundle);
    await editTool(repo, 'crm-contacts-search', useSecret(jwes[1]!));

    const ADMIN = `adm_${'s'.repeat(40)}`;
    const rt = await serve(bundle, ADMIN, await readFile(path.join(keys, 'runtime-keys.json'), 'utf8'));
    try {
      const forbidden = [...PLAIN, ...jwes, ...jwes.flatMap((j) => j.split('.').filter((part) => part.length > 20))];
      for (const against of ['git:HEAD', `bundle:${bundle}`, `runtime:${rt.url}`]) {
        for (const format of ['human', 'json', 'markdown']) {
          const r = await cli(repo, ['plan', 'gateway', '--against', against, '-f', format, '--detailed-exitcode', '--bundle-key', path.join(keys, 'bundle-signing.pub.pem')], { TENGINE_ADMIN_TOKEN: ADMIN });
          expect(r.code, `${against} ${format}: ${r.err}`).toBe(2);
          expect(r.out).toContain('SECRET_CHANGED');
          if (format === 'json') expect(rulesOf(r.out)).toEqual(['SECRET_CHANGED']);
          for (const s of forbidden) {
            expect(r.out.includes(s) || r.err.includes(s), `${against} ${format} leaked ${s.slice(0, 12)}…`).toBe(false);
          }
        }
      }
      // The same secret on both sides is no change at all (equal fingerprints).
      await editTool(repo, 'crm-contacts-search', useSecret(jwes[0]!));
      expect((await cli(repo, ['plan', 'gateway', '--against', 'git:HEAD', '--detailed-exitcode'])).code).toBe(0);
    } finally {
      await rt.runtime.close();
    }
  });
});

describe('plan baselines: first config and path-prefixed runtimes', () => {
  it('a ref without the config plans against an empty config (everything added), not an error', async () => {
    const join = path.join;
    const dir = await mkdtemp(join(tmpdir(), 'tengine-plan-first-'));
    try {
      const git = (...a: string[]) => execFileSync('git', a, { cwd: dir });
      git('init', '-q');
      git('config', 'user.email', 't@example.com');
      git('config', 'user.name', 'test');
      await writeFile(join(dir, 'README.md'), 'config repo\n');
      git('add', '-A');
      git('commit', '-qm', 'empty');
      await cp(join(process.cwd(), 'examples/crm'), dir, { recursive: true });
      const { io, buf } = memoryIo({ cwd: dir, env: { CRM_HMAC_SECRET: 'x' } });
      const code = await runCli(['plan', '--against', 'git:HEAD', '-f', 'json', '--detailed-exitcode'], io);
      expect(code, buf.err).toBe(2);
      const plan = JSON.parse(buf.out) as { summary: { add: number; remove: number } };
      expect(plan.summary.add).toBeGreaterThan(0);
      expect(plan.summary.remove).toBe(0);
      expect(buf.err).toContain('no config at this path');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
