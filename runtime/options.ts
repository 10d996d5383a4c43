import { readFile } from 'node:fs/promises';
import { RuntimeBootError, type RuntimeOptions } from './boot-types.js';
import { BOOT_EXIT } from './load/boot-exit-codes.js';
import { createLogger, LOG_LEVELS, parseLogLevel, type LogLevel } from './observability/logger.js';

/** Settings as given on the command line; anything missing falls back to `TENGINE_*` variables. */
export interface RuntimeFlags {
  bundle?: string;
  bundlePublicKey?: string[];
  runtimeKeys?: string;
  host?: string;
  port?: string;
  publicUrl?: string;
  logLevel?: string;
}

/**
 * Resolves flags and environment into RuntimeOptions, reading the files they name. Flags win over variables:
 * TENGINE_BUNDLE, TENGINE_BUNDLE_PUBLIC_KEYS (comma-separated paths), TENGINE_RUNTIME_KEYS, TENGINE_HOST,
 * TENGINE_PORT, TENGINE_PUBLIC_URL, TENGINE_LOG_LEVEL, and TENGINE_REDIS_URL or REDIS_URL for the shared store.
 */
export async function resolveRuntimeOptions(flags: RuntimeFlags, env: Record<string, string | undefined>, write: (line: string) => void): Promise<RuntimeOptions> {
  const level = flags.logLevel ?? env.TENGINE_LOG_LEVEL;
  // A typo (`verbose`, `warning`) must not silently become `info`.
  if (level !== undefined && level !== '' && !LOG_LEVELS.includes(level as LogLevel)) {
    throw new RuntimeBootError('USAGE', `${flags.logLevel !== undefined ? '--log-level' : 'TENGINE_LOG_LEVEL'} "${level}" is not a log level`, BOOT_EXIT.USAGE, `use one of: ${LOG_LEVELS.join(', ')}`);
  }
  const bundlePath = flags.bundle ?? env.TENGINE_BUNDLE;
  if (!bundlePath) throw new RuntimeBootError('BUNDLE_MISSING', 'no bundle given', BOOT_EXIT.USAGE, 'pass --bundle FILE or set TENGINE_BUNDLE (tengine build writes one)');
  const keyPaths = flags.bundlePublicKey?.length ? flags.bundlePublicKey : (env.TENGINE_BUNDLE_PUBLIC_KEYS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (keyPaths.length === 0) {
    throw new RuntimeBootError('BUNDLE_KEY_MISSING', 'no bundle public key given', BOOT_EXIT.USAGE, 'pass --bundle-public-key FILE or set TENGINE_BUNDLE_PUBLIC_KEYS');
  }
  const portText = flags.port ?? env.TENGINE_PORT ?? '8080';
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port > 65535) throw new RuntimeBootError('BAD_PORT', `port "${portText}" is not a number from 0 to 65535`, BOOT_EXIT.USAGE, 'pass --port N');
  const publicUrl = flags.publicUrl ?? env.TENGINE_PUBLIC_URL;
  if (publicUrl !== undefined && !/^https?:\/\/[^/?#]+\/?$/.test(publicUrl)) {
    throw new RuntimeBootError('BAD_PUBLIC_URL', `public URL "${publicUrl}" must be an origin like https://mcp.example.com`, BOOT_EXIT.USAGE, 'pass --public-url https://host');
  }
  const runtimeKeysPath = flags.runtimeKeys ?? env.TENGINE_RUNTIME_KEYS;
  return {
    bundle: await readOrFail(bundlePath, 'bundle', BOOT_EXIT.BUNDLE_UNREADABLE),
    bundlePublicKeys: await Promise.all(keyPaths.map(async (p) => (await readOrFail(p, 'bundle public key', BOOT_EXIT.KEY_FILE_INVALID)).toString('utf8'))),
    runtimeKeys: runtimeKeysPath ? (await readOrFail(runtimeKeysPath, 'runtime key set', BOOT_EXIT.RUNTIME_KEYS_INVALID)).toString('utf8') : undefined,
    host: flags.host ?? env.TENGINE_HOST ?? '127.0.0.1',
    // An empty TENGINE_REDIS_URL (a compose file forwarding an unset variable) must not hide REDIS_URL: the instance
    // would quietly run on the memory store and stop sharing replay guards with its peers.
    redisUrl: nonEmpty(env.TENGINE_REDIS_URL) ?? nonEmpty(env.REDIS_URL),
    redisKeyPrefix: env.TENGINE_REDIS_KEY_PREFIX,
    adminToken: env.TENGINE_ADMIN_TOKEN,
    port,
    publicUrl,
    env,
    log: createLogger(parseLogLevel(flags.logLevel ?? env.TENGINE_LOG_LEVEL), write),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

async function readOrFail(path: string, what: string, exitCode: number): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new RuntimeBootError(what === 'bundle' ? 'BUNDLE_UNREADABLE' : 'FILE_UNREADABLE', `cannot read the ${what} ${path}: ${code}`, exitCode, 'check the path and permissions');
  }
}
