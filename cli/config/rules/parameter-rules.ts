import { isReservedParameterHeader, isTokenName, PARAMETER_STYLES, parseParameterPath, type ParameterLocation, type ParameterStyle } from '../../../schemas/request-parameters.js';
import { escapePointer } from '../source-map.js';
import { eachTool, entriesOf, isObject, type RuleContext } from './context.js';

const LOCATIONS: readonly string[] = ['path', 'query', 'header', 'cookie'];

/**
 * The request mapping (`parameters`, `body`; docs/config.md, docs/openapi.md#request-mapping-from-parameters):
 * path placeholders and path parameters match (TNG254), every argument is declared in input_schema (TNG255) and a
 * path parameter's is required (TNG256), no parameter twice (TNG257), no key sent by both a parameter and a
 * template, nor `body` with `body_template` (TNG258), no reserved header (TNG259), header and cookie names are
 * tokens (TNG260), styles fit their location (TNG261).
 */
export function checkParameters(ctx: RuleContext): void {
  for (const { tool, pointer } of eachTool(ctx)) {
    const params = Array.isArray(tool.parameters) && ctx.isClean(`${pointer}/parameters`) ? (tool.parameters as unknown[]) : undefined;
    const schemaKnown = ctx.isClean(`${pointer}/input_schema`) && isObject(tool.input_schema);
    if (params) checkParameterList(ctx, tool, params, pointer, schemaKnown);
    if (isObject(tool.body) && ctx.isClean(`${pointer}/body`)) {
      if (tool.body_template !== undefined) {
        ctx.report('TNG258', 'the tool has both `body` and `body_template`; a request has one body', `${pointer}/body`, { key: true, hint: 'keep `body` (the whole body from one argument) or `body_template`, not both' });
      }
      if (schemaKnown && Array.isArray(tool.body.argument)) checkArgument(ctx, tool.input_schema as Record<string, unknown>, tool.body.argument as string[], `${pointer}/body/argument`, 'the body', false);
    }
  }
}

function checkParameterList(ctx: RuleContext, tool: Record<string, unknown>, params: unknown[], pointer: string, schemaKnown: boolean): void {
  const seen = new Map<string, number>();
  const pathParams = new Set<string>();
  for (const [i, p] of entriesOf(params)) {
    if (!isObject(p) || typeof p.name !== 'string' || typeof p.in !== 'string' || !LOCATIONS.includes(p.in)) continue;
    const at = `${pointer}/parameters/${i}`;
    const where = p.in as ParameterLocation;
    // Header names are case-insensitive; path, query and cookie names are not.
    const key = `${where} ${where === 'header' ? p.name.toLowerCase() : p.name}`;
    const first = seen.get(key);
    if (first !== undefined) {
      ctx.report('TNG257', `${where} parameter "${p.name}" is declared twice (also parameters[${first}])`, `${at}/name`, { hint: 'declare each parameter once per location; to send a list, give one parameter a list argument (style and explode say how it is sent)' });
    } else seen.set(key, i);
    if (where === 'path') pathParams.add(p.name);
    if ((where === 'header' || where === 'cookie') && !isTokenName(p.name)) {
      ctx.report('TNG260', `${where} parameter name "${p.name}" is not an HTTP token`, `${at}/name`);
    } else if (where === 'header' && isReservedParameterHeader(p.name)) {
      ctx.report('TNG259', `header parameter "${p.name}" names a header the runtime or the caller's credential owns`, `${at}/name`);
    }
    if (typeof p.style === 'string' && !PARAMETER_STYLES[where].includes(p.style as ParameterStyle)) {
      ctx.report('TNG261', `style "${p.style}" is not defined for ${where} parameters`, `${at}/style`, { hint: `use one of ${PARAMETER_STYLES[where].join(', ')} (the first is the default)` });
    }
    if (p.allow_reserved === true && where !== 'query') {
      ctx.report('TNG261', `allow_reserved applies to query parameters only, not to ${where} parameter "${p.name}"`, `${at}/allow_reserved`, { key: true, hint: 'remove allow_reserved: path values are always encoded whole, header values are never percent-encoded' });
    }
    if (schemaKnown && Array.isArray(p.argument)) checkArgument(ctx, tool.input_schema as Record<string, unknown>, p.argument as string[], `${at}/argument`, `${where} parameter "${p.name}"`, where === 'path');
  }
  checkPath(ctx, tool, pathParams, params, pointer);
  checkTemplateClashes(ctx, tool, params, pointer);
}

