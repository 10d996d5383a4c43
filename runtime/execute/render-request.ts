import type { TemplatePart } from '../../schemas/template.js';
import type { Tool } from '../../schemas/config-types.js';
import { compileBody, renderBody, type BodyNode } from './render-body.js';
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
}

/** The rendered request before identity headers and signing. */
export type RenderedRequest =
  | { ok: true; pathAndQuery: string; headers: [string, string][]; body: Uint8Array | undefined }
  | { ok: false; detail: string };

/** Compiles `endpoint_path`, `query_template`, `headers_template` and `body_template`; throws on an invalid template. */
export function compileRequestTemplates(tool: Pick<Tool, 'endpoint_path' | 'query_template' | 'headers_template' | 'body_template'>): RequestTemplates {
  const headers: HeaderTemplate[] = [];
  for (const [name, value] of Object.entries(tool.headers_template ?? {})) {
    if (value === undefined || RUNTIME_HEADERS.test(name)) continue;
    if (typeof value !== 'string') headers.push({ name, literal: String(value) });
    else headers.push({ name, parts: parseValid(value, `headers_template.${name}`) });
  }
  return {
    path: compilePath(tool.endpoint_path),
    query: compileQuery(tool.query_template),
    headers,
    body: tool.body_template === undefined ? undefined : compileBody(tool.body_template),
  };
}

/**
 * Renders one call's request from validated arguments and the caller's identity. Returns a detail sentence
 * (argument names only, never values) when an argument cannot be used where the template puts it.
 */
export function renderRequest(tpl: RequestTemplates, args: Record<string, unknown>, caller: CallerIdentity): RenderedRequest {
  const lookup = createLookup(args, caller);
  try {
    const pathAndQuery = renderPath(tpl.path, lookup) + renderQuery(tpl.query, lookup);
    const headers: [string, string][] = [];
    for (const h of tpl.headers) {
      const value = 'literal' in h ? h.literal : interpolate(h.parts, lookup, 'header');
      if (value === undefined) continue;
      // A CR or LF would let a value start a new header or request (response splitting / request smuggling).
      if (!FIELD_VALUE.test(value)) throw new RenderError(`the value of header "${h.name}" contains a control character or a character outside ISO-8859-1`);
      headers.push([h.name, value]);
    }
    return { ok: true, pathAndQuery, headers, body: renderBody(tpl.body, lookup) };
  } catch (e) {
    if (e instanceof RenderError) return { ok: false, detail: e.message };
    throw e;
  }
}
