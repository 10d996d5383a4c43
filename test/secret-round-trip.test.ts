import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryIo } from '../cli/io.js';
import { runCli } from '../cli/program.js';
import { decryptSecret, loadRuntimeKeySet } from '../runtime/keys/runtime-keys.js';
import { tempDir } from './fixtures/bundle-fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('tengine-roundtrip-'));
});
afterEach(async () => cleanup());

describe('secret encryption across CLI and runtime', () => {
  it('`tengine secret encrypt` output opens with the runtime key set from `tengine keys generate`', async () => {
    const gen = memoryIo({ cwd: dir });
    expect(await runCli(['keys', 'generate', '--out', 'keys'], gen.io)).toBe(0);
    const secret = 'sk_live_0123456789 ünïcode';
    const enc = memoryIo({ cwd: dir, stdin: `${secret}\n` });
    expect(await runCli(['secret', 'encrypt', '--key', 'keys/runtime-keys.pub.json'], enc.io)).toBe(0);
    const keySet = loadRuntimeKeySet(await readFile(path.join(dir, 'keys/runtime-keys.json'), 'utf8'));
    expect(await decryptSecret(enc.buf.out.trim(), keySet)).toBe(secret);
  });
});