/** TNG254: every `{name}` in the path is a path parameter and every path parameter is in the path. */
function checkPath(ctx: RuleContext, tool: Record<string, unknown>, pathParams: Set<string>, params: unknown[], pointer: string): void {
  if (typeof tool.endpoint_path !== 'string' || !ctx.isClean(`${pointer}/endpoint_path`)) return;
  const parsed = parseParameterPath(tool.endpoint_path);
  if (!parsed.ok) {
    ctx.report('TNG254', `endpoint_path: ${parsed.message} at character ${parsed.offset + 1}`, `${pointer}/endpoint_path`);
    return;
  }
  for (const name of parsed.names) {
    if (!pathParams.has(name)) ctx.report('TNG254', `"{${name}}" in endpoint_path has no \`in: path\` parameter`, `${pointer}/endpoint_path`);
  }
  for (const [i, p] of entriesOf(params)) {
    if (isObject(p) && p.in === 'path' && typeof p.name === 'string' && !parsed.names.includes(p.name)) {
      ctx.report('TNG254', `path parameter "${p.name}" does not appear in endpoint_path as "{${p.name}}"`, `${pointer}/parameters/${i}/name`);
    }
  }
}

/** TNG258: a query or header key sent both by a parameter and by query_template / headers_template. */
function checkTemplateClashes(ctx: RuleContext, tool: Record<string, unknown>, params: unknown[], pointer: string): void {
  const names = (where: string, fold: boolean) =>
    new Set(params.filter((p): p is Record<string, unknown> => isObject(p) && p.in === where && typeof p.name === 'string').map((p) => (fold ? String(p.name).toLowerCase() : String(p.name))));
  const query = names('query', false);
  const headers = names('header', true);
  const hasCookies = names('cookie', false).size > 0;
  for (const k of Object.keys(isObject(tool.query_template) ? tool.query_template : {})) {
    if (query.has(k)) ctx.report('TNG258', `query parameter "${k}" is sent by both a parameter and query_template`, `${pointer}/query_template/${escapePointer(k)}`, { key: true });
  }
  for (const k of Object.keys(isObject(tool.headers_template) ? tool.headers_template : {})) {
    if (headers.has(k.toLowerCase())) ctx.report('TNG258', `header "${k}" is sent by both a parameter and headers_template`, `${pointer}/headers_template/${escapePointer(k)}`, { key: true });
    else if (hasCookies && k.toLowerCase() === 'cookie') {
      ctx.report('TNG258', 'the Cookie header is built from the cookie parameters and also set by headers_template', `${pointer}/headers_template/${escapePointer(k)}`, { key: true, hint: 'declare each cookie as an `in: cookie` parameter instead of templating the Cookie header' });
    }
  }
}

/**
 * TNG255 / TNG256: the argument path names properties all the way down input_schema (through local `$ref`s and
 * `allOf`), and for a path parameter every step is required, so a call cannot leave the path incomplete.
 */
function checkArgument(ctx: RuleContext, root: Record<string, unknown>, path: string[], at: string, what: string, mustBeRequired: boolean): void {
  let nodes: Record<string, unknown>[] = [root];
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!;
    let next: Record<string, unknown>[] = [];
    let required = false;
    for (const node of nodes) {
      for (const s of expand(root, node)) {
        const props = isObject(s.properties) ? s.properties : undefined;
        if (props && Object.hasOwn(props, key) && isObject(props[key])) next.push(props[key] as Record<string, unknown>);
        if (Array.isArray(s.required) && s.required.includes(key)) required = true;
      }
    }
    const shown = `[${path.slice(0, i + 1).join(', ')}]`;
    if (next.length === 0) {
      ctx.report('TNG255', `${what} reads argument ${shown}, which input_schema does not declare`, at, {
        hint: `declare "${key}" in input_schema${i === 0 ? '.properties' : ` under the properties of [${path.slice(0, i).join(', ')}]`}, or point argument at a declared property`,
      });
      return;
    }
    if (mustBeRequired && !required) {
      ctx.report('TNG256', `${what} reads argument ${shown}, which input_schema does not require`, at, { hint: `add "${key}" to the \`required\` list ${i === 0 ? 'of input_schema' : `of [${path.slice(0, i).join(', ')}]`}: the path cannot be built without it` });
      return;
    }
    next = next.slice(0, 16);
    nodes = next;
  }
}

/** A schema with its local `$ref` followed and its `allOf` members, bounded (schemas may be cyclic). */
function expand(root: Record<string, unknown>, node: Record<string, unknown>): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const queue: Record<string, unknown>[] = [node];
  while (queue.length > 0 && out.length < 32) {
    const s = queue.shift()!;
    if (out.includes(s)) continue;
    out.push(s);
    if (typeof s.$ref === 'string') {
      const target = resolveLocal(root, s.$ref);
      if (target) queue.push(target);
    }
    if (Array.isArray(s.allOf)) for (const m of s.allOf) if (isObject(m)) queue.push(m);
  }
  return out;
}

function resolveLocal(root: Record<string, unknown>, ref: string): Record<string, unknown> | undefined {
  if (!ref.startsWith('#')) return undefined;
  let cur: unknown = root;
  for (const raw of ref.slice(1).split('/').slice(1)) {
    let k: string;
    try {
      k = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    } catch {
      return undefined;
    }
    if (!isObject(cur) || !Object.hasOwn(cur, k)) return undefined;
    cur = cur[k];
  }
  return isObject(cur) ? cur : undefined;
}
