import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

describe('schemas/config-types.ts', () => {
  it('equals what scripts/render-types.mjs renders from the JSON Schemas (run `npm run gen:types` after a schema change)', async () => {
    const { renderTypes } = await import('../scripts/render-types.mjs');
    const committed = await readFile(new URL('./config-types.ts', import.meta.url), 'utf8');
    expect(committed).toBe(await renderTypes());
  });
});
