import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { decodeBase64UrlStrict, sha256Hex } from '../../schemas/bundle-format.js';
import { canonicalJson } from '../../schemas/canonical-json.js';
import type { TengineConfig } from '../../schemas/config-types.js';
import { isLoopbackHost } from '../config/rules/url-rules.js';
import { CliError, type CliIo } from '../io.js';
import { snapshotFromRuntime } from '../plan/sources/runtime-source.js';
import { renderHuman } from '../output/render-diagnostics.js';
import { setExitCode } from '../program.js';
import { normalizedForDisplay } from './render.js';
import { validateConfig } from './validate.js';

const FORMATS = ['human', 'json'] as const;

/** The runtime's base URL, checked: absolute http(s). */
function runtimeBase(value: string): URL {
  try {
    const url = new URL(value.endsWith('/') ? value : `${value}/`);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url;
  } catch {
    /* reported below */
  }
  throw new CliError('STATUS_RUNTIME_URL_INVALID', `--runtime ${JSON.stringify(value)} is not an http(s) URL`, 'give the runtime\'s base URL, e.g. --runtime https://mcp.example.com');
}

/** The bundle digest a runtime serves, from its unauthenticated `/readyz`. */
async function servedDigest(base: URL): Promise<{ digest: string; status: string }> {
  let res: Response;
  try {
    res = await fetch(new URL('readyz', base), { signal: AbortSignal.timeout(15_000), redirect: 'error', headers: { Accept: 'application/json' } });
  } catch (e) {
    throw new CliError('STATUS_RUNTIME_UNREACHABLE', `cannot reach ${base.origin}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`, 'check the URL and that the runtime is up');
  }
  // 503 (draining, store down) still names the bundle: the answer is about what is loaded, not whether it is healthy.
  const body = (await res.json().catch(() => undefined)) as { status?: unknown; bundle_digest?: unknown } | undefined;
  if (typeof body?.bundle_digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(body.bundle_digest)) {
    throw new CliError('STATUS_RUNTIME_ERROR', `${base.origin}/readyz answered HTTP ${res.status} without a bundle digest`, 'is this a Tengine runtime? check the URL (the base URL, without /mcp)');
  }
  return { digest: body.bundle_digest, status: typeof body.status === 'string' ? body.status : 'unknown' };
}

/** The digest of a bundle file: SHA-256 of its signed payload bytes, as the runtime and `tengine verify` report it. */
async function bundleDigest(io: CliIo, file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(resolve(io.cwd, file));
  } catch (e) {
    throw new CliError('BUNDLE_UNREADABLE', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, 'check the path given to --bundle');
  }
  try {
    const envelope = JSON.parse(bytes.toString('utf8')) as { payload?: unknown };
    if (typeof envelope.payload !== 'string') throw new Error('no payload');
    const payload = decodeBase64UrlStrict(envelope.payload);
    if (!payload) throw new Error('bad payload');
    return `sha256:${sha256Hex(payload)}`;
  } catch {
    throw new CliError('BUNDLE_MALFORMED', `${file} is not a Tengine bundle`, 'pass a file written by `tengine build`');
  }
}

/**
 * A config as both sides can state it: secrets fingerprinted, and without the build inputs (`include`, `$schema`,
 * `env_allowlist`, `openapi`) that the build drops and the runtime's schema check fills back with defaults.
 */
function comparable(config: TengineConfig): TengineConfig {
  const c = normalizedForDisplay(config) as TengineConfig & Record<string, unknown>;
  delete c.$schema;
  delete c.env_allowlist;
  for (const p of c.projects ?? []) delete (p as { openapi?: unknown }).openapi;
  return c;
}

/** `tengine status --runtime URL`: does the runtime serve the bundle (or the config) you think it does? */
export function registerStatusCommand(program: Command, io: CliIo): void {
  program
    .command('status')
    .description('Compare what a running runtime serves with a local bundle (--bundle) or a fresh build of the config; exit 2 on drift.')
    .option('--runtime <url>', 'base URL of the runtime (its /readyz names the served bundle digest); default: $TENGINE_RUNTIME_URL')
    .option('--bundle <file>', 'compare with this bundle file (its digest must equal the served one)')
    .option('--config <path>', 'compare with a fresh build of this config (needs TENGINE_ADMIN_TOKEN: the served config is read from the admin surface)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('human'))
    .action(async (opts: { runtime?: string; bundle?: string; config?: string; format: (typeof FORMATS)[number] }, cmd: Command) => {
      if (opts.bundle !== undefined && opts.config !== undefined) throw new CliError('BAD_ARGUMENT', '--bundle and --config exclude each other', 'compare with a built bundle (--bundle) or with the config (--config), not both');
      const runtime = opts.runtime ?? io.env.TENGINE_RUNTIME_URL;
      if (!runtime) throw new CliError('BAD_ARGUMENT', 'no runtime given', 'pass --runtime URL or set TENGINE_RUNTIME_URL');
      const base = runtimeBase(runtime);
      const served = await servedDigest(base);
      let result: { format_version: 1; runtime: string; runtime_status: string; served_digest: string; compared_with: string; local_digest: string | null; in_sync: boolean };
      if (opts.bundle !== undefined) {
        const local = await bundleDigest(io, opts.bundle);
        result = { format_version: 1, runtime: base.href, runtime_status: served.status, served_digest: served.digest, compared_with: `bundle:${opts.bundle}`, local_digest: local, in_sync: local === served.digest };
      } else {
        // A fresh build has a new created_at, so its bundle digest never equals the served one: the configs are
        // compared instead, both with secrets fingerprinted (the admin surface never hands out a JWE).
        const path = opts.config ?? '.';
        const { loaded, report } = await validateConfig(path, io);
        if (!loaded.config) {
          io.err(renderHuman(report, io.errColor ?? false));
          throw new CliError('CONFIG_INVALID', `${report.root} is invalid; nothing to compare`, `fix the problems listed above (tengine validate ${path})`);
        }
        if (base.protocol === 'http:' && !isLoopbackHost(base.hostname)) {
          throw new CliError('STATUS_RUNTIME_URL_INVALID', `${base.origin} is plain http://: the admin token would cross the network in clear text`, 'use the https:// URL of the runtime (http:// only for localhost and 127.0.0.1)');
        }
        let snapshot;
        try {
          snapshot = await snapshotFromRuntime(base.href, io.env.TENGINE_ADMIN_TOKEN);
        } catch (e) {
          // The plan's runtime source, with this command's name on its codes.
          if (e instanceof CliError) throw new CliError(e.code.replace(/^PLAN_/, 'STATUS_'), e.message, e.hint);
          throw e;
        }
        const local = `sha256:${sha256Hex(canonicalJson(comparable(loaded.config)))}`;
        const remote = `sha256:${sha256Hex(canonicalJson(comparable(snapshot.config)))}`;
        result = { format_version: 1, runtime: base.href, runtime_status: served.status, served_digest: served.digest, compared_with: `config:${report.root}`, local_digest: null, in_sync: local === remote };
      }
      setExitCode(cmd, result.in_sync ? 0 : 2);
      if (opts.format === 'json') {
        io.out(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      io.out(
        `${result.in_sync ? 'in sync' : 'DRIFT'}: ${base.origin} serves ${served.digest} (${served.status})\n` +
          (result.local_digest ? `  ${result.compared_with} is ${result.local_digest}\n` : `  ${result.compared_with} ${result.in_sync ? 'builds the served config' : 'differs from the served config (tengine plan --against runtime:URL shows how)'}\n`),
      );
    });
}
