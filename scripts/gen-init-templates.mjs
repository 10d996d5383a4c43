// Writes cli/init/templates.ts (the files `tengine init` writes) from examples/.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderInitTemplates } from './render-init-templates.mjs';

const target = fileURLToPath(new URL('../cli/init/templates.ts', import.meta.url));
writeFileSync(target, renderInitTemplates());
console.error(`wrote ${target}`);
