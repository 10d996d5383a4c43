/** MCP clients `tengine connect` (and the `tengine dev` banner) print a ready-to-paste snippet for. */
export const MCP_CLIENTS = ['claude-code', 'cursor', 'vscode', 'anthropic-api', 'claude-desktop', 'codex', 'openai-api', 'json'] as const;

/**
 * The environment variable the snippets of clients that can read one refer to instead of the key itself, so a
 * config file that is committed or shared never carries the credential.
 */
export const API_KEY_ENV = 'TENGINE_API_KEY';

/** One of MCP_CLIENTS. */
export type McpClientId = (typeof MCP_CLIENTS)[number];

/** The MCP URL of a local `tengine dev` with the default port. */
export const DEFAULT_MCP_URL = 'http://127.0.0.1:8080/mcp';

/** Shown instead of a key when none is known, so a snippet never looks complete when it is not. */
export const API_KEY_PLACEHOLDER = '<TENGINE_API_KEY>';

/** The server name the snippets register Tengine under. */
export const DEFAULT_SERVER_NAME = 'tengine';

/**
 * The Messages API beta that enables `mcp_servers` (the MCP connector). `mcp-client-2025-11-20` replaced
 * `mcp-client-2025-04-04`, moving tool selection into an `mcp_toolset` entry of `tools`.
 */
export const ANTHROPIC_MCP_BETA = 'mcp-client-2025-11-20';

/** What to connect to. */
export interface ConnectTarget {
  url: string;
  key: string;
  /** Default DEFAULT_SERVER_NAME. */
  name?: string;
}

/** A snippet for one client: the exact text to paste, where it goes, and what to keep in mind. */
export interface ClientSnippet {
  client: McpClientId;
  /** Human name of the client, e.g. "Cursor". */
  title: string;
  /** Where the snippet goes, e.g. "run in a terminal" or ".cursor/mcp.json". */
  target: string;
  /** The exact text to paste: a command, a JSON file, or steps. */
  snippet: string;
  /** Caveats; always present, possibly empty. */
  notes: string[];
}

/** Builds the snippet for one client. Pure: the same target always gives the same text. */
export function clientSnippet(client: McpClientId, target: ConnectTarget): ClientSnippet {
  const name = target.name ?? DEFAULT_SERVER_NAME;
  const { url, key } = target;
  const bearer = `Bearer ${key}`;
  switch (client) {
    case 'claude-code':
      return {
        client,
        title: 'Claude Code',
        target: 'run in a terminal',
        snippet: `claude mcp add --transport http ${shellArg(name)} ${shellArg(url)} --header ${doubleQuoted(`Authorization: ${bearer}`)}`,
        notes: ['Add `--scope project` to write it to .mcp.json for everyone in this repository (then keep the key out of git), or `--scope user` for all your projects.'],
      };
    case 'cursor':
      return {
        client,
        title: 'Cursor',
        target: '.cursor/mcp.json',
        // Cursor interpolates ${env:NAME} in url and headers, so the file never holds the key.
        snippet: json(cursorConfigEntry(name, url)),
        notes: [`Cursor reads the key from ${API_KEY_ENV} in its environment: export it before starting Cursor. Use ~/.cursor/mcp.json instead to make the server available in every project; --write merges into the file.`],
      };
    case 'codex':
      return {
        client,
        title: 'Codex',
        target: '~/.codex/config.toml',
        snippet: codexTable(name, url),
        notes: [`Codex sends the value of ${API_KEY_ENV} as the bearer token (bearer_token_env_var): export it before starting Codex. A trusted project can use .codex/config.toml instead; --write merges into the file.`],
      };
    case 'openai-api':
      return openaiApi(url, name);
    case 'json':
      return {
        client,
        title: 'Generic MCP client (JSON)',
        target: 'the client\'s MCP servers file',
        snippet: json(genericJsonEntry(name, url)),
        notes: [`\${${API_KEY_ENV}} is a reference, not the key: use your client's own syntax for environment variables if it has one, or substitute the key where the file is not shared.`],
      };
    case 'vscode':
      return {
        client,
        title: 'VS Code',
        target: '.vscode/mcp.json',
        // VS Code's own syntax: ${input:ID} prompts once and keeps the value in its secret storage, so the file
        // (often committed) never holds the key.
        snippet: json(vscodeConfigEntry(name, url)),
        notes: ['VS Code asks for the key the first time it starts the server and keeps it in its secret storage. Use the agent mode of Copilot Chat to call the tools; --write merges into the file.'],
      };
    case 'anthropic-api':
      return anthropicApi(url, key, name);
    case 'claude-desktop':
      return claudeDesktop(url, key, name);
  }
}

