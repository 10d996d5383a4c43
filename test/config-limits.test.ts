import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryIo } from '../cli/io.js';
import { runCli } from '../cli/program.js';
import { runRules, type RuleContext } from '../cli/config/rules/index.js';
import { MAX_CONFIG_BYTES, MAX_TOOL_BYTES, MAX_TOOLS_PER_CONFIG } from '../cli/config/rules/limit-rules.js';
import type { TengineConfig } from '../schemas/config-types.js';
import { generatePemKeyPair, tempDir } from './fixtures/bundle-fixtures.js';
import { writeTree } from './fixtures/config-files.js';

// Issue 8, defect 10e: a config of 21,001 tools built into a 22.5 MB bundle. Now a config holds at most
// MAX_TOOLS_PER_CONFIG tools and a tool at most MAX_TOOL_BYTES of JSON (TNG230), and build writes nothing beyond them.

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('tengine-limits-'));
});
afterEach(async () => cleanup());

const OUT = 'out.bundle.json';

/** Runs the semantic rules on `config` and returns `code pointer` of each diagnostic. */
function rules(config: TengineConfig): string[] {
  const found: string[] = [];
  const ctx: RuleContext = {
    config,
    report: (code, _message, pointer) => void found.push(`${code} ${pointer}`),
    locate: () => ({ file: 'f', line: 1, column: 1 }),
    isClean: () => true,
  };
  runRules(ctx);
  return found;
}

/** A minimal valid tool. */
function tool(i: number, extra: Record<string, unknown> = {}) {
  return { name: `t${i}`, description: 'd', input_schema: { type: 'object', properties: {} }, base_url: 'https://api.example.com', http_method: 'GET', endpoint_path: `/t/${i}`, ...extra };
}

async function build() {
  const pem = generatePemKeyPair('ed25519').privatePem;
  const { io, buf } = memoryIo({ cwd: dir, env: { SOURCE_DATE_EPOCH: '1735689600', TENGINE_BUNDLE_SIGNING_KEY: pem } });
  const code = await runCli(['build', '.', '--out', OUT, '--format', 'json'], io);
  const report = buf.out ? (JSON.parse(buf.out) as { diagnostics: { code: string; file: string; line: number; column: number; message: string }[] }) : undefined;
  return { code, report, err: buf.err, written: existsSync(path.join(dir, OUT)) };
}

describe('TNG230: tools per config', () => {
  it(`${MAX_TOOLS_PER_CONFIG} tools over two projects are allowed; one more is TNG230, once, at the first tool past the limit`, () => {
    const half = MAX_TOOLS_PER_CONFIG / 2;
    const project = (id: string, n: number) => ({ id, tools: Array.from({ length: n }, (_, i) => tool(i)) });
    expect(rules({ version: 1, projects: [project('a', half), project('b', half)] } as TengineConfig).filter((d) => d.startsWith('TNG230'))).toEqual([]);
    expect(rules({ version: 1, projects: [project('a', half), project('b', half + 1)] } as TengineConfig).filter((d) => d.startsWith('TNG230'))).toEqual([
      `TNG230 /projects/1/tools/${half}`,
    ]);
  });

  it('the issue: 21,001 tools in fragments fail to build with TNG230 in the fragment that crosses the limit, and no bundle is written', async () => {
    const files: Record<string, string> = { 'tengine.config.yaml': 'version: 1\ninclude: [tools/*.yaml]\nprojects:\n  - id: big\n' };
    const perFile = 1000;
    for (let f = 0; f * perFile < 21_001; f++) {
      let s = 'project: big\ntools:\n';
      for (let i = f * perFile; i < Math.min(21_001, (f + 1) * perFile); i++) {
        s += `  - {name: t${i}, description: d, input_schema: {type: object}, base_url: "https://api.example.com", http_method: GET, endpoint_path: /t}\n`;
      }
      files[`tools/part-${String(f).padStart(2, '0')}.yaml`] = s;
    }
    await writeTree(dir, files);
    const r = await build();
    expect(r.code).toBe(1);
    expect(r.report?.diagnostics.map((d) => `${d.code} ${d.file}:${d.line}:${d.column}`)).toEqual(['TNG230 tools/part-20.yaml:3:5']);
    expect(r.report?.diagnostics[0]!.message).toBe(`the config declares 21001 tools; the limit is ${MAX_TOOLS_PER_CONFIG} per config (reported at the first tool past it)`);
    expect(r.written).toBe(false);
  }, 120_000);
});

