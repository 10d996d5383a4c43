/** The Ajv options the config and fragment validators are generated with (the same as schemas/ajv.ts uses). */
export declare const CONFIG_VALIDATOR_OPTIONS: Record<string, unknown>;
/** Returns the text of schemas/generated/config-validators.ts (see render-config-validators.mjs). */
export declare function renderConfigValidators(): Promise<string>;
