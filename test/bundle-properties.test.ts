import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMap, parseDocument, visit } from 'yaml';
import { buildPayload } from '../cli/bundle/build-payload.js';
import { signBundle } from '../cli/bundle/sign-bundle.js';
import { loadConfig } from '../cli/config/load-config.js';
import { memoryIo } from '../cli/io.js';
import { KEY_FILE_NAMES } from '../cli/keys/generate-keys.js';
import { runCli } from '../cli/program.js';
import { generatePemKeyPair, tempDir } from './fixtures/bundle-fixtures.js';

// Design §4.8: "the bundle bytes do not change when YAML keys are reordered; any flipped byte fails verification".

const REPO = fileURLToPath(new URL('..', import.meta.url));
const CRM = path.join(REPO, 'examples/crm');
const CREATED_AT = '2025-01-01T00:00:00Z';

let work: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir: work, cleanup } = await tempDir('tengine-bundle-props-'));
});
afterAll(async () => cleanup());

/** A small deterministic PRNG, so a fast-check seed fully determines a shuffle (and shrinks meaningfully). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shuffles the pairs of every mapping in a YAML text (sequences keep their order); comments move with their pairs. */
function shuffleMaps(text: string, random: () => number): string {
  const doc = parseDocument(text);
  visit(doc, {
    Map(_key, node) {
      if (!isMap(node)) return;
      const items = node.items;
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [items[i], items[j]] = [items[j]!, items[i]!];
      }
    },
  });
  return doc.toString();
}

async function yamlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.yaml')).map((e) => path.join(e.parentPath, e.name));
}

async function bundleOf(dir: string, pem: string): Promise<Uint8Array> {
  const loaded = await loadConfig(dir, { env: {}, cwd: dir });
  expect(loaded.diagnostics).toEqual([]);
  return signBundle(buildPayload(loaded.config!, { createdAt: CREATED_AT }), pem);
}

describe('bundle determinism', () => {
  it('property: shuffling the keys of every mapping in examples/crm (root and fragments) gives byte-identical bundles', async () => {
    const { privatePem } = generatePemKeyPair('ed25519');
    const reference = await bundleOf(CRM, privatePem);
    const originals = await yamlFiles(CRM);
    expect(originals.length).toBeGreaterThanOrEqual(3);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 0x7fffffff }), async (seed) => {
        const copy = path.join(work, `crm-${run++}`);
        await cp(CRM, copy, { recursive: true });
        const random = mulberry32(seed);
        let changed = false;
        for (const file of await yamlFiles(copy)) {
          const before = await readFile(file, 'utf8');
          const after = shuffleMaps(before, random);
          changed ||= after !== before;
          await writeFile(file, after);
        }
        expect(changed).toBe(true);
        expect(Buffer.from(await bundleOf(copy, privatePem)).equals(Buffer.from(reference))).toBe(true);
      }),
      { numRuns: 12 },
    );
  });
});

describe('bundle tampering through the CLI', () => {
  let bundle: Buffer;
  const cli = async (argv: string[]) => {
    const { io, buf } = memoryIo({ env: { SOURCE_DATE_EPOCH: '1735689600' }, cwd: work });
    return { code: await runCli(argv, io), ...buf };
  };

  beforeAll(async () => {
    expect((await cli(['keys', 'generate', '--out', 'keys'])).code).toBe(0);
    const build = await cli(['build', CRM, '--key', `keys/${KEY_FILE_NAMES.signingKey}`, '--out', 'crm.bundle.json']);
    expect(build.code, build.err).toBe(0);
    bundle = await readFile(path.join(work, 'crm.bundle.json'));
    expect((await cli(['verify', 'crm.bundle.json', '--key', `keys/${KEY_FILE_NAMES.signingPub}`])).code).toBe(0);
  });

  it('property: flipping any bits of any one byte makes `tengine verify` exit 1 with a BUNDLE_* error code', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: bundle.length - 1 }), fc.integer({ min: 1, max: 255 }), async (offset, mask) => {
        const tampered = Buffer.from(bundle);
        tampered[offset]! ^= mask;
        await writeFile(path.join(work, 'tampered.bundle.json'), tampered);
        const r = await cli(['verify', 'tampered.bundle.json', '--key', `keys/${KEY_FILE_NAMES.signingPub}`]);
        expect(r.code).toBe(1);
        expect(r.out).toBe('');
        expect(r.err).toMatch(/^error BUNDLE_[A-Z_]+: /);
      }),
      { numRuns: 25 },
    );
  });
});
