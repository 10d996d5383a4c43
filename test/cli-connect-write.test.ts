import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryIo } from '../cli/io.js';
import { runCli } from '../cli/program.js';
import type { RunningRuntime } from '../runtime/start.js';
import { startTestRuntime, startUpstream, twoProjectConfig, type TestUpstream } from './fixtures/runtime-harness.js';

// `tengine connect` for Codex, the OpenAI API and generic JSON, `--write` into real files in temp directories and
// `--check` against a real runtime on loopback.

const KEY = 'tengine_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const temps: string[] = [];

async function temp(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'tconnect-'));
  temps.push(d);
  return d;
}

async function cli(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined> } = {}) {
  const { io, buf } = memoryIo({ cwd: opts.cwd ?? (await temp()), env: opts.env ?? {} });
  const code = await runCli(args, io);
  return { code, out: buf.out, err: buf.err };
}

afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

describe('snippets refer to the key, never carry it', () => {
  it('cursor: ${env:TENGINE_API_KEY}, not the literal key', async () => {
    const r = await cli(['connect', 'cursor', '--key', KEY]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ mcpServers: { tengine: { url: 'http://127.0.0.1:8080/mcp', headers: { Authorization: 'Bearer ${env:TENGINE_API_KEY}' } } } });
    expect(r.out).not.toContain(KEY);
  });

  it('codex: a [mcp_servers.<name>] table with bearer_token_env_var', async () => {
    const r = await cli(['connect', 'codex', '--url', 'https://gw.example.com/mcp', '--key', KEY]);
    expect(r.code).toBe(0);
    expect(r.out).toBe('[mcp_servers.tengine]\nurl = "https://gw.example.com/mcp"\nbearer_token_env_var = "TENGINE_API_KEY"\n');
    const dotted = await cli(['connect', 'codex', '--name', 'notes.dev']);
    expect(dotted.out.split('\n')[0]).toBe('[mcp_servers."notes.dev"]');
  });

  it('openai-api: a Responses API call whose tools entry is type mcp with the key from the shell', async () => {
    const r = await cli(['connect', 'openai-api', '--url', 'https://gw.example.com/mcp', '--key', KEY, '-f', 'json']);
    expect(r.code).toBe(0);
    const snippet = (JSON.parse(r.out) as { snippet: string }).snippet;
    expect(snippet).not.toContain(KEY);
    const body = JSON.parse(snippet.slice(snippet.indexOf('<<EOF\n') + 6, snippet.lastIndexOf('\nEOF'))) as { tools: unknown[] };
    expect(body.tools).toEqual([{ type: 'mcp', server_label: 'tengine', server_url: 'https://gw.example.com/mcp', headers: { Authorization: 'Bearer ${TENGINE_API_KEY}' }, require_approval: 'never' }]);
  });

  it('json: a generic mcpServers entry with ${TENGINE_API_KEY}', async () => {
    const r = await cli(['connect', 'json', '--key', KEY]);
    expect(JSON.parse(r.out)).toEqual({ mcpServers: { tengine: { type: 'http', url: 'http://127.0.0.1:8080/mcp', headers: { Authorization: 'Bearer ${TENGINE_API_KEY}' } } } });
  });
});

