/** Returns the text of cli/init/templates.ts, rendered from examples/ (see render-init-templates.mjs). */
export declare function renderInitTemplates(): string;
