import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCENARIOS_DIR, scenarioNames } from './scenario-fixtures.js';

/**
 * No golden output of any scenario holds a whole SHA-256 hash (API keys, client secrets) or an encrypted secret
 * from its configs: masking is checked on every rule's human, JSON and markdown output, not just on one example.
 */
describe('golden outputs never show hashes or secrets of their configs', () => {
  it.each(scenarioNames().map((n) => [n]))('%s', async (name) => {
    const dir = path.join(SCENARIOS_DIR, name);
    const configs = (await Promise.all(['before.yaml', 'after.yaml'].map((f) => readFile(path.join(dir, f), 'utf8')))).join('\n');
    const hashes = configs.match(/\b[0-9a-f]{64}\b/g) ?? [];
    const jwes = configs.match(/\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g) ?? [];
    for (const out of ['expected.human.txt', 'expected.json', 'expected.md']) {
      const text = await readFile(path.join(dir, out), 'utf8');
      for (const h of hashes) {
        expect(text).not.toContain(h);
        expect(text).not.toContain(h.slice(0, 12));
      }
      for (const j of jwes) for (const part of j.split('.').filter((p) => p.length > 8)) expect(text).not.toContain(part);
    }
  });
});
