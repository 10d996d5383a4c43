// Generates schemas/config-types.ts from the JSON Schemas, which are the single source of truth.
// `npm run gen:types` writes the file; schemas/config-types.test.ts fails when the committed file drifts.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderTypes } from './render-types.mjs';

const target = fileURLToPath(new URL('../schemas/config-types.ts', import.meta.url));
writeFileSync(target, await renderTypes());
console.error(`wrote ${target}`);
