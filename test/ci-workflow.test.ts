import { execFile, execFileSync } from 'node:child_process';
import { access, cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMap, isSeq, parse, parseDocument } from 'yaml';
import { memoryIo } from '../cli/io.js';
import { parseIgnoreFile } from '../cli/plan/ignore.js';
import { RULES } from '../cli/plan/rule-catalogue.js';
import { runCli } from '../cli/program.js';
import { startRuntime, type RunningRuntime } from '../runtime/start.js';

// "The example workflow's commands run locally as written" (issue 5): every `run:` step of examples/ci/tengine.yml
// that invokes tengine is executed with bash, exactly as GitHub would (bash -eo pipefail, GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY files, step env), in a temporary clone holding examples/crm. Only two things are replaced:
// `npx --no tengine` becomes this checkout's CLI, and `${{ … }}` expressions get local values (an unknown
// expression fails the test, so the workflow cannot grow one this test does not understand).

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORKFLOW_FILE = path.join(ROOT, 'examples/ci/tengine.yml');
const CI_DIR = path.join(ROOT, 'examples/ci');
const MARKER = '<!-- tengine-plan -->';
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const LOCAL_CLI = `node --import '${TSX}' '${path.join(ROOT, 'cli/main.ts')}'`;
const TENGINE_CALL = /\bnpx\s+(?:(?:--no|--yes|-y)\s+)*tengine(?:@\S+)?(?=\s|$)/g;
const ALLOWED_ACTIONS = ['actions/checkout', 'actions/setup-node', 'actions/github-script', 'actions/upload-artifact'];
const UPSTREAM_ENV = { CRM_HMAC_SECRET: 'test-hmac-secret', CRM_BILLING_API_TOKEN: 'test-billing-token' };
const ADMIN_TOKEN = `adm_${'w'.repeat(40)}`;
const GIT_ENV = { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: path.join(ROOT, 'does-not-exist.gitconfig'), GIT_TERMINAL_PROMPT: '0' };

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  'continue-on-error'?: boolean;
}
interface Job {
  if?: string;
  needs?: string | string[];
  'runs-on': string;
  permissions?: Record<string, string>;
  environment?: { name: string; url?: string } | string;
  outputs?: Record<string, string>;
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  name: string;
  on: Record<string, { branches?: string[] } | null>;
  permissions?: Record<string, string>;
  defaults?: { run?: { shell?: string } };
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const text = await readFile(WORKFLOW_FILE, 'utf8');
const HAS_CURL = (() => {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const workflow = parse(text) as Workflow;

const stepLabel = (s: Step) => s.name ?? s.uses ?? s.run?.split('\n')[0] ?? '?';
const invokesTengine = (s: Step) => typeof s.run === 'string' && new RegExp(TENGINE_CALL.source).test(s.run);
const needsOf = (j: Job) => (j.needs === undefined ? [] : Array.isArray(j.needs) ? j.needs : [j.needs]);
const stepNamed = (job: string, name: RegExp) => {
  const s = workflow.jobs[job]!.steps.find((x) => name.test(stepLabel(x)));
  if (!s) throw new Error(`job ${job} has no step matching ${name}`);
  return s;
};
const expressions = (s: string) => [...s.matchAll(/\$\{\{\s*(.+?)\s*\}\}/g)].map((m) => m[1]!);

describe('examples/ci/tengine.yml: structure GitHub relies on', () => {
  it('is one YAML document without errors or duplicate keys', () => {
    const doc = parseDocument(text, { uniqueKeys: true });
    expect(doc.errors).toEqual([]);
    expect(doc.warnings).toEqual([]);
  });

  it('runs on pull requests and on pushes to main, with read-only default permissions', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push']);
    expect(workflow.on.push?.branches).toEqual(['main']);
    expect(workflow.permissions).toEqual({ contents: 'read' });
    expect(workflow.defaults?.run?.shell).toBe('bash');
  });

  it('every job has runs-on and steps; every step has exactly one of uses/run; needs and step references exist', () => {
    for (const [id, job] of Object.entries(workflow.jobs)) {
      expect(job['runs-on'], id).toBe('ubuntu-latest');
      expect(Array.isArray(job.steps) && job.steps.length > 0, id).toBe(true);
      for (const n of needsOf(job)) expect(Object.keys(workflow.jobs), `${id} needs ${n}`).toContain(n);
      const ids: string[] = [];
      for (const s of job.steps) {
        expect(Number('uses' in s) + Number('run' in s), `${id}: ${stepLabel(s)}`).toBe(1);
        for (const e of expressions(JSON.stringify(s))) {
          const step = /^steps\.([\w-]+)\./.exec(e);
          if (step) expect(ids, `${id}: ${e} refers to a later or unknown step`).toContain(step[1]);
          const need = /needs\.([\w-]+)\./.exec(e);
          if (need) expect(needsOf(job), `${id}: ${e}`).toContain(need[1]);
        }
        if (s.id) ids.push(s.id);
      }
      for (const [k, v] of Object.entries(job.outputs ?? {})) {
        const m = /^\$\{\{ steps\.([\w-]+)\.outputs\.([\w-]+) \}\}$/.exec(v);
        expect(m, `${id}.outputs.${k}`).not.toBeNull();
        expect(ids).toContain(m![1]);
      }
    }
  });

  it('uses no action beyond checkout, setup-node, github-script and upload-artifact', () => {
    const used = Object.values(workflow.jobs).flatMap((j) => j.steps.flatMap((s) => (s.uses ? [s.uses] : [])));
    for (const u of used) expect(ALLOWED_ACTIONS, u).toContain(u.split('@')[0]);
    for (const j of Object.values(workflow.jobs)) {
      const node = j.steps.find((s) => s.uses?.startsWith('actions/setup-node@'));
      expect(node?.with?.['node-version']).toBe(20);
    }
  });

  it('never pastes an expression into a script (script injection): values reach run: through env', () => {
    for (const job of Object.values(workflow.jobs)) {
      for (const s of job.steps) if (s.run) expect(expressions(s.run), stepLabel(s)).toEqual([]);
    }
  });

  it('runs tengine from the lockfile: every call is `npx --no tengine`, after npm ci', () => {
    for (const [id, job] of Object.entries(workflow.jobs)) {
      const calls = job.steps.flatMap((s) => [...(s.run ?? '').matchAll(TENGINE_CALL)].map((m) => m[0]));
      for (const c of calls) expect(c, id).toBe('npx --no tengine');
      if (calls.length) {
        const ci = job.steps.findIndex((s) => s.run?.startsWith('npm ci'));
        const first = job.steps.findIndex(invokesTengine);
        expect(ci, id).toBeGreaterThanOrEqual(0);
        expect(ci, id).toBeLessThan(first);
      }
    }
  });

  it('pull requests: full history, annotations, one marker comment posted before the breaking-change gate', () => {
    const job = workflow.jobs.plan!;
    expect(job.if).toBe("github.event_name == 'pull_request'");
    expect(job.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
    expect(job.steps.find((s) => s.uses?.startsWith('actions/checkout@'))?.with?.['fetch-depth']).toBe(0);
    expect(stepNamed('plan', /^Validate$/).run).toBe('npx --no tengine validate --format github');

    const plan = stepNamed('plan', /^Plan against the base branch$/);
    expect(plan.run).toMatch(/plan --against "git:origin\/\$\{BASE_REF\}" --format markdown --detailed-exitcode > plan\.md/);
    expect(plan.run).not.toContain('--fail-on');
    expect(plan.env?.BASE_REF).toBe('${{ github.base_ref }}');

    const comment = stepNamed('plan', /comment/i);
    expect(comment.uses).toMatch(/^actions\/github-script@v\d+$/);
    const script = String(comment.with?.script);
    expect(script).toContain(MARKER);
    expect(script).toContain('updateComment');
    expect(script).toContain('createComment');
    expect(script).toContain('plan.md');

    const gate = stepNamed('plan', /^Fail on/);
    expect(gate.run).toContain('--fail-on breaking');
    const order = job.steps.map(stepLabel);
    expect(order.indexOf(stepLabel(gate))).toBeGreaterThan(order.indexOf(stepLabel(comment)));
    // The comment and the gate must still run when the config is invalid (validate fails but does not stop the job).
    expect(stepNamed('plan', /^Validate$/)['continue-on-error']).toBe(true);
    expect(comment.if).toContain('!cancelled()');
    expect(gate.if).toContain('!cancelled()');
  });

  it('main: the signing key reaches only the build job; SOURCE_DATE_EPOCH is the commit time; the bundle is kept per commit', () => {
    const build = workflow.jobs.build!;
    expect(build.if).toBe("github.event_name == 'push'");
    for (const [id, job] of Object.entries(workflow.jobs)) {
      const usesKey = JSON.stringify(job).includes('secrets.TENGINE_BUNDLE_SIGNING_KEY');
      expect(usesKey, id).toBe(id === 'build');
      const usesAdmin = JSON.stringify(job).includes('secrets.TENGINE_ADMIN_TOKEN');
      expect(usesAdmin, id).toBe(id === 'plan-production');
    }
    const step = stepNamed('build', /^Build and sign$/);
    expect(step.env?.TENGINE_BUNDLE_SIGNING_KEY).toBe('${{ secrets.TENGINE_BUNDLE_SIGNING_KEY }}');
    expect(step.run).toContain('SOURCE_DATE_EPOCH="$(git log -1 --format=%ct)"\nexport SOURCE_DATE_EPOCH\n');
    expect(stepNamed('build', /^Verify/).run).toContain('--key keys/bundle-signing.pub.pem');
    const upload = build.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(upload?.with?.name).toBe('${{ steps.build.outputs.artifact }}');
    expect(step.run).toContain('artifact=tengine-bundle-${GITHUB_SHA}');
  });

  it('deploys: staging, then a plan against production, then production behind its environment; same file everywhere', () => {
    expect(needsOf(workflow.jobs['deploy-staging']!)).toEqual(['build']);
    expect(needsOf(workflow.jobs['plan-production']!)).toEqual(['build', 'deploy-staging']);
    expect(needsOf(workflow.jobs['deploy-production']!)).toEqual(['build', 'plan-production']);
    expect(workflow.jobs['deploy-production']!.environment).toMatchObject({ name: 'production' });
    expect(workflow.jobs['deploy-staging']!.environment).toMatchObject({ name: 'staging' });
    const planStep = stepNamed('plan-production', /would change in production/);
    expect(planStep.run).toContain('plan --against "runtime:${RUNTIME_URL}"');
    expect(planStep.env?.RUNTIME_URL).toBe('${{ vars.TENGINE_RUNTIME_URL }}');
    for (const job of ['deploy-staging', 'deploy-production']) {
      // The artifact of this run, not a rebuild; checked against the digest the build job reported.
      const download = stepNamed(job, /^Download/);
      expect(download.run).toContain('gh run download "$GITHUB_RUN_ID"');
      expect(workflow.jobs[job]!.permissions).toEqual({ contents: 'read', actions: 'read' });
      expect(workflow.jobs[job]!.steps.some((s) => s.run?.includes('build'))).toBe(false);
      expect(stepNamed(job, /^Verify/).env?.EXPECTED_DIGEST).toBe('${{ needs.build.outputs.digest }}');
      for (const s of workflow.jobs[job]!.steps.filter((x) => /PLACEHOLDER/.test(stepLabel(x)))) expect(s.run).toContain('::warning::PLACEHOLDER');
      expect(stepNamed(job, /serves this bundle/).run).toContain('/readyz');
    }
  });
});

describe('examples/ci: the other files', () => {
  it('README lists every file of the folder', async () => {
    const readme = await readFile(path.join(CI_DIR, 'README.md'), 'utf8');
    for (const f of await readdir(CI_DIR)) if (f !== 'README.md') expect(readme, f).toContain(`\`${f}\``);
  });

  it('package.json pins tengine exactly, at this version, under its npm name', async () => {
    const own = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; bin: Record<string, string> };
    const example = JSON.parse(await readFile(path.join(CI_DIR, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    // The package is tengine-gateway (the unscoped `tengine` on npm is someone else's); its bin is `tengine`, which
    // is what `npx --no tengine` runs from node_modules/.bin.
    expect(example.devDependencies).toEqual({ [own.name]: own.version });
    expect(Object.keys(own.bin)).toEqual(['tengine']);
  });

  it('the ignore-file example parses, names catalogue rules, and every entry has a real reason and an expiry', async () => {
    const file = await readFile(path.join(CI_DIR, '.tengine-plan-ignore.yaml'), 'utf8');
    const parsed = parseIgnoreFile(file, '.tengine-plan-ignore.yaml');
    expect(parsed.errors).toEqual([]);
    expect(parsed.entries.length).toBeGreaterThan(0);
    for (const e of parsed.entries) {
      expect(Object.keys(RULES)).toContain(e.rule);
      expect(e.reason.length).toBeGreaterThan(40);
      expect(e.expires).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });
});

// ── running the commands ──────────────────────────────────────────────────────────────────────────────────────

interface Ctx {
  repo: string;
  baseRef: string;
  signingKey: string;
  runtimeUrl: string;
  stagingUrl: string;
  steps: Record<string, { outputs: Record<string, string>; outcome: string }>;
  needs: Record<string, Record<string, string>>;
}
interface Ran {
  step: Step;
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

const temps: string[] = [];
const runtimes: RunningRuntime[] = [];
let keys: string;
let origin: string;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

async function tempDir(prefix: string): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), prefix));
  temps.push(d);
  return d;
}

function evaluate(expr: string, ctx: Ctx): string {
  const fixed: Record<string, string> = {
    'github.base_ref': ctx.baseRef,
    'github.token': 'unused-in-local-runs',
    'github.repository': 'acme/tengine-config',
    'secrets.TENGINE_BUNDLE_SIGNING_KEY': ctx.signingKey,
    'secrets.TENGINE_ADMIN_TOKEN': ADMIN_TOKEN,
    'vars.TENGINE_RUNTIME_URL': ctx.runtimeUrl,
    'vars.TENGINE_STAGING_URL': ctx.stagingUrl,
  };
  if (expr in fixed) return fixed[expr]!;
  const step = /^steps\.([\w-]+)\.(?:outputs\.([\w-]+)|(outcome))$/.exec(expr);
  if (step) {
    const s = ctx.steps[step[1]!];
    if (!s) throw new Error(`expression ${expr}: step ${step[1]} has not run`);
    return step[3] ? s.outcome : (s.outputs[step[2]!] ?? '');
  }
  const need = /^needs\.([\w-]+)\.outputs\.([\w-]+)$/.exec(expr);
  if (need) {
    const value = ctx.needs[need[1]!]?.[need[2]!];
    if (value === undefined) throw new Error(`expression ${expr}: job ${need[1]} has no such output`);
    return value;
  }
  throw new Error(`the workflow uses \${{ ${expr} }}, which this test does not know how to run locally`);
}

const substitute = (s: string, ctx: Ctx) => s.replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_, e: string) => evaluate(e, ctx));

function parseOutputs(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = file.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([\w-]+)<<(.+)$/.exec(lines[i]!);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, i + 1);
      out[heredoc[1]!] = lines.slice(i + 1, end).join('\n');
      i = end;
      continue;
    }
    const kv = /^([\w-]+)=(.*)$/.exec(lines[i]!);
    if (kv) out[kv[1]!] = kv[2]!;
  }
  return out;
}

