import type { Diagnostic } from '../../schemas/diagnostics.js';
import { fastParseYaml, type FastParse } from './fast-yaml.js';
import { parseYaml } from './parse-yaml.js';
import type { FileSourceMap } from './source-map.js';
import { FORBIDDEN_KEYS, MAX_NESTING_DEPTH } from './yaml-limits.js';

/** One config file turned into data, with its positions available on demand. */
export interface ParsedConfigFile {
  data: unknown;
  diagnostics: Diagnostic[];
  /** Builds (once) the pointer → position map of the file; only needed when something is reported. */
  sourceMap(): FileSourceMap;
  /** Which parser produced the data: tests check that ordinary files keep to the fast path. */
  parser: 'fast' | 'precise';
  /** False when no string of the file holds `${`, so there is no environment reference to resolve. */
  envReferences: boolean;
  /** Strings with `${` that aliases copied (parse-yaml.ts): their references are reported at the anchor only. */
  aliasedReferences: ReadonlySet<string>;
}

/**
 * Parses a config file into data with strings as written: `${env:…}` references are resolved afterwards
 * (resolve-env.ts), once the root file's env_allowlist is known. Valid files take the fast path (js-yaml with YAML 1.2 core resolution, about ten times
 * quicker on large configs); anything the fast path cannot accept silently is re-parsed by the precise parser,
 * which produces the diagnostics with exact positions. Both parsers yield the same data for a valid file and
 * reject the same files (yaml-limits.ts holds the rules they share).
 */
export function parseConfigFile(text: string, file: string): ParsedConfigFile {
  const fast = fastParseYaml(text);
  if (fast) {
    const copy = checkedInPlace(fast);
    if (copy !== FALLBACK) {
      let map: FileSourceMap | undefined;
      return { data: copy.data, diagnostics: [], sourceMap: () => (map ??= parseYaml(text, file).map), parser: 'fast', envReferences: copy.envReferences, aliasedReferences: NONE };
    }
  }
  const precise = parseYaml(text, file);
  return { data: precise.data, diagnostics: precise.diagnostics, sourceMap: () => precise.map, parser: 'precise', envReferences: true, aliasedReferences: precise.aliasedReferences };
}

const FALLBACK = Symbol('fallback');
// The fast path never sees aliases (fast-yaml.ts hands those documents to the precise parser).
const NONE: ReadonlySet<string> = new Set();

/**
 * Checks fast-parsed data in place, noting whether any string holds `${`. Returns FALLBACK for anything that must
 * be reported with a position (forbidden keys, non-finite numbers, empty documents, nesting past the limit, a
 * collection used as a mapping key): the precise parser then reports it. The data is js-yaml's own: plain
 * objects and arrays built for this call, so it is used as it is rather than copied (a copy of a 10,000-tool
 * config cost about 50 ms and as much again in garbage collection).
 *
 * The fast path never sees anchors (fast-yaml.ts hands those documents over), so the value is a tree: each
 * collection appears once, and the recursion is bounded by js-yaml's own depth limit.
 */
function checkedInPlace(parsed: FastParse): { data: unknown; envReferences: boolean } | typeof FALLBACK {
  let collections = 0;
  let envReferences = false;
  const walk = (v: unknown, depth: number): boolean => {
    if (typeof v === 'string') {
      if (!envReferences && v.includes('${')) envReferences = true;
      return true;
    }
    if (typeof v === 'number') return Number.isFinite(v);
    if (v === null || typeof v === 'boolean') return true;
    if (typeof v !== 'object') return false;
    if (++depth > MAX_NESTING_DEPTH) return false;
    collections++;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) if (!walk(v[i], depth)) return false;
      return true;
    }
    // js-yaml builds mappings as plain objects; anything else (a class instance from a custom type) is refused.
    if (Object.getPrototypeOf(v) !== Object.prototype) return false;
    for (const k of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(k)) return false;
      if (!walk((v as Record<string, unknown>)[k], depth)) return false;
    }
    return true;
  };
  if (parsed.value === undefined || parsed.value === null) return FALLBACK;
  const data = walk(parsed.value, 0) ? parsed.value : FALLBACK;
  // A collection js-yaml composed that is not in the value was used as a mapping key (js-yaml stringifies those).
  return data !== FALLBACK && collections === parsed.collections ? { data, envReferences } : FALLBACK;
}
