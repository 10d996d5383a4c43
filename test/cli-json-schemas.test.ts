import { mkdtemp, readFile, readdir, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryIo } from '../cli/io.js';
import { runCli } from '../cli/program.js';

/**
 * Every command's `--format json` output validates against its schema in schemas/cli-*-output.schema.json
 * (issue 14 item 4), through the same runCli main.ts calls; failures against cli-error-output.
 */
const REPO = fileURLToPath(new URL('..', import.meta.url));
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
let dir: string;
const schemas = new Map<string, ReturnType<typeof ajv.compile>>();
beforeAll(async () => {
  for (const f of (await readdir(path.join(REPO, 'schemas'))).filter((f) => /^cli-.+-output\.schema\.json$/.test(f))) {
    schemas.set(f.replace(/^cli-|-output\.schema\.json$/g, ''), ajv.compile(JSON.parse(await readFile(path.join(REPO, 'schemas', f), 'utf8'))));
  }
  dir = await realpath(await mkdtemp(path.join(tmpdir(), 'tng-json-schemas-')));
  expect((await cli(['init', '--example', 'crm', '--format', 'json'])).code).toBe(0);
  expect((await cli(['keys', 'generate', '--format', 'json'])).code).toBe(0);
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function cli(args: string[], stdin?: string, cwd = dir) {
  const { io, buf } = memoryIo({ cwd, env: {}, stdin });
  const code = await runCli(args, io);
  return { code, out: buf.out, err: buf.err };
}

function expectValid(name: string, out: string): void {
  const validate = schemas.get(name);
  expect(validate, `schemas/cli-${name}-output.schema.json`).toBeDefined();
  const value = JSON.parse(out) as { format_version?: number };
  expect(value.format_version).toBe(1);
  expect(validate!(value), JSON.stringify(validate!.errors)).toBe(true);
}

describe('JSON output schemas', () => {
  const KEY = '.tengine/keys/bundle-signing.key.pem';
  const PUB = '.tengine/keys/bundle-signing.pub.pem';
  const cases: Array<[string, string[], string?]> = [
    ['validate', ['validate']],
    ['build', ['build', '--key', KEY]],
    ['verify', ['verify', 'tengine.bundle.json', '--key', PUB]],
    ['plan', ['plan', '--against', 'bundle:tengine.bundle.json', '--bundle-key', PUB]],
    ['init', ['init', 'fresh']],
    ['keys-generate', ['keys', 'generate', '--out', 'more-keys']],
    ['keys-mint', ['keys', 'api-key', '--project', 'crm', '--integration', 'sales-assistant']],
    ['secret-encrypt', ['secret', 'encrypt', '--key', '.tengine/keys/runtime-keys.pub.json'], 'an upstream secret'],
    ['connect', ['connect', 'cursor']],
    ['import', ['import', 'openapi', path.join(REPO, 'test/fixtures/openapi/petstore/petstore.yaml'), '--project', 'crm']],
  ];
  for (const [name, args, stdin] of cases) {
    it(`${args.slice(0, 2).join(' ')} --format json validates against cli-${name}-output`, async () => {
      const r = await cli([...args, '--format', 'json'], stdin);
      expect(r.code, r.err + r.out).toBe(0);
      expectValid(name, r.out);
    });
  }

  it('an invalid config, a failed verify and a usage error validate too', async () => {
    const bad = await cli(['validate', path.join(REPO, 'test/fixtures/multi-error'), '--format', 'json']);
    expect(bad.code).toBe(1);
    expectValid('validate', bad.out);
    const unverified = await cli(['verify', 'missing.json', '--key', PUB, '--format', 'json']);
    expect(unverified.code).toBe(1);
    expectValid('verify', unverified.out);
    const usage = await cli(['validate', '--format', 'json', '--bogus']);
    expect(usage.code).toBe(1);
    expectValid('error', usage.out);
    const refused = await cli(['keys', 'api-key', '--project', 'Not An Id!', '--integration', 'sales-assistant', '--format', 'json']);
    expect(refused.code).toBe(1);
    expectValid('error', refused.out);
  });

  it('the usage golden output validates against cli-usage-output', async () => {
    expectValid('usage', await readFile(path.join(REPO, 'test/golden/usage.day.json'), 'utf8'));
  });

  it('every schema states format_version and the compatibility note', async () => {
    for (const f of (await readdir(path.join(REPO, 'schemas'))).filter((f) => /^cli-.+-output\.schema\.json$/.test(f))) {
      const s = JSON.parse(await readFile(path.join(REPO, 'schemas', f), 'utf8'));
      expect(s.properties.format_version, f).toMatchObject({ const: 1 });
      expect(s.required, f).toContain('format_version');
      expect(s.description, f).toMatch(/Compatibility: within one format_version, fields are only ever added/);
    }
  });
});
