import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmod, lstat, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { JWK } from 'jose';
import { CliError } from '../io.js';

/** The default folder `tengine keys generate` writes to, relative to the working directory. */
export const DEFAULT_KEYS_DIR = '.tengine/keys';

/** The file names `tengine keys generate` writes. */
export const KEY_FILE_NAMES = {
  signingKey: 'bundle-signing.key.pem',
  signingPub: 'bundle-signing.pub.pem',
  runtimeKeys: 'runtime-keys.json',
  runtimePub: 'runtime-keys.pub.json',
} as const;

/** One generated file: its content, whether it is secret, and the key ids it holds. */
export interface KeyFile {
  name: string;
  contents: string;
  private: boolean;
  /** Who may hold the file, as printed in the summary. */
  holder: string;
  kids: { use: 'bundle-sig' | 'sig' | 'enc'; kid: string }[];
}

/**
 * Generates a fresh key set: an Ed25519 bundle signing pair (PKCS#8 / SPKI PEM) and the runtime JWKS with one
 * ES256 token signing key and one ECDH-ES+A256KW P-256 encryption key, each with kid = RFC 7638 thumbprint.
 * No I/O: `writeKeyFiles` puts the result on disk.
 */
export async function generateKeyFiles(): Promise<KeyFile[]> {
  const bundle = generateKeyPairSync('ed25519');
  const bundleKid = await thumbprint(bundle.publicKey);
  const sig = await runtimeJwk(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'sig', 'ES256');
  const enc = await runtimeJwk(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'enc', 'ECDH-ES+A256KW');
  const runtimeKids: KeyFile['kids'] = [
    { use: 'sig', kid: sig.public.kid as string },
    { use: 'enc', kid: enc.public.kid as string },
  ];
  return [
    {
      name: KEY_FILE_NAMES.signingKey,
      contents: bundle.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      private: true,
      holder: 'keep secret: CI only (signs bundles)',
      kids: [{ use: 'bundle-sig', kid: bundleKid }],
    },
    {
      name: KEY_FILE_NAMES.signingPub,
      contents: bundle.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      private: false,
      holder: 'public: runtime hosts and `tengine verify` (TENGINE_BUNDLE_PUBLIC_KEYS)',
      kids: [{ use: 'bundle-sig', kid: bundleKid }],
    },
    {
      name: KEY_FILE_NAMES.runtimeKeys,
      contents: `${JSON.stringify({ keys: [sig.private, enc.private] }, null, 2)}\n`,
      private: true,
      holder: 'keep secret: runtime only (signs tokens, decrypts secrets)',
      kids: runtimeKids,
    },
    {
      name: KEY_FILE_NAMES.runtimePub,
      contents: `${JSON.stringify({ keys: [sig.public, enc.public] }, null, 2)}\n`,
      private: false,
      holder: 'public: safe to commit; `tengine secret encrypt` uses it (TENGINE_RUNTIME_PUBLIC_KEYS)',
      kids: runtimeKids,
    },
  ];
}

/**
 * Writes the key files into `dir` (created with mode 0700), private ones with mode 0600. Without `force` it
 * refuses when any of them exists (KEYS_EXIST) before writing anything, so a half-replaced key set cannot happen.
 */
export async function writeKeyFiles(dir: string, files: readonly KeyFile[], opts: { force: boolean; display?: string }): Promise<string[]> {
  const targets = files.map((f) => path.join(dir, f.name));
  const existing: string[] = [];
  for (const t of targets) if (await exists(t)) existing.push(t);
  if (existing.length > 0 && !opts.force) {
    throw new CliError(
      'KEYS_EXIST',
      `key files already exist in ${opts.display ?? dir}: ${existing.map((t) => path.basename(t)).join(', ')}`,
      'pass --force to replace them (old bundles and secrets then stop verifying), or choose another --out',
    );
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const [i, f] of files.entries()) {
    const target = targets[i] as string;
    // Removing first (rather than truncating) gives the new file our mode and never writes through a symlink.
    if (opts.force) await rm(target, { force: true });
    const mode = f.private ? 0o600 : 0o644;
    await writeFile(target, f.contents, { mode, flag: 'wx' });
    // The creation mode is filtered by the umask; set it explicitly so private files are never group-readable.
    await chmod(target, mode);
  }
  return targets;
}

async function runtimeJwk(privateKey: KeyObject, use: 'sig' | 'enc', alg: string): Promise<{ private: JWK; public: JWK }> {
  const jwk = privateKey.export({ format: 'jwk' }) as JWK;
  const { d, ...pub } = jwk;
  const kid = await jwkThumbprint(pub);
  return { private: { ...pub, d, kid, use, alg }, public: { ...pub, kid, use, alg } };
}

async function thumbprint(publicKey: KeyObject): Promise<string> {
  return jwkThumbprint(publicKey.export({ format: 'jwk' }) as JWK);
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** The RFC 7638 SHA-256 thumbprint; jose is loaded on first use so commands that never make a key do not load it. */
async function jwkThumbprint(jwk: JWK): Promise<string> {
  const { calculateJwkThumbprint } = await import('jose');
  return calculateJwkThumbprint(jwk, 'sha256');
}
