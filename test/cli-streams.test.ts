import { mkdtemp, readFile, readdir, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryIo } from '../cli/io.js';
import { runCli } from '../cli/program.js';

/** `-` for stdin and stdout (issue 14 item 2): results on stdout, summaries and progress on stderr. */
const REPO = fileURLToPath(new URL('..', import.meta.url));
const GOLDEN = path.join(REPO, 'test/golden/stdin.validate.human.txt');
const CONFIG = 'version: 1\nprojects: []\n';
let dir: string;
beforeAll(async () => {
  dir = await realpath(await mkdtemp(path.join(tmpdir(), 'tng-streams-')));
  const { io, buf } = memoryIo({ cwd: dir, env: {} });
  expect(await runCli(['keys', 'generate', '--out', 'keys'], io), buf.err).toBe(0);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
async function cli(args: string[], stdin?: string | Buffer) {
  const { io, buf } = memoryIo({ cwd: dir, env: {}, stdin });
  const code = await runCli(args, io);
  return { code, ...buf };
}

describe('streams', () => {
  it('validate - reads the config from stdin and names it <stdin> (test/golden/stdin.validate.human.txt)', async () => {
    const r = await cli(['validate', '-'], CONFIG);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    if (process.env.UPDATE_GOLDEN === '1') await writeFile(GOLDEN, r.out);
    expect(r.out).toBe(await readFile(GOLDEN, 'utf8'));
    const bad = await cli(['validate', '-', '--format', 'json'], 'version: 1\nprojects: {}\n');
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out).diagnostics[0]).toMatchObject({ file: '<stdin>', severity: 'error' });
  });

  it('build -o - writes the bundle to stdout and the summary to stderr; verify - reads it back', async () => {
    const r = await cli(['build', '-', '--key', 'keys/bundle-signing.key.pem', '-o', '-'], CONFIG);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/wrote the bundle to stdout/);
    expect(() => JSON.parse(r.out)).not.toThrow();
    expect(await readdir(dir)).not.toContain('-');
    const v = await cli(['verify', '-', '--key', 'keys/bundle-signing.pub.pem', '--format', 'json'], r.out);
    expect(v.code, v.out).toBe(0);
    expect(JSON.parse(v.out).valid).toBe(true);
  });

  it('build --key - reads the signing key from stdin', async () => {
    await writeFile(path.join(dir, 'tengine.config.yaml'), CONFIG);
    const pem = await readFile(path.join(dir, 'keys/bundle-signing.key.pem'));
    const r = await cli(['build', '--key', '-', '-o', 'b.bundle.json', '--format', 'json'], pem);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).bundle).toBe('b.bundle.json');
  });

  it('build -o - with --format json is BAD_ARGUMENT (both want stdout)', async () => {
    const r = await cli(['build', '-', '--key', 'keys/bundle-signing.key.pem', '-o', '-', '--format', 'json'], CONFIG);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error.code).toBe('BAD_ARGUMENT');
  });

  it('plan - --against bundle:FILE reads the working config from stdin', async () => {
    const built = await cli(['build', '-', '--key', 'keys/bundle-signing.key.pem', '-o', 'base.bundle.json'], CONFIG);
    expect(built.code, built.err).toBe(0);
    const r = await cli(['plan', '-', '--against', 'bundle:base.bundle.json', '--bundle-key', 'keys/bundle-signing.pub.pem', '--format', 'json'], CONFIG);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).sources.after).toBe('<stdin>');
  });

  for (const args of [
    ['build', '-', '--key', '-'],
    ['plan', '-', '--against', 'bundle:-'],
    ['plan', '-', '--ignore-file', '-'],
    ['verify', '-', '--key', '-'],
    ['secret', 'encrypt', '--key', '-'],
  ]) {
    it(`${args.join(' ')}: stdin given twice is STDIN_TWICE, before anything is read`, async () => {
      const r = await cli([...args, '--format', 'json'], CONFIG);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.out).error).toMatchObject({ code: 'STDIN_TWICE', hint: expect.stringContaining('only once') });
      expect(r.err).toMatch(/^error STDIN_TWICE: standard input \(-\) is given for /);
    });
  }

  it('import openapi - is BAD_ARGUMENT: the document\'s relative $refs need its location', async () => {
    const r = await cli(['import', 'openapi', '-', '--project', 'p', '--format', 'json'], '{}');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error).toMatchObject({ code: 'BAD_ARGUMENT', hint: expect.stringContaining('$refs') });
  });
});