describe('connect --write', () => {
  it('cursor: creates .cursor/mcp.json, keeps other servers, and a second run changes nothing', async () => {
    const cwd = await temp();
    await mkdir(path.join(cwd, '.cursor'));
    const file = path.join(cwd, '.cursor', 'mcp.json');
    await writeFile(file, JSON.stringify({ mcpServers: { other: { url: 'https://other.example.com/mcp' } }, extra: true }, null, 4));
    const first = await cli(['connect', 'cursor', '--write'], { cwd });
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/^updated .*mcp\.json/);
    const written = await readFile(file, 'utf8');
    expect(JSON.parse(written)).toEqual({
      mcpServers: { other: { url: 'https://other.example.com/mcp' }, tengine: { url: 'http://127.0.0.1:8080/mcp', headers: { Authorization: 'Bearer ${env:TENGINE_API_KEY}' } } },
      extra: true,
    });
    const mtime = (await stat(file)).mtimeMs;
    const second = await cli(['connect', 'cursor', '--write', '-f', 'json'], { cwd });
    expect(second.code).toBe(0);
    expect((JSON.parse(second.out) as { written: { action: string } }).written.action).toBe('unchanged');
    expect(await readFile(file, 'utf8')).toBe(written);
    expect((await stat(file)).mtimeMs).toBe(mtime);
  });

  it('vscode: adds the server and its password input once, keeps the other inputs and servers', async () => {
    const cwd = await temp();
    await mkdir(path.join(cwd, '.vscode'));
    const file = path.join(cwd, '.vscode', 'mcp.json');
    await writeFile(file, JSON.stringify({ inputs: [{ type: 'promptString', id: 'gh', password: true }], servers: { github: { type: 'http', url: 'https://api.githubcopilot.com/mcp/' } } }));
    const first = await cli(['connect', 'vscode', '--write', '--key', KEY], { cwd });
    expect(first.code, first.err).toBe(0);
    const written = await readFile(file, 'utf8');
    expect(written).not.toContain(KEY);
    const doc = JSON.parse(written) as { inputs: { id: string }[]; servers: Record<string, { headers?: Record<string, string> }> };
    expect(doc.inputs.map((i) => i.id)).toEqual(['gh', 'tengine-api-key']);
    expect(Object.keys(doc.servers)).toEqual(['github', 'tengine']);
    expect(doc.servers.tengine!.headers).toEqual({ Authorization: 'Bearer ${input:tengine-api-key}' });
    const second = await cli(['connect', 'vscode', '--write'], { cwd });
    expect(second.out).toMatch(/^unchanged /);
    expect(await readFile(file, 'utf8')).toBe(written);
    await writeFile(file, '{"servers": []}');
    const bad = await cli(['connect', 'vscode', '--write'], { cwd });
    expect(bad.err).toContain('error CONNECT_CONFIG_MALFORMED');
    expect(await readFile(file, 'utf8')).toBe('{"servers": []}');
  });

  it('codex: merges into ~/.codex/config.toml keeping comments and other tables; idempotent', async () => {
    const home = await temp();
    await mkdir(path.join(home, '.codex'));
    const file = path.join(home, '.codex', 'config.toml');
    const original = '# my codex config\nmodel = "gpt-5"\nnotes = \'\'\'\nmulti "line"\n\'\'\'\n\n[[profiles]]\nname = "a"\n[[profiles]]\nname = "b"\n\n[mcp_servers.docs]\ncommand = "npx"\nargs = [\n  "-y", # the package\n  "docs-mcp",\n]\n\n[mcp_servers.tengine]\nurl = "http://old.example.com/mcp"\nenabled = true\n';
    await writeFile(file, original);
    const first = await cli(['connect', 'codex', '--write', '--url', 'https://gw.example.com/mcp'], { env: { HOME: home } });
    expect(first.code, first.err).toBe(0);
    const after = await readFile(file, 'utf8');
    expect(after).toBe(original.replace('url = "http://old.example.com/mcp"\nenabled = true\n', 'bearer_token_env_var = "TENGINE_API_KEY"\nurl = "https://gw.example.com/mcp"\nenabled = true\n'));
    const second = await cli(['connect', 'codex', '--write', '--url', 'https://gw.example.com/mcp'], { env: { HOME: home } });
    expect(second.out).toMatch(/^unchanged /);
    expect(await readFile(file, 'utf8')).toBe(after);
    // A new server name appends its table.
    await cli(['connect', 'codex', '--write', '--name', 'tengine-prod', '--url', 'https://gw.example.com/mcp'], { env: { CODEX_HOME: path.join(home, '.codex') } });
    expect(await readFile(file, 'utf8')).toBe(`${after}\n[mcp_servers.tengine-prod]\nurl = "https://gw.example.com/mcp"\nbearer_token_env_var = "TENGINE_API_KEY"\n`);
  });

  it('a malformed JSON config is refused with its position: CONNECT_CONFIG_MALFORMED, the file untouched', async () => {
    const cwd = await temp();
    await mkdir(path.join(cwd, '.cursor'));
    const file = path.join(cwd, '.cursor', 'mcp.json');
    const bad = '{\n  "mcpServers": {\n    "other": { "url": "x" },\n  }\n}\n';
    await writeFile(file, bad);
    const r = await cli(['connect', 'cursor', '--write'], { cwd });
    expect(r.code).toBe(1);
    expect(r.err).toContain('error CONNECT_CONFIG_MALFORMED');
    expect(r.err).toContain('mcp.json:4:3:');
    expect(r.err).toContain('hint: fix the file at line 4, column 3');
    expect(await readFile(file, 'utf8')).toBe(bad);
  });

  it('a malformed TOML config is refused with its position, the file untouched', async () => {
    const home = await temp();
    const file = path.join(home, 'config.toml');
    for (const [bad, at] of [
      ['model = "gpt-5"\n[mcp_servers.x\nurl = "y"\n', ':2:15:'],
      ['model = "gpt-5\n', ':1:9:'],
      ['[a]\nx = 1\n[a]\n', ':3:1:'],
      ['just words\n', ':1:6:'],
      ['[mcp_servers]\nx = 1\nx = 2\n', ':3:1:'],
    ] as const) {
      await writeFile(file, bad);
      const r = await cli(['connect', 'codex', '--write', '--file', file]);
      expect(r.code, bad).toBe(1);
      expect(r.err).toContain('error CONNECT_CONFIG_MALFORMED');
      expect(r.err, bad).toContain(at);
      expect(await readFile(file, 'utf8')).toBe(bad);
    }
  });

  it('a server already defined inline is CONNECT_CONFIG_CONFLICT, the file untouched', async () => {
    const home = await temp();
    const file = path.join(home, 'config.toml');
    const inline = '[mcp_servers]\ntengine = { url = "https://gw.example.com/mcp" }\n';
    await writeFile(file, inline);
    const r = await cli(['connect', 'codex', '--write', '--file', file]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('error CONNECT_CONFIG_CONFLICT');
    expect(await readFile(file, 'utf8')).toBe(inline);
  });

  it('--oauth is refused for codex, openai-api and json, and with --write', async () => {
    for (const client of ['codex', 'openai-api', 'json']) {
      const r = await cli(['connect', client, '--oauth', 'support-cli-agents']);
      expect(r.code, client).toBe(1);
      expect(r.err).toContain('error BAD_ARGUMENT');
    }
    const w = await cli(['connect', 'cursor', '--write', '--oauth', 'support-cli-agents']);
    expect(w.err).toContain('error BAD_ARGUMENT');
  });

  it('json needs --file; clients without a known file are CONNECT_WRITE_UNSUPPORTED; --file alone is BAD_ARGUMENT', async () => {
    const noFile = await cli(['connect', 'json', '--write']);
    expect(noFile.code).toBe(1);
    expect(noFile.err).toContain('error BAD_ARGUMENT');
    const dir = await temp();
    const ok = await cli(['connect', 'json', '--write', '--file', path.join(dir, 'servers.json')]);
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(await readFile(path.join(dir, 'servers.json'), 'utf8')).mcpServers.tengine.type).toBe('http');
    const unsupported = await cli(['connect', 'claude-code', '--write']);
    expect(unsupported.code).toBe(1);
    expect(unsupported.err).toContain('error CONNECT_WRITE_UNSUPPORTED');
    const alone = await cli(['connect', 'cursor', '--file', 'x.json']);
    expect(alone.err).toContain('error BAD_ARGUMENT');
  });
});

