import { readFile } from 'node:fs/promises';
import { loadTrustedKeys, TrustedKeyError, verifyBundle, type TrustedKey } from '../../../schemas/bundle-verify.js';
import { decodeBase64UrlStrict } from '../../../schemas/bundle-format.js';
import type { TengineConfig } from '../../../schemas/config-types.js';
import { configValidator } from '../../../schemas/config-validators.js';
import { CliError } from '../../io.js';

/** The config inside a bundle file, and whether its signature was checked. */
export interface BundleSnapshot {
  config: TengineConfig;
  digest?: string;
  verified: boolean;
}

/**
 * Reads the config of a previously built bundle. With trusted keys the bundle is fully verified (so a plan is never
 * computed against a tampered baseline); without, the payload is only decoded, and the plan says so.
 */
export async function snapshotFromBundle(path: string, publicKeyTexts: string[], read: () => Promise<Buffer> = () => readFile(path)): Promise<BundleSnapshot> {
  let bytes: Buffer;
  try {
    bytes = await read();
  } catch (e) {
    throw new CliError('BUNDLE_UNREADABLE', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, 'check the path of the bundle to compare against');
  }
  if (publicKeyTexts.length > 0) {
    const trusted: TrustedKey[] = [];
    for (const text of publicKeyTexts) {
      try {
        trusted.push(...(await loadTrustedKeys(text)));
      } catch (e) {
        // A private key or a non-key file given as --bundle-key is the user's mistake, not an internal error.
        if (e instanceof TrustedKeyError) throw new CliError(e.code, `--bundle-key: ${e.message}`, e.hint);
        throw e;
      }
    }
    const v = await verifyBundle(bytes, trusted);
    if (!v.ok) throw new CliError(v.code, `${path}: ${v.message}`, v.hint);
    return { config: v.payload.config, digest: `sha256:${v.digest}`, verified: true };
  }
  let config: TengineConfig;
  try {
    const envelope = JSON.parse(bytes.toString('utf8')) as { payload?: unknown };
    const payload = typeof envelope.payload === 'string' ? decodeBase64UrlStrict(envelope.payload) : undefined;
    const parsed = payload ? (JSON.parse(Buffer.from(payload).toString('utf8')) as { config?: TengineConfig }) : undefined;
    if (!parsed?.config || typeof parsed.config !== 'object') throw new Error('no config');
    config = parsed.config;
  } catch {
    throw new CliError('BUNDLE_MALFORMED', `${path} is not a Tengine bundle`, 'pass a file written by `tengine build`');
  }
  // Unverified, so at least structurally checked: the diff only ever sees a config the schema accepts.
  const validate = configValidator;
  if (!validate(config)) {
    const first = validate.errors?.[0];
    throw new CliError('BUNDLE_PAYLOAD_INVALID', `${path}: the bundled config fails the schema at ${first?.instancePath || '/'}: ${first?.message ?? 'invalid'}`, 'rebuild the baseline with `tengine build`, or pass --bundle-key to verify it');
  }
  return { config, verified: false };
}
