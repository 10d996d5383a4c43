import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ANTHROPIC_MCP_BETA, API_KEY_PLACEHOLDER, MCP_CLIENTS, clientSnippet, inspectorCommand } from '../dev/client-snippets.js';
import { memoryIo } from '../io.js';
import { runCli } from '../program.js';

const URL_ = 'http://127.0.0.1:8080/mcp';
const KEY = 'tengine_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const target = { url: URL_, key: KEY };

/** Splits a shell command line into words (enough for the quoting the snippets use). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'((?:[^']|'\\'')*)'|(\S+)/g;
  for (let m; (m = re.exec(line)); ) words.push(m[1] ?? m[2]?.replace(/'\\''/g, "'") ?? m[3]!);
  return words;
}

describe('client snippets', () => {
  it('claude-code: claude mcp add --transport http <name> <url> --header "Authorization: Bearer <key>"', () => {
    const s = clientSnippet('claude-code', target);
    expect(s.snippet).toBe(`claude mcp add --transport http tengine ${URL_} --header "Authorization: Bearer ${KEY}"`);
    expect(shellWords(s.snippet)).toEqual(['claude', 'mcp', 'add', '--transport', 'http', 'tengine', URL_, '--header', `Authorization: Bearer ${KEY}`]);
  });

  it('cursor: .cursor/mcp.json with mcpServers.<name>.url and headers, the key as ${env:TENGINE_API_KEY}', () => {
    const s = clientSnippet('cursor', target);
    expect(s.target).toBe('.cursor/mcp.json');
    expect(JSON.parse(s.snippet)).toEqual({ mcpServers: { tengine: { url: URL_, headers: { Authorization: 'Bearer ${env:TENGINE_API_KEY}' } } } });
    expect(s.snippet).not.toContain(KEY);
  });

  it('vscode: .vscode/mcp.json with servers.<name> of type http, the key as a password input', () => {
    const s = clientSnippet('vscode', target);
    expect(s.target).toBe('.vscode/mcp.json');
    expect(s.snippet).not.toContain(KEY);
    expect(JSON.parse(s.snippet)).toEqual({
      inputs: [{ type: 'promptString', id: 'tengine-api-key', description: 'Tengine API key (tengine_...)', password: true }],
      servers: { tengine: { type: 'http', url: URL_, headers: { Authorization: 'Bearer ${input:tengine-api-key}' } } },
    });
  });

  it('anthropic-api: Messages API request with mcp_servers, an mcp_toolset and the MCP connector beta header', () => {
    const s = clientSnippet('anthropic-api', target);
    expect(s.snippet).toContain(`-H "anthropic-beta: ${ANTHROPIC_MCP_BETA}"`);
    expect(ANTHROPIC_MCP_BETA).toBe('mcp-client-2025-11-20');
    expect(s.snippet).toMatch(/^curl https:\/\/api\.anthropic\.com\/v1\/messages \\$/m);
    const body = JSON.parse(shellWords(s.snippet.slice(s.snippet.indexOf(' -d ') + 4))[0]!);
    expect(body.mcp_servers).toEqual([{ type: 'url', url: URL_, name: 'tengine', authorization_token: KEY }]);
    expect(body.tools).toEqual([{ type: 'mcp_toolset', mcp_server_name: 'tengine' }]);
    expect(body.messages[0].role).toBe('user');
    // A loopback URL cannot be reached from Anthropic's cloud: the first note says so.
    expect(s.notes[0]).toMatch(/public https.*tunnel/);
    expect(clientSnippet('anthropic-api', { url: 'https://gw.example.com/mcp', key: KEY }).notes.join(' ')).not.toMatch(/tunnel/);
  });

  it('anthropic-api: a quote in the key cannot break out of the single-quoted body', () => {
    const s = clientSnippet('anthropic-api', { url: URL_, key: "it's" });
    const body = JSON.parse(shellWords(s.snippet.slice(s.snippet.indexOf(' -d ') + 4))[0]!);
    expect(body.mcp_servers[0].authorization_token).toBe("it's");
  });

  it('claude-desktop: connector steps that point to --oauth, and an mcp-remote bridge config for an API key', () => {
    const s = clientSnippet('claude-desktop', target);
    expect(s.snippet).toMatch(/Settings > Connectors > Add custom connector/);
    expect(s.snippet).toMatch(/tengine connect claude-desktop --oauth <client_id>/);
    const json = JSON.parse(s.snippet.slice(s.snippet.indexOf('{'), s.snippet.lastIndexOf('}') + 1));
    expect(json.mcpServers.tengine).toEqual({
      command: 'npx',
      args: ['-y', 'mcp-remote', URL_, '--header', 'Authorization:${AUTH_HEADER}'],
      env: { AUTH_HEADER: `Bearer ${KEY}` },
    });
  });

  it('claude-desktop: adds --allow-http for a plain-http URL that is not localhost or 127.0.0.1', () => {
    const args = (u: string) => JSON.parse(clientSnippet('claude-desktop', { url: u, key: KEY }).snippet.replace(/^[^{]*/, '').replace(/[^}]*$/, '')).mcpServers.tengine.args;
    expect(args('http://192.168.1.20:8080/mcp')).toContain('--allow-http');
    expect(args('https://gw.example.com/mcp')).not.toContain('--allow-http');
    expect(args('http://localhost:8080/mcp')).not.toContain('--allow-http');
  });

  it('uses the given server name everywhere', () => {
    for (const client of MCP_CLIENTS) expect(clientSnippet(client, { ...target, name: 'notes-dev' }).snippet, client).toContain('notes-dev');
  });

  it('MCP Inspector CLI: --cli <url> --transport http --method tools/list --header', () => {
    expect(shellWords(inspectorCommand(target))).toEqual([
      'npx', '@modelcontextprotocol/inspector@latest', '--cli', URL_, '--transport', 'http', '--method', 'tools/list', '--header', `Authorization: Bearer ${KEY}`,
    ]);
  });
});

