import type { TemplatePart } from '../../schemas/template.js';
import type { Tool } from '../../schemas/config-types.js';
import { compileBody, renderBody, type BodyNode } from './render-body.js';
import {
  appendParameterHeaders,
  compileBodyArgument,
  compileParameters,
  MissingParameterError,
  renderBodyArgument,
  renderParameterPath,
  renderParameterQuery,
  type CompiledBodyArgument,
  type CompiledParameters,
} from './render-parameters.js';
import { compilePath, compileQuery, interpolate, parseValid, RenderError, renderPath, renderQuery, type PathTemplate, type QueryTemplate } from './render-url.js';
import { createLookup } from './template-values.js';
import type { CallerIdentity } from './types.js';

/** Headers the runtime owns (the same list as the CLI's TNG221); a bundle never has them, this is defence in depth. */
const RUNTIME_HEADERS = /^(x-tengine-.*|host|content-length|transfer-encoding|connection|keep-alive|upgrade|te|trailer|proxy-connection)$/i;

/** RFC 9110 §5.5 field-value characters: VCHAR, SP, HTAB and obs-text (U+0080-U+00FF, sent as single bytes). */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

type HeaderTemplate = { name: string; literal: string } | { name: string; parts: TemplatePart[] };

/** A tool's request templates, parsed once at bundle load. */
export interface RequestTemplates {
  path: PathTemplate;
  query: QueryTemplate;
  headers: HeaderTemplate[];
  body: BodyNode | undefined;
  /** `parameters`: then `endpoint_path` is rendered from them, not from `path`. */
  parameters?: CompiledParameters;
  /** `body`: the body from one argument (a tool has it or `body_template`, not both). */
  bodyArgument?: CompiledBodyArgument;
}

/** The rendered request before identity headers and signing. */
export type RenderedRequest =
  | { ok: true; pathAndQuery: string; headers: [string, string][]; body: Uint8Array | undefined }
  | { ok: false; detail: string; missing?: string };

/**
 * Compiles `endpoint_path`, `query_template`, `headers_template` and `body_template`, and the request mapping
 * (`parameters`, `body`) when the tool has one; throws on an invalid template.
 */
export function compileRequestTemplates(tool: Pick<Tool, 'endpoint_path' | 'query_template' | 'headers_template' | 'body_template' | 'parameters' | 'body'>): RequestTemplates {
  const headers: HeaderTemplate[] = [];
  for (const [name, value] of Object.entries(tool.headers_template ?? {})) {
    if (value === undefined || RUNTIME_HEADERS.test(name)) continue;
    if (typeof value !== 'string') headers.push({ name, literal: String(value) });
    else headers.push({ name, parts: parseValid(value, `headers_template.${name}`) });
  }
  const parameters = tool.parameters === undefined ? undefined : compileParameters(tool);
  return {
    // With `parameters`, `{…}` in the path names a path parameter (OpenAPI syntax), not a template variable.
    path: parameters ? { parts: [] } : compilePath(tool.endpoint_path),
    query: compileQuery(tool.query_template),
    headers,
    body: tool.body_template === undefined || tool.body !== undefined ? undefined : compileBody(tool.body_template),
    ...(parameters ? { parameters } : {}),
    ...(tool.body ? { bodyArgument: compileBodyArgument(tool.body) } : {}),
  };
}

/**
 * Renders one call's request from validated arguments and the caller's identity. Returns a detail sentence
 * (argument names only, never values) when an argument cannot be used where the template puts it, with `missing`
 * (its JSON pointer) when a value the request needs is absent.
 */
export function renderRequest(tpl: RequestTemplates, args: Record<string, unknown>, caller: CallerIdentity): RenderedRequest {
  const lookup = createLookup(args, caller);
  try {
    const params = tpl.parameters;
    let pathAndQuery = params ? renderParameterPath(params, args) : renderPath(tpl.path, lookup);
    const query = renderQuery(tpl.query, lookup);
    const pairs = params && params.query.length > 0 ? renderParameterQuery(params, args) : undefined;
    pathAndQuery += pairs && pairs.length > 0 ? `${query === '' ? '?' : `${query}&`}${pairs.join('&')}` : query;
    const body = tpl.bodyArgument ? renderBodyArgument(tpl.bodyArgument, args) : renderBody(tpl.body, lookup);
    const headers: [string, string][] = [];
    // Before the template's headers, so a `headers_template` Content-Type (say `application/merge-patch+json`) wins.
    if (body !== undefined && tpl.bodyArgument?.form) headers.push(['Content-Type', 'application/x-www-form-urlencoded']);
    for (const h of tpl.headers) {
      const value = 'literal' in h ? h.literal : interpolate(h.parts, lookup, 'header');
      if (value === undefined) continue;
      // A CR or LF would let a value start a new header or request (response splitting / request smuggling).
      if (!FIELD_VALUE.test(value)) throw new RenderError(`the value of header "${h.name}" contains a control character or a character outside ISO-8859-1`);
      headers.push([h.name, value]);
    }
    if (params) appendParameterHeaders(params, args, headers);
    return { ok: true, pathAndQuery, headers, body };
  } catch (e) {
    if (e instanceof MissingParameterError) return { ok: false, detail: e.message, missing: e.pointer };
    if (e instanceof RenderError) return { ok: false, detail: e.message };
    throw e;
  }
}
