import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { compactDecrypt, decodeProtectedHeader } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryIo } from '../io.js';
import { runCli } from '../program.js';
import { generateKeyFiles, KEY_FILE_NAMES, writeKeyFiles } from '../keys/generate-keys.js';
import { MAX_SECRET_BYTES, prepareSecret } from '../keys/encrypt-secret.js';
import { tempDir } from '../../test/fixtures/bundle-fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
let privateJwks: { keys: Record<string, string>[] };

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('tengine-secret-'));
  const files = await generateKeyFiles();
  await writeKeyFiles(dir, files, { force: false });
  privateJwks = JSON.parse(files.find((f) => f.name === KEY_FILE_NAMES.runtimeKeys)?.contents ?? '') as typeof privateJwks;
});
afterEach(async () => cleanup());

async function encrypt(stdin: string | Buffer, argv = ['--key', KEY_FILE_NAMES.runtimePub], env: Record<string, string> = {}) {
  const { io, buf } = memoryIo({ cwd: dir, env, stdin });
  const code = await runCli(['secret', 'encrypt', ...argv], io);
  return { code, ...buf };
}

async function open(jwe: string): Promise<string> {
  const enc = privateJwks.keys.find((k) => k.use === 'enc') as Record<string, string>;
  const { plaintext } = await compactDecrypt(jwe, createPrivateKey({ key: enc, format: 'jwk' }));
  return new TextDecoder().decode(plaintext);
}

describe('tengine secret encrypt', () => {
  it('prints a compact JWE for the enc key with cty tengine-secret, and the YAML line on stderr', async () => {
    const r = await encrypt('s3cr3t-token\n');
    expect(r.code).toBe(0);
    const jwe = r.out.trimEnd();
    expect(r.out).toBe(`${jwe}\n`);
    expect(jwe.split('.')).toHaveLength(5);
    const header = decodeProtectedHeader(jwe);
    const enc = privateJwks.keys.find((k) => k.use === 'enc');
    expect(header).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', cty: 'tengine-secret', kid: enc?.kid });
    expect(r.err).toContain(`encrypted_auth_secret: ${jwe}`);
    expect(await open(jwe)).toBe('s3cr3t-token');
  });

  it('strips exactly one trailing newline or CRLF', async () => {
    expect(await open((await encrypt('a\r\n')).out.trim())).toBe('a');
    expect(await open((await encrypt('a\n\n')).out.trim())).toBe('a\n');
    expect(await open((await encrypt(' a ')).out.trim())).toBe(' a ');
  });

  it('takes the key file from TENGINE_RUNTIME_PUBLIC_KEYS, and only the public part of a private file', async () => {
    expect((await encrypt('x', [], { TENGINE_RUNTIME_PUBLIC_KEYS: path.join(dir, KEY_FILE_NAMES.runtimePub) })).code).toBe(0);
    const priv = await encrypt('x', ['--key', KEY_FILE_NAMES.runtimeKeys]);
    expect(priv.code).toBe(0);
    expect(priv.err).toContain('only its public encryption key was used');
  });

  it('SECRET_EMPTY for empty input or a lone newline', async () => {
    for (const input of ['', '\n', '\r\n']) {
      const r = await encrypt(input);
      expect(r.code).toBe(1);
      expect(r.err).toContain('error SECRET_EMPTY');
      expect(r.out).toBe('');
    }
  });

  it('SECRET_TOO_LARGE above 64 KiB, SECRET_NOT_TEXT for binary', async () => {
    expect(prepareSecret(Buffer.alloc(MAX_SECRET_BYTES, 0x61)).length).toBe(MAX_SECRET_BYTES);
    expect((await encrypt('a'.repeat(MAX_SECRET_BYTES + 1))).err).toContain('error SECRET_TOO_LARGE');
    expect((await encrypt(Buffer.from([0xff, 0xfe]))).err).toContain('error SECRET_NOT_TEXT');
  });

  it('KEY_FILE_INVALID without a use:"enc" key; BAD_ARGUMENT without any key', async () => {
    const sigOnly = { keys: [{ ...(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' })), use: 'sig', alg: 'ES256' }] };
    await writeFile(path.join(dir, 'sig.json'), JSON.stringify(sigOnly));
    await writeFile(path.join(dir, 'junk.json'), 'nope');
    expect((await encrypt('x', ['--key', 'sig.json'])).err).toContain('error KEY_FILE_INVALID');
    expect((await encrypt('x', ['--key', 'junk.json'])).err).toContain('error KEY_FILE_INVALID');
    expect((await encrypt('x', ['--key', 'missing.json'])).err).toContain('error KEY_FILE_UNREADABLE');
    expect((await encrypt('x', [])).err).toContain('error BAD_ARGUMENT');
  });
});
