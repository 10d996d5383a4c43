import type { Diagnostic } from '../../schemas/diagnostics.js';
import { docDiagnostic } from './document.js';
import { child, isRef, refDiagnostic, type DocNode, type DocumentSet } from './refs.js';

/** The OpenAPI dialect a schema is written in: what `nullable`, `example` and boolean exclusive bounds mean. */
export type OpenApiVersion = '2.0' | '3.0' | '3.1';

/** Inputs drop `readOnly` properties (the server sets them); outputs drop `writeOnly` ones (never returned). */
export type SchemaMode = 'input' | 'output';

type Schema = Record<string, unknown> | boolean;

const ONE = new Set(['items', 'additionalProperties', 'additionalItems', 'not', 'contains', 'propertyNames', 'if', 'then', 'else', 'unevaluatedItems', 'unevaluatedProperties', 'contentSchema']);
const LIST = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);
const MAP = new Set(['properties', 'patternProperties', 'dependentSchemas']);
/**
 * Keywords that are OpenAPI's, not JSON Schema's, or that would change how the tool schema resolves: dropped.
 * Local `$defs` go too, because every `$ref` is resolved against the document and inlined where it is used.
 */
const DROP = new Set(['nullable', 'x-nullable', 'discriminator', 'xml', 'externalDocs', 'example', '$id', 'id', '$schema', '$anchor', '$dynamicAnchor', '$dynamicRef', '$defs', 'definitions', '$comment', 'collectionFormat']);
/** Annotations a 3.1 `$ref`'s siblings may add without changing what validates. */
const ANNOTATIONS = new Set(['description', 'title', 'summary', 'examples', 'default', 'deprecated', 'readOnly', 'writeOnly']);

/** Schema nodes one tool may inline before further references become `$defs` entries (bounds DAG blow-up). */
const INLINE_BUDGET = 4000;

/**
 * Converts OpenAPI schemas to the JSON Schema 2020-12 a tool declares: `$ref`s inlined (a recursive one becomes a
 * `$defs` entry the tool schema references, so the schema stays finite and Ajv follows it), 3.0 `nullable` and
 * boolean exclusive bounds rewritten, `example` kept as `examples`, OpenAPI-only keywords and `x-` extensions
 * dropped (the runtime's compiler runs with strict off, but tool schemas stay plain JSON Schema).
 * One converter serves one tool: `defs` holds that tool's `$defs`.
 */
export class SchemaConverter {
  readonly defs: Record<string, Schema> = {};
  private readonly defNames = new Map<string, string>();
  private inlined = 0;

  constructor(
    private readonly docs: DocumentSet,
    private readonly version: OpenApiVersion,
    private readonly report: (d: Diagnostic) => void,
  ) {}

  /** The converted schema at `node`. */
  convert(node: DocNode, mode: SchemaMode): Schema {
    return this.walk(node, mode, []);
  }

  /** True when the schema at `node` (after `$ref`s) is marked `readOnly` (mode input) or `writeOnly` (output). */
  hidden(node: DocNode, mode: SchemaMode): boolean {
    const r = this.docs.deref(node);
    if ('problem' in r) return false;
    const v = r.node.value as Record<string, unknown> | null;
    const own = node.value as Record<string, unknown> | null;
    const flag = mode === 'input' ? 'readOnly' : 'writeOnly';
    return (isObject(own) && own[flag] === true) || (isObject(v) && v[flag] === true);
  }

  private walk(node: DocNode, mode: SchemaMode, stack: string[]): Schema {
    if (isRef(node.value)) return this.reference(node, mode, stack);
    return this.object(node, mode, stack);
  }

  private reference(node: DocNode, mode: SchemaMode, stack: string[]): Schema {
    const r = this.docs.deref(node);
    if ('problem' in r) {
      this.report(refDiagnostic(r.problem, r.at));
      return {};
    }
    const target = r.node;
    const key = `${target.file.abs}#${target.pointer}|${mode}`;
    let out: Schema;
    if (stack.includes(key) || this.inlined > INLINE_BUDGET) {
      if (stack.includes(key)) {
        this.report(docDiagnostic('TNG310', `recursive schema ${target.pointer || '#'}: the recursion is kept as a $defs entry`, target.file, target.pointer));
      }
      out = { $ref: `#/$defs/${this.define(target, key, mode)}` };
    } else {
      out = this.walk(target, mode, [...stack, key]);
    }
    // OpenAPI 3.1 lets a $ref carry siblings; 3.0 and Swagger 2.0 ignore them.
    const siblings = this.version === '3.1' ? Object.entries(node.value as Record<string, unknown>).filter(([k]) => k !== '$ref') : [];
    if (siblings.length === 0) return out;
    const extra = this.object({ ...node, value: Object.fromEntries(siblings) }, mode, stack) as Record<string, unknown>;
    if (typeof out === 'object' && !('$ref' in out) && Object.keys(extra).every((k) => ANNOTATIONS.has(k))) return { ...out, ...extra };
    return { allOf: [out], ...extra };
  }

