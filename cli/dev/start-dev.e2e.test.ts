// The quick start end to end: `startDev` with the real runtime (runtime/start.ts) and the demo upstream, driven by
// the MCP SDK client exactly as Claude Code, Cursor or VS Code would connect.
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError, memoryIo } from '../io.js';
import { startDev, type DevSession } from './start-dev.js';

const ROOT_CONFIG = fileURLToPath(new URL('../../tengine.config.yaml', import.meta.url));

let dir: string;
let session: DevSession | undefined;
let client: Client | undefined;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tengine-dev-e2e-'));
  await copyFile(ROOT_CONFIG, path.join(dir, 'tengine.config.yaml'));
});
afterEach(async () => {
  await client?.close().catch(() => undefined);
  client = undefined;
  await session?.close();
  session = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function connect(s: DevSession): Promise<Client> {
  const c = new Client({ name: 'tengine-quickstart-test', version: '0.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(s.mcpUrl), { requestInit: { headers: { Authorization: `Bearer ${s.apiKey}` } } });
  await c.connect(transport);
  return c;
}

function textOf(result: Awaited<ReturnType<Client['callTool']>>): string {
  const content = result.content as { type: string; text?: string }[];
  return content.filter((c) => c.type === 'text').map((c) => c.text).join('');
}

describe('tengine dev end to end (real runtime, demo upstream, MCP SDK client)', () => {
  it('lists the four demo tools and mcp_whoami, and lists and creates notes through the demo upstream', async () => {
    const { io, buf } = memoryIo({ cwd: dir, env: {} });
    session = await startDev({ port: 0, upstreamPort: 0 }, io);
    expect(session.mcpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(buf.out).toContain(session.mcpUrl);

    client = await connect(session);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['create_note', 'get_note', 'list_notes', 'mcp_whoami', 'whoami']);

    const listed = await client.callTool({ name: 'list_notes', arguments: { search: '', limit: 20 } });
    expect(listed.isError, textOf(listed)).toBeFalsy();
    const list = JSON.parse(textOf(listed));
    expect(list.total).toBe(4);
    expect(list.notes[0].title).toBe('Welcome to the demo notes app');

    const created = await client.callTool({ name: 'create_note', arguments: { title: 'From the e2e test', text: 'Hello through Tengine', tags: ['test'], pinned: false } });
    expect(created.isError, textOf(created)).toBeFalsy();
    const note = JSON.parse(textOf(created));
    expect(note).toMatchObject({ title: 'From the e2e test', tags: ['test'], pinned: false, source: 'tengine:demo/local' });

    const fetched = await client.callTool({ name: 'get_note', arguments: { note_id: note.id } });
    expect(fetched.isError, textOf(fetched)).toBeFalsy();
    expect(fetched.structuredContent).toMatchObject({ id: note.id, title: 'From the e2e test', text: 'Hello through Tengine' });

    const who = await client.callTool({ name: 'whoami', arguments: {} });
    expect(who.isError, textOf(who)).toBeFalsy();
    expect(JSON.parse(textOf(who))).toMatchObject({ project: 'demo', integration: 'local', consistent: true });
  });

  it('answers a wrong key with 401 and a WWW-Authenticate challenge', async () => {
    const { io } = memoryIo({ cwd: dir, env: {} });
    session = await startDev({ port: 0, upstreamPort: 0 }, io);
    const res = await fetch(session.mcpUrl, {
      method: 'POST',
      headers: { Authorization: 'Bearer tengine_wrongwrongwrongwrongwrongwrongwrongwrongwro', 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });

  it('fails with PORT_IN_USE when the runtime port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const { io } = memoryIo({ cwd: dir, env: {} });
      const e = await startDev({ port, upstreamPort: 0 }, io).then(
        (s) => {
          session = s;
          return undefined;
        },
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(CliError);
      expect((e as CliError).code).toBe('PORT_IN_USE');
      expect((e as CliError).hint).toMatch(/--port/);
    } finally {
      blocker.close();
    }
  });
});
