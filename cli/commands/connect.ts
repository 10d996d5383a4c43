import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Argument, Option, type Command } from 'commander';
import { CliError, type CliIo } from '../io.js';
import { API_KEY_ENV, API_KEY_PLACEHOLDER, DEFAULT_MCP_URL, DEFAULT_SERVER_NAME, MCP_CLIENTS, clientSnippet, oauthClientSnippet, oauthUnsupported, type McpClientId } from '../dev/client-snippets.js';
import { DEV_FILES, DEV_STATE_DIR } from '../dev/dev-state.js';
import type { checkConnection } from '../connect/check.js';
import { WRITABLE_CLIENTS, defaultClientFile, writeClientConfig, type WriteResult } from '../connect/write-config.js';

/** Clients whose snippet carries an environment reference, never the key itself. */
const ENV_REFERENCE_CLIENTS: readonly McpClientId[] = ['cursor', 'codex', 'openai-api', 'json'];

/** Where the key of a snippet came from, so the user knows whether it works as printed. */
export type KeySource = 'flag' | 'env' | 'dev' | 'placeholder';

/** Picks the key: --key, else $TENGINE_API_KEY, else the `tengine dev` key of this directory, else the placeholder. */
export async function resolveConnectKey(io: CliIo, flag: string | undefined): Promise<{ key: string; source: KeySource; file?: string }> {
  if (flag !== undefined) {
    if (flag.trim() === '' || /[\r\n]/.test(flag)) throw new CliError('BAD_ARGUMENT', '--key is empty or spans several lines', 'pass the tengine_... key on one line');
    return { key: flag, source: 'flag' };
  }
  const fromEnv = io.env[API_KEY_ENV];
  if (fromEnv && fromEnv.trim() !== '') return { key: fromEnv.trim(), source: 'env' };
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
    .option('--write', `merge the entry into the client's config file (${WRITABLE_CLIENTS.join(', ')}); a second run changes nothing`)
    .option('--file <path>', 'the config file --write merges into (default: .cursor/mcp.json for cursor, .vscode/mcp.json for vscode, $CODEX_HOME/config.toml or ~/.codex/config.toml for codex)')
    .option('--check', 'connect to the runtime as a client would (initialize, tools/list, mcp_whoami) and report what it serves')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['human', 'json']).default('human'))
    .action(async (client: McpClientId, opts: { url: string; key?: string; name: string; oauth?: string; write?: boolean; file?: string; check?: boolean; format: 'human' | 'json' }) => {
      const url = parseMcpUrl(opts.url);
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(opts.name)) throw new CliError('BAD_ARGUMENT', `--name ${JSON.stringify(opts.name)} is not a valid server name`, 'use 1-64 letters, digits, ".", "_" or "-"');
      if (opts.file !== undefined && !opts.write) throw new CliError('BAD_ARGUMENT', '--file is used only with --write', 'add --write, or drop --file');
      if (opts.write || opts.check) return writeOrCheck(io, client, url, opts);
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
      if (client === 'vscode') io.err('key: VS Code asks for it when it first starts the server (the tengine-api-key input)\n');
      else if (ENV_REFERENCE_CLIENTS.includes(client)) io.err(`key: the snippet refers to $${API_KEY_ENV}; set it to the API key in the client's environment\n`);
      else if (source === 'dev') io.err(`key: the development key from ${file} (tengine dev)\n`);
      else if (source === 'env') io.err(`key: from $${API_KEY_ENV}\n`);
      else if (source === 'placeholder') io.err(`key: replace ${API_KEY_PLACEHOLDER} with an API key (tengine keys api-key, or run tengine dev first), or pass --key\n`);
      for (const note of snip.notes) io.err(`note: ${note}\n`);
    });
}

/** `connect --write` and/or `--check`: merge into the client's file, then verify the connection end to end. */
async function writeOrCheck(io: CliIo, client: McpClientId, url: string, opts: { key?: string; name: string; oauth?: string; write?: boolean; file?: string; check?: boolean; format: 'human' | 'json' }): Promise<void> {
  if (opts.oauth !== undefined) throw new CliError('BAD_ARGUMENT', '--write and --check work with API keys, not --oauth', 'drop --oauth (the written entry reads the key from $TENGINE_API_KEY)');
  let written: WriteResult | undefined;
  if (opts.write) {
    if (!(WRITABLE_CLIENTS as readonly string[]).includes(client)) {
      throw new CliError('CONNECT_WRITE_UNSUPPORTED', `--write does not know where ${client} keeps its config`, `--write supports ${WRITABLE_CLIENTS.join(', ')}; for ${client}, use the printed snippet`);
    }
    const file = opts.file !== undefined ? path.resolve(io.cwd, opts.file) : defaultClientFile(client, io.env, io.cwd);
    if (!file) throw new CliError('BAD_ARGUMENT', `--write for ${client} needs --file`, client === 'codex' ? 'set HOME or CODEX_HOME, or pass --file' : 'pass the file to merge into with --file');
    written = await writeClientConfig(client, file, { url, name: opts.name });
  }
  let check: Awaited<ReturnType<typeof checkConnection>> | undefined;
  if (opts.check) {
    const { key, source } = await resolveConnectKey(io, opts.key);
    if (source === 'placeholder') throw new CliError('CONNECT_CHECK_NO_KEY', '--check needs an API key', `set ${API_KEY_ENV}, pass --key, or run tengine dev in this directory first`);
    // The MCP SDK client is loaded only for --check.
    check = await (await import('../connect/check.js')).checkConnection(url, key);
  }
  if (opts.format === 'json') {
    io.out(`${JSON.stringify({ format_version: 1, client, url, written: written ?? null, check: check ?? null }, null, 2)}\n`);
    return;
  }
  if (written) io.out(`${written.action === 'unchanged' ? 'unchanged' : written.action} ${written.file} (server "${opts.name}", key from $${API_KEY_ENV})\n`);
  if (check) {
    const who = check.whoami ? `project ${String(check.whoami.project_id)}, integration ${String(check.whoami.integration_id)}` : 'unknown caller';
    io.out(`ok ${url}: ${check.server ? `${check.server.name} ${check.server.version}` : 'server'}, protocol ${check.protocol_version ?? '?'}, ${check.tools} tool${check.tools === 1 ? '' : 's'}, ${who}\n`);
  }
}
