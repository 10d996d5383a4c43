import { createHash } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { memoryIo } from '../cli/io.js';
import { importOpenApi } from '../cli/openapi/import-openapi.js';
import { runCli } from '../cli/program.js';
import { tempDir } from './fixtures/bundle-fixtures.js';
import { allCodesKnown, loadDir, positions, writeTree } from './fixtures/config-files.js';

/**
 * Remote `$ref`s under `allow_remote_refs`, against a loopback HTTP server (all traffic stays on 127.0.0.1):
 * allowed prefixes are fetched once per load and parsed like local documents, their relative refs resolve against
 * their URL under the same prefixes, and every failure (404, redirect, timeout, oversize, not YAML) is a
 * diagnostic at the `$ref` that needed the document. Without the list a remote `$ref` is still TNG303.
 */
const PET = 'Pet:\n  type: object\n  required: [name]\n  properties:\n    name: {type: string}\n    owner: {$ref: "owner.yaml#/Owner"}\n';
const OWNER = 'Owner:\n  type: object\n  properties:\n    email: {type: string}\n';
const ESCAPE = 'Thing:\n  type: object\n  properties:\n    secret: {$ref: "../private/secret.yaml#/S"}\n';
const ROUTES: Record<string, (res: ServerResponse) => void> = {
  '/common/pet.yaml': (res) => res.end(PET),
  '/common/owner.yaml': (res) => res.end(OWNER),
  '/common/escape.yaml': (res) => res.end(ESCAPE),
  '/private/secret.yaml': (res) => res.end('S: {type: string}\n'),
  '/common/moved.yaml': (res) => res.writeHead(302, { location: '/common/pet.yaml' }).end(),
  '/common/broken.yaml': (res) => res.end('Pet: {type: object\n'),
  '/common/declared-huge.yaml': (res) => res.writeHead(200, { 'content-length': String(33 * 1024 * 1024) }).end(),
  // Streams past the 32 MiB cap without announcing a length; bounded so a client that kept reading would still end.
  '/common/endless.yaml': (res) => {
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    let sent = 0;
    const more = () => {
      while (sent < 40 && !res.destroyed) {
        sent++;
        if (!res.write(chunk)) return void res.once('drain', more);
      }
      res.end();
    };
    more();
  },
  '/common/slow.yaml': () => {}, // never answers
};

let server: Server;
let base: string;
const sockets = new Set<Socket>();
const hits: string[] = [];
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('tengine-openapi-remote-'));
  server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    const route = ROUTES[req.url ?? ''];
    if (route) route(res);
    else res.writeHead(404).end('not found');
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
  await cleanup();
});
beforeEach(() => {
  hits.length = 0;
});

/** A document whose one operation's body is the schema at `ref`. */
const doc = (ref: string) => `openapi: 3.0.3
info: {title: t, version: "1"}
servers: [{url: "https://api.example.com"}]
paths:
  /pets:
    post:
      operationId: createPet
      requestBody:
        content:
          application/json:
            schema: {$ref: "${ref}"}
      responses: {"200": {description: ok}}
`;
// The `$ref` value above is at line 11, column 28 of every document.
const REF_AT = 'api.yaml:11:28';

const config = (allow: string[] | undefined, documents = ['api.yaml']) => `version: 1
projects:
  - id: shop
    environment: production
    openapi:
${documents.map((d) => `      - document: ${d}\n${allow ? `        allow_remote_refs: [${allow.map((a) => JSON.stringify(a)).join(', ')}]\n` : ''}`).join('')}`;

async function load(name: string, allow: string[] | undefined, ref: string) {
  const d = path.join(dir, name);
  await writeTree(d, { 'tengine.config.yaml': config(allow), 'api.yaml': doc(ref) });
  const loaded = await loadDir(d);
  expect(allCodesKnown(loaded.diagnostics)).toBe(true);
  return loaded;
}

