// Generates schemas/generated/config-validators.ts (Ajv standalone code for the config and fragment schemas).
// `npm run gen:validators` writes the file; schemas/config-validators.test.ts fails when the committed file drifts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderConfigValidators } from './render-config-validators.mjs';

const target = fileURLToPath(new URL('../schemas/generated/config-validators.ts', import.meta.url));
mkdirSync(fileURLToPath(new URL('../schemas/generated/', import.meta.url)), { recursive: true });
writeFileSync(target, await renderConfigValidators());
console.error(`wrote ${target}`);
