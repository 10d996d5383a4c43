import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CONFIG_FILE_BYTES } from '../cli/config/read-config-file.js';
import { runRules, type RuleContext } from '../cli/config/rules/index.js';
import { MAX_TOOL_BYTES } from '../cli/config/rules/limit-rules.js';
import { schemaDiagnostics } from '../cli/config/schema-diagnostics.js';
import type { ErrorObject } from '../schemas/ajv.js';
import { DIAGNOSTIC_CODES, type DiagnosticCode } from '../schemas/diagnostics.js';
import { tempDir } from './fixtures/bundle-fixtures.js';
import { allCodesKnown, loadDir, oneToolConfig, positions } from './fixtures/config-files.js';

/**
 * One invalid fixture per diagnostic code. Each fixture directory is named `<CODE>-<short-name>` and its root file
 * carries `# expect: CODE [file] line:col` comments: the fixture must yield exactly those diagnostics (code, file,
 * line, column), the first of which has the directory's code.
 */
const FIXTURE_ROOT = fileURLToPath(new URL('./fixtures/invalid/', import.meta.url));
const EXPECT = /^#\s*expect:\s*(TNG\d{3})\s+(?:(\S+)\s+)?(\d+):(\d+)\s*$/;

interface Fixture {
  name: string;
  code: string;
  expected: string[];
}