describe('connect --check against a runtime on loopback', () => {
  let upstream: TestUpstream;
  let runtime: RunningRuntime;
  let apiKey: string;

  beforeAll(async () => {
    upstream = await startUpstream();
    const started = await startTestRuntime(twoProjectConfig(upstream.url), {}, { allowDevelopment: true });
    runtime = started.runtime;
    apiKey = started.apiKeys['alpha/backend']!;
  });
  afterAll(async () => {
    await runtime?.close();
    await upstream?.close();
  });

  it('initialize, tools/list and mcp_whoami succeed with the key from TENGINE_API_KEY', async () => {
    const r = await cli(['connect', 'cursor', '--check', '--url', runtime.mcpUrl, '-f', 'json'], { env: { TENGINE_API_KEY: apiKey } });
    expect(r.code, r.err).toBe(0);
    const check = (JSON.parse(r.out) as { check: { tools: number; whoami: { project_id: string; integration_id: string } } }).check;
    expect(check.tools).toBeGreaterThan(0);
    expect(check.whoami).toMatchObject({ project_id: 'alpha', integration_id: 'backend' });
    const human = await cli(['connect', 'codex', '--check', '--url', runtime.mcpUrl, '--key', apiKey]);
    expect(human.out).toMatch(/^ok http:\/\/127\.0\.0\.1:\d+\/mcp: .*project alpha, integration backend\n$/);
  });

  it('a wrong key is CONNECT_CHECK_UNAUTHORIZED, no key CONNECT_CHECK_NO_KEY, a closed port CONNECT_CHECK_UNREACHABLE', async () => {
    const wrong = await cli(['connect', 'cursor', '--check', '--url', runtime.mcpUrl, '--key', KEY]);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain('error CONNECT_CHECK_UNAUTHORIZED');
    const none = await cli(['connect', 'cursor', '--check', '--url', runtime.mcpUrl]);
    expect(none.err).toContain('error CONNECT_CHECK_NO_KEY');
    const closed = await cli(['connect', 'cursor', '--check', '--url', 'http://127.0.0.1:9/mcp', '--key', KEY]);
    expect(closed.code).toBe(1);
    expect(closed.err).toContain('error CONNECT_CHECK_UNREACHABLE');
  });
});
