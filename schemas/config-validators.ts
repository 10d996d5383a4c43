import type { ValidateFunction } from 'ajv';
import { validateBundle, validateConfig, validateFragment, validateTool } from './generated/config-validators.js';

/**
 * The validators of a root config, of an included fragment, of one tool and of a bundle payload, compiled ahead of time (schemas/generated/, from
 * scripts/render-config-validators.mjs) with the options schemas/ajv.ts compiles them with at run time: the same
 * errors, keywords, messages and defaults, without compiling the schema in every `tengine validate`.
 */
export const configValidator = validateConfig as unknown as ValidateFunction;
export const fragmentValidator = validateFragment as unknown as ValidateFunction;
/** One tool (`$defs/tool` of the config schema): the check of each tool generated from an OpenAPI source. */
export const toolValidator = validateTool as unknown as ValidateFunction;
/** A bundle payload (bundle.schema.json): what `tengine build` checks before it writes a bundle. */
export const bundleValidator = validateBundle as unknown as ValidateFunction;