/** Runs one `run:` step the way the runner does: bash --noprofile --norc -eo pipefail, with the step's env. */
async function runStep(job: string, step: Step, ctx: Ctx): Promise<Ran> {
  const scratch = await tempDir('tciwf-step-');
  const files = { GITHUB_OUTPUT: 'output', GITHUB_STEP_SUMMARY: 'summary', GITHUB_ENV: 'env', GITHUB_PATH: 'path' };
  for (const f of Object.values(files)) await writeFile(path.join(scratch, f), '');
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TENGINE_|GITHUB_|RUNNER_|SOURCE_DATE_EPOCH$|NO_COLOR$)/.test(k)));
  const env: Record<string, string> = {
    ...(inherited as Record<string, string>),
    ...GIT_ENV,
    ...Object.fromEntries(Object.entries(files).map(([k, f]) => [k, path.join(scratch, f)])),
    GITHUB_SHA: git(ctx.repo, 'rev-parse', 'HEAD').trim(),
    GITHUB_RUN_ID: '4242',
    GITHUB_WORKSPACE: ctx.repo,
    RUNNER_TEMP: scratch,
    CI: 'true',
  };
  for (const scope of [workflow.env, workflow.jobs[job]!.env, step.env]) {
    for (const [k, v] of Object.entries(scope ?? {})) env[k] = substitute(String(v), ctx);
  }
  const script = path.join(scratch, 'step.sh');
  await writeFile(script, substitute(step.run!, ctx).replace(TENGINE_CALL, LOCAL_CLI));
  // Asynchronous, so that the in-process runtimes of this test keep answering while the step runs.
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd: ctx.repo, env, encoding: 'utf8', timeout: 60_000 }, (err, out, errOut) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: out, stderr: errOut });
    });
  });
  const outputs = parseOutputs(await readFile(env.GITHUB_OUTPUT!, 'utf8'));
  if (step.id) ctx.steps[step.id] = { outputs, outcome: code === 0 ? 'success' : 'failure' };
  return { step, code, stdout, stderr, outputs, summary: await readFile(env.GITHUB_STEP_SUMMARY!, 'utf8') };
}

