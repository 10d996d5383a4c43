import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryIo } from '../io.js';
import { runCli } from '../program.js';
import { buildPayload } from '../bundle/build-payload.js';
import { signBundle } from '../bundle/sign-bundle.js';
import { generatePemKeyPair, sampleConfig, tempDir } from '../../test/fixtures/bundle-fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
const rev = '0123456789abcdef0123456789abcdef01234567';

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('tengine-verify-'));
  const signing = generatePemKeyPair('ed25519');
  const next = generatePemKeyPair('p256');
  await writeFile(path.join(dir, 'signing.pub.pem'), signing.publicPem);
  await writeFile(path.join(dir, 'next.pub.pem'), next.publicPem);
  await writeFile(path.join(dir, 'other.pub.pem'), generatePemKeyPair('ed25519').publicPem);
  const payload = buildPayload(sampleConfig(), { createdAt: '2024-05-01T12:00:00Z', revision: rev, dirty: true });
  await writeFile(path.join(dir, 'bundle.json'), await signBundle(payload, signing.privatePem));
});
afterEach(async () => cleanup());

async function run(argv: string[], env: Record<string, string> = {}) {
  const { io, buf } = memoryIo({ cwd: dir, env });
  const code = await runCli(['verify', ...argv], io);
  return { code, ...buf };
}

describe('tengine verify', () => {
  it('exit 0 and prints kid, digest, format, created_at, revision and counts', async () => {
    const r = await run(['bundle.json', '--key', 'other.pub.pem', '--key', 'signing.pub.pem']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('bundle.json: valid');
    expect(r.out).toMatch(/payload sha256 {2}[0-9a-f]{64}/);
    expect(r.out).toContain('created_at      2024-05-01T12:00:00Z');
    expect(r.out).toContain(`${rev} (dirty`);
    expect(r.out).toContain('1 project, 1 tool, 1 integration');
  });

  it('JSON output has format_version 1 and the same facts', async () => {
    const r = await run(['bundle.json', '--format', 'json'], { TENGINE_BUNDLE_PUBLIC_KEYS: 'signing.pub.pem' });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out) as Record<string, unknown>;
    expect(json).toMatchObject({ format_version: 1, bundle_format_version: 1, valid: true, alg: 'EdDSA', revision: rev, dirty: true, counts: { projects: 1, tools: 1, integrations: 1 } });
  });

  it('exit 1 with BUNDLE_KEY_UNKNOWN when signed by an untrusted key, in text and JSON', async () => {
    const text = await run(['bundle.json', '--key', 'next.pub.pem']);
    expect(text.code).toBe(1);
    expect(text.err).toMatch(/^error BUNDLE_KEY_UNKNOWN: .*\n {2}hint: /);
    const json = await run(['bundle.json', '--key', 'next.pub.pem', '--format', 'json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({ format_version: 1, valid: false, error: { code: 'BUNDLE_KEY_UNKNOWN' } });
  });

  it('exit 1 with BUNDLE_SIGNATURE_INVALID after tampering', async () => {
    const file = path.join(dir, 'bundle.json');
    const text = await readFile(file, 'utf8');
    const env = JSON.parse(text) as { payload: string };
    const tampered = text.replace(env.payload, `${env.payload.slice(0, 10)}${env.payload[10] === 'A' ? 'B' : 'A'}${env.payload.slice(11)}`);
    await writeFile(file, tampered);
    const r = await run(['bundle.json', '--key', 'signing.pub.pem']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('error BUNDLE_SIGNATURE_INVALID');
  });

  it('reports missing keys and unreadable files as errors, never stack traces', async () => {
    expect((await run(['bundle.json'])).err).toContain('error BAD_ARGUMENT');
    expect((await run(['missing.json', '--key', 'signing.pub.pem'])).err).toContain('error BUNDLE_UNREADABLE');
    expect((await run(['bundle.json', '--key', 'missing.pem'])).err).toContain('error KEY_FILE_UNREADABLE');
    const r = await run(['bundle.json', '--key', 'bundle.json']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('error KEY_FILE_INVALID');
  });
});
