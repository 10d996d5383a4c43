/** Returns the text of schemas/config-types.ts, rendered from the JSON Schemas (see render-types.mjs). */
export declare function renderTypes(): Promise<string>;
