// Writes schemas/generated/tengine-validators.ts (Ajv standalone code of Tengine's own schemas). Run after changing a
// schema JSON or upgrading Ajv: `npm run gen:validators` (`npm run gen:types` runs it too).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GENERATED_VALIDATORS_PATH, standaloneValidatorsSource } from '../schemas/standalone-validators.js';

const target = fileURLToPath(new URL(`../${GENERATED_VALIDATORS_PATH}`, import.meta.url));
writeFileSync(target, standaloneValidatorsSource());
console.error(`wrote ${target}`);
