import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, lstat, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEV_FILES } from '../cli/dev/dev-state.js';
import { KEY_FILE_NAMES } from '../cli/keys/generate-keys.js';
import { DEMO_UPSTREAM_PORT } from '../examples/demo-upstream/server.js';
import { tempDir } from './fixtures/bundle-fixtures.js';
import { freePort, makeDeployFiles, runtimeReadsEnv, startUntil } from './fixtures/deploy-files.js';

// Packaging (issue 10 item 6): the npm package's metadata and contents, and the Dockerfile and compose file checked
// without Docker (no daemon on CI). The Dockerfile's build commands run for real, in a folder standing in for each
// stage's filesystem: COPY copies what .dockerignore lets through, RUN runs with bash. One declared substitution:
// the build stage's full `npm ci` (dev dependencies, ~400 MB) is this checkout's node_modules, linked. The production
// `npm ci --omit=dev`, `npm pack` (with its prepack build) and the runtime stage's entry point all run as written;
// the runtime then boots from the stage's /app against a bundle made with the CLI, and the HEALTHCHECK command runs.

const ROOT = path.resolve(import.meta.dirname, '..');
const run = promisify(execFile);
const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, any>;

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name: string;
  steps: Instruction[];
}

/** Dockerfile instructions by stage: comments dropped, `\` continuations joined, ARG defaults substituted in FROM. */
function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const lines = text.split('\n').filter((l) => !/^\s*#/.test(l));
  const joined: string[] = [];
  let cur = '';
  for (const l of lines) {
    if (/\\\s*$/.test(l)) cur += l.replace(/\\\s*$/, ' ');
    else {
      cur += l;
      if (cur.trim()) joined.push(cur.trim());
      cur = '';
    }
  }
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of joined) {
    const m = /^(\w+)\s+(.*)$/s.exec(line);
    if (!m) throw new Error(`unparsed Dockerfile line: ${line}`);
    const op = m[1]!.toUpperCase();
    const rest = m[2]!.replace(/\s+/g, ' ').trim();
    if (op === 'ARG' && stages.length === 0) {
      const [k, v] = rest.split('=');
      args[k!] = v ?? '';
    } else if (op === 'FROM') {
      const f = /^(\S+)(?: AS (\S+))?$/i.exec(rest)!;
      stages.push({ from: f[1]!.replace(/\$\{(\w+)\}/g, (_, k: string) => args[k] ?? ''), name: f[2] ?? String(stages.length), steps: [] });
    } else stages.at(-1)!.steps.push({ op, args: rest });
  }
  return { args, stages };
}

