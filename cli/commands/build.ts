import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError, type CliIo } from '../io.js';
import { assertStdinOnce, readInput, STDIO } from '../streams.js';
import { renderHuman, renderJson } from '../output/render-diagnostics.js';
import { styler } from '../output/style.js';
import { addProgressOptions, formatOption, validateConfig } from './validate.js';
import { progressReporter } from '../output/progress.js';
import { discoverConfig } from '../config/discover-config.js';

const FORMATS = ['human', 'json'] as const;

/** Reads the signing key from --key, else TENGINE_BUNDLE_SIGNING_KEY (PEM text, as CI secrets are passed). */
async function readSigningKey(io: CliIo, keyPath: string | undefined): Promise<string> {
  if (keyPath) {
    try {
      return (await readInput(io, keyPath)).toString('utf8');
    } catch (e) {
      throw new CliError('KEY_FILE_UNREADABLE', `cannot read the signing key ${keyPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'check the path (tengine keys generate writes .tengine/keys/bundle-signing.key.pem)');
    }
  }
  const fromEnv = io.env.TENGINE_BUNDLE_SIGNING_KEY;
  if (fromEnv) return fromEnv;
  throw new CliError('SIGNING_KEY_MISSING', 'no bundle signing key given', 'pass --key FILE or set TENGINE_BUNDLE_SIGNING_KEY to the PEM text (tengine keys generate makes one)');
}

/** `tengine build [path] --key KEY --out FILE`: validate, then write the signed bundle. */
export function registerBuildCommand(program: Command, io: CliIo): void {
  const command = program
    .command('build')
    .description('Validate a config and compile it into a signed bundle for the runtime.')
    .argument('[path]', 'config file or directory, or - for stdin (default: --config, $TENGINE_CONFIG, or the nearest tengine.config.yaml up to the repository root)')
    .option('--config <path>', 'config file or directory (the same as the path argument)')
    .option('-k, --key <file>', 'bundle signing private key (PEM), or - for stdin; default: $TENGINE_BUNDLE_SIGNING_KEY')
    .option('-o, --out <file>', 'where to write the bundle, or - for stdout (default: $TENGINE_BUNDLE_OUT, else tengine.bundle.json)')
    .addOption(formatOption(FORMATS));
  addProgressOptions(command).action(async (pathArg: string | undefined, opts: { config?: string; key?: string; out?: string; format: (typeof FORMATS)[number]; progress?: boolean }) => {
      const path = await discoverConfig(io, pathArg, opts.config);
      const format = opts.format;
      const outArg = opts.out ?? (io.env.TENGINE_BUNDLE_OUT || 'tengine.bundle.json');
      assertStdinOnce([['the config', path === STDIO], ['--key', opts.key === STDIO]]);
      // With the bundle on stdout, the summary moves to stderr; a JSON summary would share stdout with it.
      const toStdout = outArg === STDIO;
      if (toStdout && format === 'json') throw new CliError('BAD_ARGUMENT', '--out - and --format json both write to stdout', 'write the bundle to a file (--out FILE) for a JSON summary, or drop --format json');
      const pem = await readSigningKey(io, opts.key);
      // The signer (jose, the bundle schema) is loaded when build runs, not by `tengine validate`.
      const [{ resolveBuildMetadata }, { buildCanonicalPayload }, { loadSigningKey, signCanonicalPayload }] = await Promise.all([import('../bundle/build-metadata.js'), import('../bundle/build-payload.js'), import('../bundle/sign-bundle.js')]);
      const key = await loadSigningKey(pem); // fail on a bad key before doing any work
      const progress = progressReporter(io, opts.progress);
      // Progress lines end (a terminal's line is cleared) before anything else is written, whatever happens.
      const { report, payload, bytes, digest } = await (async () => {
        const { loaded, report } = await validateConfig(path, io, progress);
        if (!loaded.config) {
          progress.done();
          if (format === 'json') io.out(renderJson(report));
          else io.err(renderHuman(report, io.errColor ?? false));
          throw new CliError('CONFIG_INVALID', `${report.root} is invalid; the bundle was not written`, `fix the problems listed above (tengine validate ${path} checks without writing anything)`);
        }
        const meta = await resolveBuildMetadata(loaded.rootDir, path === STDIO ? loaded.files.slice(1) : loaded.files, io.env);
        progress.step('signing the bundle', report.counts.tools);
        const built = buildCanonicalPayload(loaded.config, meta);
        return { report, payload: built.payload, ...(await signCanonicalPayload(built, key)) };
      })().finally(() => progress.done());
      const summaryOut = toStdout ? io.err : io.out;
      if (toStdout) io.out(Buffer.from(bytes).toString('utf8'));
      const out = resolve(io.cwd, outArg);
      const tmp = `${out}.${process.pid}.tmp`;
      if (!toStdout) {
        try {
          // Write then rename, so a deploy never picks up a half-written bundle.
          await writeFile(tmp, bytes);
          await rename(tmp, out);
        } catch (e) {
          await rm(tmp, { force: true }).catch(() => {});
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EISDIR') throw new CliError('OUTPUT_UNWRITABLE', `cannot write ${outArg}: it is a directory`, `name the bundle file, e.g. --out ${join(outArg, 'tengine.bundle.json')}`);
          const why = code === 'ENOENT' ? `the directory ${dirname(outArg)} does not exist` : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (code ?? (e as Error).message);
          throw new CliError('OUTPUT_UNWRITABLE', `cannot write ${outArg}: ${why}`, 'create the directory first, or choose another --out');
        }
      }
      const result = {
        format_version: 1,
        bundle: outArg,
        bytes: bytes.length,
        kid: key.kid,
        alg: key.alg,
        config_digest: payload.config_digest,
        // The same digest `tengine verify` and the runtime report: SHA-256 of the signed payload bytes.
        bundle_digest: `sha256:${digest}`,
        created_at: payload.created_at,
        source: payload.source ?? null,
        warnings: report.diagnostics,
        counts: report.counts,
      };
      if (format === 'json') {
        io.out(JSON.stringify(result, null, 2) + '\n');
        return;
      }
      if (report.diagnostics.length) io.err(renderHuman({ ...report, valid: true }, io.errColor ?? false).replace(/.*is valid.*\n$/, ''));
      const s = styler(toStdout ? (io.errColor ?? false) : io.color);
      const c = report.counts;
      summaryOut(
        `${s.green('✓')} wrote ${toStdout ? 'the bundle to stdout' : outArg} (${bytes.length} bytes): ${c.projects} project${c.projects === 1 ? '' : 's'}, ${c.tools} tool${c.tools === 1 ? '' : 's'}, ${c.integrations} integration${c.integrations === 1 ? '' : 's'}\n` +
          `  bundle digest  ${result.bundle_digest}\n` +
          `  config digest  ${payload.config_digest}\n` +
          `  signed by      ${key.alg} key ${key.kid}\n` +
          `  created at     ${payload.created_at}${payload.source?.revision ? `\n  revision       ${payload.source.revision}${payload.source.dirty ? ' (with uncommitted changes)' : ''}` : ''}\n`,
      );
    });
}
