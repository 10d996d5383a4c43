import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

const require = createRequire(import.meta.url);
let lib: typeof Yaml | undefined;

/**
 * The `yaml` library (the precise parser), loaded on first use. Valid configs take the js-yaml fast path and never
 * need it, and loading it costs about 70 ms of every `tengine validate` and `tengine build`. On Node its ES module
 * entry is this same CommonJS build, so the instance is the one `import 'yaml'` gives elsewhere.
 */
export function yamlLib(): typeof Yaml {
  return (lib ??= require('yaml') as typeof Yaml);
}