/**
 * Runs a job's steps in order: those that invoke tengine, plus any named in `alsoRun` (shell-only checks). Steps
 * that only talk to GitHub or to your platform (checkout, npm ci, comment, artifact, gh, placeholders) are skipped;
 * their presence is asserted above. Every step runs, as with `!cancelled()`/continue-on-error: the test asserts codes.
 */
async function runJob(job: string, ctx: Ctx, opts: { alsoRun?: RegExp[]; only?: RegExp } = {}): Promise<{ byName: (re: RegExp) => Ran; outputs: Record<string, string> }> {
  ctx.steps = {};
  const ran: Ran[] = [];
  for (const step of workflow.jobs[job]!.steps) {
    if (!step.run) continue;
    if (!invokesTengine(step) && !(opts.alsoRun ?? []).some((re) => re.test(stepLabel(step)))) continue;
    if (opts.only && !opts.only.test(stepLabel(step))) continue;
    ran.push(await runStep(job, step, ctx));
  }
  const outputs = Object.fromEntries(Object.entries(workflow.jobs[job]!.outputs ?? {}).map(([k, v]) => [k, substitute(v, ctx)]));
  return {
    outputs,
    byName: (re) => {
      const r = ran.find((x) => re.test(stepLabel(x.step)));
      if (!r) throw new Error(`${job}: no step ${re} ran`);
      return r;
    },
  };
}