/**
 * A one-line MCP Inspector CLI call that lists the tools, for checking a runtime from a terminal. `@latest`
 * because npx otherwise reuses whatever version it cached, and Inspector CLIs from before `--header` existed
 * fail with "Arguments cannot be passed to a URL-based MCP server".
 */
export function inspectorCommand(target: ConnectTarget): string {
  return `npx @modelcontextprotocol/inspector@latest --cli ${shellArg(target.url)} --transport http --method tools/list --header ${doubleQuoted(`Authorization: Bearer ${target.key}`)}`;
}

/** True for URLs that only this machine can reach, which cloud-side MCP clients cannot call. */
export function isLocalUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host.endsWith('.localhost') || /^127\./.test(host) || host === '::1' || host === '0.0.0.0';
  } catch {
    return false;
  }
}

function anthropicApi(url: string, key: string, name: string): ClientSnippet {
  const body = {
    model: 'claude-sonnet-4-5',
    max_tokens: 1024,
    messages: [{ role: 'user', content: 'What notes do I have?' }],
    mcp_servers: [{ type: 'url', url, name, authorization_token: key }],
    tools: [{ type: 'mcp_toolset', mcp_server_name: name }],
  };
  const notes = [`The MCP connector is a beta of the Messages API: keep the \`anthropic-beta: ${ANTHROPIC_MCP_BETA}\` header.`];
  if (isLocalUrl(url) || !url.startsWith('https://')) {
    notes.unshift(
      'Anthropic calls the MCP server from its cloud, so the URL must be public https: a local runtime works only through a tunnel ' +
        '(e.g. `cloudflared tunnel --url http://127.0.0.1:8080` or `ngrok http 8080`); put the tunnel URL plus /mcp in "url".',
    );
  }
  const snippet = [
    'curl https://api.anthropic.com/v1/messages \\',
    '  -H "content-type: application/json" \\',
    '  -H "x-api-key: $ANTHROPIC_API_KEY" \\',
    '  -H "anthropic-version: 2023-06-01" \\',
    `  -H "anthropic-beta: ${ANTHROPIC_MCP_BETA}" \\`,
    `  -d ${singleQuoted(JSON.stringify(body, null, 2))}`,
  ].join('\n');
  return { client: 'anthropic-api', title: 'Anthropic API (Messages API, MCP connector)', target: 'run in a terminal', snippet, notes };
}

function claudeDesktop(url: string, key: string, name: string): ClientSnippet {
  const bridge = json({
    mcpServers: {
      [name]: {
        command: 'npx',
        // mcp-remote refuses plain http except to localhost and 127.0.0.1 unless told otherwise.
        args: ['-y', 'mcp-remote', url, '--header', 'Authorization:${AUTH_HEADER}', ...(needsAllowHttp(url) ? ['--allow-http'] : [])],
        env: { AUTH_HEADER: `Bearer ${key}` },
      },
    },
  }).trimEnd();
  const snippet = [
    'Claude Desktop adds remote MCP servers as custom connectors:',
    '  1. Settings > Connectors > Add custom connector',
    `  2. Name: ${name}    Remote MCP server URL: ${url}`,
    '  3. Add, then Connect, and sign in when asked.',
    'Custom connectors authenticate with OAuth only (no custom headers) and are called from Anthropic\'s cloud, so they need',
    'a public https URL and a kind: oauth integration: `tengine connect claude-desktop --oauth <client_id>` prints those steps.',
    '',
    'With an API key instead, bridge through mcp-remote (needs Node.js): Settings > Developer > Edit Config, and add to claude_desktop_config.json:',
    bridge,
    '',
  ].join('\n');
  return {
    client: 'claude-desktop',
    title: 'Claude Desktop',
    target: 'Settings > Connectors (OAuth: --oauth), or claude_desktop_config.json with mcp-remote',
    snippet,
    notes: ['The header goes through the AUTH_HEADER variable because an argument with a space in it is split on some platforms. Restart Claude Desktop after editing the file.'],
  };
}

