import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Argument, Option, type Command } from 'commander';
import { CliError, type CliIo } from '../io.js';
import { API_KEY_PLACEHOLDER, DEFAULT_MCP_URL, DEFAULT_SERVER_NAME, MCP_CLIENTS, clientSnippet, oauthClientSnippet, oauthUnsupported, type McpClientId } from '../dev/client-snippets.js';
import { DEV_FILES, DEV_STATE_DIR } from '../dev/dev-state.js';

/** Where the key of a snippet came from, so the user knows whether it works as printed. */
export type KeySource = 'flag' | 'dev' | 'placeholder';

/** Picks the key: --key, else the `tengine dev` key of this directory, else the placeholder. */
export async function resolveConnectKey(io: CliIo, flag: string | undefined): Promise<{ key: string; source: KeySource; file?: string }> {
  if (flag !== undefined) {
    if (flag.trim() === '' || /[\r\n]/.test(flag)) throw new CliError('BAD_ARGUMENT', '--key is empty or spans several lines', 'pass the tengine_... key on one line');
    return { key: flag, source: 'flag' };
  }
  const file = path.join(DEV_STATE_DIR, DEV_FILES.apiKey);
  try {
    const key = (await readFile(path.resolve(io.cwd, file), 'utf8')).trim();
    if (key !== '') return { key, source: 'dev', file };
  } catch {
    /* no dev key here: fall back to the placeholder */
  }
  return { key: API_KEY_PLACEHOLDER, source: 'placeholder' };
}

/** Checks a --url: an absolute http(s) URL. */
export function parseMcpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError('BAD_ARGUMENT', `--url ${JSON.stringify(value)} is not an absolute URL`, `give the MCP endpoint, e.g. ${DEFAULT_MCP_URL}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError('BAD_ARGUMENT', `--url must be http:// or https://, not ${url.protocol}`, `give the MCP endpoint, e.g. ${DEFAULT_MCP_URL}`);
  return value;
}

/** `tengine connect <client>`: print the snippet that connects an MCP client to a Tengine runtime. */
export function registerConnectCommand(program: Command, io: CliIo): void {
  program
    .command('connect')
    .description('Print the exact snippet that connects an MCP client to Tengine (stdout: the snippet only, so it can be piped).')
    .addArgument(new Argument('<client>', 'the MCP client').choices(MCP_CLIENTS))
    .option('--url <url>', 'MCP endpoint of the runtime', DEFAULT_MCP_URL)
    .option('--key <key>', `API key (default: ${DEV_STATE_DIR}/${DEV_FILES.apiKey} when present, else the ${API_KEY_PLACEHOLDER} placeholder)`)
    .option('--name <name>', 'name the client lists the server under', DEFAULT_SERVER_NAME)
    .option('--oauth <client_id>', 'sign in with OAuth as the kind: oauth integration with this client_id, instead of an API key')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['human', 'json']).default('human'))
    .action(async (client: McpClientId, opts: { url: string; key?: string; name: string; oauth?: string; format: 'human' | 'json' }) => {
      const url = parseMcpUrl(opts.url);
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(opts.name)) throw new CliError('BAD_ARGUMENT', `--name ${JSON.stringify(opts.name)} is not a valid server name`, 'use 1-64 letters, digits, ".", "_" or "-"');
      if (opts.oauth !== undefined) {
        if (opts.key !== undefined) throw new CliError('BAD_ARGUMENT', '--oauth and --key exclude each other', 'sign in with OAuth (--oauth <client_id>) or send an API key (--key), not both');
        if (!/^[A-Za-z0-9._~-]{8,128}$/.test(opts.oauth)) throw new CliError('BAD_ARGUMENT', `--oauth ${JSON.stringify(opts.oauth)} is not a client_id`, 'give the client_id of a kind: oauth integration (8-128 of A-Z a-z 0-9 . _ ~ -)');
        const why = oauthUnsupported(client);
        if (why) throw new CliError('BAD_ARGUMENT', `${client} cannot sign in with --oauth`, why);
        const snip = oauthClientSnippet(client, { url, clientId: opts.oauth, name: opts.name });
        if (opts.format === 'json') {
          io.out(`${JSON.stringify({ format_version: 1, client, url, auth: 'oauth', client_id: opts.oauth, snippet: snip.snippet, target: snip.target, notes: snip.notes }, null, 2)}\n`);
          return;
        }
        io.out(snip.snippet.endsWith('\n') ? snip.snippet : `${snip.snippet}\n`);
        io.err(`\n${snip.title}: ${snip.target}\n`);
        for (const note of snip.notes) io.err(`note: ${note}\n`);
        return;
      }
      const { key, source, file } = await resolveConnectKey(io, opts.key);
      const snip = clientSnippet(client, { url, key, name: opts.name });
      if (opts.format === 'json') {
        io.out(`${JSON.stringify({ format_version: 1, client, url, snippet: snip.snippet, target: snip.target, key_source: source, notes: snip.notes }, null, 2)}\n`);
        return;
      }
      io.out(snip.snippet.endsWith('\n') ? snip.snippet : `${snip.snippet}\n`);
      io.err(`\n${snip.title}: ${snip.target}\n`);
      if (source === 'dev') io.err(`key: the development key from ${file} (tengine dev)\n`);
      if (source === 'placeholder') io.err(`key: replace ${API_KEY_PLACEHOLDER} with an API key (tengine keys api-key, or run tengine dev first), or pass --key\n`);
      for (const note of snip.notes) io.err(`note: ${note}\n`);
    });
}