interface FakeComment {
  id: number;
  user: { login: string };
  body: string;
}

/**
 * Runs the comment step's github-script with a fake `github` client (the one GitHub API step worth executing: it
 * decides between creating and updating the comment). Files are read from `repo`, as from the workspace.
 */
async function runCommentScript(repo: string, exitCode: string, existing: FakeComment[]) {
  const step = workflow.jobs.plan!.steps.find((s) => s.uses?.startsWith('actions/github-script@'))!;
  const calls: { op: 'create' | 'update'; args: Record<string, unknown> }[] = [];
  const fs = await import('node:fs');
  const fakeFs = {
    existsSync: (f: string) => fs.existsSync(path.resolve(repo, f)),
    readFileSync: (f: string, enc: BufferEncoding) => fs.readFileSync(path.resolve(repo, f), enc),
  };
  const github = {
    paginate: async (_fn: unknown, args: Record<string, unknown>) => {
      expect(args).toMatchObject({ owner: 'acme', repo: 'tengine-config', issue_number: 7 });
      return existing;
    },
    rest: {
      issues: {
        listComments: () => undefined,
        createComment: async (args: Record<string, unknown>) => void calls.push({ op: 'create', args }),
        updateComment: async (args: Record<string, unknown>) => void calls.push({ op: 'update', args }),
      },
    },
  };
  const context = {
    repo: { owner: 'acme', repo: 'tengine-config' },
    issue: { number: 7 },
    runId: 4242,
    serverUrl: 'https://github.com',
    payload: { pull_request: { head: { sha: 'abcdef0123456789' } } },
  };
  expect(step.env).toEqual({ PLAN_EXIT_CODE: '${{ steps.plan.outputs.exit_code }}' });
  const env = { PLAN_EXIT_CODE: exitCode };
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<void>;
  const require = (m: string) => {
    if (m !== 'node:fs' && m !== 'fs') throw new Error(`the comment script requires ${m}`);
    return fakeFs;
  };
  await new AsyncFunction('require', 'github', 'context', 'process', String(step.with!.script))(require, github, context, { env });
  return calls;
}

