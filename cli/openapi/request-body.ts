import { docDiagnostic } from './document.js';
import type { SchemaConverter } from './convert-schema.js';
import { isObject, type MapContext } from './context.js';
import { child, refDiagnostic, type DocNode } from './refs.js';

/** The request body a tool sends: its schema, encoding and whether the operation requires it. */
export interface MappedBody {
  schema: Record<string, unknown> | boolean;
  contentType: 'application/json' | 'application/x-www-form-urlencoded';
  required: boolean;
  schemaNode: DocNode;
}

/** JSON media types: `application/json` and any `*\/*+json`, parameters such as charset allowed. */
export function isJsonMedia(type: string): boolean {
  const t = type.split(';')[0]!.trim().toLowerCase();
  return t === 'application/json' || /^[a-z0-9.+-]+\/[a-z0-9.+-]*\+json$/.test(t) || t === '*/*';
}
const FORM = 'application/x-www-form-urlencoded';
const isForm = (type: string) => type.split(';')[0]!.trim().toLowerCase() === FORM;

/**
 * The operation's request body (OpenAPI 3 `requestBody`, Swagger 2.0 `body` / `formData` parameters). JSON is
 * preferred, then a URL-encoded form; anything else cannot be sent by a tool: `skip` when the operation requires
 * it (the operation is not mapped), otherwise the body is left out; either way with a TNG307.
 */
export function mapRequestBody(ctx: MapContext, operation: DocNode, v2Body: DocNode[], schemas: SchemaConverter): { body?: MappedBody; skip?: true } {
  if (ctx.version === '2.0') return v2RequestBody(ctx, operation, v2Body, schemas);
  const ref = child(operation, 'requestBody');
  if (ref.value === undefined) return {};
  const r = ctx.docs.deref(ref);
  if ('problem' in r) {
    ctx.report(refDiagnostic(r.problem, r.at));
    return { skip: true };
  }
  const rb = r.node;
  if (!isObject(rb.value)) return {};
  const required = rb.value.required === true;
  const content = child(rb, 'content');
  const types = isObject(content.value) ? Object.keys(content.value) : [];
  const chosen = types.find(isJsonMedia) ?? types.find(isForm);
  if (chosen === undefined) {
    if (types.length === 0) return {};
    ctx.report(docDiagnostic('TNG307', `request body ${types.join(', ')} cannot be sent by a tool; ${required ? 'the operation is skipped' : 'the tool sends no body'}`, rb.file, content.pointer));
    return required ? { skip: true } : {};
  }
  const schemaNode = child(child(content, chosen), 'schema');
  const schema = schemaNode.value === undefined ? {} : schemas.convert(schemaNode, 'input');
  return { body: { schema, contentType: isJsonMedia(chosen) ? 'application/json' : FORM, required, schemaNode } };
}

function v2RequestBody(ctx: MapContext, operation: DocNode, params: DocNode[], schemas: SchemaConverter): { body?: MappedBody; skip?: true } {
  if (params.length === 0) return {};
  const op = operation.value as Record<string, unknown>;
  const rootConsumes = (ctx.root.value as Record<string, unknown>).consumes;
  const consumes = (Array.isArray(op.consumes) ? op.consumes : Array.isArray(rootConsumes) ? rootConsumes : []).filter((t): t is string => typeof t === 'string');
  const body = params.find((p) => (p.value as Record<string, unknown>).in === 'body');
  if (body) {
    const required = (body.value as Record<string, unknown>).required === true;
    // No `consumes` at all: JSON, the usual meaning of a body parameter with a schema.
    if (consumes.length > 0 && !consumes.some(isJsonMedia)) {
      ctx.report(docDiagnostic('TNG307', `body parameter consumed as ${consumes.join(', ')} cannot be sent by a tool; ${required ? 'the operation is skipped' : 'the tool sends no body'}`, body.file, body.pointer));
      return required ? { skip: true } : {};
    }
    const schemaNode = child(body, 'schema');
    return { body: { schema: schemaNode.value === undefined ? {} : schemas.convert(schemaNode, 'input'), contentType: 'application/json', required, schemaNode } };
  }
  // formData parameters: one object whose properties are the fields.
  const files = params.filter((p) => (p.value as Record<string, unknown>).type === 'file');
  if (files.length > 0 || (consumes.length > 0 && !consumes.some(isForm))) {
    const first = files[0] ?? params[0]!;
    ctx.report(docDiagnostic('TNG307', 'formData parameters sent as multipart/form-data (file uploads) cannot be sent by a tool; the operation is skipped', first.file, first.pointer));
    return { skip: true };
  }
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const p of params) {
    const v = p.value as Record<string, unknown>;
    const keys = Object.keys(v).filter((k) => !['name', 'in', 'required', 'description', 'allowEmptyValue', 'collectionFormat'].includes(k));
    const s = schemas.convert({ ...p, value: Object.fromEntries(keys.map((k) => [k, v[k]])) }, 'input');
    properties[v.name as string] = typeof s === 'object' && typeof v.description === 'string' ? { ...s, description: v.description } : s;
    if (v.required === true) required.push(v.name as string);
  }
  const schema: Record<string, unknown> = { type: 'object', properties, additionalProperties: false };
  if (required.length > 0) schema.required = required;
  return { body: { schema, contentType: FORM, required: required.length > 0, schemaNode: params[0]! } };
}
