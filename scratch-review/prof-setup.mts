import { writeFileSync } from 'node:fs';
import { buildPayload } from '../cli/bundle/build-payload.js';
import { signBundle } from '../cli/bundle/sign-bundle.js';
import { mintCredential } from '../cli/keys/mint-credential.js';
import { generatePemKeyPair } from '../test/fixtures/bundle-fixtures.js';
const port = process.argv[2];
const key = mintCredential('api_key');
const { privatePem, publicPem } = generatePemKeyPair('ed25519');
const config = { version: 1 as const, projects: [{ id: 'bench', environment: 'development' as const, integrations: [{ id: 'load', kind: 'api_key' as const, api_keys: [{ sha256: key.sha256 }] }],
  tools: [{ name: 'get_record', description: 'Fetch a record by id.', input_schema: { type: 'object', properties: { id: { type: 'string', minLength: 1 }, expand: { type: 'string', enum: ['owner', 'none'] } }, required: ['id'] },
    output_schema: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } }, required: ['id'] }, base_url: `http://127.0.0.1:${port}`, http_method: 'GET' as const, endpoint_path: '/records/{id}', query_template: { expand: '{expand}' } }] }] };
writeFileSync('/tmp/prof/bundle.json', await signBundle(buildPayload(config, { createdAt: '2026-01-01T00:00:00Z' }), privatePem));
writeFileSync('/tmp/prof/pub.pem', publicPem);
const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_record', arguments: { id: 'rec_123', expand: 'owner' } } });
writeFileSync('/tmp/prof/wrk.lua', `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\nwrk.headers["content-type"] = "application/json"\nwrk.headers["accept"] = "application/json, text/event-stream"\nwrk.headers["authorization"] = "Bearer ${key.secret}"\n`);
