import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryIo } from '../cli/io.js';
import { KEY_FILE_NAMES } from '../cli/keys/generate-keys.js';
import { runCli } from '../cli/program.js';
import { tempDir } from './fixtures/bundle-fixtures.js';

/**
 * Every example (design §2: "every example is validated and built by the tests, so none can rot"). Examples are
 * discovered from the directory, so a new `examples/<name>/tengine.config.yaml` is covered without editing this file.
 */
const REPO = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLES = [
  ...readdirSync(path.join(REPO, 'examples'), { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(REPO, 'examples', e.name, 'tengine.config.yaml')))
    .map((e) => `examples/${e.name}/tengine.config.yaml`)
    .sort(),
  'tengine.config.yaml',
];

let keysDir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir: keysDir, cleanup } = await tempDir('tengine-examples-'));
  const { io, buf } = memoryIo({ env: {}, cwd: REPO });
  const code = await runCli(['keys', 'generate', '--out', keysDir], io);
  expect(code, buf.err).toBe(0);
});
afterAll(async () => cleanup());

async function cli(argv: string[]) {
  const { io, buf } = memoryIo({ env: { SOURCE_DATE_EPOCH: '1735689600' }, cwd: REPO });
  const code = await runCli(argv, io);
  return { code, ...buf };
}

describe('examples validate, build and verify', () => {
  it('finds the examples (at least crm and multi-project, plus the quick start)', () => {
    expect(EXAMPLES).toEqual(expect.arrayContaining(['examples/crm/tengine.config.yaml', 'examples/multi-project/tengine.config.yaml', 'tengine.config.yaml']));
  });

  it.each(EXAMPLES.map((e) => [e]))('%s validates with exit 0 and no diagnostics at all', async (example) => {
    const r = await cli(['validate', example, '--format', 'json']);
    expect(r.code, r.out + r.err).toBe(0);
    const report = JSON.parse(r.out) as { valid: boolean; diagnostics: unknown[]; summary: { tools: number } };
    expect(report.valid).toBe(true);
    expect(report.diagnostics).toEqual([]);
    expect(report.summary.tools).toBeGreaterThan(0);
  });

  it.each(EXAMPLES.map((e) => [e]))('%s builds into a bundle that `tengine verify` accepts', async (example) => {
    const out = path.join(keysDir, `${example.replace(/[/.]/g, '_')}.bundle.json`);
    const build = await cli(['build', example, '--key', path.join(keysDir, KEY_FILE_NAMES.signingKey), '--out', out]);
    expect(build.code, build.out + build.err).toBe(0);
    const verify = await cli(['verify', out, '--key', path.join(keysDir, KEY_FILE_NAMES.signingPub)]);
    expect(verify.code, verify.out + verify.err).toBe(0);
    expect(verify.out).toContain(': valid');
  });
});
