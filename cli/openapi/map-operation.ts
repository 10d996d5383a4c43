import { docDiagnostic } from './document.js';
import { SchemaConverter } from './convert-schema.js';
import { isObject, type MapContext, type ToolMount } from './context.js';
import { describeOperation } from './describe.js';
import type { Operation } from './operations.js';
import { collectParameters, type Param, type ParamIn } from './parameters.js';
import { mapRequestBody } from './request-body.js';
import { mapOutputSchema } from './responses.js';
import { child } from './refs.js';
import { scopesFromDescription, scopesFromSecurity } from './scopes.js';

/** One operation mapped to a tool (its name is chosen later, across all operations: naming.ts). */
export interface MappedOperation {
  operation: Operation;
  tool: Record<string, unknown>;
  /** `x-tengine-name`, when the document names the tool itself. */
  explicitName?: string;
  mounts: ToolMount[];
}

const GROUP: Record<ParamIn, string> = { path: 'pathParams', query: 'query', header: 'headers', cookie: 'cookies' };
const ANNOTATION_BY_METHOD: Record<string, Record<string, boolean>> = {
  GET: { readOnlyHint: true },
  DELETE: { destructiveHint: true },
  PUT: { idempotentHint: true },
};

/**
 * Maps one operation to the tool fields the document determines: description, input schema with its request
 * mapping (`parameters` and `body`), output schema, annotations, scopes and the `x-tengine-*` overrides. The
 * source's base_url, auth, defaults and overrides are applied by expand.ts. Undefined when the operation cannot
 * become a tool (the reason was reported).
 */