/** .dockerignore as Docker reads it: the last matching pattern wins, `!` re-includes. */
function dockerignore(text: string): (rel: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const glob = negate ? l.slice(1) : l;
      const re = glob
        .split('/')
        .map((part) => (part === '**' ? '(?:.*)' : part.replace(/[.+^${}()|[\]]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
        .join('/')
        .replace(/\(\?:\.\*\)\//g, '(?:.*/)?');
      return { negate, re: new RegExp(`^${re}(?:/.*)?$`) };
    });
  return (rel) => {
    let included = true;
    for (const r of rules) if (r.re.test(rel)) included = r.negate;
    return included;
  };
}

/** Every file of the build context that .dockerignore lets through, relative to the repository. */
async function buildContext(included: (rel: string) => boolean): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const e of await readdir(path.join(ROOT, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      // Shortcut, not a rule: these are large and excluded by the patterns (asserted below).
      if (['node_modules', '.git', '.cache', 'dist'].includes(r)) continue;
      if (e.isDirectory()) await walk(r);
      else if (included(r)) out.push(r);
    }
  };
  await walk('');
  return out;
}

/** A stage's view of an absolute path inside the image, under `root`. */
const inStage = (root: string, p: string) => path.join(root, p);
/** Absolute image paths in a shell command, rewritten into the stage folder. */
const rewritePaths = (root: string, cmd: string) => cmd.replace(/(^|[\s=])\/(app|src|tmp|etc)(?=[/\s]|$)/g, (_, pre: string, top: string) => `${pre}${path.join(root, top)}`);

let work: { dir: string; cleanup: () => Promise<void> };
let stages: Stage[];
let dfArgs: Record<string, string>;
let included: (rel: string) => boolean;
const stageRoot = (name: string) => path.join(work.dir, 'stages', name);
let runtimeStage: Stage;
let appDir: string;
let packedFiles: string[];

beforeAll(async () => {
  work = await tempDir('tengine-pkg-');
  ({ stages, args: dfArgs } = parseDockerfile(await readFile(path.join(ROOT, 'Dockerfile'), 'utf8')));
  included = dockerignore(await readFile(path.join(ROOT, '.dockerignore'), 'utf8'));
  const context = await buildContext(included);
  for (const stage of stages) {
    const root = stageRoot(stage.name);
    await mkdir(path.join(root, 'tmp'), { recursive: true });
    let cwd = root;
    // The build's environment is this machine's (its registry access and certificates, as a docker build has), less
    // the npm_* variables `npm test` sets for its own script, which a docker build does not have.
    const env: NodeJS.ProcessEnv = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k))), npm_config_update_notifier: 'false' };
    for (const step of stage.steps) {
      if (step.op === 'WORKDIR') {
        cwd = inStage(root, step.args);
        await mkdir(cwd, { recursive: true });
      } else if (step.op === 'ENV') {
        for (const m of step.args.matchAll(/(\w+)=(\S+)/g)) env[m[1]!] = m[2]!;
      } else if (step.op === 'COPY') {
        const parts = step.args.split(' ');
        const from = parts[0]!.startsWith('--from=') ? parts.shift()!.slice('--from='.length) : undefined;
        const dest = parts.pop()!;
        const target = dest.startsWith('/') ? inStage(root, dest) : path.join(cwd, dest);
        for (const src of parts) {
          if (from) {
            await cp(inStage(stageRoot(from), src), target, { recursive: true, verbatimSymlinks: true });
            continue;
          }
          const files = context.filter((f) => f === src || f.startsWith(`${src}/`));
          expect(files.length, `COPY ${src}: nothing in the build context`).toBeGreaterThan(0);
          for (const f of files) {
            const to = dest.endsWith('/') && f === src ? path.join(target, path.basename(f)) : path.join(target, path.relative(src, f) || path.basename(f));
            await mkdir(path.dirname(to), { recursive: true });
            await cp(path.join(ROOT, f), to);
          }
        }
      } else if (step.op === 'RUN') {
        if (/^npm ci\b/.test(step.args) && !step.args.includes('--omit=dev')) {
          // The declared substitution: the full dev install is this checkout's.
          await symlink(path.join(ROOT, 'node_modules'), path.join(cwd, 'node_modules'));
          continue;
        }
        const r = spawnSync('bash', ['-eo', 'pipefail', '-c', rewritePaths(root, step.args)], { cwd, env, encoding: 'utf8', timeout: 240_000 });
        expect(r.status, `RUN ${step.args}\n${r.stdout}\n${r.stderr}`).toBe(0);
      }
    }
  }
  runtimeStage = stages.at(-1)!;
  appDir = inStage(stageRoot(runtimeStage.name), '/app');
  const tgz = (await readdir(inStage(stageRoot('build'), '/tmp'))).find((f) => f.endsWith('.tgz'))!;
  packedFiles = (await run('tar', ['-tzf', path.join(inStage(stageRoot('build'), '/tmp'), tgz)])).stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
}, 420_000);
afterAll(async () => work?.cleanup());

const stepArgs = (stage: Stage, op: string) => stage.steps.filter((s) => s.op === op).map((s) => s.args);
const envOf = (stage: Stage) => Object.fromEntries(stepArgs(stage, 'ENV').flatMap((a) => [...a.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!])));
const jsonArray = (s: string) => JSON.parse(s) as string[];

async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const rel of await readdir(dir, { recursive: true })) {
    const st = await lstat(path.join(dir, rel));
    out.set(rel, `${st.size}:${st.mtimeMs}`);
  }
  return out;
}

