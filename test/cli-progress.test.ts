import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryIo } from '../cli/io.js';
import { runCli } from '../cli/program.js';
import { generatePemKeyPair } from './fixtures/bundle-fixtures.js';
import { writeBigConfig } from './fixtures/big-config.js';

// `--progress` (issue 15, Build): progress lines on stderr for large configs, automatic on a terminal, never on stdout.
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const ENV = { SOURCE_DATE_EPOCH: '1700000000', NO_COLOR: '1' };
let dir: string;
let small: string;
let large: string;
let key: string;

beforeAll(async () => {
  dir = await realpath(await mkdtemp(path.join(tmpdir(), 'tng-progress-')));
  small = path.join(dir, 'small');
  large = path.join(dir, 'large');
  writeBigConfig(small, 300);
  writeBigConfig(large, 1100);
  key = path.join(dir, 'signing.key.pem');
  await writeFile(key, generatePemKeyPair('ed25519').privatePem);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The CLI as a user runs it: its own process, stderr a pipe (not a terminal). */
function spawnCli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', tsx, path.join(ROOT, 'cli/main.ts'), ...args], { cwd: dir, env: { ...process.env, ...ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

async function inProcess(args: string[], tty = false) {
  const { io, buf } = memoryIo({ cwd: dir, env: ENV });
  io.errIsTTY = tty;
  const code = await runCli(args, io);
  return { code, ...buf };
}

const progressLines = (err: string) => err.replace(/\u001b\[K/g, '').split(/[\r\n]/).filter((l) => l.includes('progress: '));

describe('--progress', () => {
  it('validate --progress -f sarif: progress lines on stderr, stdout exactly as without progress', async () => {
    const run = await spawnCli(['validate', 'small', '--progress', '-f', 'sarif']);
    expect(run.code, run.err).toBe(0);
    const lines = progressLines(run.err);
    // Not a terminal: whole lines, one per tenth of the files, then the checks.
    expect(lines).toContain('progress: read 100/100 files (300 tools)');
    expect(lines).toContain('progress: checking 300 tools');
    expect(lines.length).toBeLessThanOrEqual(12);
    expect(run.err).not.toContain('\r');
    const plain = await inProcess(['validate', 'small', '-f', 'sarif']);
    expect(plain.err).toBe('');
    expect(run.out).toBe(plain.out);
  }, 60_000);

  it('build --progress -f json: progress and the signing step on stderr, the JSON result unchanged', async () => {
    const run = await spawnCli(['build', 'small', '--key', key, '--out', 'with.json', '--progress', '-f', 'json']);
    expect(run.code, run.err).toBe(0);
    expect(progressLines(run.err)).toEqual(expect.arrayContaining(['progress: read 100/100 files (300 tools)', 'progress: checking 300 tools', 'progress: signing the bundle (300 tools)']));
    const plain = await inProcess(['build', 'small', '--key', key, '--out', 'with.json', '-f', 'json']);
    expect(plain.err).toBe('');
    expect(JSON.parse(run.out)).toEqual(JSON.parse(plain.out));
    expect(run.out).toBe(plain.out);
  }, 60_000);

  it('without a flag, progress appears only on a terminal and only past 1,000 tools; the line is cleared before the result', async () => {
    const terminal = await inProcess(['validate', 'large', '-f', 'json'], true);
    expect(terminal.code, terminal.err).toBe(0);
    expect(progressLines(terminal.err)).toContain('progress: checking 1100 tools');
    // Files read before the 1,000th tool say nothing; the rewritten line ends cleared.
    expect(terminal.err).not.toMatch(/read \d+\/100 files \((\d{1,3}|1000) tools\)/);
    expect(terminal.err.endsWith('\r\u001b[K')).toBe(true);
    expect(terminal.out).toBe((await inProcess(['validate', 'large', '-f', 'json'])).out);

    expect((await inProcess(['validate', 'small'], true)).err).toBe('');
    expect((await inProcess(['validate', 'large'], false)).err).toBe('');
    expect((await inProcess(['validate', 'large', '--no-progress'], true)).err).toBe('');
    expect((await inProcess(['build', 'large', '--key', key, '--out', 'b.json', '--no-progress'], true)).err).toBe('');
  }, 60_000);
});
