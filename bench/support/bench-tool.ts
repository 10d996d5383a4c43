// The one tool every MCP benchmark calls: a GET with a path parameter, a query parameter, validated input and a
// validated JSON result, against bench/support/upstream-server.mjs.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPayload } from '../../cli/bundle/build-payload.js';
import { signBundle } from '../../cli/bundle/sign-bundle.js';
import { mintCredential } from '../../cli/keys/mint-credential.js';
import type { Integration, TengineConfig, Tool } from '../../schemas/config-types.js';
import { generatePemKeyPair } from '../../test/fixtures/bundle-fixtures.js';

/** The benchmark's `get_record` tool, calling the loopback upstream on `upstreamPort`. */
export function getRecordTool(upstreamPort: number) {
  return {
    name: 'get_record',
    description: 'Fetch a record by id.',
    input_schema: { type: 'object', properties: { id: { type: 'string', minLength: 1 }, expand: { type: 'string', enum: ['owner', 'none'] } }, required: ['id'] },
    output_schema: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } }, required: ['id'] },
    base_url: `http://127.0.0.1:${upstreamPort}`,
    http_method: 'GET' as const,
    endpoint_path: '/records/{id}',
    query_template: { expand: '{expand}' },
  };
}

/**
 * Tool `i` of a large bench bundle besides get_record: a realistic generated API tool (as an OpenAPI import writes
 * them) with path, query and header templates and an output schema. Its input schema is one of `distinct` (as in
 * bench/validate-build.ts: 50 by default, BENCH_DISTINCT_SCHEMAS), the way endpoints of one API share parameter
 * shapes; raising it shows the cost of each distinct schema, which the runtime compiles once.
 */
export function generatedTool(i: number, upstreamPort: number, distinct = Number(process.env.BENCH_DISTINCT_SCHEMAS ?? 50)): Tool {
  const variant = i % distinct;
  return {
    name: `records_${i}_get`,
    description: `Fetch record ${i} of the records API with optional expansion of related objects.`,
    base_url: `http://127.0.0.1:${upstreamPort}`,
    http_method: 'GET',
    endpoint_path: '/v1/records/{record_id}',
    query_template: { expand: '{expand}', page: '{page}' },
    headers_template: { 'X-Request-Source': 'bench' },
    timeout: '5s',
    input_schema: {
      type: 'object',
      additionalProperties: false,
      properties: {
        record_id: { type: 'string', minLength: 1, maxLength: 64 + variant, description: 'The record id.' },
        expand: { type: 'string', enum: ['owner', 'deals', 'none'] },
        page: { type: 'integer', minimum: 1, maximum: 1000 },
        filter: { type: 'object', properties: { status: { type: 'string', enum: ['open', 'closed'] }, since: { type: 'string', format: 'date-time' } } },
      },
      required: ['record_id'],
    },
    output_schema: { type: 'object', properties: { id: { type: 'string' }, fields: { type: 'object' } } },
  } as Tool;
}

/** The JSON-RPC body of one call of it. */
export const GET_RECORD_CALL = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_record', arguments: { id: 'rec_123', expand: 'owner' } } });

/** The API key and signing key pair of a bench bundle, to sign a variant of it with the same ones. */
export interface BenchBundleKeys {
  apiKey: string;
  key: { secret: string; sha256: string };
  pair: { privatePem: string; publicPem: string };
}

/**
 * Writes `bundle.json` and `pub.pem` into `dir`: one development project `bench` with the `get_record` tool, an API
 * key integration `load` whose key is returned, and `extraIntegrations` (the OAuth bench adds its client); `opts` names
 * another file, adds properties to the tool (the limits bench adds `usage_limits`), to the project (assertion keys)
 * and to the config (a `runtime` section), and sets the number of tools (`tools`, default 1: get_record first, then
 * `generatedTool`s; the boot bench writes 1,000 and 10,000).
 */
export async function writeBenchBundle(
  dir: string,
  upstreamPort: number,
  extraIntegrations: Integration[] = [],
  opts: { file?: string; toolExtra?: Record<string, unknown>; projectExtra?: Record<string, unknown>; configExtra?: Record<string, unknown>; reuse?: BenchBundleKeys; tools?: number } = {},
): Promise<BenchBundleKeys> {
  const key = opts.reuse?.key ?? mintCredential('api_key');
  const { privatePem, publicPem } = opts.reuse?.pair ?? generatePemKeyPair('ed25519');
  const config: TengineConfig = {
    version: 1,
    projects: [
      {
        id: 'bench',
        environment: 'development',
        integrations: [{ id: 'load', kind: 'api_key', api_keys: [{ sha256: key.sha256 }] }, ...extraIntegrations],
        tools: [{ ...getRecordTool(upstreamPort), ...opts.toolExtra }, ...Array.from({ length: Math.max(0, (opts.tools ?? 1) - 1) }, (_, i) => generatedTool(i + 1, upstreamPort))],
        ...opts.projectExtra,
      },
    ],
    ...opts.configExtra,
  } as TengineConfig;
  writeFileSync(join(dir, opts.file ?? 'bundle.json'), await signBundle(buildPayload(config, { createdAt: '2026-01-01T00:00:00Z' }), privatePem));
  writeFileSync(join(dir, 'pub.pem'), publicPem);
  return { apiKey: key.secret, key, pair: { privatePem, publicPem } };
}
