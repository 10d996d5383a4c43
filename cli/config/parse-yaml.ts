import { LineCounter, parseAllDocuments, isAlias, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import { diagnostic, type Diagnostic } from '../../schemas/diagnostics.js';
import { substituteEnv } from './env-references.js';
import { escapePointer, type FileSourceMap, type Position } from './source-map.js';

/** Result of turning one YAML text into plain JSON data plus where each value came from. */
export interface ParsedYaml {
  data: unknown;
  map: FileSourceMap;
  diagnostics: Diagnostic[];
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Upper bound on nodes produced by alias expansion, against "billion laughs" documents. */
const MAX_ALIAS_NODES = 100_000;

/**
 * Parses YAML into JSON-compatible data, recording the position of every value and key, rejecting duplicate and
 * prototype-polluting keys, and substituting environment references. Never throws for bad input.
 */
export function parseYaml(text: string, file: string, env: Record<string, string | undefined>): ParsedYaml {
  const lineCounter = new LineCounter();
  const diagnostics: Diagnostic[] = [];
  const map: FileSourceMap = new Map();
  const pos = (offset: number | undefined): Position => {
    const p = lineCounter.linePos(offset ?? 0);
    return { line: p.line, column: p.col };
  };
  const at = (p: Position) => ({ file, ...p });

  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true, version: '1.2' }) as Document.Parsed[];
  } catch (e) {
    diagnostics.push(diagnostic('TNG002', `YAML could not be parsed: ${(e as Error).message}`, at({ line: 1, column: 1 })));
    return { data: undefined, map, diagnostics };
  }
  if (!Array.isArray(docs) || docs.length === 0) {
    diagnostics.push(diagnostic('TNG013', 'the file holds no YAML document', at({ line: 1, column: 1 })));
    return { data: undefined, map, diagnostics };
  }
  if (docs.length > 1) {
    diagnostics.push(diagnostic('TNG011', `the file holds ${docs.length} YAML documents`, at(pos(docs[1]!.range[0]))));
  }
  const doc = docs[0]!;
  for (const err of doc.errors) {
    if (err.code === 'DUPLICATE_KEY') {
      const key = text.slice(err.pos[0], Math.min(err.pos[1], err.pos[0] + 80)).trim();
      diagnostics.push(diagnostic('TNG003', `duplicate key "${key}"`, at(pos(err.pos[0]))));
      continue;
    }
    const msg = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    diagnostics.push(diagnostic('TNG002', msg, at(pos(err.pos[0]))));
  }
  if (diagnostics.length > 0) return { data: undefined, map, diagnostics };
  if (doc.contents === null) {
    diagnostics.push(diagnostic('TNG013', 'the file is empty', at({ line: 1, column: 1 })));
    return { data: undefined, map, diagnostics };
  }

  let aliasBudget = MAX_ALIAS_NODES;
  let aliasReported = false;

  const convert = (node: Node | null, pointer: string, keyPos: Position | undefined, viaAlias: boolean): unknown => {
    if (node === null) return null;
    if (!viaAlias) map.set(pointer, keyPos ? { value: pos(node.range?.[0]), key: keyPos } : { value: pos(node.range?.[0]) });
    if (viaAlias && --aliasBudget < 0) {
      if (!aliasReported) diagnostics.push(diagnostic('TNG012', 'YAML aliases expand to too many values', at(pos(node.range?.[0]))));
      aliasReported = true;
      return null;
    }
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (!target) {
        diagnostics.push(diagnostic('TNG002', `unknown alias *${node.source}`, at(pos(node.range?.[0]))));
        return null;
      }
      return convert(target as Node, pointer, keyPos, true);
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        const k = pair.key as Node | null;
        const kPos = pos(k?.range?.[0] ?? node.range?.[0]);
        if (!isScalar(k) || (k.value !== null && typeof k.value === 'object')) {
          diagnostics.push(diagnostic('TNG002', 'mapping keys must be plain scalars', at(kPos)));
          continue;
        }
        const key = String(k.value);
        if (FORBIDDEN_KEYS.has(key)) {
          diagnostics.push(diagnostic('TNG006', `the key "${key}" is not allowed`, at(kPos)));
          continue;
        }
        const childPointer = `${pointer}/${escapePointer(key)}`;
        const v = pair.value as Node | null;
        if (v === null) map.set(childPointer, { value: kPos, key: kPos });
        out[key] = convert(v, childPointer, kPos, viaAlias);
      }
      return out;
    }
    if (isSeq(node)) {
      return node.items.map((item, i) => convert(item as Node | null, `${pointer}/${i}`, undefined, viaAlias));
    }
    if (isScalar(node)) {
      const v = node.value;
      if (typeof v === 'string') {
        const r = substituteEnv(v, env);
        if (!r.ok) {
          diagnostics.push(diagnostic(r.code, r.message, at(pos(node.range?.[0]))));
          return v;
        }
        return r.value;
      }
      if (v === null || typeof v === 'boolean') return v;
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) {
          diagnostics.push(diagnostic('TNG101', 'numbers must be finite (.inf and .nan are not JSON)', at(pos(node.range?.[0]))));
          return null;
        }
        return v;
      }
      if (typeof v === 'bigint') {
        diagnostics.push(diagnostic('TNG101', 'integer is too large', at(pos(node.range?.[0]))));
        return null;
      }
      diagnostics.push(diagnostic('TNG002', `unsupported YAML value (tag ${node.tag ?? 'unknown'})`, at(pos(node.range?.[0]))));
      return null;
    }
    diagnostics.push(diagnostic('TNG002', 'unsupported YAML node', at(pos((node as Node).range?.[0]))));
    return null;
  };

  const data = convert(doc.contents as Node, '', undefined, false);
  return { data, map, diagnostics };
}