function readFixture(name: string): Fixture {
  const dir = path.join(FIXTURE_ROOT, name);
  const root = path.join(dir, 'tengine.config.yaml');
  // TNG001 has no root file on purpose; its expectations live next to where the file would be.
  const text = readFileSync(existsSync(root) ? root : path.join(dir, 'expect.txt'), 'utf8');
  const expected = text
    .split('\n')
    .map((l) => EXPECT.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]} ${m[2] ?? 'tengine.config.yaml'}:${m[3]}:${m[4]}`);
  return { name, code: name.slice(0, 6), expected };
}

const committed = readdirSync(FIXTURE_ROOT, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => readFixture(e.name))
  .sort((a, b) => a.name.localeCompare(b.name));

/** Fixtures written at test time: files over a size limit and non-text files are never committed. */
const GENERATED: Record<string, { name: string; contents: () => Uint8Array; expected: string[] }> = {
  TNG004: {
    name: 'TNG004-file-too-large',
    // Valid YAML (one key, then comment padding) one byte over the limit, so only the size is wrong.
    contents: () => {
      const head = Buffer.from('version: 1\n#');
      return Buffer.concat([head, Buffer.alloc(MAX_CONFIG_FILE_BYTES + 1 - head.length, 0x78)]);
    },
    expected: ['TNG004 tengine.config.yaml:1:1'],
  },
  TNG005: {
    name: 'TNG005-not-text',
    contents: () => Buffer.concat([Buffer.from('version: 1\n'), Buffer.from([0x00]), randomBytes(64)]),
    expected: ['TNG005 tengine.config.yaml:1:1'],
  },
  TNG230: {
    name: 'TNG230-config-too-large',
    // One tool whose body template holds more prose than a tool may weigh; valid in every other respect.
    contents: () => {
      const prose = 'Notes kept with every item. '.repeat(Math.ceil((MAX_TOOL_BYTES + 1) / 28));
      return Buffer.from(oneToolConfig(`        body_template: { notes: "${prose}" }\n`, { method: 'POST' }));
    },
    expected: ['TNG230 tengine.config.yaml:5:9'],
  },
};

/** Codes no config can produce through the loader, with the reason; each still gets a unit-level test below. */
const NOT_TRIGGERABLE: Partial<Record<DiagnosticCode, string>> = {
  TNG104:
    'schema-diagnostics.ts maps every keyword config.schema.json and config-fragment.schema.json use (type, required, ' +
    'additionalProperties, const, enum, discriminator, pattern, min/max*, format, propertyNames, oneOf) to a more ' +
    'specific code; TNG104 is only the fallback for keywords the schemas do not use yet',
};

let generatedDir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir: generatedDir, cleanup } = await tempDir('tengine-generated-fixtures-'));
});
afterAll(async () => cleanup());

describe('invalid fixtures (test/fixtures/invalid): one per diagnostic code', () => {
  const title = (f: Fixture) => `${f.code} ${DIAGNOSTIC_CODES[f.code as DiagnosticCode]?.title ?? 'unknown-code'}: the fixture yields exactly ${f.expected.join(', ')}`;
  it.each(committed.map((f) => [title(f), f] as const))('%s', async (_title, fixture) => {
    expect(fixture.code).toMatch(/^TNG\d{3}$/);
    expect(fixture.expected.length, `${fixture.name} has no "# expect:" comment`).toBeGreaterThan(0);
    expect(fixture.expected[0]!.startsWith(`${fixture.code} `)).toBe(true);
    const loaded = await loadDir(path.join(FIXTURE_ROOT, fixture.name));
    expect(allCodesKnown(loaded.diagnostics)).toBe(true);
    expect(new Set(positions(loaded.diagnostics))).toEqual(new Set(fixture.expected));
    // An error fixture must not yield a config; a warning-only fixture (TNG220, TNG223) still does.
    const severity = DIAGNOSTIC_CODES[fixture.code as DiagnosticCode].severity;
    expect(loaded.config === undefined).toBe(severity === 'error');
  });

  it.each(Object.entries(GENERATED))('%s is reported for a file generated at test time', async (code, g) => {
    const dir = path.join(generatedDir, g.name);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'tengine.config.yaml'), g.contents());
    const loaded = await loadDir(dir);
    expect(g.expected[0]!.startsWith(`${code} `)).toBe(true);
    expect(positions(loaded.diagnostics)).toEqual(g.expected);
    expect(allCodesKnown(loaded.diagnostics)).toBe(true);
    expect(loaded.config).toBeUndefined();
  });

  it('every code in DIAGNOSTIC_CODES has a fixture (or is documented as not triggerable)', () => {
    const covered = new Set([...committed.map((f) => f.code), ...Object.keys(GENERATED)]);
    const missing = Object.keys(DIAGNOSTIC_CODES).filter((c) => !covered.has(c) && !(c in NOT_TRIGGERABLE));
    expect(missing).toEqual([]);
    // A code that gains a fixture must leave the not-triggerable list, and no fixture may name an unknown code.
    expect(Object.keys(NOT_TRIGGERABLE).filter((c) => covered.has(c))).toEqual([]);
    expect([...covered].filter((c) => !(c in DIAGNOSTIC_CODES))).toEqual([]);
    // One fixture per code: two directories for one code would make the table ambiguous.
    expect(committed.map((f) => f.code)).toEqual([...new Set(committed.map((f) => f.code))]);
  });

  it('TNG104 is the fallback for a schema keyword without a specific mapping (not reachable with the shipped schemas)', () => {
    const error = {
      keyword: 'multipleOf',
      instancePath: '/projects/0/page',
      schemaPath: '#/multipleOf',
      params: { multipleOf: 2 },
      message: 'must be multiple of 2',
      data: 3,
    } as ErrorObject;
    const at = { file: 'tengine.config.yaml', line: 7, column: 11 };
    const out = schemaDiagnostics([error], () => at, 'config');
    expect(positions(out)).toEqual(['TNG104 tengine.config.yaml:7:11']);
    expect(out[0]!.severity).toBe(DIAGNOSTIC_CODES.TNG104.severity);
  });
});

describe('semantic rules on data the schema rejected', () => {
  /** A config touching every rule: projects, scopes, keys, both integration kinds, tools with every template. */
  const base = () => ({
    version: 1,
    runtime: { public_url: 'https://mcp.example.com' },
    projects: [
      {
        id: 'demo',
        environment: 'development',
        scopes: [{ name: 'notes.read' }, { name: 'notes.write', implies: ['notes.read'] }],
        assertion_keys: [{ kid: 'k1', alg: 'EdDSA', public_key: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA3u/dD+Zt1EB/Nr2Tkmfc9g0leTTxRqbRElID/rBOAHA=\n-----END PUBLIC KEY-----\n' }],
        integrations: [
          { id: 'a', kind: 'api_key', api_keys: [{ sha256: 'ab'.repeat(32) }] },
          { id: 'o', kind: 'oauth', client_id: 'c', redirect_uris: ['https://app.example.com/cb'], scopes: ['notes.read'], login_url: 'https://app.example.com/login', connect_secret_sha256: 'cd'.repeat(32) },
        ],
        tools: [
          {
            name: 'get_item',
            description: 'd',
            input_schema: { type: 'object', properties: { id: { type: 'string' } } },
            output_schema: { type: 'object' },
            base_url: 'http://127.0.0.1:4010',
            http_method: 'POST',
            endpoint_path: '/items/{id}',
            query_template: { q: '{id}' },
            headers_template: { 'X-Caller': '{member_id}' },
            body_template: { a: ['{id}'] },
            scopes: ['notes.read'],
            auth_strategy: 'static_bearer',
            auth_secret_env: 'SECRET',
            require_member: true,
          },
        ],
      },
    ],
  });
  /** Every pointer of the base config, so the property can replace any of them. */
  const pointers: string[][] = [];
  const collect = (v: unknown, path: string[]) => {
    pointers.push(path);
    if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) collect(x, [...path, k]);
  };
  collect(base(), []);

  it('property: no rule throws, whatever JSON value replaces whatever field (even when every field counts as clean)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...pointers.filter((p) => p.length > 0)), fc.jsonValue({ maxDepth: 3 })), { minLength: 1, maxLength: 4 }), (edits) => {
        const config = base() as Record<string, unknown>;
        for (const [path, value] of edits) {
          let parent: unknown = config;
          for (const key of path.slice(0, -1)) parent = typeof parent === 'object' && parent !== null ? (parent as Record<string, unknown>)[key] : undefined;
          if (typeof parent === 'object' && parent !== null) (parent as Record<string, unknown>)[path.at(-1)!] = value;
        }
        const ctx: RuleContext = {
          config: config as unknown as RuleContext['config'],
          report: () => undefined,
          locate: () => ({ file: 'f', line: 1, column: 1 }),
          isClean: () => true,
        };
        expect(() => runRules(ctx)).not.toThrow();
      }),
      { numRuns: 500, seed: 20250103 },
    );
  });
});

describe('OAuth integration rules', () => {
  it('TNG213 at an implied scope the project does not declare; declared implications pass', async () => {
    const dir = path.join(generatedDir, 'scope-implies');
    await mkdir(dir, { recursive: true });
    const yaml = (implied: string) => `version: 1\nprojects:\n  - id: demo\n    scopes:\n      - name: t:read\n      - name: t:write\n        implies: [${implied}]\n`;
    await writeFile(path.join(dir, 'tengine.config.yaml'), yaml('t:admin'));
    expect(positions((await loadDir(dir)).diagnostics)).toEqual(['TNG213 tengine.config.yaml:7:19']);
    await writeFile(path.join(dir, 'tengine.config.yaml'), yaml('t:read'));
    expect((await loadDir(dir)).diagnostics).toEqual([]);
  });

  it('TNG235 only for a public client with neither login_url nor connect secret', async () => {
    const dir = path.join(generatedDir, 'oauth-public');
    await mkdir(dir, { recursive: true });
    const yaml = (extra: string) => `version: 1\nprojects:\n  - id: demo\n    assertion_keys: []\n    integrations:\n      - id: cli\n        kind: oauth\n        client_id: demo-cli-client\n        redirect_uris: [http://127.0.0.1/cb]\n${extra}`;
    await writeFile(path.join(dir, 'tengine.config.yaml'), yaml(''));
    expect(positions((await loadDir(dir)).diagnostics)).toEqual(['TNG235 tengine.config.yaml:6:9']);
    await writeFile(path.join(dir, 'tengine.config.yaml'), yaml(`        connect_secret_sha256: ${'ab'.repeat(32)}\n`));
    expect((await loadDir(dir)).diagnostics).toEqual([]);
  });
});