describe('TNG230: bytes per tool', () => {
  it(`a tool of exactly ${MAX_TOOL_BYTES} bytes of JSON is allowed; one more byte (a two-byte é) is TNG230 at the tool`, () => {
    const base = tool(0, { body_template: { notes: '' } });
    const pad = MAX_TOOL_BYTES - Buffer.byteLength(JSON.stringify(base));
    const exact = tool(0, { body_template: { notes: 'x'.repeat(pad) } });
    expect(Buffer.byteLength(JSON.stringify(exact))).toBe(MAX_TOOL_BYTES);
    expect(rules({ version: 1, projects: [{ id: 'p', tools: [exact] }] } as TengineConfig).filter((d) => d.startsWith('TNG230'))).toEqual([]);
    const over = tool(0, { body_template: { notes: `${'x'.repeat(pad - 1)}é` } });
    expect(rules({ version: 1, projects: [{ id: 'p', tools: [tool(1), over] }] } as TengineConfig).filter((d) => d.startsWith('TNG230'))).toEqual(['TNG230 /projects/0/tools/1']);
  });

  it(`a config of ${MAX_CONFIG_BYTES} bytes of JSON or less passes; past it, TNG230 once at /projects, though every tool is within its own limit`, () => {
    // 300 tools of 240 KiB each: every tool under MAX_TOOL_BYTES, together about 70 MiB.
    const big = (i: number) => tool(i, { body_template: { notes: 'x'.repeat(240 * 1024) } });
    const over = { version: 1, projects: [{ id: 'p', tools: Array.from({ length: 300 }, (_, i) => big(i)) }] } as TengineConfig;
    expect(Buffer.byteLength(JSON.stringify(over))).toBeGreaterThan(MAX_CONFIG_BYTES);
    expect(rules(over).filter((d) => d.startsWith('TNG230'))).toEqual(['TNG230 /projects']);
    const under = { version: 1, projects: [{ id: 'p', tools: Array.from({ length: 250 }, (_, i) => big(i)) }] } as TengineConfig;
    expect(Buffer.byteLength(JSON.stringify(under))).toBeLessThan(MAX_CONFIG_BYTES);
    expect(rules(under).filter((d) => d.startsWith('TNG230'))).toEqual([]);
  });

  it('a tool that YAML aliases blow up past the limit fails to build with TNG230 at the tool, and no bundle is written', async () => {
    // Each value is small in the file; four aliases of a 100,000-character anchor make the tool 400 KB.
    const big = 'Quarterly planning notes. '.repeat(4000);
    const yaml = `version: 1
projects:
  - id: p
    tools:
      - name: small
        description: d
        input_schema: {type: object}
        base_url: https://api.example.com
        http_method: GET
        endpoint_path: /small
      - name: huge
        description: d
        input_schema: {type: object}
        base_url: https://api.example.com
        http_method: POST
        endpoint_path: /huge
        body_template:
          a: &notes "${big}"
          b: *notes
          c: *notes
          d: *notes
`;
    await writeTree(dir, { 'tengine.config.yaml': yaml });
    const r = await build();
    expect(r.code).toBe(1);
    expect(r.report?.diagnostics.map((d) => `${d.code} ${d.line}:${d.column}`)).toEqual(['TNG230 11:9']);
    expect(r.report?.diagnostics[0]!.message).toMatch(/^tool "huge" is \d+ bytes as JSON; the limit is 262144 bytes per tool$/);
    expect(r.written).toBe(false);
  });
});

describe('TNG012: bytes that YAML aliases add (issue 8 re-run, F7)', () => {
  it('the re-run\'s file (one 3 MB string aliased 300 times) fails to build with TNG012 at the alias, no internal error, no bundle', async () => {
    // Before: 900 MB once expanded; build ran 116 s and ended in `error TNG_INTERNAL: unexpected failure: Invalid
    // string length`. Now expansion stops at 4 MiB and the build ends well inside the test timeout.
    let yaml = `version: 1
projects:
  - id: p
    tools:
      - name: huge
        description: &big "${'Quarterly planning notes. '.repeat(115_000)}"
        input_schema: {type: object}
        base_url: https://api.example.com
        http_method: POST
        endpoint_path: /huge
        body_template:
`;
    for (let i = 0; i < 300; i++) yaml += `          k${i}: *big\n`;
    await writeTree(dir, { 'tengine.config.yaml': yaml });
    const r = await build();
    expect(r.code).toBe(1);
    expect(r.report?.diagnostics.map((d) => `${d.code} ${d.line}:${d.column}`)).toEqual(['TNG012 13:15']);
    expect(r.report?.diagnostics[0]!.message).toBe('YAML aliases expand to more than 4194304 bytes of text; *big crosses the limit');
    expect(r.err).not.toMatch(/TNG_INTERNAL|Invalid string length/);
    expect(r.written).toBe(false);
  });
});
