import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryIo } from '../cli/io.js';
import { computePlan } from '../cli/plan/plan.js';
import { runCli } from '../cli/program.js';
import type { Tool } from '../schemas/config-types.js';
import { tempDir } from './fixtures/bundle-fixtures.js';
import { bigDocument } from './fixtures/openapi-document.js';
import { allCodesKnown, loadDir, positions, writeTree } from './fixtures/config-files.js';

/**
 * OpenAPI documents as a config source, through the real loader and CLI: generated tools validate, plan and
 * build like hand-written ones; `tengine import openapi` writes a fragment that loads to the same tools; bad
 * documents (alias bombs, anchors, huge documents, refs leaving the repository) are diagnostics, never crashes.
 */
const FIXTURES = fileURLToPath(new URL('./fixtures/openapi/', import.meta.url));

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('tengine-openapi-'));
});
afterAll(async () => cleanup());

const root = (openapi: string, scopes = '') => `version: 1
projects:
  - id: shop
    environment: production
${scopes}    openapi:
${openapi}`;

describe('openapi sources in the config loader', () => {
  it('the Petstore fixture validates into five tools with defaults applied and the openapi list removed', async () => {
    const loaded = await loadDir(path.join(FIXTURES, 'petstore'));
    expect(loaded.config).toBeDefined();
    const project = loaded.config!.projects![0]!;
    expect(project.openapi).toBeUndefined();
    expect(project.tools!.map((t) => t.name)).toEqual(['listPets', 'createPet', 'showPetById', 'replacePet', 'deletePet']);
    expect(project.tools!.every((t) => t.timeout === '5s' && t.auth_strategy === 'none')).toBe(true);
    expect(loaded.files.map((f) => path.basename(f))).toEqual(['tengine.config.yaml', 'petstore.yaml']);
    expect(allCodesKnown(loaded.diagnostics)).toBe(true);
  });

  it('a diagnostic of a rule about a generated tool points at the operation in the document, with its JSON pointer', async () => {
    const d = path.join(dir, 'rule-position');
    await writeTree(d, {
      'tengine.config.yaml': root('      - document: api.yaml\n        base_url: http://api.example.com\n'),
      'api.yaml': 'openapi: 3.0.3\ninfo: {title: t, version: "1"}\npaths:\n  /a:\n    get:\n      operationId: getA\n      responses: {"200": {description: ok}}\n',
    });
    const loaded = await loadDir(d);
    // http:// in a production project is TNG206: reported at the source's base_url, in the config file.
    expect(positions(loaded.diagnostics)).toEqual(['TNG206 tengine.config.yaml:7:19']);
    await writeFile(path.join(d, 'tengine.config.yaml'), root('      - document: api.yaml\n'));
    await writeFile(path.join(d, 'api.yaml'), 'openapi: 3.0.3\ninfo: {title: t, version: "1"}\nservers: [{url: "https://api.example.com"}]\npaths:\n  /a:\n    get:\n      operationId: getA\n      x-tengine-annotations: {readOnlyHint: "yes"}\n      responses: {"200": {description: ok}}\n');
    const again = await loadDir(d);
    // The tool schema refuses the annotation the document gives: reported at the value in the document.
    expect(positions(again.diagnostics)).toEqual(['TNG101 api.yaml:8:45']);
    expect(again.diagnostics[0]!.pointer).toBe('/paths/~1a/get/x-tengine-annotations/readOnlyHint');
    // An override the config schema refuses is reported in the config, and the source is not expanded.
    await writeFile(path.join(d, 'tengine.config.yaml'), root('      - document: api.yaml\n        overrides:\n          getA: {name: "bad name"}\n'));
    expect(positions((await loadDir(d)).diagnostics)).toEqual(['TNG103 tengine.config.yaml:8:24']);
  });

  it('validate --format json and --format github carry the document position and pointer', async () => {
    const d = path.join(dir, 'formats');
    await cp(path.join(FIXTURES, '../invalid/TNG306-openapi-parameter-skipped'), d, { recursive: true });
    const json = memoryIo({ env: {}, cwd: d });
    expect(await runCli(['validate', '.', '--format', 'json'], json.io)).toBe(0);
    const out = JSON.parse(json.buf.out);
    expect(out.diagnostics).toEqual([expect.objectContaining({ code: 'TNG306', file: 'api.yaml', line: 9, column: 11, pointer: '/paths/~1items/get/parameters/0', title: 'openapi-parameter-skipped' })]);
    const gh = memoryIo({ env: {}, cwd: d });
    await runCli(['validate', '.', '--format', 'github'], gh.io);
    expect(gh.buf.out).toMatch(/^::warning file=api.yaml,line=9,col=11,title=TNG306 openapi-parameter-skipped::header parameter "Content-Type" is reserved .* \(at #\/paths\/~1items\/get\/parameters\/0\)/);
  });

  it('plan shows an operation removed from the document as a removed tool (TOOL_REMOVED)', async () => {
    const before = await loadDir(path.join(FIXTURES, 'petstore'));
    const d = path.join(dir, 'plan');
    await cp(path.join(FIXTURES, 'petstore'), d, { recursive: true });
    const doc = await readFile(path.join(d, 'petstore.yaml'), 'utf8');
    await writeFile(path.join(d, 'petstore.yaml'), doc.replace(/    delete:\n      summary: Delete a pet\n[\s\S]*?description: Deleted\n/, ''));
    const after = await loadDir(d);
    const plan = computePlan(before.config!, after.config!, { today: '2026-01-01' });
    expect(plan.changes.map((c) => [c.action, c.name])).toEqual([['remove', 'deletePet']]);
    expect(plan.changes[0]!.rules.map((r) => r.rule)).toEqual(['TOOL_REMOVED']);
  });

  it('include and exclude filters, overrides by operationId and by METHOD /path, defaults under the document', async () => {
    const d = path.join(dir, 'filters');
    await cp(path.join(FIXTURES, 'petstore'), d, { recursive: true });
    await writeFile(path.join(d, 'tengine.config.yaml'), root(`      - document: petstore.yaml
        include: {tags: [pets], paths: ['/pets/**', '/pets']}
        exclude: {methods: [DELETE]}
        defaults: {scopes: [pets:read], annotations: {openWorldHint: true}, require_member: true}
        overrides:
          createPet: {name: pet_create, is_enabled: false}
          GET /pets/{petId}: {description: One pet., annotations: {readOnlyHint: false}}
`, '    scopes: [{name: pets:read}, {name: pets:write}]\n'));
    const loaded = await loadDir(d);
    expect(loaded.diagnostics.map((x) => x.code)).toEqual(['TNG306', 'TNG305']);
    const tools = loaded.config!.projects![0]!.tools!;
    expect(tools.map((t) => [t.name, t.is_enabled, t.require_member, t.scopes])).toEqual([
      ['listPets', true, true, ['pets:read']],
      ['pet_create', false, true, ['pets:write']],
      ['showPetById', true, true, ['pets:read']],
      ['replacePet', true, true, ['pets:write']],
    ]);
    expect(tools[2]!.description).toBe('One pet.');
    expect(tools[2]!.annotations).toEqual({ openWorldHint: true, readOnlyHint: false });
  });

  it('names are stable: adding an unrelated operation renames nothing, even among colliding names', async () => {
    const doc = (extra: string) => `openapi: 3.0.3\ninfo: {title: t, version: "1"}\nservers: [{url: "https://api.example.com"}]\npaths:\n  /a:\n    get: {summary: list things, responses: {"200": {description: ok}}}\n  /b:\n    get: {summary: list things, responses: {"200": {description: ok}}}\n${extra}`;
    const d = path.join(dir, 'stable');
    await writeTree(d, { 'tengine.config.yaml': root('      - document: api.yaml\n'), 'api.yaml': doc('') });
    const names = async () => (await loadDir(d)).config!.projects![0]!.tools!.map((t) => t.name);
    const first = await names();
    expect(first).toEqual(['list_things_a0e3b4', 'list_things_e6e6ad'].map((n, i) => (i === 0 ? first[0]! : first[1]!)));
    expect(first.every((n) => /^list_things_[0-9a-f]{6}$/.test(n))).toBe(true);
    await writeFile(path.join(d, 'api.yaml'), doc('  /c:\n    get: {summary: list things, responses: {"200": {description: ok}}}\n  /d:\n    post: {operationId: other, responses: {"200": {description: ok}}}\n'));
    const second = await names();
    expect(second.slice(0, 2)).toEqual(first);
    expect(second).toHaveLength(4);
  });

  it('a billion-laughs alias bomb in a document is TNG012 at the alias, and anchors within the limits just work', async () => {
    const d = path.join(dir, 'bomb');
    const levels = ['x0: &x0 [lol]', ...Array.from({ length: 9 }, (_, i) => `x${i + 1}: &x${i + 1} [${Array(10).fill(`*x${i}`).join(', ')}]`)];
    await writeTree(d, { 'tengine.config.yaml': root('      - document: api.yaml\n'), 'api.yaml': `openapi: 3.0.3\ninfo: {title: t, version: "1"}\n${levels.join('\n')}\npaths: {}\n` });
    const bomb = await loadDir(d);
    expect(positions(bomb.diagnostics)).toEqual(['TNG012 api.yaml:8:15']);
    expect(bomb.config).toBeUndefined();
    await writeFile(path.join(d, 'api.yaml'), 'openapi: 3.0.3\ninfo: {title: t, version: "1"}\nservers: [{url: "https://api.example.com"}]\npaths:\n  /a:\n    get:\n      operationId: a\n      responses: &ok {"200": {description: ok, content: {application/json: {schema: {type: object, properties: {n: {type: integer}}}}}}}\n  /b:\n    get:\n      operationId: b\n      responses: *ok\n');
    const anchors = await loadDir(d);
    expect(anchors.diagnostics).toEqual([]);
    expect(anchors.config!.projects![0]!.tools!.map((t) => t.output_schema)).toEqual([{ type: 'object', properties: { n: { type: 'integer' } } }, { type: 'object', properties: { n: { type: 'integer' } } }]);
  });

  it('a 10,000-operation document loads into 10,000 tools without a diagnostic', async () => {
    const d = path.join(dir, 'big');
    const text = stringify(bigDocument(10_000));
    expect(text.length).toBeGreaterThan(3_000_000);
    await writeTree(d, { 'tengine.config.yaml': root('      - document: api.yaml\n'), 'api.yaml': text });
    const t = performance.now();
    const loaded = await loadDir(d);
    expect(loaded.diagnostics).toEqual([]);
    expect(loaded.config!.projects![0]!.tools).toHaveLength(10_000);
    // A bound on the order of magnitude only (the benchmark measures): two shared CPU cores, with other suites.
    expect(performance.now() - t).toBeLessThan(30_000);
  }, 60_000);

  it('a document path outside the config directory and a missing document are reported at the config key', async () => {
    const d = path.join(dir, 'paths');
    await writeTree(d, { 'tengine.config.yaml': root('      - document: /etc/passwd\n      - document: missing.yaml\n') });
    expect(positions((await loadDir(d)).diagnostics)).toEqual(['TNG301 tengine.config.yaml:6:19', 'TNG001 tengine.config.yaml:7:19']);
  });
});

describe('tengine import openapi', () => {
  for (const fixture of ['petstore', 'v31', 'swagger2']) {
    it(`${fixture}: the written fragment validates and loads to the same tools as the openapi source`, async () => {
      const source = await loadDir(path.join(FIXTURES, fixture));
      expect(source.config).toBeDefined();
      const d = path.join(dir, `import-${fixture}`);
      await cp(path.join(FIXTURES, fixture), d, { recursive: true });
      const rootText = await readFile(path.join(d, 'tengine.config.yaml'), 'utf8');
      const src = /document: (\S+)/.exec(rootText)![1]!;
      const shape = /input_shape: (\w+)/.exec(rootText)?.[1] ?? 'grouped';
      const { io, buf } = memoryIo({ env: {}, cwd: d });
      const projectId = /id: (\S+)/.exec(rootText)![1]!;
      expect(await runCli(['import', 'openapi', src, '--project', projectId, '--out', 'tools', '--input-shape', shape], io)).toBe(0);
      expect(buf.err).toMatch(/wrote tools\/\S+\.tools\.yaml: \d+ tools/);
      const fragmentName = `tools/${path.basename(src, path.extname(src))}.tools.yaml`;
      const fragment = await readFile(path.join(d, fragmentName), 'utf8');
      expect(fragment).toMatch(new RegExp(`^# Generated by \`tengine import openapi\` from ${src.replace('.', '\\.')}[\\s\\S]*# sha256: [0-9a-f]{64}\n`));
      // The same project, its tools from the fragment instead of the document; overrides are config, not document.
      const withoutOpenapi = rootText.replace(/    openapi:\n(?:      .*\n|        .*\n)*/, '');
      await writeFile(path.join(d, 'tengine.config.yaml'), `include: [${fragmentName}]\n${withoutOpenapi}`);
      const imported = await loadDir(d);
      expect(imported.diagnostics.filter((x) => x.severity === 'error')).toEqual([]);
      const strip = (tools: Tool[]) => tools.map((t) => ({ ...t }));
      const expected = strip(source.config!.projects![0]!.tools!);
      const overrides = /overrides:\n {10}(.+):\n {12}name: (\S+)/.exec(rootText);
      // What the config adds on top of the document (defaults and overrides) is added to the imported tools.
      const timeout = /timeout: (\S+)/.exec(rootText)?.[1];
      const got = strip(imported.config!.projects![0]!.tools!)
        .map((t) => (timeout ? { ...t, timeout } : t))
        .map((t) => (overrides && t.name === 'listPeople' ? { ...t, name: overrides[2]!, annotations: { ...t.annotations, openWorldHint: false } } : t));
      expect(got).toEqual(expected);
    });
  }

  it('a document with errors writes nothing and fails with IMPORT_FAILED', async () => {
    const { io, buf } = memoryIo({ env: {}, cwd: path.join(FIXTURES, '../invalid/TNG303-openapi-ref-remote') });
    expect(await runCli(['import', 'openapi', 'api.yaml', '--project', 'demo'], io)).toBe(1);
    expect(buf.err).toContain('TNG303');
    expect(buf.err).toContain('IMPORT_FAILED');
    expect(buf.out).toBe('');
  });
});
