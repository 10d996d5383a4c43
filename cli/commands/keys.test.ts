import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryIo } from '../io.js';
import { runCli } from '../program.js';
import { loadTrustedKeys } from '../../schemas/bundle-verify.js';
import { tempDir } from '../../test/fixtures/bundle-fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('tengine-keys-'));
});
afterEach(async () => cleanup());

async function run(argv: string[], stdin?: string) {
  const { io, buf } = memoryIo({ cwd: dir, env: {}, ...(stdin === undefined ? {} : { stdin }) });
  const code = await runCli(argv, io);
  return { code, ...buf };
}

const mode = async (p: string) => (await stat(p)).mode & 0o777;

describe('tengine keys generate', () => {
  it('writes the four key files, private ones with mode 0600', async () => {
    const r = await run(['keys', 'generate']);
    expect(r.code).toBe(0);
    const keys = path.join(dir, '.tengine/keys');
    expect(await mode(path.join(keys, 'bundle-signing.key.pem'))).toBe(0o600);
    expect(await mode(path.join(keys, 'runtime-keys.json'))).toBe(0o600);
    expect(await mode(path.join(keys, 'bundle-signing.pub.pem'))).toBe(0o644);
    expect(await mode(path.join(keys, 'runtime-keys.pub.json'))).toBe(0o644);
    expect(await readFile(path.join(keys, 'bundle-signing.key.pem'), 'utf8')).toContain('-----BEGIN PRIVATE KEY-----');
    const [bundleKey] = await loadTrustedKeys(await readFile(path.join(keys, 'bundle-signing.pub.pem'), 'utf8'));
    expect(r.out).toContain(bundleKey?.kid);
    expect(r.out).toContain('keep secret: CI only');
    expect(r.out).toContain('runtime only');
    expect(r.out).toContain('tengine verify');

    const priv = JSON.parse(await readFile(path.join(keys, 'runtime-keys.json'), 'utf8')) as { keys: Record<string, string>[] };
    expect(priv.keys.map((k) => [k.use, k.alg, k.crv, typeof k.d])).toEqual([
      ['sig', 'ES256', 'P-256', 'string'],
      ['enc', 'ECDH-ES+A256KW', 'P-256', 'string'],
    ]);
    const pub = JSON.parse(await readFile(path.join(keys, 'runtime-keys.pub.json'), 'utf8')) as { keys: Record<string, string>[] };
    expect(pub.keys.every((k) => !('d' in k))).toBe(true);
    expect(pub.keys.map((k) => k.kid)).toEqual(priv.keys.map((k) => k.kid));
  });

  it('refuses to overwrite existing files with KEYS_EXIST and writes nothing; --force replaces them', async () => {
    const out = path.join(dir, 'k');
    expect((await run(['keys', 'generate', '--out', 'k'])).code).toBe(0);
    const before = await readFile(path.join(out, 'bundle-signing.key.pem'), 'utf8');
    const again = await run(['keys', 'generate', '--out', 'k']);
    expect(again.code).toBe(1);
    expect(again.err).toContain('error KEYS_EXIST');
    expect(await readFile(path.join(out, 'bundle-signing.key.pem'), 'utf8')).toBe(before);

    await writeFile(path.join(out, 'runtime-keys.json'), '{}', { mode: 0o644 });
    const forced = await run(['keys', 'generate', '--out', 'k', '--force', '--format', 'json']);
    expect(forced.code).toBe(0);
    expect(await readFile(path.join(out, 'bundle-signing.key.pem'), 'utf8')).not.toBe(before);
    expect(await mode(path.join(out, 'runtime-keys.json'))).toBe(0o600);
    const json = JSON.parse(forced.out) as { format_version: number; files: { name: string; private: boolean; kids: unknown[] }[] };
    expect(json.format_version).toBe(1);
    expect(json.files.filter((f) => f.private).map((f) => f.name)).toEqual(['bundle-signing.key.pem', 'runtime-keys.json']);
  });
});

describe('tengine keys api-key / client-secret', () => {
  it('prints a tengine_ key once and YAML whose sha256 hashes exactly the printed key', async () => {
    const r = await run(['keys', 'api-key', '--project', 'acme', '--integration', 'ci', '--name', 'deploy bot']);
    expect(r.code).toBe(0);
    const key = r.out.split('\n')[0] as string;
    expect(key).toMatch(/^tengine_[A-Za-z0-9_-]{43}$/);
    const sha = createHash('sha256').update(key).digest('hex');
    expect(r.out).toContain(`- sha256: ${sha}`);
    expect(r.out).toContain('name: "deploy bot"');
    expect(r.out).toContain('projects[id=acme].integrations[id=ci].api_keys');
    expect(r.err).toContain('not stored');
  });

  it('JSON output carries the secret and its hash', async () => {
    const r = await run(['keys', 'api-key', '--project', 'acme', '--integration', 'ci', '--format', 'json']);
    const json = JSON.parse(r.out) as { format_version: number; secret: string; sha256: string; yaml: string };
    expect(json.format_version).toBe(1);
    expect(json.sha256).toBe(createHash('sha256').update(json.secret).digest('hex'));
    expect(json.yaml).toBe(`api_keys:\n  - sha256: ${json.sha256}\n`);
  });

  it('mints tng_cs_ client secrets with client_secret_sha256 YAML', async () => {
    const r = await run(['keys', 'client-secret', '--project', 'acme', '--integration', 'claude']);
    expect(r.code).toBe(0);
    const secret = r.out.split('\n')[0] as string;
    expect(secret).toMatch(/^tng_cs_[A-Za-z0-9_-]{43}$/);
    expect(r.out).toContain(`client_secret_sha256: ${createHash('sha256').update(secret).digest('hex')}`);
  });

  it('mints tng_cn_ connect secrets with connect_secret_sha256 YAML, at the integration path', async () => {
    const r = await run(['keys', 'connect-secret', '--project', 'acme', '--integration', 'agents']);
    expect(r.code).toBe(0);
    const secret = r.out.split('\n')[0] as string;
    expect(secret).toMatch(/^tng_cn_[A-Za-z0-9_-]{43}$/);
    expect(r.out).toContain(`connect_secret_sha256: ${createHash('sha256').update(secret).digest('hex')}`);
    expect(r.out).toContain('projects[id=acme].integrations[id=agents].connect_secret_sha256');
    expect(r.err).toContain('this connect secret is shown once');
    const json = JSON.parse((await run(['keys', 'connect-secret', '--project', 'acme', '--integration', 'agents', '--format', 'json'])).out) as { kind: string; yaml: string; sha256: string };
    expect(json.kind).toBe('connect_secret');
    expect(json.yaml).toBe(`connect_secret_sha256: ${json.sha256}\n`);
  });

  it('rejects ids that cannot exist in a config with BAD_ARGUMENT', async () => {
    for (const argv of [
      ['keys', 'api-key', '--project', 'Acme', '--integration', 'ci'],
      ['keys', 'api-key', '--project', 'acme', '--integration', '-x'],
      ['keys', 'client-secret', '--project', 'acme', '--integration', 'a'.repeat(64)],
    ]) {
      const r = await run(argv);
      expect(r.code).toBe(1);
      expect(r.err).toContain('error BAD_ARGUMENT');
      expect(r.out).toBe('');
    }
  });
});
