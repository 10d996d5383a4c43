// Limits and value rules shared by both YAML parsers of the loader (fast-yaml.ts and parse-yaml.ts). Both must
// accept and reject exactly the same documents, so every rule that decides validity lives here, once.

/**
 * Deepest nesting of mappings and lists (the root collection is level 1), counted in the resolved data, so an
 * alias placed deep inside counts the depth of what it expands to. Real configs stay under 20; the limit sits
 * far below what the recursive parsers and validators would need to overflow the stack (TNG014).
 */
export const MAX_NESTING_DEPTH = 200;

/** Upper bound on values produced by alias expansion, against "billion laughs" documents (TNG012). */
export const MAX_ALIAS_NODES = 100_000;

/**
 * Upper bound on the text alias expansion adds: the UTF-8 bytes of the strings and keys it copies (TNG012). The
 * value count alone let one 3 MB string aliased 300 times expand to 900 MB, which took minutes to check and then
 * failed to serialize. Aliases may add as much text as one file may hold (MAX_CONFIG_FILE_BYTES), so a file
 * resolves to at most twice that; shared schemas and descriptions stay far below it.
 */
export const MAX_ALIAS_BYTES = 4 * 1024 * 1024;

/**
 * The only explicit tags a config may write: the YAML 1.2 core tags, which both parsers resolve the same way.
 * Any other tag (`!foo`, `!!binary`, `!!timestamp`, `!!set`, the non-specific `!`) is TNG002, and so is a core
 * tag that does not apply to its value (`!!float 1` would silently stay the string "1").
 */
export const CORE_TAGS: ReadonlySet<string> = new Set(
  ['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`),
);

/** Keys that could pollute Object.prototype when the data is later copied or merged (TNG006). */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
