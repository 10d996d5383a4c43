import type { Diagnostic } from '../../schemas/diagnostics.js';
import { substituteEnv } from './env-references.js';
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
}

/**
 * Parses a config file. Valid files take the fast path (js-yaml with YAML 1.2 core resolution, about ten times
 * quicker on large configs); anything the fast path cannot accept silently is re-parsed by the precise parser,
 * which produces the diagnostics with exact positions. Both parsers yield the same data for a valid file and
 * reject the same files (yaml-limits.ts holds the rules they share).
 */
export function parseConfigFile(text: string, file: string, env: Record<string, string | undefined>): ParsedConfigFile {
  const fast = fastParseYaml(text);
  if (fast) {
    const data = copyResolved(fast, env);
    if (data !== FALLBACK) {
      let map: FileSourceMap | undefined;
      return { data, diagnostics: [], sourceMap: () => (map ??= parseYaml(text, file, {}).map), parser: 'fast' };
    }
  }
  const precise = parseYaml(text, file, env);
  return { data: precise.data, diagnostics: precise.diagnostics, sourceMap: () => precise.map, parser: 'precise' };
}

const FALLBACK = Symbol('fallback');

/**
 * Copies fast-parsed data while substituting environment references. Returns FALLBACK for anything that must be
 * reported with a position (forbidden keys, bad or unset references, non-finite numbers, empty documents,
 * nesting past the limit, a collection used as a mapping key): the precise parser then reports it.
 *
 * The fast path never sees anchors (fast-yaml.ts hands those documents over), so the value is a tree: each
 * collection appears once, and the recursion is bounded by js-yaml's own depth limit.
 */
function copyResolved(parsed: FastParse, env: Record<string, string | undefined>): unknown {
  let collections = 0;
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') {
      if (!v.includes('${')) return v;
      const r = substituteEnv(v, env);
      return r.ok ? r.value : FALLBACK;
    }
    if (typeof v === 'number') return Number.isFinite(v) ? v : FALLBACK;
    if (v === null || typeof v === 'boolean') return v;
    if (typeof v !== 'object') return FALLBACK;
    if (++depth > MAX_NESTING_DEPTH) return FALLBACK;
    collections++;
    if (Array.isArray(v)) {
      const out = new Array<unknown>(v.length);
      for (let i = 0; i < v.length; i++) {
        const c = walk(v[i], depth);
        if (c === FALLBACK) return FALLBACK;
        out[i] = c;
      }
      return out;
    }
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(k)) return FALLBACK;
      const c = walk((v as Record<string, unknown>)[k], depth);
      if (c === FALLBACK) return FALLBACK;
      out[k] = c;
    }
    return out;
  };
  if (parsed.value === undefined || parsed.value === null) return FALLBACK;
  const data = walk(parsed.value, 0);
  // A collection js-yaml composed that is not in the value was used as a mapping key (js-yaml stringifies those).
  return collections === parsed.collections ? data : FALLBACK;
}
