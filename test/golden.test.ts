import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { memoryIo } from '../cli/io.js';
import { runCli } from '../cli/program.js';

/**
 * Golden files for `tengine validate` output (design §4.8). Run with UPDATE_GOLDEN=1 to rewrite them after an
 * intended change, then review the diff. The CLI runs with the repository root as cwd, so paths are relative and
 * stable, and with colour off (memoryIo), as in CI logs.
 */
const REPO = fileURLToPath(new URL('..', import.meta.url));
const GOLDEN_DIR = path.join(REPO, 'test/golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const CASES = [
  { name: 'crm', target: 'examples/crm', exitCode: 0 },
  { name: 'multi-error', target: 'test/fixtures/multi-error', exitCode: 1 },
] as const;
const FORMATS = [
  { format: 'human', ext: 'txt' },
  { format: 'json', ext: 'json' },
  { format: 'github', ext: 'txt' },
  { format: 'sarif', ext: 'sarif.json' },
  { format: 'junit', ext: 'xml' },
] as const;

describe('golden output of `tengine validate`', () => {
  for (const c of CASES) {
    for (const f of FORMATS) {
      const file = path.join(GOLDEN_DIR, `${c.name}.validate.${f.format}.${f.ext}`);
      it(`validate ${c.target} --format ${f.format} matches test/golden/${path.basename(file)} (exit ${c.exitCode})`, async () => {
        const { io, buf } = memoryIo({ env: {}, cwd: REPO });
        const code = await runCli(['validate', c.target, '--format', f.format], io);
        expect(code).toBe(c.exitCode);
        // validate writes its result to stdout only; stderr is for progress and internal failures.
        expect(buf.err).toBe('');
        if (UPDATE) {
          await mkdir(GOLDEN_DIR, { recursive: true });
          await writeFile(file, buf.out);
        }
        expect(buf.out).toBe(await readFile(file, 'utf8'));
      });
    }
  }

  it('the JSON golden files are valid JSON with format_version, always-present arrays and a summary', async () => {
    for (const c of CASES) {
      const json = JSON.parse(await readFile(path.join(GOLDEN_DIR, `${c.name}.validate.json.json`), 'utf8')) as Record<string, unknown>;
      expect(json.format_version).toBe(1);
      expect(json.valid).toBe(c.exitCode === 0);
      expect(Array.isArray(json.files)).toBe(true);
      expect(Array.isArray(json.diagnostics)).toBe(true);
      expect(json.summary).toMatchObject({ errors: expect.any(Number), warnings: expect.any(Number) });
    }
  });
});