describe('idempotency rules (docs/usage.md#idempotent-retries)', () => {
  it('TNG227 at an idempotency window outside 1s–24h, on a tool and on a project default; 1s and 24h pass', async () => {
    const dir = path.join(generatedDir, 'idempotency-window');
    await mkdir(dir, { recursive: true });
    const yaml = (projectWindow: string, toolWindow: string) =>
      `version: 1\nprojects:\n  - id: demo\n    idempotency:\n      window: ${projectWindow}\n    tools:\n      - name: create_order\n        description: Creates an order.\n        input_schema: {type: object, properties: {}}\n        base_url: https://api.example.com\n        http_method: POST\n        endpoint_path: /orders\n        idempotency:\n          window: ${toolWindow}\n`;
    await writeFile(path.join(dir, 'tengine.config.yaml'), yaml('25h', '500ms'));
    const loaded = await loadDir(dir);
    expect(positions(loaded.diagnostics)).toEqual(['TNG227 tengine.config.yaml:5:15', 'TNG227 tengine.config.yaml:14:19']);
    expect(loaded.diagnostics.map((d) => d.hint)).toEqual([expect.stringMatching(/from 1s to 24h/), expect.stringMatching(/from 1s to 24h/)]);
    await writeFile(path.join(dir, 'tengine.config.yaml'), yaml('24h', '1s'));
    expect((await loadDir(dir)).diagnostics).toEqual([]);
  });

  it('a zero or negative window is refused by the schema (TNG103), not reaching the rule', async () => {
    const dir = path.join(generatedDir, 'idempotency-zero');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'tengine.config.yaml'), 'version: 1\nprojects:\n  - id: demo\n    idempotency:\n      window: 0s\n      max_result_bytes: 0\n');
    expect(positions((await loadDir(dir)).diagnostics).map((p) => p.split(' ')[0])).toEqual(['TNG103', 'TNG103']);
  });
});

