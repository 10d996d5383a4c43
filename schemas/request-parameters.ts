// The declarative request mapping of a tool (`parameters`, `body`): shared by `tengine validate`, the OpenAPI
// mapper and the runtime, so all three agree on what a path placeholder is, which styles a location allows and
// which header names a parameter may never set.

/** Where a parameter goes. */
export type ParameterLocation = 'path' | 'query' | 'header' | 'cookie';

/** An OpenAPI serialization style. */
export type ParameterStyle = 'simple' | 'label' | 'matrix' | 'form' | 'spaceDelimited' | 'pipeDelimited' | 'deepObject';

/** The styles OpenAPI 3.1 §4.8.12.4 defines for each location, the default first. */
export const PARAMETER_STYLES: Readonly<Record<ParameterLocation, readonly ParameterStyle[]>> = {
  path: ['simple', 'label', 'matrix'],
  query: ['form', 'spaceDelimited', 'pipeDelimited', 'deepObject'],
  header: ['simple'],
  cookie: ['form'],
};

/** The style a parameter without `style` gets. */
export function defaultStyle(location: ParameterLocation): ParameterStyle {
  return PARAMETER_STYLES[location][0]!;
}

/**
 * OpenAPI's `explode` default: true for `form`, false otherwise. `deepObject` is defined only exploded, so it is
 * always treated as exploded (generators often leave `explode` out there).
 */
export function effectiveExplode(style: ParameterStyle, explode: boolean | undefined): boolean {
  if (style === 'deepObject') return true;
  return explode ?? style === 'form';
}

/**
 * Header names a parameter may never set: the runtime's own (`X-Tengine-*`, framing, `Host`), the identity and
 * credential headers (`Authorization`, `Cookie` — cookies are `in: cookie` parameters), and those OpenAPI says a
 * header parameter does not describe (`Accept`, `Content-Type`, `Authorization`). `User-Agent` identifies the gateway.
 */
export const RESERVED_PARAMETER_HEADERS =
  /^(x-tengine-.*|host|content-length|transfer-encoding|connection|keep-alive|upgrade|te|trailer|proxy-connection|authorization|proxy-authorization|cookie|set-cookie|user-agent|accept|content-type)$/i;

/** True when a header parameter of this name would touch a header the runtime or the caller's identity owns. */
export function isReservedParameterHeader(name: string): boolean {
  return RESERVED_PARAMETER_HEADERS.test(name);
}

/** RFC 9110 §5.6.2 token: what a header or cookie name may consist of. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** True when `name` can be sent as a header or cookie name. */
export function isTokenName(name: string): boolean {
  return TOKEN.test(name);
}

/** An `endpoint_path` of a tool with `parameters`: literal text and `{name}` path parameters in order. */
export type PathPart = { text: string } | { parameter: string };

/** Result of parsing such a path. */
export type ParsedParameterPath = { ok: true; parts: PathPart[]; names: string[] } | { ok: false; message: string; offset: number };

/**
 * Parses `{name}` path parameters with OpenAPI's syntax: a name is one or more characters other than `{`, `}` and
 * `/` (so `{pet-id}`, `{filter.name}` work). A stray brace is an error rather than literal text.
 */
export function parseParameterPath(source: string): ParsedParameterPath {
  const parts: PathPart[] = [];
  const names: string[] = [];
  let text = '';
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === '}') return { ok: false, message: 'unmatched "}"', offset: i };
    if (c !== '{') {
      text += c;
      i += 1;
      continue;
    }
    let end = i + 1;
    while (end < source.length && !'{}/'.includes(source[end]!)) end++;
    if (source[end] !== '}') return { ok: false, message: 'unclosed "{" (a path parameter name cannot contain "{", "}" or "/")', offset: i };
    if (end === i + 1) return { ok: false, message: 'empty path parameter "{}"', offset: i };
    const name = source.slice(i + 1, end);
    if (text) parts.push({ text });
    text = '';
    parts.push({ parameter: name });
    if (!names.includes(name)) names.push(name);
    i = end + 1;
  }
  if (text) parts.push({ text });
  return { ok: true, parts, names };
}