/** Where each client sends the browser back after sign-in: what the integration's `redirect_uris` must hold. */
export const OAUTH_REDIRECTS: Readonly<Partial<Record<McpClientId, readonly string[]>>> = {
  'claude-desktop': ['https://claude.ai/api/mcp/auth_callback'],
  'claude-code': ['http://localhost:3118/callback'],
  vscode: ['http://127.0.0.1:33418/', 'https://vscode.dev/redirect'],
};

/** Why a client cannot sign in with a pre-registered OAuth client id, or undefined when it can. */
export function oauthUnsupported(client: McpClientId): string | undefined {
  if (client === 'cursor') return 'Cursor takes no client id: it signs in by registering itself, which works against an integration with dynamic_registration that allows its redirect host (docs/oauth.md §6); give Cursor the URL only, or connect it with an API key (omit --oauth)';
  if (client === 'codex') return 'Codex signs in with OAuth by itself (codex mcp login NAME, after adding the server without a key): connect it with an API key here (omit --oauth)';
  if (client === 'openai-api') return 'the Responses API takes headers you send yourself, it does not sign in: connect with an API key (omit --oauth)';
  if (client === 'json') return 'a generic snippet cannot sign in: connect with an API key (omit --oauth)';
  if (client === 'anthropic-api') return 'the Messages API takes an access token you obtained yourself (authorization_token), it does not sign in: pass an API key with --key (omit --oauth)';
  return undefined;
}

/**
 * The OAuth sign-in set-up of a client for a `kind: oauth` integration with `clientId`: what to paste, and the
 * redirect URIs the integration must list. Throws nothing; `oauthUnsupported` says which clients cannot.
 */
export function oauthClientSnippet(client: McpClientId, target: { url: string; clientId: string; name?: string }): ClientSnippet {
  const name = target.name ?? DEFAULT_SERVER_NAME;
  const { url, clientId } = target;
  const redirects = (OAUTH_REDIRECTS[client] ?? []).join(', ');
  const registered = `The integration's redirect_uris must list ${redirects} (a loopback URI matches on any port).`;
  const secret = 'For a confidential client (client_secret_sha256) give the client secret too; for a public one the person signing in enters the connect secret on the consent page.';
  switch (client) {
    case 'claude-desktop':
      return {
        client,
        title: 'Claude Desktop and claude.ai (custom connector, OAuth)',
        target: 'Settings > Connectors',
        snippet: [
          '1. Settings > Connectors > Add custom connector',
          `2. Name: ${name}    Remote MCP server URL: ${url}`,
          `3. Advanced settings: OAuth Client ID: ${clientId}    OAuth Client Secret: the tng_cs_ secret of the integration`,
          '4. Add, then Connect: approve on the consent page that opens. Claude refreshes its tokens by itself.',
          '',
        ].join('\n'),
        notes: [registered, ...(isLocalUrl(url) || !url.startsWith('https://') ? ['Custom connectors are called from Anthropic\'s cloud: the URL must be public https (a tunnel works for a local runtime), and the runtime\'s public URL (TENGINE_PUBLIC_URL) must be that URL.'] : [])],
      };
    case 'claude-code':
      return {
        client,
        title: 'Claude Code (OAuth)',
        target: 'run in a terminal, then /mcp > Authenticate in Claude Code',
        snippet: `claude mcp add --transport http --client-id ${shellArg(clientId)} --callback-port 3118 ${shellArg(name)} ${shellArg(url)}`,
        notes: [registered, `${secret} Claude Code asks for the client secret when you add --client-secret.`],
      };
    case 'vscode':
      return {
        client,
        title: 'VS Code (OAuth)',
        target: '.vscode/mcp.json, then Start on the server',
        snippet: json({ servers: { [name]: { type: 'http', url } } }),
        notes: [`VS Code finds the sign-in by discovery and, since Tengine offers no dynamic registration, asks for a client id: enter ${clientId}. ${secret}`, registered],
      };
    default:
      // cursor and anthropic-api: oauthUnsupported() says why; the command refuses them before asking for a snippet.
      return { client, title: client, target: '', snippet: '', notes: [oauthUnsupported(client) ?? ''] };
  }
}

