import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import type { CliIo } from '../io.js';
import { setExitCode } from '../program.js';
import type { TrustedKey } from '../../schemas/bundle-verify.js';
import { assertStdinOnce, readInput, STDIO } from '../streams.js';

/** What `tengine verify` found: either the facts of a valid bundle or one error with its fix. */
export type VerifyReport =
  | {
      valid: true;
      file: string;
      kid: string;
      alg: string;
      digest: string;
      /** The bundle's own format_version (the output's `format_version` is the version of this JSON shape). */
      bundle_format_version: number;
      created_at: string;
      revision: string | null;
      dirty: boolean | null;
      config_digest: string;
      counts: { projects: number; tools: number; integrations: number };
    }
  | { valid: false; file: string; error: { code: string; message: string; hint: string } };

/** Registers `tengine verify BUNDLE --key PUBFILE...`. */
export function registerVerifyCommand(program: Command, io: CliIo): void {
  program
    .command('verify')
    .description('Check a bundle: signature, trusted key, format version, schema and config digest.')
    .argument('<bundle>', 'bundle file written by `tengine build`, or - for stdin')
    .addOption(new Option('--key <file>', 'trusted public key: PEM, JWK or JWKS (repeatable); default $TENGINE_BUNDLE_PUBLIC_KEYS (comma-separated)').argParser(collect))
    .addOption(new Option('-f, --format <format>', 'output format').choices(['human', 'json']).default('human'))
    .action(async (bundle: string, opts: { key?: string[]; format: 'human' | 'json' }, cmd: Command) => {
      assertStdinOnce([['the bundle', bundle === STDIO], ['--key', (opts.key ?? []).includes(STDIO)]]);
      const report = await verifyFile(io, bundle, opts.key ?? []);
      if (opts.format === 'json') io.out(`${JSON.stringify({ format_version: 1, ...report }, null, 2)}\n`);
      else if (report.valid) io.out(renderValid(report));
      else io.err(`error ${report.error.code}: ${report.error.message}\n  hint: ${report.error.hint}\n`);
      setExitCode(cmd, report.valid ? 0 : 1);
    });
}

/** Reads the bundle and the keys and verifies; every failure, including unreadable files, becomes a report. */
export async function verifyFile(io: CliIo, bundle: string, keyPaths: readonly string[]): Promise<VerifyReport> {
  const fail = (code: string, message: string, hint: string): VerifyReport => ({ valid: false, file: bundle, error: { code, message, hint } });
  // The variable holds one path or several separated by commas, as for `tengine serve` and `plan --bundle-key`.
  const paths = keyPaths.length > 0 ? keyPaths : (io.env.TENGINE_BUNDLE_PUBLIC_KEYS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (paths.length === 0) {
    return fail('BAD_ARGUMENT', 'no trusted public key given', 'pass --key bundle-signing.pub.pem or set TENGINE_BUNDLE_PUBLIC_KEYS');
  }
  // The verifier (jose, ajv) is loaded by the commands that verify, not by every command at start-up.
  const { loadTrustedKeys, TrustedKeyError, verifyBundle } = await import('../../schemas/bundle-verify.js');
  const trusted: TrustedKey[] = [];
  for (const p of paths) {
    let text: string;
    try {
      text = (await readInput(io, p)).toString('utf8');
    } catch (e) {
      return fail('KEY_FILE_UNREADABLE', `cannot read key file ${p}: ${errText(e)}`, 'check the path to the bundle public key (bundle-signing.pub.pem)');
    }
    try {
      trusted.push(...(await loadTrustedKeys(text)));
    } catch (e) {
      if (e instanceof TrustedKeyError) return fail(e.code, `${p}: ${e.message}`, e.hint);
      throw e;
    }
  }
  let bytes: Uint8Array;
  try {
    bytes = await readInput(io, bundle);
  } catch (e) {
    return fail('BUNDLE_UNREADABLE', `cannot read bundle ${bundle}: ${errText(e)}`, 'check the path to the bundle file');
  }
  const result = await verifyBundle(bytes, trusted);
  if (!result.ok) return fail(result.code, result.message, result.hint);
  const { payload } = result;
  const projects = payload.config.projects ?? [];
  return {
    valid: true,
    file: bundle,
    kid: result.kid,
    alg: result.alg,
    digest: result.digest,
    bundle_format_version: payload.format_version,
    created_at: payload.created_at,
    revision: payload.source?.revision ?? null,
    dirty: payload.source?.dirty ?? null,
    config_digest: payload.config_digest,
    counts: {
      projects: projects.length,
      tools: projects.reduce((n, p) => n + (p.tools?.length ?? 0), 0),
      integrations: projects.reduce((n, p) => n + (p.integrations?.length ?? 0), 0),
    },
  };
}

function renderValid(r: Extract<VerifyReport, { valid: true }>): string {
  const revision = r.revision ? `${r.revision}${r.dirty ? ' (dirty: config files differed from this commit)' : ''}` : 'unknown';
  const c = r.counts;
  return [
    `${r.file}: valid`,
    `  signed by       ${r.kid} (${r.alg})`,
    `  payload sha256  ${r.digest}`,
    `  format_version  ${r.bundle_format_version}`,
    `  created_at      ${r.created_at}`,
    `  revision        ${revision}`,
    `  contents        ${plural(c.projects, 'project')}, ${plural(c.tools, 'tool')}, ${plural(c.integrations, 'integration')}`,
    '',
  ].join('\n');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function errText(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? (e as Error)?.message ?? String(e);
}