describe('remote $refs under allow_remote_refs', () => {
  it('an allowed prefix is fetched, parsed like a local document, and its relative refs resolve against its URL', async () => {
    const loaded = await load('allowed', [`${base}/common/`], `${base}/common/pet.yaml#/Pet`);
    expect(positions(loaded.diagnostics)).toEqual([]);
    const body = (loaded.config!.projects![0]!.tools![0]!.input_schema as { properties: { body: { properties: Record<string, { properties?: object }> } } }).properties.body;
    expect(Object.keys(body.properties)).toEqual(['name', 'owner']);
    expect(body.properties.owner!.properties).toEqual({ email: { type: 'string' } });
    expect(hits).toEqual(['GET /common/pet.yaml', 'GET /common/owner.yaml']);
    // Fetched documents are not config files: build metadata checks only local files with git.
    expect(loaded.files.map((f) => path.basename(f))).toEqual(['tengine.config.yaml', 'api.yaml']);
  });

  it('a URL fetched for several sources and $refs of one load is fetched once', async () => {
    const d = path.join(dir, 'cached');
    await writeTree(d, {
      'tengine.config.yaml': config([`${base}/common/`], ['api.yaml', 'other.yaml']),
      'api.yaml': doc(`${base}/common/pet.yaml#/Pet`),
      'other.yaml': doc(`${base}/common/pet.yaml#/Pet`).replace('/pets', '/animals').replace('createPet', 'createAnimal'),
    });
    const loaded = await loadDir(d);
    expect(positions(loaded.diagnostics)).toEqual([]);
    expect(loaded.config!.projects![0]!.tools!.map((t) => t.name)).toEqual(['createPet', 'createAnimal']);
    expect(hits.sort()).toEqual(['GET /common/owner.yaml', 'GET /common/pet.yaml']);
  });

  it('without allow_remote_refs a remote $ref is still TNG303 and nothing is fetched', async () => {
    const loaded = await load('no-list', undefined, `${base}/common/pet.yaml#/Pet`);
    expect(positions(loaded.diagnostics)).toEqual([`TNG303 ${REF_AT}`]);
    expect(loaded.diagnostics[0]!.pointer).toBe('/paths/~1pets/post/requestBody/content/application~1json/schema/$ref');
    expect(loaded.config).toBeUndefined();
    expect(hits).toEqual([]);
  });

  it('a URL under no listed prefix is TNG303 and is not fetched; a prefix without / does not cover a longer name', async () => {
    expect(positions((await load('other-prefix', [`${base}/other/`], `${base}/common/pet.yaml#/Pet`)).diagnostics)).toEqual([`TNG303 ${REF_AT}`]);
    expect(positions((await load('segment', [`${base}/comm`], `${base}/common/pet.yaml#/Pet`)).diagnostics)).toEqual([`TNG303 ${REF_AT}`]);
    // Dot segments are resolved before the prefix is checked.
    expect(positions((await load('dots', [`${base}/common/`], `${base}/common/../private/secret.yaml#/S`)).diagnostics)).toEqual([`TNG303 ${REF_AT}`]);
    expect(hits).toEqual([]);
  });

  it('a relative $ref inside a remote document that leaves the allowed prefixes is TNG303 at its place in that document', async () => {
    const loaded = await load('escape', [`${base}/common/`], `${base}/common/escape.yaml#/Thing`);
    expect(positions(loaded.diagnostics)).toEqual([`TNG303 ${base}/common/escape.yaml:4:20`]);
    expect(loaded.diagnostics[0]!.message).toContain(`${base}/private/secret.yaml`);
    expect(hits).toEqual(['GET /common/escape.yaml']);
  });

  it('a 404 is TNG324 at the $ref, with the status', async () => {
    const loaded = await load('missing', [`${base}/common/`], `${base}/common/missing.yaml#/Pet`);
    expect(positions(loaded.diagnostics)).toEqual([`TNG324 ${REF_AT}`]);
    expect(loaded.diagnostics[0]!.message).toContain('HTTP 404');
    expect(loaded.diagnostics[0]!.hint).toBeTruthy();
  });

  it('a redirect is not followed, even to an allowed URL: TNG324', async () => {
    const loaded = await load('redirect', [`${base}/common/`], `${base}/common/moved.yaml#/Pet`);
    expect(positions(loaded.diagnostics)).toEqual([`TNG324 ${REF_AT}`]);
    expect(loaded.diagnostics[0]!.message).toMatch(/302 redirecting to \/common\/pet\.yaml; redirects are not followed/);
    expect(hits).toEqual(['GET /common/moved.yaml']);
  });

  it('a body that is not YAML is TNG002 in the remote document and TNG324 at the $ref', async () => {
    const loaded = await load('broken', [`${base}/common/`], `${base}/common/broken.yaml#/Pet`);
    expect(positions(loaded.diagnostics).sort()).toEqual([`TNG002 ${base}/common/broken.yaml:2:1`, `TNG324 ${REF_AT}`].sort());
  });

  it('a document over 32 MiB is TNG324, whether its length is announced or streamed', async () => {
    const declared = await load('declared-huge', [`${base}/common/`], `${base}/common/declared-huge.yaml#/Pet`);
    expect(positions(declared.diagnostics)).toEqual([`TNG324 ${REF_AT}`]);
    expect(declared.diagnostics[0]!.message).toContain(`is ${33 * 1024 * 1024} bytes; the limit is ${32 * 1024 * 1024}`);
    const streamed = await load('endless', [`${base}/common/`], `${base}/common/endless.yaml#/Pet`);
    expect(positions(streamed.diagnostics)).toEqual([`TNG324 ${REF_AT}`]);
    expect(streamed.diagnostics[0]!.message).toContain(`sent more than ${32 * 1024 * 1024} bytes`);
  });

  it('a server that does not answer within the total timeout is TNG324', async () => {
    const d = path.join(dir, 'slow');
    await writeTree(d, { 'api.yaml': doc(`${base}/common/slow.yaml#/Pet`) });
    const started = performance.now();
    const r = await importOpenApi('api.yaml', 'shop', { input_shape: 'grouped', description_max_length: 1024, allow_remote_refs: [`${base}/common/`] }, { cwd: d, remoteTimeoutMs: 300 });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(positions(r.diagnostics)).toEqual([`TNG324 ${REF_AT}`]);
    expect(r.diagnostics[0]!.message).toContain('took longer than 300 ms');
    expect(r.text).toBeUndefined();
  });

  it('invalid prefixes are TNG323 at each entry, and the source is not expanded', async () => {
    const loaded = await load('bad-prefixes', ['http://schemas.example.com/', 'ftp://127.0.0.1/x/', 'https://schemas.example.com/?v=1', 'schemas.example.com/common/', `${base}/common/`], `${base}/common/pet.yaml#/Pet`);
    expect(positions(loaded.diagnostics)).toEqual([
      'TNG323 tengine.config.yaml:7:29',
      'TNG323 tengine.config.yaml:7:60',
      'TNG323 tengine.config.yaml:7:82',
      'TNG323 tengine.config.yaml:7:118',
    ]);
    expect(hits).toEqual([]);
  });
});

