// docs/members.md is run, not just read (issue 8, defect 11): the key-generation commands of §1 are executed with the
// real openssl, the public key they print is registered in a real runtime, and the Node client code of §6 is run
// as a reader would paste it (only the runtime URL substituted), against a real upstream. A snippet that cannot
// work, such as importPKCS8 on a SEC1 key, fails here.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRuntime } from '../runtime/start.js';
import type { TengineConfig } from '../schemas/config-types.js';
import { startTestRuntime, startUpstream, type TestUpstream } from './fixtures/runtime-harness.js';

const ROOT = resolve(import.meta.dirname, '..');
const DOC = readFileSync(join(ROOT, 'docs/members.md'), 'utf8');

/** The fenced code blocks of a markdown section, by language. */
function blocks(markdown: string, heading: string, lang: string): string[] {
  const start = markdown.indexOf(heading);
  if (start < 0) throw new Error(`no section ${heading}`);
  const next = markdown.indexOf('\n## ', start + heading.length);
  const section = markdown.slice(start, next < 0 ? undefined : next);
  return [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

let dir: string;
let upstream: TestUpstream;
let runtime: RunningRuntime;
let apiKey: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tengine-docs-members-'));
  // §1, as written: every command of the first sh block, run by a shell in an empty folder.
  const [keygen] = blocks(DOC, '## 1. Register an assertion key', 'sh');
  for (const line of keygen!.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'))) {
    execFileSync('sh', ['-c', line], { cwd: dir, stdio: 'pipe' });
  }
  const publicPem = readFileSync(join(dir, 'member-assertion.pub.pem'), 'utf8');
  upstream = await startUpstream((req, _body, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ notes: [`note of ${String(req.headers['x-tengine-member-id'])}`] }));
  });
  const config: TengineConfig = {
    version: 1,
    projects: [
      {
        // The ids the snippet uses (PROJECT, KID and the tool it calls).
        id: 'crm',
        environment: 'development',
        assertion_keys: [{ kid: 'my-backend-v1', alg: 'ES256', public_key: publicPem }],
        integrations: [{ id: 'backend', kind: 'api_key' }],
        tools: [
          {
            name: 'crm-notes-list',
            description: 'Notes of the calling member',
            input_schema: { type: 'object', properties: {} },
            base_url: upstream.url,
            http_method: 'GET',
            endpoint_path: '/notes',
            require_member: true,
            inject_member_identity: { id: true, email: true },
          },
        ],
      },
    ],
  };
  // A development project: its upstream listens on loopback.
  const started = await startTestRuntime(config, {}, { allowDevelopment: true });
  runtime = started.runtime;
  apiKey = started.apiKeys['crm/backend']!;
});

afterAll(async () => {
  await runtime?.close();
  await upstream?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('docs/members.md, executed', () => {
  it('§1 makes a PKCS#8 private key and its SPKI public key', () => {
    expect(readFileSync(join(dir, 'member-assertion.key.pem'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(readFileSync(join(dir, 'member-assertion.pub.pem'), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
  });

  it('§6 Node: the pasted client mints an assertion with the §1 key, exchanges it and calls a tool as the member', async () => {
    const [snippet] = blocks(DOC, '## 6. Client code', 'js');
    const code = snippet!.replace("const TENGINE = 'https://mcp.example.com';", `const TENGINE = ${JSON.stringify(runtime.url)};`);
    expect(code).not.toBe(snippet);
    writeFileSync(join(dir, 'client.mjs'), code);
    // The reader's project has jose and the MCP SDK installed; here they come from this repository.
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const out = await new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
      const child = spawn(process.execPath, ['client.mjs'], { cwd: dir, env: { ...process.env, TENGINE_API_KEY: apiKey } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (status) => done({ status, stdout, stderr }));
    });
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    expect(out.stdout).toContain('note of user_alice_123');
    const call = upstream.requests.at(-1)!;
    expect(call.headers['x-tengine-member-id']).toBe('user_alice_123');
    expect(call.headers['x-tengine-member-email']).toBe('alice@example.com');
  });
});