describe('the npm package', () => {
  it('has a name of its own and keeps the tengine command', () => {
    // The unscoped `tengine` on npm is an unrelated template-engine package: `npx tengine` outside this repository
    // would run a stranger's code.
    expect(pkg.name).toBe('tengine-gateway');
    expect(pkg.bin).toEqual({ tengine: 'dist/cli/main.js' });
  });

  it('declares licence, repository, entry points, and builds on prepack as well as on prepare', () => {
    expect(pkg.license).toBe('Apache-2.0');
    expect(pkg.repository).toEqual({ type: 'git', url: 'git+https://github.com/tengine-dev/tengine.git' });
    expect(pkg.bugs.url).toMatch(/^https:\/\//);
    expect(pkg.homepage).toMatch(/^https:\/\//);
    expect(pkg.exports).toEqual({ '.': { types: './dist/runtime/start.d.ts', default: './dist/runtime/start.js' }, './package.json': './package.json' });
    expect(pkg.types).toBe('./dist/runtime/start.d.ts');
    expect(pkg.scripts.prepack).toContain('npm run build');
    expect(pkg.scripts.prepare).toBe('tsc -p tsconfig.build.json');
  });

  it('ships the full Apache License 2.0 text', async () => {
    const text = await readFile(path.join(ROOT, 'LICENSE'), 'utf8');
    expect(text).toMatch(/^\s+Apache License\n\s+Version 2\.0, January 2004\n\s+http:\/\/www\.apache\.org\/licenses\/\n/);
    for (let n = 1; n <= 9; n++) expect(text).toMatch(new RegExp(`\\n\\s+${n}\\. [A-Z]`));
    expect(text).toContain('END OF TERMS AND CONDITIONS');
    expect(text).toContain('APPENDIX: How to apply the Apache License to your work.');
    expect(text.split('\n').length).toBeGreaterThan(200);
  });

  it('packs the built CLI, runtime, types, schemas and licence, and no source maps, tests or sources', () => {
    for (const f of ['package.json', 'LICENSE', 'README.md', 'dist/cli/main.js', 'dist/runtime/start.js', 'dist/runtime/start.d.ts', 'dist/examples/demo-upstream/server.js', 'schemas/config.schema.json']) {
      expect(packedFiles, f).toContain(f);
    }
    expect(packedFiles.filter((f) => f.endsWith('.map') || f.includes('.test.') || f.includes('test-support') || (f.endsWith('.ts') && !f.endsWith('.d.ts')))).toEqual([]);
    expect(packedFiles.every((f) => ['package.json', 'LICENSE', 'README.md'].includes(f) || f.startsWith('dist/') || /^schemas\/[^/]+\.json$/.test(f))).toBe(true);
  });

  it('has no sourceMappingURL pointing at a file it does not ship', async () => {
    const js = packedFiles.filter((f) => f.endsWith('.js'));
    expect(js.length).toBeGreaterThan(50);
    const withMaps: string[] = [];
    for (const f of js) if ((await readFile(path.join(appDir, f), 'utf8')).includes('sourceMappingURL')) withMaps.push(f);
    expect(withMaps).toEqual([]);
  });

  it('resolves its exports and types from the packed files', async () => {
    const entry = pkg.exports['.'];
    for (const target of [entry.types, entry.default, pkg.types]) expect((await stat(path.join(appDir, target))).isFile()).toBe(true);
    const mod = (await import(path.join(appDir, entry.default))) as Record<string, unknown>;
    expect(typeof mod.startRuntime).toBe('function');
    expect(typeof mod.resolveRuntimeOptions).toBe('function');
  });

  it('is what the CI example installs, pinned exactly, and no doc installs the unscoped name', async () => {
    const example = JSON.parse(await readFile(path.join(ROOT, 'examples/ci/package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    expect(example.devDependencies).toEqual({ [pkg.name]: pkg.version });
    const docs = [path.join(ROOT, 'README.md'), ...(await readdir(path.join(ROOT, 'docs'))).map((f) => path.join(ROOT, 'docs', f)), path.join(ROOT, 'examples/README.md'), path.join(ROOT, 'examples/ci/README.md')];
    for (const f of docs) {
      const text = await readFile(f, 'utf8');
      expect(text, f).not.toMatch(/npm (?:install|i|add)(?: -[-\w]+)* tengine(?:@|\s|$)|npx (?:-y |--yes )?tengine@|"tengine": "\d/m);
    }
  });
});

describe('the Dockerfile', () => {
  it('builds on Node 24 in two stages and runs as a numeric non-root user', () => {
    expect(dfArgs.NODE_IMAGE).toMatch(/^node:24-[a-z]+-slim$/);
    expect(stages.map((s) => [s.name, s.from])).toEqual([
      ['build', dfArgs.NODE_IMAGE],
      ['runtime', dfArgs.NODE_IMAGE],
    ]);
    expect(stepArgs(runtimeStage, 'USER')).toEqual(['1000:1000']);
    expect(stepArgs(runtimeStage, 'RUN')).toEqual([]);
  });

  it('lets only sources into the build context, never keys, bundles or local state', () => {
    for (const f of ['cli/main.ts', 'runtime/start.ts', 'schemas/config.schema.json', 'package-lock.json']) expect(included(f), f).toBe(true);
    for (const f of ['.tengine/keys/bundle-signing.key.pem', 'keys/runtime-keys.json', 'examples/x/runtime-keys.json', 'tengine.bundle.json', 'node_modules/x/index.js', 'dist/cli/main.js', '.cache/helm/helm', '.git/config', 'cli/commands/keys.test.ts', 'deploy/helm/tengine/values.yaml']) {
      expect(included(f), f).toBe(false);
    }
  });

  it('leaves production dependencies only in the runtime stage', async () => {
    const modules = path.join(appDir, 'node_modules');
    for (const dep of Object.keys(pkg.dependencies)) expect((await stat(path.join(modules, dep))).isDirectory(), dep).toBe(true);
    for (const dep of Object.keys(pkg.devDependencies)) await expect(stat(path.join(modules, dep)), dep).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await readdir(appDir)).sort()).toEqual(['LICENSE', 'README.md', 'dist', 'node_modules', 'package.json', 'schemas']);
  });

  it('gives the runtime a 64 MiB young generation through NODE_OPTIONS, which an operator can replace', () => {
    // docs/performance.md "Tuning": V8's default (16 MiB) promotes call objects and shows at the p99.
    expect(envOf(runtimeStage).NODE_OPTIONS).toBe('--max-semi-space-size=64');
  });

  it('exposes the ports its environment sets, and checks health on /livez with node', () => {
    const env = envOf(runtimeStage);
    expect(stepArgs(runtimeStage, 'EXPOSE')).toEqual([`${env.TENGINE_PORT} ${env.TENGINE_METRICS_PORT}`]);
    expect(env.TENGINE_HOST).toBe('0.0.0.0');
    expect(stepArgs(runtimeStage, 'VOLUME')).toEqual(['["/tmp"]']);
    const [health] = stepArgs(runtimeStage, 'HEALTHCHECK');
    expect(health).toMatch(/^--interval=\S+ --timeout=\S+ --start-period=\S+ --retries=\d+ CMD \["node", "-e", .*\/livez/);
  });

  it('sets only TENGINE_* variables the runtime reads', async () => {
    const unread: string[] = [];
    for (const name of Object.keys(envOf(runtimeStage)).filter((n) => n.startsWith('TENGINE_'))) if (!(await runtimeReadsEnv(name))) unread.push(name);
    expect(unread).toEqual([]);
  });

  it('boots `tengine serve` from the runtime stage, answers the health check, writes nothing outside /tmp, and exits 0 on SIGTERM', async () => {
    const root = stageRoot(runtimeStage.name);
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: path.join(root, 'nonexistent-home') };
    for (const [k, v] of Object.entries(envOf(runtimeStage))) env[k] = v.startsWith('/') ? rewritePaths(root, v) : v;
    // The image's default bundle location, filled as an operator's volume would be.
    const files = await makeDeployFiles(path.join(work.dir, 'deploy'));
    await mkdir(path.dirname(env.TENGINE_BUNDLE!), { recursive: true });
    await cp(files.bundle, env.TENGINE_BUNDLE!);
    await cp(files.publicKey, env.TENGINE_BUNDLE_PUBLIC_KEYS!);
    // Loopback and free ports instead of 0.0.0.0:8080/9464 (this machine is shared); TMPDIR is the /tmp volume.
    const port = await freePort();
    Object.assign(env, { TENGINE_HOST: '127.0.0.1', TENGINE_PORT: String(port), TENGINE_METRICS_HOST: '127.0.0.1', TENGINE_METRICS_PORT: String(await freePort()), TMPDIR: path.join(root, 'tmp') });
    const before = await snapshot(appDir);
    const entry = jsonArray(stepArgs(runtimeStage, 'ENTRYPOINT')[0]!);
    const cmd = jsonArray(stepArgs(runtimeStage, 'CMD')[0]!);
    expect([...entry, ...cmd]).toEqual(['node', '/app/dist/cli/main.js', 'serve']);
    const workdir = inStage(root, stepArgs(runtimeStage, 'WORKDIR')[0]!);
    const proc = await startUntil(process.execPath, [...entry.slice(1).map((a) => rewritePaths(root, a)), ...cmd], { cwd: workdir, env, ready: /tengine: serving /, timeoutMs: 25_000 });
    const health = jsonArray(/CMD (\[.*\])$/.exec(stepArgs(runtimeStage, 'HEALTHCHECK')[0]!)![1]!);
    const check = () => run(process.execPath, health.slice(1), { env: { PATH: process.env.PATH, TENGINE_PORT: String(port) } }).then(() => 0, (e: { code: number }) => e.code);
    try {
      expect(await check()).toBe(0);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(200);
      expect(((await ready.json()) as { bundle_digest: string }).bundle_digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    } finally {
      proc.child.kill('SIGTERM');
    }
    const code = await Promise.race([proc.exited, new Promise((r) => setTimeout(() => r('still running 40 s after SIGTERM'), 40_000))]);
    if (code !== 0) proc.child.kill('SIGKILL');
    expect(code).toBe(0);
    expect(await check()).toBe(1);
    expect(await snapshot(appDir)).toEqual(before);
    await expect(stat(env.HOME!)).rejects.toMatchObject({ code: 'ENOENT' });
  }, 90_000);
});

describe('compose.yaml', () => {
  // Merge keys (<<) as Compose applies them; ${VAR:-default} interpolated after parsing, as Compose does, with the
  // defaults.
  const interpolate = (v: unknown): unknown =>
    typeof v === 'string' ? v.replace(/\$\{(\w+):-([^}]*)\}/g, (_, _k, d: string) => d) : Array.isArray(v) ? v.map(interpolate) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, interpolate(x)])) : v;
  const compose = interpolate(parse(readFileSync(path.join(ROOT, 'compose.yaml'), 'utf8'), { merge: true })) as { services: Record<string, any> };
  const svc = compose.services;

  it('runs the runtime, Redis and the demo upstream', () => {
    expect(Object.keys(svc).sort()).toEqual(['demo-upstream', 'redis', 'tengine']);
    expect(svc.tengine.build).toBe('.');
    expect(svc['demo-upstream'].image).toBe(svc.tengine.image);
    expect(svc.tengine.depends_on.redis.condition).toBe('service_healthy');
    expect(svc.redis.command).toEqual(expect.arrayContaining(['--maxmemory-policy', 'noeviction']));
    expect(svc.tengine.environment.TENGINE_REDIS_URL).toBe('redis://redis:6379');
  });

  it('hardens both Node services like the chart: read-only, tmpfs /tmp, no capabilities, non-root, init', () => {
    for (const name of ['tengine', 'demo-upstream']) {
      expect(svc[name], name).toMatchObject({ read_only: true, tmpfs: ['/tmp'], cap_drop: ['ALL'], init: true, user: '1000:1000' });
    }
  });

  it('sets only TENGINE_* variables the runtime reads, and waits longer than the drain on stop', async () => {
    const env = svc.tengine.environment as Record<string, string>;
    const unread: string[] = [];
    for (const name of Object.keys(env)) if (!(await runtimeReadsEnv(name))) unread.push(name);
    expect(unread).toEqual([]);
    const secs = (d: string) => Number(/^(\d+)s$/.exec(d)![1]);
    expect(secs(svc.tengine.stop_grace_period)).toBeGreaterThan(secs(env.TENGINE_DRAIN_DELAY!) + secs(env.TENGINE_DRAIN_TIMEOUT!));
  });

  it('mounts the folder `npm start` writes and reads the files by the names it gives them', () => {
    const [volume] = svc.tengine.volumes as string[];
    expect(volume).toBe('./.tengine/dev:/etc/tengine:ro');
    const env = svc.tengine.environment as Record<string, string>;
    expect(env.TENGINE_BUNDLE).toBe(`/etc/tengine/${DEV_FILES.bundle}`);
    expect(env.TENGINE_BUNDLE_PUBLIC_KEYS).toBe(`/etc/tengine/${DEV_FILES.keys}/${KEY_FILE_NAMES.signingPub}`);
    expect(env.TENGINE_RUNTIME_KEYS).toBe(`/etc/tengine/${DEV_FILES.keys}/${KEY_FILE_NAMES.runtimeKeys}`);
    expect(env.TENGINE_ALLOW_DEVELOPMENT).toBe('true');
  });

  it("runs the demo upstream from the image, on the runtime's loopback where the dev bundle calls it, and it answers", async () => {
    const demo = svc['demo-upstream'];
    expect(demo.network_mode).toBe('service:tengine');
    expect(demo.environment).toEqual({ HOST: '127.0.0.1', PORT: String(DEMO_UPSTREAM_PORT) });
    expect(await readFile(path.join(ROOT, 'tengine.config.yaml'), 'utf8')).toContain(`\${env:DEMO_UPSTREAM:-http://127.0.0.1:${DEMO_UPSTREAM_PORT}}`);
    const [node, script] = demo.entrypoint as string[];
    expect(node).toBe('node');
    const port = await freePort();
    const root = stageRoot(runtimeStage.name);
    const proc = await startUntil(process.execPath, [rewritePaths(root, script!)], { cwd: appDir, env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(port) }, ready: /listening on/ });
    try {
      const probe = demo.healthcheck.test as string[];
      expect(probe.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
      const check = await run(process.execPath, ['-e', probe[3]!.replace(':4010/', `:${port}/`)]).then(() => 0, (e: { code: number }) => e.code);
      expect(check).toBe(0);
    } finally {
      proc.child.kill('SIGTERM');
    }
    await proc.exited;
  });
});
