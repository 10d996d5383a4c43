import { isReservedParameterHeader, isTokenName, PARAMETER_STYLES } from '../../schemas/request-parameters.js';
import { docDiagnostic } from './document.js';
import { SchemaConverter } from './convert-schema.js';
import { isObject, type MapContext, type ToolMount } from './context.js';
import { child, refDiagnostic, type DocNode } from './refs.js';

/** Where a parameter goes (Swagger 2.0 `body` and `formData` are request bodies, handled in request-body.ts). */
export type ParamIn = 'path' | 'query' | 'header' | 'cookie';

/** One resolved parameter of an operation. */
export interface Param {
  name: string;
  in: ParamIn;
  required: boolean;
  schema: Record<string, unknown> | boolean;
  style?: string;
  explode?: boolean;
  allowReserved?: boolean;
  node: DocNode;
  /** Where the schema is written (for diagnostics under the input property). */
  schemaNode: DocNode;
}

/** Styles each location allows: the runtime's own table, so a generated tool never fails TNG261. */
const STYLES: Readonly<Record<ParamIn, readonly string[]>> = PARAMETER_STYLES;
/** Swagger 2.0 keeps a parameter's schema keywords on the parameter itself. */
const V2_SCHEMA_KEYS = ['type', 'format', 'items', 'enum', 'default', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'pattern', 'minItems', 'maxItems', 'uniqueItems', 'multipleOf', 'x-nullable'];
const V2_COLLECTION: Record<string, { style?: string; explode: boolean }> = {
  csv: { explode: false },
  ssv: { style: 'spaceDelimited', explode: false },
  pipes: { style: 'pipeDelimited', explode: false },
  multi: { style: 'form', explode: true },
};

/**
 * The operation's parameters (path-item level first, overridden by name and location at operation level), each
 * with its converted schema. Reserved and omitted headers are reported and left out; Swagger 2.0 `body` and
 * `formData` parameters are returned separately for the request body.
 */
export function collectParameters(ctx: MapContext, pathItem: DocNode, operation: DocNode, schemas: SchemaConverter): { params: Param[]; v2Body: DocNode[] } {
  const byKey = new Map<string, DocNode>();
  for (const owner of [pathItem, operation]) {
    const list = child(owner, 'parameters');
    if (!Array.isArray(list.value)) continue;
    list.value.forEach((_, i) => {
      const r = ctx.docs.deref(child(list, i));
      if ('problem' in r) {
        ctx.report(refDiagnostic(r.problem, r.at));
        return;
      }
      const p = r.node.value;
      if (!isObject(p) || typeof p.name !== 'string' || typeof p.in !== 'string') {
        ctx.report(docDiagnostic('TNG300', 'a parameter needs a string `name` and `in`', r.node.file, r.node.pointer));
        return;
      }
      byKey.set(`${p.in}:${p.in === 'header' ? p.name.toLowerCase() : p.name}`, r.node);
    });
  }
  const params: Param[] = [];
  const v2Body: DocNode[] = [];
  const omit = ctx.source.omit_parameters ?? [];
  for (const node of byKey.values()) {
    const p = node.value as Record<string, unknown>;
    const name = p.name as string;
    const where = p.in as string;
    if (ctx.version === '2.0' && (where === 'body' || where === 'formData')) {
      v2Body.push(node);
      continue;
    }
    if (where !== 'path' && where !== 'query' && where !== 'header' && where !== 'cookie') {
      ctx.report(docDiagnostic('TNG306', `parameter "${name}" in "${where}" is not a location a tool can send; it is left out`, node.file, `${node.pointer}/in`));
      continue;
    }
    const required = where === 'path' || p.required === true;
    // The runtime's own lists (schemas/request-parameters.ts), so a generated tool never fails TNG259 or TNG260;
    // and any Content-* header, which describes the body the runtime encodes.
    if (where === 'header' && (isReservedParameterHeader(name) || /^content-/i.test(name))) {
      ctx.report(docDiagnostic('TNG306', `header parameter "${name}" is reserved and is not offered to the model`, node.file, node.pointer));
      continue;
    }
    if ((where === 'header' || where === 'cookie') && !isTokenName(name)) {
      ctx.report(docDiagnostic('TNG306', `${where} parameter name "${name}" is not an HTTP token; it is left out`, node.file, `${node.pointer}/name`));
      continue;
    }
    if (omit.some((o) => o.in === where && (where === 'header' ? o.name.toLowerCase() === name.toLowerCase() : o.name === name))) {
      if (!required) continue;
      ctx.report(docDiagnostic('TNG306', `parameter "${name}" is required by the operation and cannot be omitted; it stays an input`, node.file, node.pointer, 'remove it from omit_parameters, or exclude the operation'));
    }
    let schemaNode = child(node, 'schema');
    let schema: Record<string, unknown> | boolean;
    if (ctx.version === '2.0') {
      schemaNode = node;
      schema = schemas.convert({ ...node, value: Object.fromEntries(V2_SCHEMA_KEYS.filter((k) => k in p).map((k) => [k, p[k]])) }, 'input');
    } else if (schemaNode.value === undefined && isObject(p.content)) {
      const media = Object.keys(p.content)[0];
      schemaNode = child(child(child(node, 'content'), media ?? ''), 'schema');
      ctx.report(docDiagnostic('TNG318', `parameter "${name}" is described by \`content\` (${media}); it is sent with the default style for its location, not encoded as ${media}`, node.file, `${node.pointer}/content`));
      schema = schemaNode.value === undefined ? {} : schemas.convert(schemaNode, 'input');
    } else schema = schemaNode.value === undefined ? {} : schemas.convert(schemaNode, 'input');
    if (typeof schema === 'object') {
      schema = { ...schema };
      if (typeof p.description === 'string' && schema.description === undefined) schema.description = p.description;
      if (p.deprecated === true) schema.deprecated = true;
    }
    const param: Param = { name, in: where, required, schema, node, schemaNode };
    if (ctx.version === '2.0') {
      const fmt = typeof p.collectionFormat === 'string' ? V2_COLLECTION[p.collectionFormat] : undefined;
      if (fmt && p.type === 'array') {
        if (fmt.style && STYLES[where].includes(fmt.style)) param.style = fmt.style;
        else if (fmt.style) ctx.report(docDiagnostic('TNG318', `collectionFormat ${String(p.collectionFormat)} is not possible in ${where}; the default style is used`, node.file, `${node.pointer}/collectionFormat`));
        param.explode = fmt.explode;
      } else if (p.collectionFormat === 'tsv') ctx.report(docDiagnostic('TNG318', 'collectionFormat tsv has no OpenAPI 3 style; values are comma-separated instead', node.file, `${node.pointer}/collectionFormat`));
    } else {
      if (typeof p.style === 'string') {
        if (STYLES[where].includes(p.style)) param.style = p.style;
        else ctx.report(docDiagnostic('TNG318', `style ${p.style} is not allowed for ${where} parameters; the default style is used`, node.file, `${node.pointer}/style`));
      }
      if (typeof p.explode === 'boolean') param.explode = p.explode;
      if (p.allowReserved === true && where === 'query') param.allowReserved = true;
    }
    params.push(param);
  }
  return { params, v2Body };
}

/** Mounts so that a diagnostic about an input property points at the parameter's schema. */
export function parameterMounts(params: Param[], propertyPointer: (p: Param) => string): ToolMount[] {
  return params.flatMap((p, i) => [
    { at: propertyPointer(p), node: p.schemaNode },
    { at: `/parameters/${i}`, node: p.node },
  ]);
}
