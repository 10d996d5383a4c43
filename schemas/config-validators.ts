import type { ValidateFunction } from 'ajv';
import * as precompiled from './generated/tengine-validators.js';

// The CLI's validators of Tengine's own schemas, straight from the code generated ahead of time
// (schemas/generated/tengine-validators.ts, `npm run gen:validators`; standalone-validators.test.ts keeps it current
// and identical in errors and defaults to what Ajv compiles): loading them costs milliseconds where compiling the
// config schema cost about 0.3 s of every `tengine validate` and `tengine build`.

/** A root config (config.schema.json). */
export const configValidator = precompiled.config as unknown as ValidateFunction;
/** An included fragment (config-fragment.schema.json). */
export const fragmentValidator = precompiled.fragment as unknown as ValidateFunction;
/** One tool (`$defs/tool` of the config schema): the check of each tool generated from an OpenAPI source. */
export const toolValidator = precompiled.tool as unknown as ValidateFunction;
/** A bundle payload (bundle.schema.json): what `tengine build` checks before it writes a bundle. */
export const bundleValidator = precompiled.bundle as unknown as ValidateFunction;
