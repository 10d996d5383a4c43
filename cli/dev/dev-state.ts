import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CliError } from '../io.js';
import { KEY_FILE_NAMES, generateKeyFiles, writeKeyFiles } from '../keys/generate-keys.js';
import { CREDENTIAL_PREFIXES, mintCredential } from '../keys/mint-credential.js';
import { sha256Hex } from '../../schemas/bundle-format.js';

/** Where `tengine dev` keeps its state, relative to the working directory (git-ignored with `.tengine/`). */
export const DEV_STATE_DIR = '.tengine/dev';

/** Files inside the dev state folder. */
export const DEV_FILES = { keys: 'keys', apiKey: 'api-key', bundle: 'bundle.json' } as const;

/** The key material `tengine dev` signs and serves with. */
export interface DevKeys {
  signingKeyPem: string;
  signingPubPem: string;
  runtimeKeysJson: string;
  /** True when the keys were made by this run. */
  created: boolean;
}

/** The development API key and its hash. */
export interface DevApiKey {
  secret: string;
  sha256: string;
  file: string;
  created: boolean;
}

const API_KEY_PATTERN = new RegExp(`^${CREDENTIAL_PREFIXES.api_key}[A-Za-z0-9_-]{43}$`);

/**
 * Reads the dev key set from `dir`, or generates one when any file is missing (with all files replaced, so the
 * set is never mixed). Dev keys sign nothing that outlives the dev session: the bundle is rebuilt on every start.
 */
export async function ensureDevKeys(dir: string): Promise<DevKeys> {
  const names = [KEY_FILE_NAMES.signingKey, KEY_FILE_NAMES.signingPub, KEY_FILE_NAMES.runtimeKeys] as const;
  const read = await Promise.all(names.map((n) => readFile(path.join(dir, n), 'utf8').catch(() => undefined)));
  const [signingKeyPem, signingPubPem, runtimeKeysJson] = read;
  if (signingKeyPem !== undefined && signingPubPem !== undefined && runtimeKeysJson !== undefined) {
    return { signingKeyPem, signingPubPem, runtimeKeysJson, created: false };
  }
  const files = await generateKeyFiles();
  await writeKeyFiles(dir, files, { force: true });
  const get = (name: string) => files.find((f) => f.name === name)!.contents;
  return {
    signingKeyPem: get(KEY_FILE_NAMES.signingKey),
    signingPubPem: get(KEY_FILE_NAMES.signingPub),
    runtimeKeysJson: get(KEY_FILE_NAMES.runtimeKeys),
    created: true,
  };
}

/**
 * Reads the development API key from `file`, or mints one and writes it with mode 0600. A file that exists but
 * does not hold a key is an error rather than silently replaced: it may be a key someone copied elsewhere.
 */
export async function ensureDevApiKey(file: string): Promise<DevApiKey> {
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new CliError('DEV_API_KEY_UNREADABLE', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, `fix its permissions, or delete it to get a new development key`);
    }
  }
  if (text !== undefined) {
    const secret = text.trim();
    if (!API_KEY_PATTERN.test(secret)) {
      throw new CliError('DEV_API_KEY_INVALID', `${file} does not hold a tengine_ API key`, 'delete the file; tengine dev then mints a new development key');
    }
    // The file holds a credential: keep it private even if something loosened its mode.
    if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600);
    return { secret, sha256: sha256Hex(secret), file, created: false };
  }
  const cred = mintCredential('api_key');
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${cred.secret}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
  return { secret: cred.secret, sha256: cred.sha256, file, created: true };
}

/** Writes `bytes` to `file` through a temporary file and a rename, so a reader never sees half a file. */
export async function writeFileAtomic(file: string, bytes: Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, bytes);
  await rename(tmp, file);
}