describe('usage record retention (runtime.usage_records)', () => {
  it('TNG103 with a duration hint for a zero or negative retention; TNG253 when hourly outlives daily; defaults pass', async () => {
    const dir = path.join(generatedDir, 'usage-retention');
    await mkdir(dir, { recursive: true });
    const yaml = (records: string) => `version: 1\nruntime:\n  usage_records:\n${records}projects:\n  - id: demo\n`;
    await writeFile(path.join(dir, 'tengine.config.yaml'), yaml('    hourly_retention: 0d\n    daily_retention: -3d\n'));
    const zero = (await loadDir(dir)).diagnostics;
    expect(positions(zero)).toEqual(['TNG103 tengine.config.yaml:4:23', 'TNG103 tengine.config.yaml:5:22']);
    for (const d of zero) expect(d.hint).toMatch(/^write a positive duration/);
    await writeFile(path.join(dir, 'tengine.config.yaml'), yaml('    hourly_retention: 500d\n'));
    // 500d is past the hourly range (TNG227) and past the default daily retention of 400d (TNG253).
    expect(positions((await loadDir(dir)).diagnostics)).toEqual(['TNG227 tengine.config.yaml:4:23', 'TNG253 tengine.config.yaml:4:23']);
    await writeFile(path.join(dir, 'tengine.config.yaml'), yaml('    enabled: false\n    hourly_retention: 2d\n    daily_retention: 2d\n'));
    expect((await loadDir(dir)).diagnostics).toEqual([]);
  });
});
