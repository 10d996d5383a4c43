import { mkdir, mkdtemp, readFile, readdir, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { renderInitTemplates } from '../scripts/render-init-templates.mjs';
import { startDev } from '../cli/dev/start-dev.js';
import { memoryIo } from '../cli/io.js';
import { INIT_EXAMPLES } from '../cli/init/init-repo.js';
import { runCli } from '../cli/program.js';

/** `tengine init` (issue 14 item 1): a ready config repository that validates and builds, never overwriting. */
const REPO = fileURLToPath(new URL('..', import.meta.url));
const GOLDEN = path.join(REPO, 'test/golden/init.notes.human.txt');
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tmp() {
  const d = await realpath(await mkdtemp(path.join(tmpdir(), 'tng-init-')));
  dirs.push(d);
  return d;
}
async function cli(cwd: string, args: string[]) {
  const { io, buf } = memoryIo({ cwd, env: {} });
  const code = await runCli(args, io);
  return { code, ...buf };
}

describe('tengine init', () => {
  it('cli/init/templates.ts is generated from examples/ (run node scripts/gen-init-templates.mjs after changing them)', async () => {
    expect(await readFile(path.join(REPO, 'cli/init/templates.ts'), 'utf8')).toBe(renderInitTemplates());
  });

  it('writes the notes example by default; the output matches test/golden/init.notes.human.txt', async () => {
    const d = await tmp();
    const r = await cli(d, ['init', 'repo']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe('');
    if (process.env.UPDATE_GOLDEN === '1') await writeFile(GOLDEN, r.out);
    expect(r.out).toBe(await readFile(GOLDEN, 'utf8'));
    const root = path.join(d, 'repo');
    const config = await readFile(path.join(root, 'tengine.config.yaml'), 'utf8');
    expect(config.split('\n')[0]).toBe('# yaml-language-server: $schema=./node_modules/tengine-gateway/schemas/config.schema.json');
    const ignore = await readFile(path.join(root, '.gitignore'), 'utf8');
    for (const p of ['.tengine/', '*.bundle.json', '*.key.pem', 'node_modules/']) expect(ignore.split('\n')).toContain(p);
    expect(await readFile(path.join(root, '.github/workflows/tengine.yml'), 'utf8')).toBe(await readFile(path.join(REPO, 'examples/ci/tengine.yml'), 'utf8'));
    expect(JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')).devDependencies['tengine-gateway']).toBeDefined();
    expect(await readFile(path.join(root, 'README.md'), 'utf8')).toMatch(/npx tengine dev/);
  });

  for (const example of INIT_EXAMPLES) {
    it(`--example ${example}: the config validates and builds into a signed bundle from the folder itself`, async () => {
      const d = await tmp();
      expect((await cli(d, ['init', '--example', example, '--format', 'json'])).code).toBe(0);
      const v = await cli(d, ['validate', '--format', 'json']);
      expect(v.code, v.out).toBe(0);
      expect(JSON.parse(v.out).valid).toBe(true);
      expect(JSON.parse(v.out).summary.errors).toBe(0);
      expect((await cli(d, ['keys', 'generate'])).code).toBe(0);
      const b = await cli(d, ['build', '--key', '.tengine/keys/bundle-signing.key.pem', '--format', 'json']);
      expect(b.code, b.err + b.out).toBe(0);
      expect(JSON.parse(b.out).bundle).toBe('tengine.bundle.json');
      // Each fragment's modeline points at the fragment schema of the pinned package.
      for (const f of await readdir(path.join(d, 'tools')).catch(() => [] as string[])) {
        expect((await readFile(path.join(d, 'tools', f), 'utf8')).split('\n')[0]).toBe('# yaml-language-server: $schema=../node_modules/tengine-gateway/schemas/config-fragment.schema.json');
      }
    });
  }

  it('--format json lists the files written', async () => {
    const d = await tmp();
    const r = await cli(d, ['init', 'x', '--example', 'crm', '--format', 'json']);
    expect(JSON.parse(r.out)).toEqual({ format_version: 1, dir: 'x', example: 'crm', files: ['tengine.config.yaml', 'tools/contacts.yaml', 'tools/deals.yaml', '.gitignore', '.github/workflows/tengine.yml', 'package.json', 'README.md'] });
  });

  it('refuses a non-empty folder with INIT_DIR_NOT_EMPTY and leaves it untouched', async () => {
    const d = await tmp();
    await writeFile(path.join(d, 'tengine.config.yaml'), 'mine\n');
    const r = await cli(d, ['init', '--format', 'json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error.code).toBe('INIT_DIR_NOT_EMPTY');
    expect(r.err).toMatch(/^error INIT_DIR_NOT_EMPTY: \. is not empty \(tengine\.config\.yaml\)/);
    expect(await readdir(d)).toEqual(['tengine.config.yaml']);
    expect(await readFile(path.join(d, 'tengine.config.yaml'), 'utf8')).toBe('mine\n');
  });

  it('goes ahead when the folder holds only a fresh .git, editor settings or a licence', async () => {
    const d = await tmp();
    await mkdir(path.join(d, '.git'));
    await writeFile(path.join(d, 'LICENSE'), 'licence\n');
    await writeFile(path.join(d, '.DS_Store'), '');
    expect((await cli(d, ['init'])).code).toBe(0);
    expect(await readFile(path.join(d, 'LICENSE'), 'utf8')).toBe('licence\n');
  });

  it('a file in place of the folder is INIT_DIR_NOT_EMPTY; an unknown example is BAD_ARGUMENT', async () => {
    const d = await tmp();
    await writeFile(path.join(d, 'f'), '');
    expect(JSON.parse((await cli(d, ['init', 'f', '--format', 'json'])).out).error.code).toBe('INIT_DIR_NOT_EMPTY');
    const bad = await cli(d, ['init', 'n', '--example', 'shop', '--format', 'json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out).error).toMatchObject({ code: 'BAD_ARGUMENT', hint: expect.stringContaining('notes') });
  });
});

describe('tengine dev after tengine init', () => {
  it('in an empty folder dev refuses with CONFIG_NOT_FOUND (pointing at init) and generates no keys', async () => {
    const d = await tmp();
    const r = await cli(d, ['dev', '--port', '0', '--upstream-port', '0', '--format', 'json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error).toMatchObject({ code: 'CONFIG_NOT_FOUND', hint: expect.stringContaining('tengine init') });
    expect(await readdir(d)).toEqual([]);
  });

  it('serves the notes example: real runtime, demo upstream, MCP SDK client', async () => {
    const d = await tmp();
    expect((await cli(d, ['init'])).code).toBe(0);
    const { io, buf } = memoryIo({ cwd: d, env: {} });
    const session = await startDev({ port: 0, upstreamPort: 0, format: 'json' }, io);
    // The ready message is the dev output of schemas/cli-dev-output.schema.json.
    const devSchema = new Ajv2020({ strict: true, strictRequired: false }).compile(JSON.parse(await readFile(path.join(REPO, 'schemas/cli-dev-output.schema.json'), 'utf8')));
    expect(devSchema(JSON.parse(buf.out)), JSON.stringify(devSchema.errors)).toBe(true);
    const client = new Client({ name: 'tengine-init-test', version: '0.0.0' });
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(session.mcpUrl), { requestInit: { headers: { Authorization: `Bearer ${session.apiKey}` } } }));
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('list_notes');
      const listed = await client.callTool({ name: 'list_notes', arguments: { search: '', limit: 5 } });
      expect(listed.isError).toBeFalsy();
    } finally {
      await client.close().catch(() => undefined);
      await session.close();
    }
  });
});
