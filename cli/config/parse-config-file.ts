import type { Diagnostic } from '../../schemas/diagnostics.js';
import { substituteEnv } from './env-references.js';
import { fastParseYaml } from './fast-yaml.js';
import { parseYaml } from './parse-yaml.js';
import type { FileSourceMap } from './source-map.js';

/** One config file turned into data, with its positions available on demand. */
export interface ParsedConfigFile {
  data: unknown;
  diagnostics: Diagnostic[];
  /** Builds (once) the pointer → position map of the file; only needed when something is reported. */
  sourceMap(): FileSourceMap;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_NODES = 2_000_000;

/**
 * Parses a config file. Valid files take the fast path (js-yaml with YAML 1.2 core resolution, about ten times
 * quicker on large configs); anything the fast path cannot accept silently is re-parsed by the precise parser,
 * which produces the diagnostics with exact positions. Both parsers yield the same data for a valid file.
 */
export function parseConfigFile(text: string, file: string, env: Record<string, string | undefined>): ParsedConfigFile {
  const fast = fastParseYaml(text);
  if (fast) {
    const data = copyResolved(fast.value, env);
    if (data !== FALLBACK) {
      let map: FileSourceMap | undefined;
      return { data, diagnostics: [], sourceMap: () => (map ??= parseYaml(text, file, {}).map) };
    }
  }
  const precise = parseYaml(text, file, env);
  return { data: precise.data, diagnostics: precise.diagnostics, sourceMap: () => precise.map };
}

const FALLBACK = Symbol('fallback');

/**
 * Copies fast-parsed data while substituting environment references. Returns FALLBACK for anything that must be
 * reported with a position (forbidden keys, bad or unset references, non-finite numbers, empty documents, alias
 * expansion past the budget): the precise parser then reports it.
 */
function copyResolved(value: unknown, env: Record<string, string | undefined>): unknown {
  let budget = MAX_NODES;
  const walk = (v: unknown): unknown => {
    if (--budget < 0) return FALLBACK;
    if (typeof v === 'string') {
      if (!v.includes('${')) return v;
      const r = substituteEnv(v, env);
      return r.ok ? r.value : FALLBACK;
    }
    if (typeof v === 'number') return Number.isFinite(v) ? v : FALLBACK;
    if (v === null || typeof v === 'boolean') return v;
    if (Array.isArray(v)) {
      const out = new Array<unknown>(v.length);
      for (let i = 0; i < v.length; i++) {
        const c = walk(v[i]);
        if (c === FALLBACK) return FALLBACK;
        out[i] = c;
      }
      return out;
    }
    if (typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v as object)) {
        if (FORBIDDEN_KEYS.has(k)) return FALLBACK;
        const c = walk((v as Record<string, unknown>)[k]);
        if (c === FALLBACK) return FALLBACK;
        out[k] = c;
      }
      return out;
    }
    return FALLBACK;
  };
  if (value === undefined || value === null) return FALLBACK;
  return walk(value);
}
