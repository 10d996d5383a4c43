import type { OpenApiFilter } from '../../schemas/config-types.js';
import type { Diagnostic } from '../../schemas/diagnostics.js';
import { docDiagnostic } from './document.js';
import { escapePointer } from '../../schemas/json-pointer.js';
import type { DocNode } from './refs.js';

/** Methods that become tools. */
export const TOOL_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
/** Other operation keys of a path item: reported and skipped. */
const OTHER_METHODS = ['head', 'options', 'trace', 'query'];

/** One operation of a document, with where it is written. */
export interface Operation {
  method: string; // upper case
  path: string;
  node: DocNode; // the operation object
  pathItem: DocNode;
  op: Record<string, unknown>;
}

/**
 * The operations of a document (every path item, every method) and the skipped ones (HEAD, OPTIONS, ...).
 * `deref` follows a path item's `$ref` (OpenAPI 3.1), reporting problems itself.
 */
export function listOperations(paths: DocNode, deref: (n: DocNode) => DocNode | undefined, report: (d: Diagnostic) => void): { operations: Operation[]; skipped: { method: string; path: string; pointer: string }[] } {
  const operations: Operation[] = [];
  const skipped: { method: string; path: string; pointer: string }[] = [];
  const items = paths.value as Record<string, unknown>;
  for (const path of Object.keys(items)) {
    const written: DocNode = { value: items[path], file: paths.file, pointer: `${paths.pointer}/${escapePointer(path)}` };
    const pathItem = deref(written);
    if (!pathItem || !isObject(pathItem.value)) {
      if (pathItem) report(docDiagnostic('TNG300', `path item ${path} must be a mapping`, written.file, written.pointer));
      continue;
    }
    if (!path.startsWith('/')) {
      report(docDiagnostic('TNG300', `path ${JSON.stringify(path)} must start with /; its operations are skipped`, written.file, written.pointer));
      continue;
    }
    for (const m of TOOL_METHODS) {
      const op = pathItem.value[m];
      if (isObject(op)) operations.push({ method: m.toUpperCase(), path, op, pathItem, node: { value: op, file: pathItem.file, pointer: `${pathItem.pointer}/${m}` } });
    }
    for (const m of OTHER_METHODS) {
      if (isObject(pathItem.value[m])) skipped.push({ method: m.toUpperCase(), path, pointer: `${pathItem.pointer}/${m}` });
    }
  }
  return { operations, skipped };
}

/** True when the operation matches every field the filter gives (a field matches when any of its values does). */
export function matchesFilter(op: Operation, f: OpenApiFilter): boolean {
  if (f.methods && !f.methods.includes(op.method as 'GET')) return false;
  if (f.operation_ids && !(typeof op.op.operationId === 'string' && f.operation_ids.includes(op.op.operationId))) return false;
  if (f.tags) {
    const tags = Array.isArray(op.op.tags) ? op.op.tags : [];
    if (!f.tags.some((t) => tags.includes(t))) return false;
  }
  if (f.paths && !f.paths.some((g) => pathGlob(g).test(op.path))) return false;
  return true;
}

/** True when a filter gives no field at all (an empty `include` selects everything, not nothing). */
export function isEmptyFilter(f: OpenApiFilter | undefined): boolean {
  return !f || Object.values(f).every((v) => v === undefined);
}

const globs = new Map<string, RegExp>();

/**
 * A path glob as a regular expression: `*` within a segment, `**` across segments, `?` one character, `{a,b}`
 * alternatives; `{petId}` without a comma is the literal path template text, so `/pets/{petId}` matches itself.
 */
export function pathGlob(glob: string): RegExp {
  let re = globs.get(glob);
  if (re) return re;
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      out += '.*';
      i++;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '{') {
      const end = glob.indexOf('}', i);
      const body = end < 0 ? '' : glob.slice(i + 1, end);
      if (end < 0 || !body.includes(',')) out += '\\{';
      else {
        out += `(?:${body.split(',').map(escapeRe).join('|')})`;
        i = end;
      }
    } else out += escapeRe(c);
  }
  re = new RegExp(`^${out}$`);
  globs.set(glob, re);
  return re;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
