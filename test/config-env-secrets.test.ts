import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryIo } from '../cli/io.js';
import { runCli } from '../cli/program.js';
import { generatePemKeyPair, tempDir } from './fixtures/bundle-fixtures.js';
import { allCodesKnown, loadDir, oneToolConfig, positions, writeTree } from './fixtures/config-files.js';

// Issue 8, defect 2: secrets compiled into the bundle in clear through ${env:NAME}. A reference reads only a name
// the root env_allowlist lists, never a Tengine, CI or secret-named variable (TNG228), and a value shaped like a
// credential is never substituted (TNG214). Each case asserts the code, its position, that no bundle is written
// and that the secret value appears nowhere in what the CLI prints.

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('tengine-env-secrets-'));
});
afterEach(async () => cleanup());

const ROOT = 'tengine.config.yaml';
const OUT = 'out.bundle.json';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** A Stripe-shaped live key assembled at run time (none is committed). */
const stripeKey = () => `sk_live_${Array.from({ length: 24 }, (_, i) => ALNUM[(i * 7 + 3) % 62]).join('')}`;

/** A POST tool whose body template is `{k: <value>}`, in a root file that starts with `head`. */
function bodyConfig(value: string, head = ''): string {
  return oneToolConfig(`        body_template: { k: ${value} }\n`, { method: 'POST', endpointPath: '/items' }).replace('version: 1\n', `version: 1\n${head}`);
}

async function load(text: string, env: Record<string, string | undefined> = {}) {
  await writeTree(dir, { [ROOT]: text });
  const loaded = await loadDir(dir, env);
  expect(allCodesKnown(loaded.diagnostics)).toBe(true);
  return loaded;
}

/** `tengine build` as CI runs it: the signing key in TENGINE_BUNDLE_SIGNING_KEY, as docs/gitops.md sets it up. */
async function build(text: string, env: Record<string, string>, format: 'human' | 'json' = 'human') {
  await writeTree(dir, { [ROOT]: text });
  const { io, buf } = memoryIo({ cwd: dir, env: { SOURCE_DATE_EPOCH: '1735689600', ...env } });
  const code = await runCli(['build', '.', '--out', OUT, '--format', format], io);
  return { code, out: buf.out, err: buf.err, written: existsSync(path.join(dir, OUT)) };
}

/** The secret, and each line of it, appears nowhere in `text`. */
function expectNowhere(secret: string, ...texts: string[]): void {
  const pieces = secret.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----'));
  for (const t of texts) {
    expect(t).not.toContain(secret.trim());
    for (const p of pieces) expect(t).not.toContain(p);
  }
}

describe('the issue: the bundle-signing key referenced from a body template', () => {
  const pem = generatePemKeyPair('ed25519').privatePem;

  it('TNG228: build fails at the reference, writes no bundle, and prints the key nowhere', async () => {
    const r = await build(bodyConfig('"${env:TENGINE_BUNDLE_SIGNING_KEY}"'), { TENGINE_BUNDLE_SIGNING_KEY: pem });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/tengine\.config\.yaml:14:\d+: error TNG228 \$\{env:TENGINE_BUNDLE_SIGNING_KEY\} is refused/);
    expect(r.err).toMatch(/^error CONFIG_INVALID: .* the bundle was not written/m);
    expect(r.written).toBe(false);
    expectNowhere(pem, r.out, r.err);
  });

  it('TNG228 also when the config lists it in env_allowlist: at the entry and at the reference, as JSON too', async () => {
    const r = await build(bodyConfig('"${env:TENGINE_BUNDLE_SIGNING_KEY}"', 'env_allowlist: [TENGINE_BUNDLE_SIGNING_KEY]\n'), { TENGINE_BUNDLE_SIGNING_KEY: pem }, 'json');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out) as { valid: boolean; diagnostics: { code: string; line: number; column: number }[] };
    expect(report.valid).toBe(false);
    expect(report.diagnostics.map((d) => `${d.code} ${d.line}:${d.column}`)).toEqual(['TNG228 2:17', 'TNG228 15:29']);
    expect(r.written).toBe(false);
    expectNowhere(pem, r.out, r.err);
  });

  it('TNG214: the same key through a listed, innocently named variable is not substituted either', async () => {
    const r = await build(bodyConfig('"${env:UPSTREAM_NOTE}"', 'env_allowlist: [UPSTREAM_NOTE]\n'), { TENGINE_BUNDLE_SIGNING_KEY: pem, UPSTREAM_NOTE: pem });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/tengine\.config\.yaml:15:29: error TNG214 the value of environment variable UPSTREAM_NOTE looks like a PEM private key/);
    expect(r.written).toBe(false);
    expectNowhere(pem, r.out, r.err);
  });
});

