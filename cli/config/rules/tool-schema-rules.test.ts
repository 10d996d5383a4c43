import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/fixtures/bundle-fixtures.js';
import { allCodesKnown, loadDir, positions, writeTree } from '../../../test/fixtures/config-files.js';
import { schemaPatterns } from './schema-patterns.js';

describe('schemaPatterns: every pattern a compiled schema can run, found by keyword', () => {
  it('walks subschema keywords of both dialects in document order, escaping keys in pointers', () => {
    const schema = {
      type: 'object',
      pattern: 'p0',
      properties: { pattern: { type: 'string', pattern: 'p1' }, list: { items: { pattern: 'p2' }, prefixItems: [{ pattern: 'p3' }] } },
      patternProperties: { '^a/b~c$': { pattern: 'p4' } },
      allOf: [{ not: { pattern: 'p5' } }],
      $defs: { d: { propertyNames: { pattern: 'p6' } } },
      definitions: { e: { items: [{ pattern: 'p7' }], additionalItems: { pattern: 'p8' } } },
      dependencies: { x: ['y'], z: { if: { pattern: 'p9' }, then: { pattern: 'p10' }, else: { pattern: 'p11' } } },
      // Data, not schemas: never taken for patterns.
      enum: [{ pattern: 'no' }],
      const: { pattern: 'no' },
      default: { pattern: 'no' },
      examples: [{ pattern: 'no' }],
      'x-extension': { pattern: 'no' },
    };
    expect([...schemaPatterns(schema)].map((p) => `${p.pattern} ${p.pointer}${p.key ? ' (key)' : ''}`)).toEqual([
      'p0 /pattern',
      '^a/b~c$ /patternProperties/^a~1b~0c$ (key)',
      'p1 /properties/pattern/pattern',
      'p2 /properties/list/items/pattern',
      'p3 /properties/list/prefixItems/0/pattern',
      'p4 /patternProperties/^a~1b~0c$/pattern',
      'p5 /allOf/0/not/pattern',
      'p6 /$defs/d/propertyNames/pattern',
      'p7 /definitions/e/items/0/pattern',
      'p8 /definitions/e/additionalItems/pattern',
      'p9 /dependencies/z/if/pattern',
      'p10 /dependencies/z/then/pattern',
      'p11 /dependencies/z/else/pattern',
    ]);
  });

  it('handles deep nesting without recursion', () => {
    let schema: Record<string, unknown> = { pattern: 'deep' };
    for (let i = 0; i < 20_000; i++) schema = { not: schema };
    expect([...schemaPatterns(schema)].map((p) => p.pattern)).toEqual(['deep']);
  });
});

describe('tengine validate: patterns the runtime could not run in linear time (TNG229)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('tengine-patterns-'));
  });
  afterEach(async () => cleanup());

  /** A config whose one tool has `schemaLines` (10-space indented) as input_schema; line 11 is the first of them. */
  async function load(schemaLines: string[]) {
    const text = [
      'version: 1',
      'projects:',
      '  - id: demo',
      '    tools:',
      '      - name: find_item',
      '        description: Find an item.',
      '        base_url: https://api.example.com',
      '        http_method: GET',
      '        endpoint_path: /items',
      '        input_schema:',
      ...schemaLines.map((l) => `          ${l}`),
    ].join('\n');
    await writeTree(dir, { 'tengine.config.yaml': text });
    const loaded = await loadDir(dir);
    expect(allCodesKnown(loaded.diagnostics)).toBe(true);
    return loaded;
  }

  it('a backreference and a lookahead, at the pattern and at the patternProperties key', async () => {
    const loaded = await load(['type: object', 'properties:', '  code: { type: string, pattern: "^(a)\\\\1$" }', '  tags:', '    patternProperties:', '      "^(?=a)": true']);
    expect(positions(loaded.diagnostics)).toEqual(['TNG229 tengine.config.yaml:13:44', 'TNG229 tengine.config.yaml:16:17']);
    expect(loaded.diagnostics.map((d) => d.message)).toEqual([
      'input_schema: pattern "^(a)\\\\1$" cannot run in linear time: a backreference (\\1) needs backtracking',
      'input_schema: patternProperties key "^(?=a)" cannot run in linear time: a lookahead (?=…) needs backtracking',
    ]);
    expect(loaded.config).toBeUndefined();
  });

  it('in a draft-07 schema too, and for a repeat count over RE2\'s limit', async () => {
    const loaded = await load(['$schema: http://json-schema.org/draft-07/schema#', 'type: object', 'properties:', '  a: { pattern: "(?<!x)y" }', '  b: { pattern: "^x{1001}$" }']);
    expect(positions(loaded.diagnostics)).toEqual(['TNG229 tengine.config.yaml:14:27', 'TNG229 tengine.config.yaml:15:27']);
    expect(loaded.diagnostics[1]!.message).toContain('invalid repeat count');
  });

  it('a pattern reached only through a $ref into an unknown keyword is still refused, at the schema', async () => {
    const loaded = await load(['type: object', 'x-shared: { pattern: "^(?!admin)" }', 'properties:', '  role: { $ref: "#/x-shared" }']);
    expect(positions(loaded.diagnostics)).toEqual(['TNG229 tengine.config.yaml:11:11']);
    expect(loaded.diagnostics[0]!.message).toContain('a lookahead (?!…) needs backtracking');
  });

  it('a pattern that is not valid ECMAScript with the u flag is TNG209 at the pattern (the meta-schema checks without u)', async () => {
    const loaded = await load(['type: object', 'properties:', '  a: { type: string, pattern: "a\\\\-b" }']);
    expect(positions(loaded.diagnostics)).toEqual(['TNG209 tengine.config.yaml:13:41']);
    expect(loaded.diagnostics[0]!.message).toMatch(/^input_schema: pattern "a\\\\-b" is not a valid regular expression: /);
  });

  it('ordinary patterns, Unicode properties and formats validate cleanly', async () => {
    const loaded = await load([
      'type: object',
      'properties:',
      '  id: { type: string, pattern: "^[a-z0-9-]+$" }',
      '  name: { type: string, pattern: "^\\\\p{L}[\\\\p{L} .\'-]*$" }',
      '  when: { type: string, format: date-time }',
      '  site: { type: string, format: url }',
      'patternProperties:',
      '  "^x-[a-z]+$": { type: string }',
    ]);
    expect(loaded.diagnostics).toEqual([]);
    expect(loaded.config).toBeDefined();
  });
});