describe('tengine connect', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tengine-connect-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints only the snippet on stdout, with the placeholder when no key is known', async () => {
    const { io, buf } = memoryIo({ cwd: dir });
    expect(await runCli(['connect', 'claude-code'], io)).toBe(0);
    expect(buf.out).toBe(`claude mcp add --transport http tengine ${URL_} --header "Authorization: Bearer ${API_KEY_PLACEHOLDER}"\n`);
    expect(buf.err).toMatch(/replace <TENGINE_API_KEY>/);
  });

  it('takes the key from .tengine/dev/api-key when present, and --url / --key when given', async () => {
    await mkdir(path.join(dir, '.tengine/dev'), { recursive: true });
    await writeFile(path.join(dir, '.tengine/dev/api-key'), `${KEY}\n`);
    const a = memoryIo({ cwd: dir });
    expect(await runCli(['connect', 'claude-code'], a.io)).toBe(0);
    expect(a.buf.out).toContain(`--header "Authorization: Bearer ${KEY}"`);
    expect(a.buf.err).toMatch(/development key from \.tengine\/dev\/api-key/);

    const b = memoryIo({ cwd: dir });
    expect(await runCli(['connect', 'claude-code', '--url', 'https://gw.example.com/mcp', '--key', 'tengine_other'], b.io)).toBe(0);
    expect(b.buf.out).toBe('claude mcp add --transport http tengine https://gw.example.com/mcp --header "Authorization: Bearer tengine_other"\n');
  });

  it('-f json prints {format_version: 1, client, url, snippet}', async () => {
    const { io, buf } = memoryIo({ cwd: dir });
    expect(await runCli(['connect', 'anthropic-api', '--key', KEY, '-f', 'json'], io)).toBe(0);
    const out = JSON.parse(buf.out);
    expect(out).toMatchObject({ format_version: 1, client: 'anthropic-api', url: URL_, key_source: 'flag' });
    expect(out.snippet).toContain(KEY);
    expect(Array.isArray(out.notes)).toBe(true);
  });

  it('--oauth: the sign-in set-up per client, with the redirect URIs the integration must list; no key anywhere', async () => {
    const desk = memoryIo({ cwd: dir });
    expect(await runCli(['connect', 'claude-desktop', '--oauth', 'support-claude-connector', '--url', 'https://mcp.example.com/mcp'], desk.io)).toBe(0);
    expect(desk.buf.out).toContain('OAuth Client ID: support-claude-connector');
    expect(desk.buf.out).toContain('Remote MCP server URL: https://mcp.example.com/mcp');
    expect(desk.buf.err).toContain('https://claude.ai/api/mcp/auth_callback');
    expect(desk.buf.out + desk.buf.err).not.toContain('tengine_');

    const code = memoryIo({ cwd: dir });
    expect(await runCli(['connect', 'claude-code', '--oauth', 'support-cli-agents'], code.io)).toBe(0);
    expect(code.buf.out).toBe(`claude mcp add --transport http --client-id support-cli-agents --callback-port 3118 tengine ${URL_}\n`);
    expect(code.buf.err).toContain('http://localhost:3118/callback');

    const vs = memoryIo({ cwd: dir });
    expect(await runCli(['connect', 'vscode', '--oauth', 'support-cli-agents', '-f', 'json'], vs.io)).toBe(0);
    const out = JSON.parse(vs.buf.out);
    expect(out).toMatchObject({ format_version: 1, client: 'vscode', auth: 'oauth', client_id: 'support-cli-agents' });
    expect(JSON.parse(out.snippet)).toEqual({ servers: { tengine: { type: 'http', url: URL_ } } });
  });

  it.each([
    [['connect', 'cursor', '--oauth', 'support-cli-agents'], /registering itself/],
    [['connect', 'anthropic-api', '--oauth', 'support-cli-agents'], /authorization_token/],
    [['connect', 'vscode', '--oauth', 'short'], /not a client_id/],
    [['connect', 'vscode', '--oauth', 'support-cli-agents', '--key', KEY], /exclude each other/],
  ])('--oauth refusals: %j', async (argv, message) => {
    const { io, buf } = memoryIo({ cwd: dir });
    expect(await runCli(argv, io)).toBe(1);
    expect(buf.err).toContain('error BAD_ARGUMENT');
    expect(buf.err).toMatch(message);
    expect(buf.out).toBe('');
  });

  it('refuses an unknown client and a bad --url', async () => {
    const a = memoryIo({ cwd: dir });
    expect(await runCli(['connect', 'emacs'], a.io)).toBe(1);
    expect(a.buf.err).toMatch(/^error BAD_ARGUMENT: .*'emacs'.*\n {2}hint: use one of: claude-code, cursor, vscode, anthropic-api, claude-desktop, codex, openai-api, json\n$/);
    const b = memoryIo({ cwd: dir });
    expect(await runCli(['connect', 'cursor', '--url', 'localhost:8080'], b.io)).toBe(1);
    expect(b.buf.err).toMatch(/BAD_ARGUMENT/);
  });
});