  /** The `$defs` name of a referenced schema, converting it once (its own recursion then refers to the name). */
  private define(target: DocNode, key: string, mode: SchemaMode): string {
    const known = this.defNames.get(key);
    if (known) return known;
    const base = (target.pointer.split('/').pop() ?? 'schema').replace(/~1/g, '/').replace(/~0/g, '~').replace(/[^A-Za-z0-9_.-]/g, '_') || 'schema';
    let name = base;
    for (let i = 2; Object.hasOwn(this.defs, name); i++) name = `${base}_${i}`;
    this.defNames.set(key, name);
    this.defs[name] = {};
    this.defs[name] = this.walk(target, mode, [key]);
    return name;
  }

  private object(node: DocNode, mode: SchemaMode, stack: string[]): Schema {
    const v = node.value;
    if (typeof v === 'boolean' && this.version === '3.1') return v;
    if (!isObject(v)) {
      this.report(docDiagnostic('TNG318', `a schema must be a mapping; ${v === null ? 'null' : typeof v} is taken as "any value"`, node.file, node.pointer));
      return {};
    }
    this.inlined++;
    const out: Record<string, unknown> = {};
    const dropped: string[] = [];
    for (const [k, value] of Object.entries(v)) {
      if (k.startsWith('x-') || DROP.has(k)) continue;
      const at = child(node, k);
      if (ONE.has(k) && (isObject(value) || typeof value === 'boolean')) out[k] = this.walk(at, mode, stack);
      else if ((LIST.has(k) || k === 'items') && Array.isArray(value)) {
        // Draft-04 tuple `items: [..]` (Swagger 2.0) is `prefixItems` in 2020-12.
        out[k === 'items' ? 'prefixItems' : k] = value.map((_, i) => this.walk(child(at, i), mode, stack));
      } else if (MAP.has(k) && isObject(value)) {
        const props: Record<string, Schema> = {};
        for (const name of Object.keys(value)) {
          const p = child(at, name);
          if (k === 'properties' && this.hidden(p, mode)) {
            dropped.push(name);
            continue;
          }
          props[name] = this.walk(p, mode, stack);
        }
        out[k] = props;
      } else out[k] = value;
    }
    if ('example' in v && !('examples' in v)) out.examples = [v.example];
    if (Array.isArray(out.required) && dropped.length > 0) {
      out.required = out.required.filter((r) => !dropped.includes(r as string));
      if ((out.required as unknown[]).length === 0) delete out.required;
    }
    if (this.version !== '3.1') {
      // 3.0 and 2.0 write exclusive bounds as booleans next to minimum/maximum (JSON Schema draft 4).
      for (const [ex, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
        if (typeof out[ex] !== 'boolean') continue;
        if (out[ex] === true && typeof out[bound] === 'number') {
          out[ex] = out[bound];
          delete out[bound];
        } else delete out[ex];
      }
    }
    if (out.type === 'file') {
      this.report(docDiagnostic('TNG318', 'type: file (a file upload) cannot be sent by a tool; it is taken as a string', node.file, `${node.pointer}/type`));
      out.type = 'string';
    }
    if (v.nullable === true || v['x-nullable'] === true) return nullable(out);
    return out;
  }
}

/** OpenAPI 3.0 `nullable: true`: null is allowed too (the 3.1 form). */
function nullable(s: Record<string, unknown>): Schema {
  if (Array.isArray(s.enum) && !s.enum.includes(null)) s.enum = [...s.enum, null];
  if (typeof s.type === 'string') return { ...s, type: [s.type, 'null'] };
  if (Array.isArray(s.type)) return s.type.includes('null') ? s : { ...s, type: [...s.type, 'null'] };
  return { anyOf: [s, { type: 'null' }] };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
