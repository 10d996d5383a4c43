// Issue 13: the MCP Inspector's CLI (Node 22, installed by scripts/client-tools.sh) against the runtime with an API
// key. An image-returning upstream shows as an image block in what the Inspector prints. Progress: the Inspector's
// CLI builds its client with progress off (`progress: false`), so it never shows notifications/progress; what it can
// show is that a call given a progress token (--tool-metadata progressToken=…) and answered as an event stream of
// progress events still yields its result.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devProject, startSdkStage, type SdkStage } from '../fixtures/sdk-stage.js';

const TOOLS = path.resolve(process.env.TENGINE_CLIENT_TOOLS ?? '.cache/client-tools');
const NODE22 = path.join(TOOLS, 'node_modules/node/bin/node');
const INSPECTOR = path.join(TOOLS, 'node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js');
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

let stage: SdkStage;
const log: Record<string, unknown>[] = [];

beforeAll(async () => {
  if (!existsSync(NODE22) || !existsSync(INSPECTOR)) throw new Error(`the MCP Inspector is not installed in ${TOOLS}: run npm run test:clients (it installs it first)`);
  stage = await startSdkStage(
    (url) => ({
      version: 1,
      runtime: { progress_interval: '200ms' },
      projects: [
        devProject('media', [
          { name: 'chart', description: 'A chart', input_schema: { type: 'object', properties: {} }, base_url: url, http_method: 'GET', endpoint_path: '/chart' },
          { name: 'slow', description: 'A slow report', input_schema: { type: 'object', properties: {} }, base_url: url, http_method: 'GET', endpoint_path: '/slow' },
        ]),
      ],
    }),
    (req, _body, res) => {
      if (req.url === '/chart') {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(PNG);
        return;
      }
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"done":true}');
      }, 1000);
    },
    { log: (entry) => log.push(entry) },
  );
}, 60_000);

afterAll(async () => stage?.close());

function inspector(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(NODE22, [INSPECTOR, '--cli', stage.runtime.mcpUrl, '--transport', 'http', '--header', `Authorization: Bearer ${stage.apiKey('media')}`, '--format', 'json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the MCP Inspector CLI', () => {
  it('shows an image/png upstream as an image block with the bytes and the MIME type', async () => {
    const run = await inspector(['--method', 'tools/call', '--tool-name', 'chart']);
    expect(run.code, run.stderr).toBe(0);
    const { result } = JSON.parse(run.stdout) as { result: { content: { type: string; data: string; mimeType: string }[] } };
    expect(result.content).toEqual([{ type: 'image', data: PNG.toString('base64'), mimeType: 'image/png' }]);
  });

  it('gets the result of a call answered as a stream of progress events (it does not show them)', async () => {
    const before = log.length;
    const run = await inspector(['--method', 'tools/call', '--tool-name', 'slow', '--tool-metadata', 'progressToken="insp-1"']);
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { result: { structuredContent: unknown } }).result.structuredContent).toEqual({ done: true });
    // The upstream takes 1 s, five progress intervals: the answer was the event stream (test/mcp-rich-results.test.ts
    // shows the wire form). The audit line has the call succeeding, and more bytes sent than the ~110 of the JSON
    // response alone: the progress events (each over 100 bytes) went out before it.
    const line = log.slice(before).find((e) => e.tool === 'slow');
    expect(line).toMatchObject({ code: 'OK' });
    expect(line!.bytes_out).toBeGreaterThan(400);
  });
});
