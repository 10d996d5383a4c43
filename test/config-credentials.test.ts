import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generatePemKeyPair, tempDir } from './fixtures/bundle-fixtures.js';
import { allCodesKnown, loadDir, oneToolConfig, positions, writeTree } from './fixtures/config-files.js';

// Issue 8, defect 2 (second half): a value that looks like a credential, in any plaintext string of the config,
// is TNG214, at the value, without printing it. And what configs legitimately hold (hashes, JWEs, public keys,
// ids, digests, URLs, prose, patterns) is not.

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('tengine-credentials-'));
});
afterEach(async () => cleanup());

const ROOT = 'tengine.config.yaml';

async function load(text: string) {
  await writeTree(dir, { [ROOT]: text });
  const loaded = await loadDir(dir);
  expect(allCodesKnown(loaded.diagnostics)).toBe(true);
  return loaded;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
let seedCounter = 0;
/**
 * Random-looking letters and digits from a fixed seed: the randomness check is a heuristic that misses a fraction of
 * a percent of truly random tokens, which would make these tests fail now and then.
 */
const random = (n: number) => {
  let bytes = Buffer.alloc(0);
  while (bytes.length < n) bytes = Buffer.concat([bytes, createHash('sha256').update(`config-credentials-test:${seedCounter++}`).digest()]);
  return Array.from(bytes.subarray(0, n), (b) => ALNUM[b % 62]).join('');
};
const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = () => `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: 'svc', iat: 1700000000 })}.${randomBytes(32).toString('base64url')}`;
const jwe = () => [b64url({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: 'runtime-2025' }), ...[40, 12, 48, 16].map((n) => randomBytes(n).toString('base64url'))].join('.');
/** A YAML literal block (`|`) of `text`, indented for a tool field (8 spaces) . */
const block = (text: string) => `|\n${text.trimEnd().split('\n').map((l) => `          ${l}`).join('\n')}`;

describe('TNG214: credentials written directly in the config', () => {
  it.each([
    ['a PEM private key in description', () => `        description: ${block(generatePemKeyPair('ed25519').privatePem)}\n`, 'description', 'a PEM private key'],
    ['a PEM RSA private key in a body template', () => `        body_template: { key: ${JSON.stringify(generatePemKeyPair('rsa').privatePem)} }\n`, 'body_template', 'a PEM private key'],
    ['a JWT in headers_template', () => `        headers_template: { X-Session: "${jwt()}" }\n`, 'headers_template', 'a JSON Web Token'],
    ['a ghp_ token in query_template', () => `        query_template: { access: ghp_${random(36)} }\n`, 'query_template', 'a GitHub token'],
    ['a random token in description', () => `        description: "Call with key ${random(40)} appended."\n`, 'description', 'a random-looking token'],
    ['a random token in query_template', () => `        query_template: { k: ${random(32)} }\n`, 'query_template', 'a random-looking token'],
    ['a Slack token in an output_schema example', () => `        output_schema: { type: object, examples: [{ token: xoxb-${random(12)}-${random(24)} }] }\n`, 'output_schema', 'a Slack token'],
  ])('%s', async (_name, extra, field, kind) => {
    const text = extra();
    // description is replaced rather than added: a tool has one.
    const config = field === 'description' ? oneToolConfig().replace('        description: Fetch one item.\n', text) : oneToolConfig(text, { method: field === 'body_template' ? 'POST' : 'GET' });
    const loaded = await load(config);
    expect(loaded.diagnostics.map((d) => d.code)).toEqual(['TNG214']);
    expect(loaded.diagnostics[0]!.message).toBe(`${kind} is written in plaintext`);
    expect(loaded.config).toBeUndefined();
    // The diagnostic is on the field's line, and never repeats the value.
    const fieldLine = config.split('\n').findIndex((l) => l.startsWith(`        ${field}:`)) + 1;
    expect(loaded.diagnostics[0]!.line).toBe(fieldLine);
    const secretish = text.match(/[A-Za-z0-9_+/=.-]{20,}/g) ?? [];
    for (const s of secretish) expect(JSON.stringify(loaded.diagnostics)).not.toContain(s);
  });

  it('a credential used as a mapping key is reported at the key', async () => {
    const key = `sk_live_${random(24)}`;
    const loaded = await load(oneToolConfig(`        body_template:\n          ${key}: 1\n`, { method: 'POST' }));
    expect(positions(loaded.diagnostics)).toEqual([`TNG214 ${ROOT}:15:11`]);
    expect(loaded.diagnostics[0]!.message).toBe('a Stripe secret key is written in plaintext (as a key)');
  });

  it('one leak, one diagnostic: a literal Authorization header, a plaintext encrypted_auth_secret and a base_url password are reported by their own rules only', async () => {
    const text = oneToolConfig(`        headers_template: { Authorization: "Bearer sk_live_${random(24)}" }\n        auth_strategy: static_bearer\n        encrypted_auth_secret: ghp_${random(36)}\n`).replace(
      'https://api.example.com',
      `https://svc:${random(32)}@api.example.com`,
    );
    const loaded = await load(text);
    expect(positions(loaded.diagnostics)).toEqual([`TNG214 ${ROOT}:11:19`, `TNG214 ${ROOT}:14:44`, `TNG214 ${ROOT}:16:32`]);
  });
});

describe('TNG214: a literal credential in query_template (issue 8 re-run, F5)', () => {
  it.each([
    ['api_key', () => `abcd1234${random(8)}`],
    ['apiKey', () => random(24)],
    ['access_token', () => random(40)],
    ['password', () => 'correcthorsebattery'],
    ['client-secret', () => random(12)],
    ['key', () => `AIzb${random(35)}`],
    ['sig', () => randomBytes(32).toString('base64').replace(/[+/=]/g, '') || 'x'],
    ['token', () => `t0k3n${random(20)}`],
  ])('%s with a literal value: TNG214 at the parameter, once, without printing the value', async (name, make) => {
    const value = make();
    const line = `        query_template: { q: "{id}", ${name}: "${value}" }`;
    const loaded = await load(oneToolConfig(`${line}\n`));
    expect(positions(loaded.diagnostics)).toEqual([`TNG214 ${ROOT}:14:${line.indexOf(`"${value}"`) + 1}`]);
    expect(loaded.diagnostics[0]!.message).toBe(`query parameter "${name}" holds a literal credential`);
    expect(JSON.stringify(loaded.diagnostics)).not.toContain(value);
    expect(loaded.config).toBeUndefined();
  });

  it('placeholders, short settings and word values under those names are not credentials', async () => {
    const text = oneToolConfig(
      [
        '        input_schema:',
        '          type: object',
        '          properties:',
        '            id: { type: string }',
        '            key: { type: string }',
        '        query_template:',
        '          api_key: "{key}"',
        '          access_token: "prefix-{id}"',
        '          key: created_at',
        '          auth: required',
        '          sig: v2',
        '          token: next_page_cursor',
        '          signature: HMAC-SHA256',
        '          password: "****"',
        '',
      ].join('\n'),
    ).replace(/ {8}input_schema:\n {10}type: object\n {10}properties:\n {12}id: \{ type: string \}\n/, '');
    const loaded = await load(text);
    expect(loaded.diagnostics).toEqual([]);
  });
});

describe('what configs legitimately hold validates clean', () => {
  it('hashes, a JWE, a public key PEM, a thumbprint kid, UUIDs, digests, URLs, prose and patterns: no diagnostic', async () => {
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    const thumbprint = createHash('sha256').update('assertion key').digest('base64url');
    const pub = generatePemKeyPair('p256').publicPem;
    const text = `version: 1
projects:
  - id: demo
    description: "Tenant ${randomUUID()}, build ${createHash('sha1').update('x').digest('hex')}."
    assertion_keys:
      - kid: ${thumbprint}
        alg: ES256
        public_key: ${block(pub).replace(/\n {10}/g, '\n          ')}
    integrations:
      - id: backend
        kind: api_key
        api_keys:
          - sha256: ${sha('a')}
      - id: claude
        kind: oauth
        client_id: claude-connector-${randomUUID()}
        client_secret_sha256: ${sha('b')}
        redirect_uris: [https://claude.ai/api/mcp/auth_callback]
    tools:
      - name: get_sheet
        description: >-
          Read a range of the planning spreadsheet. The legacy API used Basic Authentication; Tengine signs each
          call instead. Returns GetSpreadsheetValuesResponseV4 objects.
        input_schema:
          type: object
          properties:
            range: { type: string, pattern: "^[A-Za-z]{1,3}[0-9]{1,7}:[A-Za-z]{1,3}[0-9]{1,7}$" }
            api_version: { type: string, pattern: "^(?:sk|pk)_(?:live|test)_[A-Za-z0-9]{24,}$" }
          required: [range]
        base_url: https://sheets.example.com
        http_method: GET
        endpoint_path: /v4/spreadsheets/${random(44)}/values/{range}
        query_template: { revision: ${sha('c').slice(0, 40)}, request: ${randomUUID()} }
        headers_template: { Accept: "application/vnd.api+json; charset=utf-8" }
        auth_strategy: static_bearer
        encrypted_auth_secret: ${jwe()}
`;
    const loaded = await load(text);
    expect(loaded.diagnostics).toEqual([]);
    expect(loaded.config).toBeDefined();
  });
});