describe('tengine import openapi with --allow-remote-ref', () => {
  it('fetches under the prefix and names every fetched document with its SHA-256 in the header and the JSON output', async () => {
    const d = path.join(dir, 'import');
    await writeTree(d, { 'api.yaml': doc(`${base}/common/pet.yaml#/Pet`) });
    const sha = (t: string) => createHash('sha256').update(t).digest('hex');
    const { io, buf } = memoryIo({ env: {}, cwd: d });
    expect(await runCli(['import', 'openapi', 'api.yaml', '--project', 'shop', '--allow-remote-ref', `${base}/common/`], io)).toBe(0);
    expect(buf.out).toContain(`# remote: ${base}/common/pet.yaml sha256: ${sha(PET)}\n# remote: ${base}/common/owner.yaml sha256: ${sha(OWNER)}\n`);
    const json = memoryIo({ env: {}, cwd: d });
    expect(await runCli(['import', 'openapi', 'api.yaml', '--project', 'shop', '--allow-remote-ref', `${base}/common/`, '--format', 'json'], json.io)).toBe(0);
    expect(JSON.parse(json.buf.out).remote).toEqual([
      { url: `${base}/common/pet.yaml`, sha256: sha(PET) },
      { url: `${base}/common/owner.yaml`, sha256: sha(OWNER) },
    ]);
  });

  it('an invalid --allow-remote-ref is BAD_ARGUMENT; without the flag the import fails with TNG303', async () => {
    const d = path.join(dir, 'import');
    const bad = memoryIo({ env: {}, cwd: d });
    expect(await runCli(['import', 'openapi', 'api.yaml', '--project', 'shop', '--allow-remote-ref', 'http://schemas.example.com/'], bad.io)).toBe(1);
    expect(bad.buf.err).toContain('BAD_ARGUMENT');
    const none = memoryIo({ env: {}, cwd: d });
    expect(await runCli(['import', 'openapi', 'api.yaml', '--project', 'shop'], none.io)).toBe(1);
    expect(none.buf.err).toContain('TNG303');
    expect(hits).toEqual([]);
  });
});
