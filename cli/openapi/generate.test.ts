import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DIAGNOSTIC_CODES } from '../../schemas/diagnostics.js';
import { importOpenApi } from './import-openapi.js';

/**
 * One document per mapping rule of docs/openapi.md (test/fixtures/openapi/rules), mapped and compared with its
 * golden tools and diagnostics (test/golden/openapi). Run with UPDATE_GOLDEN=1 after an intended change and
 * review the diff: each golden file is the example the docs quote.
 */
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const RULES = 'test/fixtures/openapi/rules';
const GOLDEN = path.join(REPO, 'test/golden/openapi');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const CASES = [
  { name: 'methods', file: 'methods.yaml', rule: 'one tool per GET/POST/PUT/PATCH/DELETE, annotations from the method, HEAD and TRACE skipped (TNG305)' },
  { name: 'inputs-grouped', file: 'inputs.yaml', rule: 'grouped inputs {pathParams, query, headers, cookies, body}, path parameters required, reserved headers left out (TNG306)' },
  { name: 'inputs-flat', file: 'inputs.yaml', source: { input_shape: 'flat' as const }, rule: 'flat inputs with the request mapping pointing at top-level arguments' },
  { name: 'inputs-omitted', file: 'inputs.yaml', source: { omit_parameters: [{ name: 'debug', in: 'query' as const }, { name: 'X-Tenant', in: 'header' as const }] }, rule: 'omit_parameters leaves optional parameters out and keeps a required one (TNG306)' },
  { name: 'refs', file: 'refs.yaml', rule: 'internal and relative-file $refs resolved and inlined' },
  { name: 'cycles', file: 'cycles.yaml', rule: 'recursive schemas cut at the cycle into $defs (TNG310)' },
  { name: 'schema-keywords', file: 'schema-keywords.yaml', rule: 'nullable, oneOf/anyOf/allOf, readOnly dropped from inputs, writeOnly from outputs, example and x- stripped' },
  { name: 'bodies', file: 'bodies.yaml', rule: 'JSON and form bodies mapped, other bodies skipped (TNG307)' },
  { name: 'names', file: 'names.yaml', source: { name_prefix: '' }, rule: 'names from operationId, summary, method + path; sanitized, unique with a hash suffix (TNG309)' },
  { name: 'descriptions-scopes', file: 'descriptions-scopes.yaml', source: { description_max_length: 64 }, rule: 'descriptions from summary + description trimmed (TNG312); scopes from security, x-tengine-scopes, Required scope' },
  { name: 'extensions-output', file: 'extensions-output.yaml', rule: 'x-tengine-* overrides; output_schema only from a 2xx JSON object' },
  { name: 'petstore', file: '../petstore/petstore.yaml', rule: 'a Petstore-style OpenAPI 3.0 document' },
  { name: 'v31', file: '../v31/api.yaml', rule: 'OpenAPI 3.1 with $defs, type arrays, server variables, path item $ref to another file and webhooks (TNG316)' },
  { name: 'swagger2', file: '../swagger2/api.json', rule: 'Swagger 2.0 body and formData parameters, collectionFormat, consumes/produces, multipart skipped (TNG307)' },
];

describe('OpenAPI mapping rules: golden tools and diagnostics', () => {
  for (const c of CASES) {
    it(`${c.name}: ${c.rule}`, async () => {
      const r = await importOpenApi(path.join(RULES, c.file), 'demo', { input_shape: 'grouped', description_max_length: 1024, ...c.source }, { cwd: REPO });
      const actual = {
        diagnostics: r.diagnostics.map((d) => ({ code: d.code, severity: d.severity, at: `${d.file}:${d.line}:${d.column}`, pointer: d.pointer, message: d.message })),
        tools: r.tools,
      };
      const file = path.join(GOLDEN, `${c.name}.json`);
      const text = `${JSON.stringify(actual, null, 2)}\n`;
      if (UPDATE) {
        await mkdir(GOLDEN, { recursive: true });
        await writeFile(file, text);
      }
      expect(text).toBe(await readFile(file, 'utf8'));
      // Every diagnostic has a known code, a position and the JSON pointer inside the document.
      for (const d of r.diagnostics) {
        expect(DIAGNOSTIC_CODES[d.code].severity).toBe(d.severity);
        expect(d.pointer).toMatch(/^(\/.*)?$/);
        expect(d.line).toBeGreaterThan(0);
      }
    });
  }
});
