import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { CliError, type CliIo } from '../io.js';
import { checkRemotePrefix } from '../openapi/remote.js';
import { renderHuman } from '../output/render-diagnostics.js';
import { formatOption } from './validate.js';

/** Registers `tengine import openapi`. */
export function registerImportCommand(program: Command, io: CliIo): void {
  const imp = program.command('import').description('Generate editable tool definitions from another description of an API.');
  imp
    .command('openapi')
    .description('Write the tools an OpenAPI document (3.0, 3.1, Swagger 2.0) maps to as a config fragment you can edit and include.')
    .argument('<file>', 'the OpenAPI document (YAML or JSON)')
    .requiredOption('-p, --project <id>', 'the project the tools belong to (the fragment\'s `project:`)')
    .option('-o, --out <dir>', 'directory to write <name>.tools.yaml into; without it the fragment is printed')
    .option('--base-url <url>', 'origin the tools call (default: the document\'s first absolute server URL)')
    .addOption(new Option('--input-shape <shape>', 'grouped {pathParams, query, headers, cookies, body} or flat arguments').choices(['grouped', 'flat']).default('grouped'))
    .option('--name-prefix <prefix>', 'prefix of every tool name')
    .option('--allow-remote-ref <prefix>', 'fetch remote $refs under this https URL prefix (repeatable; as allow_remote_refs)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .addOption(formatOption(['human', 'json']))
    .action(async (file: string, opts: { project: string; out?: string; baseUrl?: string; inputShape: 'grouped' | 'flat'; namePrefix?: string; allowRemoteRef: string[]; format: 'human' | 'json' }) => {
      // The document's relative $refs resolve from its location, which stdin does not have.
      if (file === '-') throw new CliError('BAD_ARGUMENT', 'tengine import openapi cannot read the document from stdin', 'save it to a file first: its relative $refs resolve from where it is');
      if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(opts.project)) throw new CliError('BAD_ARGUMENT', `--project "${opts.project}" is not a project id`, 'project ids are lower-case letters, digits, _ and -');
      const prefixes = opts.allowRemoteRef.map((raw) => {
        const checked = checkRemotePrefix(raw);
        if ('problem' in checked) throw new CliError('BAD_ARGUMENT', `--allow-remote-ref ${checked.problem}`, 'give an https:// URL prefix such as https://schemas.example.com/common/ (http:// only for 127.0.0.1 or localhost)');
        return checked.prefix;
      });
      const source = {
        input_shape: opts.inputShape,
        description_max_length: 1024,
        ...(opts.baseUrl ? { base_url: opts.baseUrl } : {}),
        ...(opts.namePrefix ? { name_prefix: opts.namePrefix } : {}),
        ...(prefixes.length > 0 ? { allow_remote_refs: prefixes } : {}),
      };
      const { importOpenApi } = await import('../openapi/import-openapi.js'); // the OpenAPI reader and YAML writer
      const r = await importOpenApi(file, opts.project, source, { cwd: io.cwd });
      const report = { valid: r.text !== undefined, root: file, files: [file], diagnostics: r.diagnostics, counts: { projects: 1, tools: r.tools.length, integrations: 0 } };
      let written: string | undefined;
      if (r.text !== undefined && opts.out) {
        const dir = resolve(io.cwd, opts.out);
        const out = join(dir, r.fileName);
        await mkdir(dir, { recursive: true }).catch(() => {});
        const tmp = `${out}.${process.pid}.tmp`;
        try {
          await writeFile(tmp, r.text);
          await rename(tmp, out);
        } catch (e) {
          await rm(tmp, { force: true }).catch(() => {});
          throw new CliError('OUTPUT_UNWRITABLE', `cannot write ${join(opts.out, r.fileName)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'choose another --out directory');
        }
        written = join(opts.out, r.fileName);
      }
      if (opts.format === 'json') {
        io.out(`${JSON.stringify({ format_version: 1, source: file, sha256: r.sha256 ?? null, remote: r.remote, written: written ?? null, tools: r.tools.map((t) => t.name), diagnostics: r.diagnostics }, null, 2)}\n`);
      } else {
        if (r.diagnostics.length > 0) io.err(renderHuman(report, io.errColor ?? false).replace(/^[✓✗] .*\n$/m, ''));
        if (r.text !== undefined && !written) io.out(r.text);
        if (written) io.err(`wrote ${written}: ${r.tools.length} tool${r.tools.length === 1 ? '' : 's'} for project ${opts.project}; include it from tengine.config.yaml (include: [${written}])\n`);
      }
      if (r.text === undefined) throw new CliError('IMPORT_FAILED', `${file} could not be imported: fix the errors above`, 'tengine import openapi reports the same diagnostics as an openapi: source would');
    });
}
