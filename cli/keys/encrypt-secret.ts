import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, CompactEncrypt, type JWK } from 'jose';
import { CliError } from '../io.js';

/** Largest secret `tengine secret encrypt` accepts, in bytes; upstream credentials are far smaller. */
export const MAX_SECRET_BYTES = 64 * 1024;

// Kept equal to runtime/keys/runtime-keys.ts, which the CLI must not import; the round-trip test pins them.
const SECRET_KEY_ALG = 'ECDH-ES+A256KW';
const SECRET_ENC = 'A256GCM';
const SECRET_CONTENT_TYPE = 'tengine-secret';

/** The runtime's public encryption key, as found in a key file. */
export interface EncryptionKey {
  kid: string;
  key: KeyObject;
  /** True when the file held private keys; only the public part was taken, but the caller may want to warn. */
  fromPrivateFile: boolean;
}

const KEY_HINT = 'pass runtime-keys.pub.json from `tengine keys generate` (a JWKS with a "use":"enc" key)';

/**
 * Finds the encryption key in a runtime JWKS (public or private): the first key with `use: "enc"`, which is the
 * active one. Only the public members are ever used, so passing the private file does not spread its secrets.
 */
export async function loadEncryptionKey(text: string): Promise<EncryptionKey> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError('KEY_FILE_INVALID', 'the key file is not JSON', KEY_HINT);
  }
  const keys = (json as { keys?: unknown } | null)?.keys;
  const list: unknown[] = Array.isArray(keys) ? keys : typeof json === 'object' && json !== null ? [json] : [];
  const jwk = list.find((k): k is Record<string, unknown> => typeof k === 'object' && k !== null && (k as { use?: unknown }).use === 'enc');
  if (!jwk) throw new CliError('KEY_FILE_INVALID', 'the key file has no key with "use": "enc"', KEY_HINT);
  if (jwk.alg !== undefined && jwk.alg !== SECRET_KEY_ALG) {
    throw new CliError('KEY_FILE_INVALID', `the encryption key has "alg": ${JSON.stringify(jwk.alg)}, expected "${SECRET_KEY_ALG}"`, KEY_HINT);
  }
  const { d: _d, ...pub } = jwk;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pub as JsonWebKey, format: 'jwk' });
  } catch {
    throw new CliError('KEY_FILE_INVALID', 'the encryption key is not a valid JWK', KEY_HINT);
  }
  if (key.asymmetricKeyType !== 'ec') throw new CliError('KEY_FILE_INVALID', `the encryption key is ${key.asymmetricKeyType ?? 'unknown'}, expected EC`, KEY_HINT);
  const kid = typeof jwk.kid === 'string' && jwk.kid !== '' ? jwk.kid : await calculateJwkThumbprint(pub as JWK, 'sha256');
  const fromPrivateFile = list.some((k) => typeof k === 'object' && k !== null && 'd' in k);
  return { kid, key, fromPrivateFile };
}

/**
 * Turns raw stdin into the secret: exactly one trailing "\n" or "\r\n" is removed (what `echo` and editors add),
 * anything else is kept byte for byte. Empty, oversized and non-UTF-8 input is refused.
 */
export function prepareSecret(input: Uint8Array): Uint8Array {
  let end = input.length;
  if (end > 0 && input[end - 1] === 0x0a) end -= end > 1 && input[end - 2] === 0x0d ? 2 : 1;
  const secret = input.subarray(0, end);
  if (secret.length === 0) throw new CliError('SECRET_EMPTY', 'the secret read from stdin is empty', 'pipe the secret in, e.g. `printf %s "$TOKEN" | tengine secret encrypt --key ...`');
  if (secret.length > MAX_SECRET_BYTES) {
    throw new CliError('SECRET_TOO_LARGE', `the secret is ${secret.length} bytes; at most ${MAX_SECRET_BYTES} are accepted`, 'encrypt the credential itself, not a file that contains it');
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(secret);
  } catch {
    throw new CliError('SECRET_NOT_TEXT', 'the secret is not UTF-8 text', 'base64-encode binary secrets before encrypting them');
  }
  return secret;
}

/** Encrypts a secret to the runtime key: a compact JWE (ECDH-ES+A256KW, A256GCM, `cty: tengine-secret`). */
export async function encryptSecret(secret: Uint8Array, key: EncryptionKey): Promise<string> {
  return new CompactEncrypt(secret)
    .setProtectedHeader({ alg: SECRET_KEY_ALG, enc: SECRET_ENC, kid: key.kid, cty: SECRET_CONTENT_TYPE })
    .encrypt(key.key);
}