const show = (r: Ran) => `${stepLabel(r.step)} exited ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function serve(bundle: string): Promise<string> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const rt = await startRuntime({
    bundle: await readFile(bundle),
    bundlePublicKeys: [await readFile(path.join(keys, 'bundle-signing.pub.pem'), 'utf8')],
    host: '127.0.0.1',
    port,
    publicUrl: url,
    env: UPSTREAM_ENV,
    adminToken: ADMIN_TOKEN,
    log: () => {},
  });
  runtimes.push(rt);
  return url;
}

/** A full clone of the origin (so origin/main exists, as after actions/checkout with fetch-depth: 0). */
async function clone(branch: string): Promise<string> {
  const dir = path.join(await tempDir('tciwf-clone-'), 'repo');
  git(path.dirname(dir), 'clone', '-q', origin, dir);
  git(dir, 'config', 'user.name', 'CI Test');
  git(dir, 'config', 'user.email', 'ci-test@example.invalid');
  git(dir, 'config', 'commit.gpgsign', 'false');
  git(dir, 'checkout', '-q', '-b', branch);
  return dir;
}

async function commitEdit(repo: string, file: string, edit: (text: string) => string, message: string): Promise<void> {
  const p = path.join(repo, file);
  await writeFile(p, edit(await readFile(p, 'utf8')));
  git(repo, 'commit', '-q', '-am', message);
}

const describeEdit = (t: string) => t.replace('Search CRM contacts by name, email address or company.', 'Find CRM contacts by name, email address or company.');
const removeDelete = (t: string) => t.slice(0, t.indexOf('  - name: crm-deals-delete')) + t.slice(t.indexOf('  - name: crm-billing-invoices-list'));

beforeAll(async () => {
  keys = await tempDir('tciwf-keys-');
  const { io, buf } = memoryIo({ cwd: keys });
  expect(await runCli(['keys', 'generate', '--out', keys, '--force'], io), buf.err).toBe(0);
  // The config repository as docs/gitops.md lays it out: config at the root, public keys committed under keys/.
  origin = await tempDir('tciwf-origin-');
  await cp(path.join(ROOT, 'examples/crm'), origin, { recursive: true });
  await mkdir(path.join(origin, 'keys'));
  await cp(path.join(keys, 'bundle-signing.pub.pem'), path.join(origin, 'keys/bundle-signing.pub.pem'));
  await cp(path.join(keys, 'runtime-keys.pub.json'), path.join(origin, 'keys/runtime-keys.pub.json'));
  await writeFile(path.join(origin, '.gitignore'), 'node_modules/\ndist/\n');
  git(origin, 'init', '-q', '-b', 'main');
  git(origin, 'config', 'user.name', 'CI Test');
  git(origin, 'config', 'user.email', 'ci-test@example.invalid');
  git(origin, 'config', 'commit.gpgsign', 'false');
  git(origin, 'add', '-A');
  git(origin, 'commit', '-q', '-m', 'base config');
});

afterAll(async () => {
  await Promise.all(runtimes.map((r) => r.close()));
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

describe('the example workflow runs locally as written', () => {
  const ctxFor = async (repo: string): Promise<Ctx> => ({
    repo,
    baseRef: 'main',
    signingKey: await readFile(path.join(keys, 'bundle-signing.key.pem'), 'utf8'),
    runtimeUrl: 'http://127.0.0.1:9',
    stagingUrl: 'http://127.0.0.1:9',
    steps: {},
    needs: {},
  });

  it('pull requests: a benign change, a breaking change and an invalid config each end as designed', async () => {
    const [benign, breaking, invalid] = await Promise.all([clone('pr-benign'), clone('pr-breaking'), clone('pr-invalid')]);
    await commitEdit(benign, 'tools/contacts.yaml', describeEdit, 'reword the search tool');
    await commitEdit(breaking, 'tools/deals.yaml', removeDelete, 'drop the delete tool');
    await commitEdit(invalid, 'tools/contacts.yaml', (t) => t.replace('http_method: GET', 'http_method: FETCH'), 'typo');
    const [b, k, i] = await Promise.all([benign, breaking, invalid].map(async (repo) => runJob('plan', await ctxFor(repo))));

    // Benign: annotations step clean, the comment file holds a plan with the marker, the gate passes.
    expect(b!.byName(/^Validate$/).code, show(b!.byName(/^Validate$/))).toBe(0);
    const bp = b!.byName(/^Plan against/);
    expect(bp.code, show(bp)).toBe(0);
    expect(bp.outputs.exit_code).toBe('2');
    const planMd = await readFile(path.join(benign, 'plan.md'), 'utf8');
    expect(planMd.startsWith(MARKER)).toBe(true);
    expect(planMd).toContain('DESCRIPTION_CHANGED');
    expect(planMd).toContain('git:origin/main');
    expect(bp.summary).toBe(planMd);
    expect(b!.byName(/^Fail on/).code, show(b!.byName(/^Fail on/))).toBe(0);
    // The comment: created once, then updated in place; a person quoting the marker is left alone.
    const created = await runCommentScript(benign, bp.outputs.exit_code!, [{ id: 1, user: { login: 'octocat' }, body: `see ${MARKER}` }]);
    expect(created).toHaveLength(1);
    expect(created[0]!.op).toBe('create');
    expect(created[0]!.args).toMatchObject({ owner: 'acme', repo: 'tengine-config', issue_number: 7 });
    expect(String(created[0]!.args.body).startsWith(planMd)).toBe(true);
    expect(String(created[0]!.args.body)).toContain('for abcdef0');
    const updated = await runCommentScript(benign, bp.outputs.exit_code!, [
      { id: 1, user: { login: 'octocat' }, body: `see ${MARKER}` },
      { id: 2, user: { login: 'github-actions[bot]' }, body: `${MARKER}\nold plan` },
    ]);
    expect(updated.map((c) => [c.op, c.args.comment_id])).toEqual([['update', 2]]);

    // Breaking: the plan (and so the comment) is still produced; only the gate after it fails.
    const kp = k!.byName(/^Plan against/);
    expect(kp.code, show(kp)).toBe(0);
    expect(kp.outputs.exit_code).toBe('2');
    expect(await readFile(path.join(breaking, 'plan.md'), 'utf8')).toContain('TOOL_REMOVED');
    const kg = k!.byName(/^Fail on/);
    expect(kg.code, show(kg)).toBe(1);
    expect(kg.stdout).toMatch(/BREAKING TOOL_REMOVED/);

    // Invalid: annotations, no plan (never an empty one), the error text for the comment, a failing gate.
    const iv = i!.byName(/^Validate$/);
    expect(iv.code).toBe(1);
    expect(iv.stdout).toMatch(/^::error file=tools\/contacts\.yaml,line=\d+,col=\d+,title=TNG\d+/m);
    const ip = i!.byName(/^Plan against/);
    expect(ip.code, show(ip)).toBe(0);
    expect(ip.outputs.exit_code).toBe('1');
    expect(await readFile(path.join(invalid, 'plan.md'), 'utf8')).toBe('');
    expect(await readFile(path.join(invalid, 'plan.err'), 'utf8')).toContain('plan not computed');
    expect(ip.summary).toBe('');
    const ig = i!.byName(/^Fail on/);
    expect(ig.code).toBe(1);
    expect(ig.stdout).toContain('::error::tengine validate found errors');
    // The comment replaces the previous plan with the errors, never leaving a stale plan standing.
    const errorComment = await runCommentScript(invalid, ip.outputs.exit_code!, [{ id: 3, user: { login: 'github-actions[bot]' }, body: `${MARKER}\nold plan` }]);
    expect(errorComment.map((c) => c.op)).toEqual(['update']);
    expect(String(errorComment[0]!.args.body)).toContain('The plan could not be computed');
    expect(String(errorComment[0]!.args.body)).toMatch(/error TNG\d+/);
    expect(String(errorComment[0]!.args.body).startsWith(MARKER)).toBe(true);
  }, 90_000);

  it('the ignore-file example accepts exactly the change it describes, until it expires', async () => {
    const repo = await clone('pr-accepted');
    await commitEdit(repo, 'tools/deals.yaml', removeDelete, 'drop the delete tool');
    await cp(path.join(CI_DIR, '.tengine-plan-ignore.yaml'), path.join(repo, '.tengine-plan-ignore.yaml'));
    const expires = parseIgnoreFile(await readFile(path.join(repo, '.tengine-plan-ignore.yaml'), 'utf8'), 'x').entries[0]!.expires!;
    const plan = async (today: string) => {
      const { io, buf } = memoryIo({ cwd: repo });
      return { code: await runCli(['plan', '--against', 'git:origin/main', '--fail-on', 'breaking', '--today', today], io), ...buf };
    };
    const before = await plan(expires);
    expect(before.code, before.out + before.err).toBe(0);
    expect(before.out).toContain('accepted TOOL_REMOVED');
    const after = new Date(Date.parse(`${expires}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    expect((await plan(after)).code).toBe(1);
  });

  it('main and the deploy jobs: build, reproduce, verify, check the digest, plan against production, check /readyz', async () => {
    // The bundle production serves before this push: built from origin/main as the workflow would have.
    const base = await ctxFor(await clone('prod-before'));
    const before = await runJob('build', base, { only: /^Build and sign$/ });
    expect(before.byName(/^Build and sign$/).code, show(before.byName(/^Build and sign$/))).toBe(0);
    const productionUrl = await serve(path.join(base.repo, before.outputs.bundle!));

    // The push: a reviewed change merged to main.
    const repo = await clone('main-after');
    await commitEdit(repo, 'tools/contacts.yaml', describeEdit, 'reword the search tool');
    const ctx = await ctxFor(repo);
    const build = await runJob('build', ctx);
    expect(build.byName(/^Validate$/).code).toBe(0);
    const b = build.byName(/^Build and sign$/);
    expect(b.code, show(b)).toBe(0);
    const sha = git(repo, 'rev-parse', 'HEAD').trim();
    expect(build.outputs).toEqual({
      bundle: `dist/tengine-${sha}.bundle.json`,
      digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      artifact: `tengine-bundle-${sha}`,
    });
    await access(path.join(repo, build.outputs.bundle!));
    expect(build.outputs.digest).not.toBe(before.outputs.digest);
    // SOURCE_DATE_EPOCH came from the commit time.
    const payload = JSON.parse(Buffer.from((JSON.parse(await readFile(path.join(repo, build.outputs.bundle!), 'utf8')) as { payload: string }).payload, 'base64url').toString('utf8')) as { created_at: string; source: { revision: string } };
    expect(payload.created_at).toBe(new Date(Number(git(repo, 'log', '-1', '--format=%ct').trim()) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    expect(payload.source.revision).toBe(sha);
    const reproducible = build.byName(/reproducible/);
    expect(reproducible.code, show(reproducible)).toBe(0);
    expect(build.byName(/^Verify/).code, show(build.byName(/^Verify/))).toBe(0);

    // Staging and production run the same file: verified, and its digest checked against the build job's.
    const newUrl = await serve(path.join(repo, build.outputs.bundle!));
    ctx.needs = { build: build.outputs };
    ctx.stagingUrl = newUrl;
    // The /readyz checks are plain curl; GitHub's runners have it, and so does any machine this test should run on.
    const readyz = HAS_CURL ? [/serves this bundle/] : [];
    const staging = await runJob('deploy-staging', ctx, { alsoRun: readyz });
    expect(staging.byName(/^Verify/).code, show(staging.byName(/^Verify/))).toBe(0);
    if (HAS_CURL) {
      const stagingReady = staging.byName(/serves this bundle/);
      expect(stagingReady.code, show(stagingReady)).toBe(0);
      expect(stagingReady.stdout).toContain(`staging serves ${build.outputs.digest}`);
    }

    // Before approval: what production (still on the old bundle) would change.
    ctx.runtimeUrl = productionUrl;
    const planProd = await runJob('plan-production', ctx);
    const pp = planProd.byName(/would change in production/);
    expect(pp.code, show(pp)).toBe(0);
    expect(pp.stdout.startsWith(MARKER)).toBe(true);
    expect(pp.stdout).toContain('DESCRIPTION_CHANGED');
    expect(pp.summary).toBe(pp.stdout);

    // After the (placeholder) rollout production serves the new bundle; the /readyz check proves it.
    ctx.runtimeUrl = newUrl;
    const prod = await runJob('deploy-production', ctx, { alsoRun: readyz });
    expect(prod.byName(/^Verify/).code, show(prod.byName(/^Verify/))).toBe(0);
    if (HAS_CURL) expect(prod.byName(/serves this bundle/).stdout).toContain(`production serves ${build.outputs.digest}`);

    // A bundle that is not the one built (here: the old one) fails the digest check.
    const wrong = { ...ctx, needs: { build: { ...build.outputs, bundle: path.join(base.repo, before.outputs.bundle!) } } };
    const mismatch = await runJob('deploy-production', wrong, { only: /^Verify/ });
    expect(mismatch.byName(/^Verify/).code).toBe(1);
    expect(mismatch.byName(/^Verify/).stdout).toContain('::error::bundle digest');
  }, 90_000);
});