describe('TNG228: names env_allowlist does not list, or may not list', () => {
  it('rejects a reference to a variable the allowlist does not list, at the reference, and never reads it', async () => {
    const secret = stripeKey();
    const loaded = await load(bodyConfig('"${env:PAYMENTS_MODE}"', 'env_allowlist: [REGION]\n'), { PAYMENTS_MODE: secret });
    expect(positions(loaded.diagnostics)).toEqual([`TNG228 ${ROOT}:15:29`]);
    expect(loaded.diagnostics[0]!.message).toBe('${env:PAYMENTS_MODE} reads a variable that env_allowlist does not list');
    expect(loaded.diagnostics[0]!.hint).toMatch(/add it to env_allowlist|add PAYMENTS_MODE to env_allowlist/);
    expect(loaded.config).toBeUndefined();
    expect(JSON.stringify(loaded.data)).not.toContain(secret);
  });

  it('a config without env_allowlist reads no variable at all, defaults included', async () => {
    const loaded = await load(bodyConfig('"${env:REGION:-eu}"'), { REGION: 'us' });
    expect(positions(loaded.diagnostics)).toEqual([`TNG228 ${ROOT}:14:29`]);
  });

  it.each([['GITHUB_TOKEN'], ['ACTIONS_ID_TOKEN_REQUEST_TOKEN'], ['RUNNER_TEMP'], ['CI_JOB_TOKEN'], ['AWS_SECRET_ACCESS_KEY'], ['AWS_SESSION_TOKEN'], ['DB_PASSWORD'], ['TENGINE_REDIS_URL'], ['REDIS_URL'], ['HTTPS_PROXY'], ['KUBERNETES_SERVICE_HOST'], ['AWS_REGION']])(
    'refuses %s in env_allowlist (at the entry) and at its reference',
    async (name) => {
      const loaded = await load(bodyConfig(`"\${env:${name}}"`, `env_allowlist:\n  - REGION\n  - ${name}\n`), { [name]: 'value-of-the-variable' });
      expect(positions(loaded.diagnostics)).toEqual([`TNG228 ${ROOT}:4:5`, `TNG228 ${ROOT}:17:29`]);
      expect(loaded.diagnostics[0]!.message).toContain(name);
      expect(JSON.stringify(loaded.diagnostics)).not.toContain('value-of-the-variable');
    },
  );

  it('env_allowlist is read as written: a ${env:} in it is a bad name (TNG103), not a reference', async () => {
    const loaded = await load(bodyConfig('"${env:REGION}"', 'env_allowlist: ["${env:LIST}"]\n'), { LIST: 'REGION', REGION: 'eu' });
    expect(positions(loaded.diagnostics)).toEqual([`TNG103 ${ROOT}:2:17`, `TNG228 ${ROOT}:15:29`]);
    expect(loaded.diagnostics[0]!.hint).toMatch(/env_allowlist is read as written/);
  });

  it('only the root file holds env_allowlist: a fragment that declares one gets TNG100, and its references use the root list', async () => {
    const frag = 'project: demo\nenv_allowlist: [OTHER]\ntools:\n  - name: t\n    description: d\n    input_schema: {type: object}\n    base_url: "${env:API_ORIGIN}"\n    http_method: GET\n    endpoint_path: "/x/${env:OTHER}"\n';
    await writeTree(dir, { [ROOT]: 'version: 1\nenv_allowlist: [API_ORIGIN]\ninclude: [tools/*.yaml]\nprojects:\n  - id: demo\n', 'tools/a.yaml': frag });
    const loaded = await loadDir(dir, { API_ORIGIN: 'https://api.example.com', OTHER: 'x' });
    expect(positions(loaded.diagnostics)).toEqual(['TNG100 tools/a.yaml:2:1', 'TNG228 tools/a.yaml:9:20']);
  });

  it('an anchor holding a refused reference is reported once, where it is written', async () => {
    const text = bodyConfig('{ a: &x "${env:GITHUB_TOKEN}", b: *x, c: *x }', 'env_allowlist: [REGION]\n');
    const loaded = await load(text, { GITHUB_TOKEN: 'ghs_value' });
    expect(loaded.diagnostics.map((d) => d.code)).toEqual(['TNG228']);
  });
});

