// Writes schemas/generated/tengine-validators.ts (Ajv standalone code of Tengine's own schemas). Run after changing a
// schema JSON or upgrading Ajv: `npm run gen:validators` (`npm run gen:types` runs it too).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GENERATED_VALIDATORS_PATH, USER_META_VALIDATOR_PATH, standaloneValidatorsSource, userMetaValidatorSource } from '../schemas/standalone-validators.js';

for (const [path, source] of [
  [GENERATED_VALIDATORS_PATH, standaloneValidatorsSource],
  [USER_META_VALIDATOR_PATH, userMetaValidatorSource],
] as const) {
  const target = fileURLToPath(new URL(`../${path}`, import.meta.url));
  writeFileSync(target, source());
  console.error(`wrote ${target}`);
}