export function mapOperation(ctx: MapContext, operation: Operation, endpointPrefix: string): MappedOperation | undefined {
  const { op, node, method, path } = operation;
  const inputs = new SchemaConverter(ctx.docs, ctx.version, ctx.report);
  const outputs = new SchemaConverter(ctx.docs, ctx.version, ctx.report);
  const mounts: ToolMount[] = [];
  const { params, v2Body } = collectParameters(ctx, operation.pathItem, node, inputs);
  const body = mapRequestBody(ctx, node, v2Body, inputs);
  if (body.skip) return undefined;

  // Path templates name their parameters; one the operation does not declare is still needed to build the URL.
  for (const m of path.matchAll(/\{([^{}/]+)\}/g)) {
    if (params.some((p) => p.in === 'path' && p.name === m[1])) continue;
    ctx.report(docDiagnostic('TNG318', `path parameter {${m[1]}} is not declared; it becomes a required string input`, node.file, node.pointer));
    params.push({ name: m[1]!, in: 'path', required: true, schema: { type: 'string' }, node, schemaNode: node });
  }
  const inPath = new Set([...path.matchAll(/\{([^{}/]+)\}/g)].map((m) => m[1]));
  const usable = params.filter((p) => {
    if (p.in !== 'path' || inPath.has(p.name)) return true;
    ctx.report(docDiagnostic('TNG306', `path parameter "${p.name}" does not appear in the path ${path}; it is left out`, p.node.file, p.node.pointer));
    return false;
  });

  const flat = ctx.source.input_shape === 'flat';
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  const parameters: Record<string, unknown>[] = [];
  const argumentOf = new Map<Param, string[]>();
  if (flat) {
    const taken = new Set<string>(body.body ? ['body'] : []);
    // Path parameters claim their names first, then query, header, cookie: a later one of the same name is renamed.
    for (const where of ['path', 'query', 'header', 'cookie'] as const) {
      for (const p of usable.filter((q) => q.in === where)) {
        let name = p.name;
        if (taken.has(name)) {
          name = `${p.name}_${where}`;
          for (let i = 2; taken.has(name); i++) name = `${p.name}_${where}_${i}`;
          ctx.report(docDiagnostic('TNG311', `input "${p.name}" is used twice in the flat input shape; the ${where} parameter becomes "${name}"`, p.node.file, p.node.pointer));
        }
        taken.add(name);
        properties[name] = p.schema;
        if (p.required) required.push(name);
        argumentOf.set(p, [name]);
        mounts.push({ at: `/input_schema/properties/${esc(name)}`, node: p.schemaNode });
      }
    }
  } else {
    for (const where of ['path', 'query', 'header', 'cookie'] as const) {
      const group = usable.filter((p) => p.in === where);
      if (group.length === 0) continue;
      const g = GROUP[where];
      const props: Record<string, unknown> = {};
      const req: string[] = [];
      for (const p of group) {
        props[p.name] = p.schema;
        if (p.required) req.push(p.name);
        argumentOf.set(p, [g, p.name]);
        mounts.push({ at: `/input_schema/properties/${g}/properties/${esc(p.name)}`, node: p.schemaNode });
      }
      properties[g] = { type: 'object', properties: props, ...(req.length ? { required: req } : {}), additionalProperties: false };
      if (req.length > 0) required.push(g);
    }
  }
  for (const where of ['path', 'query', 'header', 'cookie'] as const) {
    for (const p of usable.filter((q) => q.in === where)) {
      const entry: Record<string, unknown> = { name: p.name, in: p.in, argument: argumentOf.get(p) };
      if (p.style !== undefined) entry.style = p.style;
      if (p.explode !== undefined) entry.explode = p.explode;
      if (p.allowReserved) entry.allow_reserved = true;
      if (p.required && p.in !== 'path') entry.required = true;
      mounts.push({ at: `/parameters/${parameters.length}`, node: p.node });
      parameters.push(entry);
    }
  }
  if (body.body) {
    properties.body = body.body.schema;
    if (body.body.required) required.push('body');
    mounts.push({ at: '/input_schema/properties/body', node: body.body.schemaNode });
  }
  const inputSchema: Record<string, unknown> = { type: 'object', properties, ...(required.length ? { required } : {}), additionalProperties: false };
  if (Object.keys(inputs.defs).length > 0) inputSchema.$defs = inputs.defs;

  const max = ctx.source.description_max_length ?? 1024;
  const description = describeOperation(op, method, path, max);
  if (description.trimmed) ctx.report(docDiagnostic('TNG312', `summary and description are longer than ${max} characters; the tool description is cut`, node.file, child(node, op.description !== undefined ? 'description' : 'summary').pointer));
  mounts.push({ at: '/description', node: child(node, op.description !== undefined ? 'description' : 'summary') });

  const tool: Record<string, unknown> = {
    description: description.text,
    input_schema: inputSchema,
  };
  const output = mapOutputSchema(ctx, node, outputs);
  if (output.schema) {
    if (Object.keys(outputs.defs).length > 0) output.schema.$defs = outputs.defs;
    tool.output_schema = output.schema;
    mounts.push({ at: '/output_schema', node: output.node! });
  }
  const annotations = { ...(ANNOTATION_BY_METHOD[method] ?? {}) };
  tool.http_method = method;
  tool.endpoint_path = `${endpointPrefix}${path}`;
  if (parameters.length > 0) tool.parameters = parameters;
  if (body.body) tool.body = { argument: ['body'], content_type: body.body.contentType };

  const scopes = operationScopes(ctx, operation, mounts);
  if (scopes.length > 0) tool.scopes = scopes;
  if (op.deprecated === true) {
    ctx.report(docDiagnostic('TNG318', 'the operation is deprecated; the tool is generated without a sunset date (set deprecated with an override to plan its removal)', node.file, `${node.pointer}/deprecated`));
  }

  // x-tengine-* extensions: overrides written in the document itself.
  let explicitName: string | undefined;
  const ext = (key: string, ok: (v: unknown) => boolean, what: string): unknown => {
    if (!(key in op)) return undefined;
    if (ok(op[key])) return op[key];
    ctx.report(docDiagnostic('TNG319', `${key} must be ${what}`, node.file, `${node.pointer}/${key}`));
    return undefined;
  };
  const xName = ext('x-tengine-name', (v) => typeof v === 'string' && v !== '', 'a non-empty string');
  if (typeof xName === 'string') {
    explicitName = xName;
    mounts.push({ at: '/name', node: child(node, 'x-tengine-name') });
  } else if (typeof op.operationId === 'string') mounts.push({ at: '/name', node: child(node, 'operationId') });
  const xDescription = ext('x-tengine-description', (v) => typeof v === 'string' && v !== '', 'a non-empty string');
  if (typeof xDescription === 'string') {
    tool.description = xDescription;
    mounts.push({ at: '/description', node: child(node, 'x-tengine-description') });
  }
  const xEnabled = ext('x-tengine-enabled', (v) => typeof v === 'boolean', 'true or false');
  if (typeof xEnabled === 'boolean') {
    tool.is_enabled = xEnabled;
    mounts.push({ at: '/is_enabled', node: child(node, 'x-tengine-enabled') });
  }
  const xAnnotations = ext('x-tengine-annotations', isObject, 'a mapping');
  if (isObject(xAnnotations)) {
    Object.assign(annotations, xAnnotations);
    mounts.push({ at: '/annotations', node: child(node, 'x-tengine-annotations') });
  }
  if (Object.keys(annotations).length > 0) tool.annotations = annotations;
  return { operation, tool, explicitName, mounts };
}

/** `x-tengine-scopes`, else the OAuth security requirements (operation, else document), else a `Required scope:` line. */
function operationScopes(ctx: MapContext, operation: Operation, mounts: ToolMount[]): string[] {
  const { op, node } = operation;
  if ('x-tengine-scopes' in op) {
    const v = op['x-tengine-scopes'];
    if (Array.isArray(v) && v.every((s) => typeof s === 'string')) {
      mounts.push({ at: '/scopes', node: child(node, 'x-tengine-scopes') });
      return [...new Set(v as string[])];
    }
    ctx.report(docDiagnostic('TNG319', 'x-tengine-scopes must be a list of strings', node.file, `${node.pointer}/x-tengine-scopes`));
  }
  const own = 'security' in op;
  const securityNode = own ? child(node, 'security') : child(ctx.root, 'security');
  const fromSecurity = scopesFromSecurity(securityNode.value, ctx.securitySchemes);
  if (fromSecurity.scopes.length > 0) {
    if (fromSecurity.merged) ctx.report(docDiagnostic('TNG318', 'the security requirements are alternatives with different scopes; the tool requires all of them', securityNode.file, securityNode.pointer));
    mounts.push({ at: '/scopes', node: securityNode });
    return fromSecurity.scopes;
  }
  const fromText = scopesFromDescription(op.description);
  if (fromText.length > 0) mounts.push({ at: '/scopes', node: child(node, 'description') });
  return fromText;
}

function esc(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}