function needsAllowHttp(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' && u.hostname !== 'localhost' && u.hostname !== '127.0.0.1';
  } catch {
    return false;
  }
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** A shell word: left bare when it has only characters no shell treats specially, else single-quoted. */
function shellArg(s: string): string {
  return /^[A-Za-z0-9_\-.,:/@%+=]+$/.test(s) ? s : singleQuoted(s);
}

/** Double quotes when nothing inside would be expanded (the common, more readable case), else single quotes. */
function doubleQuoted(s: string): string {
  return /["$`\\!]/.test(s) ? singleQuoted(s) : `"${s}"`;
}

function singleQuoted(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The `mcpServers` entry of Cursor's mcp.json: the key as Cursor's `${env:NAME}` reference. */
export function cursorConfigEntry(name: string, url: string): { mcpServers: Record<string, unknown> } {
  return { mcpServers: { [name]: { url, headers: { Authorization: `Bearer \${env:${API_KEY_ENV}}` } } } };
}

/** A generic `mcpServers` entry (the shape most JSON-configured clients read), the key as `${TENGINE_API_KEY}`. */
export function genericJsonEntry(name: string, url: string): { mcpServers: Record<string, unknown> } {
  return { mcpServers: { [name]: { type: 'http', url, headers: { Authorization: `Bearer \${${API_KEY_ENV}}` } } } };
}

/** The `[mcp_servers.<name>]` table of Codex's config.toml (a Streamable HTTP server with the key from the environment). */
export function codexTable(name: string, url: string): string {
  return `[mcp_servers.${tomlKey(name)}]\nurl = ${tomlString(url)}\nbearer_token_env_var = ${tomlString(API_KEY_ENV)}\n`;
}

/** A TOML bare key when the name allows it, else a basic string (server names are `[A-Za-z0-9_.-]`; a dot needs quotes). */
export function tomlKey(name: string): string {
  return /^[A-Za-z0-9_-]+$/.test(name) ? name : tomlString(name);
}

/** A TOML basic string: JSON's escaping is a subset TOML accepts for the characters a URL or name holds. */
export function tomlString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The OpenAI Responses API remote MCP tool (`type: "mcp"`), the key sent as a header read from the shell. */
export function openaiMcpTool(name: string, url: string): Record<string, unknown> {
  return { type: 'mcp', server_label: name, server_url: url, headers: { Authorization: `Bearer \${${API_KEY_ENV}}` }, require_approval: 'never' };
}

function openaiApi(url: string, name: string): ClientSnippet {
  const body = { model: 'gpt-5', input: 'What notes do I have?', tools: [openaiMcpTool(name, url)] };
  // An unquoted here-document: the shell substitutes ${TENGINE_API_KEY} only, every other $, ` and \ is escaped.
  const text = JSON.stringify(body, null, 2).replace(/[$`\\]/g, (c) => `\\${c}`).replace(`\\\${${API_KEY_ENV}}`, `\${${API_KEY_ENV}}`);
  const snippet = ['curl https://api.openai.com/v1/responses \\', '  -H "Content-Type: application/json" \\', '  -H "Authorization: Bearer $OPENAI_API_KEY" \\', '  -d @- <<EOF', text, 'EOF', ''].join('\n');
  const notes = [`The shell fills in \${${API_KEY_ENV}}: export it (and OPENAI_API_KEY) first. In an SDK, pass the same tools entry with the key read from the environment.`];
  if (isLocalUrl(url) || !url.startsWith('https://')) notes.unshift('OpenAI calls the MCP server from its cloud, so the URL must be public https: a local runtime works only through a tunnel (e.g. `cloudflared tunnel --url http://127.0.0.1:8080`).');
  return { client: 'openai-api', title: 'OpenAI API (Responses API, remote MCP tool)', target: 'run in a terminal', snippet, notes };
}

/** The id of the VS Code input that holds the key. */
export const VSCODE_KEY_INPUT = 'tengine-api-key';

/** VS Code's mcp.json: the server with the key as `${input:tengine-api-key}`, and the password input it names. */
export function vscodeConfigEntry(name: string, url: string): { inputs: Record<string, unknown>[]; servers: Record<string, unknown> } {
  return {
    inputs: [{ type: 'promptString', id: VSCODE_KEY_INPUT, description: 'Tengine API key (tengine_...)', password: true }],
    servers: { [name]: { type: 'http', url, headers: { Authorization: `Bearer \${input:${VSCODE_KEY_INPUT}}` } } },
  };
}
