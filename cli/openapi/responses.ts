import { docDiagnostic } from './document.js';
import type { SchemaConverter } from './convert-schema.js';
import { isObject, type MapContext } from './context.js';
import { isJsonMedia } from './request-body.js';
import { child, refDiagnostic, type DocNode } from './refs.js';

/**
 * The tool's output schema: the first 2xx response (200, 201, ..., then 2XX) with a JSON body whose schema
 * describes an object, with `writeOnly` properties dropped. Anything else (no JSON, an array, a scalar) leaves
 * the tool without one: MCP structured results are objects.
 */
export function mapOutputSchema(ctx: MapContext, operation: DocNode, schemas: SchemaConverter): { schema?: Record<string, unknown>; node?: DocNode } {
  const responses = child(operation, 'responses');
  if (!isObject(responses.value) || Object.keys(responses.value).length === 0) {
    ctx.report(docDiagnostic('TNG315', 'the operation declares no responses; the tool gets no output_schema', operation.file, operation.pointer));
    return {};
  }
  const codes = Object.keys(responses.value).filter((c) => /^2(?:\d\d|XX)$/i.test(c)).sort((a, b) => a.localeCompare(b));
  for (const code of codes) {
    const r = ctx.docs.deref(child(responses, code));
    if ('problem' in r) {
      ctx.report(refDiagnostic(r.problem, r.at));
      continue;
    }
    const schemaNode = responseSchema(ctx, r.node, operation);
    if (!schemaNode) continue;
    const target = ctx.docs.deref(schemaNode);
    if ('problem' in target) {
      ctx.report(refDiagnostic(target.problem, target.at));
      return {};
    }
    const t = target.node.value;
    if (!isObject(t) || !(t.type === 'object' || (t.type === undefined && isObject(t.properties)))) return {};
    const schema = schemas.convert(schemaNode, 'output');
    if (typeof schema !== 'object' || schema.type === undefined && !('$ref' in schema)) return typeof schema === 'object' ? { schema: { type: 'object', ...schema }, node: schemaNode } : {};
    if ('$ref' in schema) return { schema: { type: 'object', allOf: [schema] }, node: schemaNode };
    return { schema, node: schemaNode };
  }
  return {};
}

/** The JSON schema node of one response object, if it has one. */
function responseSchema(ctx: MapContext, response: DocNode, operation: DocNode): DocNode | undefined {
  if (ctx.version === '2.0') {
    const op = operation.value as Record<string, unknown>;
    const rootProduces = (ctx.root.value as Record<string, unknown>).produces;
    const produces = (Array.isArray(op.produces) ? op.produces : Array.isArray(rootProduces) ? rootProduces : []).filter((t): t is string => typeof t === 'string');
    if (produces.length > 0 && !produces.some(isJsonMedia)) return undefined;
    const s = child(response, 'schema');
    return s.value === undefined ? undefined : s;
  }
  const content = child(response, 'content');
  if (!isObject(content.value)) return undefined;
  const type = Object.keys(content.value).find(isJsonMedia);
  if (type === undefined) return undefined;
  const s = child(child(content, type), 'schema');
  return s.value === undefined ? undefined : s;
}
