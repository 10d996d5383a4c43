import path from 'node:path';
import { Option, type Command } from 'commander';
import { CliError, type CliIo } from '../io.js';
import { DEFAULT_KEYS_DIR, KEY_FILE_NAMES, generateKeyFiles, writeKeyFiles, type KeyFile } from '../keys/generate-keys.js';
import { assertResourceId, credentialYaml, mintCredential, type CredentialKind } from '../keys/mint-credential.js';

type Format = 'human' | 'json';

/** Registers `tengine keys generate`, `api-key`, `client-secret` and `connect-secret`. */
export function registerKeysCommand(program: Command, io: CliIo): void {
  const keys = program.command('keys').description('Generate signing and runtime keys; mint API keys and OAuth client secrets.');

  keys
    .command('generate')
    .description('Write a new bundle signing key pair and runtime key set.')
    .option('--out <dir>', 'folder to write the key files to', DEFAULT_KEYS_DIR)
    .option('--force', 'replace existing key files', false)
    .addOption(formatOption())
    .action(async (opts: { out: string; force: boolean; format: Format }) => {
      const dir = path.resolve(io.cwd, opts.out);
      const files = await generateKeyFiles();
      const shown = displayPath(io.cwd, dir);
      await writeKeyFiles(dir, files, { force: opts.force, display: shown });
      const next = nextSteps(shown);
      if (opts.format === 'json') {
        const out = {
          format_version: 1,
          dir: shown,
          files: files.map((f) => ({
            name: f.name,
            path: path.join(shown, f.name),
            private: f.private,
            mode: f.private ? '0600' : '0644',
            holder: f.holder,
            kids: f.kids,
          })),
          next,
          summary: { files: files.length, private: files.filter((f) => f.private).length },
        };
        io.out(`${JSON.stringify(out, null, 2)}\n`);
      } else {
        io.out(renderGenerated(shown, files, next));
      }
    });

  const commands = {
    api_key: ['api-key', 'Mint a project API key (tengine_...) and print the hash for the config.'],
    client_secret: ['client-secret', 'Mint an OAuth client secret (tng_cs_...) and print the hash for the config.'],
    connect_secret: ['connect-secret', 'Mint a connect secret (tng_cn_...) that people enter to sign a public OAuth client in; print the hash for the config.'],
  } as const satisfies Record<CredentialKind, readonly [string, string]>;
  for (const kind of ['api_key', 'client_secret', 'connect_secret'] as const) {
    const isKey = kind === 'api_key';
    const cmd = keys
      .command(commands[kind][0])
      .description(commands[kind][1])
      .requiredOption('--project <id>', 'project id in tengine.config.yaml')
      .requiredOption('--integration <id>', isKey ? 'id of the api_key integration' : 'id of the oauth integration');
    if (isKey) cmd.option('--name <name>', 'label stored next to the hash (for example who holds the key)');
    cmd.addOption(formatOption()).action((opts: { project: string; integration: string; name?: string; format: Format }) => {
      mintAndPrint(io, kind, opts);
    });
  }
}

function mintAndPrint(io: CliIo, kind: CredentialKind, opts: { project: string; integration: string; name?: string; format: Format }): void {
  const project = assertResourceId(opts.project, '--project');
  const integration = assertResourceId(opts.integration, '--integration');
  if (opts.name !== undefined && (opts.name.length === 0 || opts.name.length > 200)) {
    throw new CliError('BAD_ARGUMENT', '--name must be 1 to 200 characters', 'use a short label such as the holder of the key');
  }
  const cred = mintCredential(kind);
  const yaml = credentialYaml(cred, opts.name);
  const field = kind === 'api_key' ? 'api_keys' : `${kind}_sha256`;
  const where = `projects[id=${project}].integrations[id=${integration}].${field}`;
  const label = { api_key: 'API key', client_secret: 'client secret', connect_secret: 'connect secret' }[kind];
  // The plaintext exists only in this output: say so where a human looks, without polluting a piped stdout.
  io.err(`warning: this ${label} is shown once and is not stored anywhere; copy it now. Only its SHA-256 goes into the config.\n`);
  if (opts.format === 'json') {
    const out = { format_version: 1, kind, project, integration, name: opts.name ?? null, secret: cred.secret, sha256: cred.sha256, config_path: where, yaml };
    io.out(`${JSON.stringify(out, null, 2)}\n`);
    return;
  }
  const target = kind === 'api_key' ? `the api_key integration "${integration}"` : `the oauth integration "${integration}"`;
  io.out(`${cred.secret}\n\nAdd this to ${target} of project "${project}" (${where}):\n\n${indent(yaml, '  ')}`);
}

function renderGenerated(shown: string, files: readonly KeyFile[], next: readonly string[]): string {
  const width = Math.max(...files.map((f) => f.name.length));
  const lines = [`Wrote ${files.length} key files to ${shown}`, ''];
  for (const f of files) {
    const kids = f.kids.map((k) => (f.kids.length > 1 ? `${k.use} ${k.kid}` : k.kid)).join(', ');
    lines.push(`  ${f.name.padEnd(width)}  ${f.private ? 'private (0600)' : 'public        '}  kid ${kids}`);
    lines.push(`  ${''.padEnd(width)}  ${f.holder}`);
  }
  lines.push('', 'Next:', ...next.map((n, i) => `  ${i + 1}. ${n}`), '');
  return `${lines.join('\n')}\n`;
}

function nextSteps(dir: string): string[] {
  const p = (name: string) => path.join(dir, name);
  return [
    `Never commit the private files: add ${p(KEY_FILE_NAMES.signingKey)} and ${p(KEY_FILE_NAMES.runtimeKeys)} to .gitignore.`,
    `Store ${KEY_FILE_NAMES.signingKey} as a CI secret; \`tengine build\` signs bundles with it.`,
    `Check a bundle: tengine verify tengine.bundle.json --key ${p(KEY_FILE_NAMES.signingPub)}`,
    `Install ${KEY_FILE_NAMES.runtimeKeys} on runtime hosts only, and give them ${KEY_FILE_NAMES.signingPub}.`,
    `Encrypt an upstream secret: tengine secret encrypt --key ${p(KEY_FILE_NAMES.runtimePub)} < secret.txt`,
    `Mint an API key: tengine keys api-key --project <id> --integration <id>`,
  ];
}

function formatOption(): Option {
  return new Option('-f, --format <format>', 'output format').choices(['human', 'json']).default('human');
}

function displayPath(cwd: string, abs: string): string {
  const rel = path.relative(cwd, abs);
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? abs : rel;
}

function indent(text: string, pad: string): string {
  return text
    .split('\n')
    .map((l) => (l === '' ? l : pad + l))
    .join('\n');
}