describe('TNG214: a credential from the environment or in a default is not substituted', () => {
  it('sk_live_… through an allowlisted variable: at the reference, value not printed, no bundle', async () => {
    const secret = stripeKey();
    const pem = generatePemKeyPair('ed25519').privatePem;
    const r = await build(bodyConfig('"mode ${env:BILLING_MODE}"', 'env_allowlist: [BILLING_MODE]\n'), { TENGINE_BUNDLE_SIGNING_KEY: pem, BILLING_MODE: secret });
    expect(r.code).toBe(1);
    expect(r.err).toContain('tengine.config.yaml:15:29: error TNG214 the value of environment variable BILLING_MODE looks like a Stripe secret key; it was not substituted');
    expect(r.written).toBe(false);
    expectNowhere(secret, r.out, r.err);
  });

  it('a JWT, a GitHub token and a random token in allowlisted variables: each at its reference', async () => {
    const jwt = `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from('{"sub":"svc"}').toString('base64url')}.c2lnbmF0dXJlLWJ5dGVzLWhlcmU`;
    const text = oneToolConfig('        headers_template: { X-A: "${env:VAR_A}", X-B: "${env:VAR_B}" }\n        query_template: { c: "${env:VAR_C}" }\n').replace('version: 1\n', 'version: 1\nenv_allowlist: [VAR_A, VAR_B, VAR_C]\n');
    const values = { VAR_A: jwt, VAR_B: `ghp_${'aB3x'.repeat(9)}`, VAR_C: 'q8Zr3LkP0vN7aT2mW9sB4xY6cE1hJ5uG' };
    const loaded = await load(text, values);
    expect(positions(loaded.diagnostics)).toEqual([`TNG214 ${ROOT}:15:34`, `TNG214 ${ROOT}:15:55`, `TNG214 ${ROOT}:16:30`]);
    expect(loaded.diagnostics.map((d) => d.message.replace(/^.*looks like (.*?);.*$/, '$1'))).toEqual(['a JSON Web Token', 'a GitHub token', 'a random-looking token']);
    for (const v of Object.values(values)) expect(JSON.stringify(loaded)).not.toContain(v);
  });

  it('a credential in a ${env:NAME:-default} is reported even when the variable is set', async () => {
    const secret = stripeKey();
    const text = bodyConfig(`"\${env:REGION:-${secret}}"`, 'env_allowlist: [REGION]\n');
    for (const env of [{}, { REGION: 'eu' }]) {
      const loaded = await load(text, env);
      expect(positions(loaded.diagnostics)).toEqual([`TNG214 ${ROOT}:15:29`]);
      expect(loaded.diagnostics[0]!.message).toBe('the default of ${env:REGION:-…} looks like a Stripe secret key');
    }
  });
});

describe('TNG228: auth_secret_env naming a variable of the runtime, the CI system or the host (issue 8 re-run, F4)', () => {
  const pem = generatePemKeyPair('ed25519').privatePem;
  /** A static_bearer tool whose secret comes from `name`. */
  const bearerFrom = (name: string) => oneToolConfig(`        auth_strategy: static_bearer\n        auth_secret_env: ${name}\n`);

  it.each(['TENGINE_ADMIN_TOKEN', 'TENGINE_REDIS_URL', 'REDIS_URL', 'AWS_SECRET_ACCESS_KEY', 'GITHUB_TOKEN', 'NODE_AUTH_TOKEN'])(
    'auth_secret_env: %s fails validate and build at the value, writes no bundle, and prints no value',
    async (name) => {
      const canary = `canary-${'Vb4'.repeat(12)}`;
      const r = await build(bearerFrom(name), { TENGINE_BUNDLE_SIGNING_KEY: pem, [name]: canary }, 'json');
      expect(r.code).toBe(1);
      const report = JSON.parse(r.out) as { diagnostics: { code: string; line: number; column: number; message: string; hint: string }[] };
      expect(report.diagnostics.map((d) => `${d.code} ${d.line}:${d.column}`)).toEqual(['TNG228 15:26']);
      expect(report.diagnostics[0]!.message).toMatch(new RegExp(`^auth_secret_env is refused: ${name} is [^;]+; the runtime would send its value to this tool's upstream$`));
      expect(report.diagnostics[0]!.hint).toBe('give the upstream secret a variable of its own (e.g. GET_ITEM_SECRET) and set it on the runtime hosts');
      expect(r.written).toBe(false);
      expectNowhere(canary, r.out, r.err);
      expectNowhere(pem, r.out, r.err);
    },
  );

  it('a secret variable of its own (CRM_HMAC_SECRET, CRM_API_TOKEN) is what auth_secret_env is for: no diagnostic', async () => {
    for (const name of ['CRM_HMAC_SECRET', 'CRM_API_TOKEN']) {
      const loaded = await load(bearerFrom(name));
      expect(loaded.diagnostics).toEqual([]);
    }
  });
});

describe('TNG214: credential shapes the re-run found reaching the bundle through allowlisted variables (issue 8 re-run, F5)', () => {
  const pem = generatePemKeyPair('ed25519').privatePem;
  const rand = (n: number) => Array.from({ length: n }, (_, i) => ALNUM[(i * 11 + n) % 62]).join('');
  it.each([
    ['base64 of a PEM private key', () => Buffer.from(generatePemKeyPair('ed25519').privatePem).toString('base64'), 'a base64-encoded PEM private key'],
    ['a Redis URL with a password and no user', () => `redis://:${rand(20)}@redis.internal:6379`, 'a URL with a password'],
    ['a URL whose password holds /', () => `amqp://svc:${rand(8)}/${rand(8)}@mq.internal:5672`, 'a URL with a password'],
    ['a Discord webhook URL', () => `https://discord.com/api/webhooks/112233445566778899/${rand(68)}`, 'a Discord webhook URL'],
    ['a Slack webhook URL', () => `https://hooks.slack.com/services/T0ABC1234/B0DEF5678/${rand(24)}`, 'a Slack webhook URL'],
    ['a Slack webhook path', () => `/services/T0ABC1234/B0DEF5678/${rand(24)}`, 'a Slack webhook URL'],
    ['a Docker config JSON', () => JSON.stringify({ auths: { 'registry.example.com': { auth: Buffer.from(`deploy:${rand(14)}`).toString('base64') } } }), 'a Docker registry credential'],
  ])('%s: build fails at the reference, writes no bundle, prints no value', async (_name, make, kind) => {
    const value = make();
    const r = await build(bodyConfig('"${env:UPSTREAM_NOTE}"', 'env_allowlist: [UPSTREAM_NOTE]\n'), { TENGINE_BUNDLE_SIGNING_KEY: pem, UPSTREAM_NOTE: value });
    expect(r.code).toBe(1);
    expect(r.err).toContain(`tengine.config.yaml:15:29: error TNG214 the value of environment variable UPSTREAM_NOTE looks like ${kind}; it was not substituted`);
    expect(r.written).toBe(false);
    for (const piece of [value, ...value.split(/[/:@"]/).filter((p) => p.length >= 12)]) {
      expect(r.out).not.toContain(piece);
      expect(r.err).not.toContain(piece);
    }
  });
});

describe('allowlisted non-secret values', () => {
  it('substitute in the root file and in fragments, and reach the bundle', async () => {
    const frag = 'project: demo\ntools:\n  - name: t\n    description: "Items in ${env:REGION}"\n    input_schema: {type: object}\n    base_url: "${env:API_ORIGIN}"\n    http_method: GET\n    endpoint_path: /x\n';
    const root = 'version: 1\nenv_allowlist: [REGION, API_ORIGIN]\ninclude: [tools/*.yaml]\nprojects:\n  - id: demo\n    name: "Demo (${env:REGION})"\n';
    await writeTree(dir, { [ROOT]: root, 'tools/a.yaml': frag });
    const env = { REGION: 'eu-west-1', API_ORIGIN: 'https://eu.api.example.com', TENGINE_BUNDLE_SIGNING_KEY: generatePemKeyPair('ed25519').privatePem };
    const loaded = await loadDir(dir, env);
    expect(loaded.diagnostics).toEqual([]);
    expect(loaded.envAllowlist).toEqual(['REGION', 'API_ORIGIN']);
    expect(loaded.config?.projects?.[0]?.name).toBe('Demo (eu-west-1)');
    expect(loaded.config?.projects?.[0]?.tools?.[0]).toMatchObject({ description: 'Items in eu-west-1', base_url: 'https://eu.api.example.com' });
    // env_allowlist is a build input, like include: it is not part of what the runtime loads.
    expect(loaded.config).not.toHaveProperty('env_allowlist');

    const { io, buf } = memoryIo({ cwd: dir, env: { SOURCE_DATE_EPOCH: '1735689600', ...env } });
    expect(await runCli(['build', '.', '--out', OUT], io), buf.err).toBe(0);
    const bundle = await readFile(path.join(dir, OUT), 'utf8');
    const payload = JSON.parse(Buffer.from((JSON.parse(bundle) as { payload: string }).payload, 'base64url').toString('utf8')) as { config: Record<string, unknown> };
    expect(JSON.stringify(payload.config)).toContain('https://eu.api.example.com');
    expect(payload.config).not.toHaveProperty('env_allowlist');
  });
});
