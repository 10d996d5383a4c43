import type { Tool } from '../../schemas/config-types.js';
import { defaultStyle, effectiveExplode, isReservedParameterHeader, isTokenName, parseParameterPath, type ParameterLocation, type ParameterStyle } from '../../schemas/request-parameters.js';
import { encodeComponent, hasDotPiece, isDotSegment, RenderError } from './render-url.js';
import { scalarText } from './template-values.js';

// OpenAPI-style request mapping (tool `parameters` and `body`), compiled once at bundle load. Values are read from
// the validated arguments by a path of own property names and serialized per OpenAPI 3.1 §4.8.12.4 (RFC 6570).

/** A required value is absent: the caller turns it into INVALID_ARGUMENTS at `pointer`, with the message as the problem. */
export class MissingParameterError extends RenderError {
  constructor(
    message: string,
    /** JSON pointer of the missing argument. */
    readonly pointer: string,
  ) {
    super(message);
  }
}

/** One compiled parameter. */
interface Param {
  name: string;
  /** The name as sent in a query string or matrix path (percent-encoded once here). */
  encName: string;
  in: ParameterLocation;
  argument: readonly string[];
  /** JSON pointer of the argument, for messages. */
  pointer: string;
  style: ParameterStyle;
  explode: boolean;
  required: boolean;
  /** Percent-encodes one name or value for the parameter's location (identity for headers). */
  encode: (s: string) => string;
}

/** A tool's `parameters`, by location; path parameters by name. */
export interface CompiledParameters {
  path: ({ text: string } | { param: Param })[];
  query: Param[];
  headers: Param[];
  cookies: Param[];
}

/** A tool's `body`. */
export interface CompiledBodyArgument {
  argument: readonly string[];
  pointer: string;
  form: boolean;
}

/** RFC 9110 §5.5 field-value characters: VCHAR, SP, HTAB and obs-text (sent as single bytes). */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Compiles `parameters` and `endpoint_path` (whose `{…}` then name path parameters). Header parameters with a
 * reserved name are dropped (validate refuses them; this keeps a hand-built bundle from setting `Authorization` or
 * `X-Tengine-*`). Throws on what `tengine validate` refuses: a path placeholder without its parameter, a bad name.
 */
export function compileParameters(tool: Pick<Tool, 'endpoint_path' | 'parameters'>): CompiledParameters {
  const out: CompiledParameters = { path: [], query: [], headers: [], cookies: [] };
  const byPathName = new Map<string, Param>();
  for (const p of tool.parameters ?? []) {
    const style = p.style ?? defaultStyle(p.in);
    const param: Param = {
      name: p.name,
      encName: encodeComponent(p.name),
      in: p.in,
      argument: Object.freeze([...p.argument]),
      pointer: toPointer(p.argument),
      style,
      explode: effectiveExplode(style, p.explode),
      required: p.in === 'path' || p.required === true,
      encode: p.in === 'header' ? (s) => s : p.in === 'query' && p.allow_reserved ? encodeReserved : encodeComponent,
    };
    if (p.in === 'path') byPathName.set(p.name, param);
    else if (p.in === 'query') out.query.push(param);
    else if (!isTokenName(p.name)) throw new Error(`parameters: "${p.name}" is not a valid ${p.in} name`);
    else if (p.in === 'cookie') out.cookies.push(param);
    else if (!isReservedParameterHeader(p.name)) out.headers.push(param);
  }
  const parsed = parseParameterPath(tool.endpoint_path);
  if (!parsed.ok) throw new Error(`endpoint_path: ${parsed.message} at offset ${parsed.offset}`);
  for (const part of parsed.parts) {
    if ('text' in part) {
      // Non-ASCII literal characters are UTF-8 percent-encoded so the path is sendable (as compilePath does).
      out.path.push({ text: part.text.replace(/[^\x21-\x7e]+/g, (s) => encodeURIComponent(s)) });
      continue;
    }
    const param = byPathName.get(part.parameter);
    if (!param) throw new Error(`endpoint_path: "{${part.parameter}}" has no path parameter`);
    out.path.push({ param });
  }
  return out;
}

/** Compiles `body`. */
export function compileBodyArgument(body: NonNullable<Tool['body']>): CompiledBodyArgument {
  return { argument: Object.freeze([...body.argument]), pointer: toPointer(body.argument), form: body.content_type === 'application/x-www-form-urlencoded' };
}

/** Renders the path: every value percent-encoded within its segment, never a `.`/`..` segment, never empty. */
export function renderParameterPath(c: CompiledParameters, args: Record<string, unknown>): string {
  let out = '';
  for (const part of c.path) {
    if ('text' in part) {
      out += part.text;
      continue;
    }
    const p = part.param;
    const v = valueOf(p, args);
    if (v === undefined) throw new MissingParameterError(`is missing and the path needs it (path parameter "${p.name}")`, p.pointer);
    const text = serializePath(p, v);
    if (text === '') throw new RenderError(`"${p.pointer}" is empty and the path needs a value (path parameter "${p.name}")`);
    out += text;
  }
  for (const segment of out.split('/')) {
    if (isDotSegment(segment)) throw new RenderError('the rendered path contains a "." or ".." segment');
  }
  return out;
}

/** The query pairs of the parameters (`name=value`, encoded), in declaration order; absent optional values left out. */
export function renderParameterQuery(c: CompiledParameters, args: Record<string, unknown>): string[] {
  const pairs: string[] = [];
  for (const p of c.query) {
    const v = present(p, args);
    if (v !== undefined) serializeQuery(p, v, pairs);
  }
  return pairs;
}

/**
 * Appends the header and cookie parameters to `headers` (after `headers_template`'s). Values are checked as
 * header_template values are: a CR, LF, NUL or a character outside ISO-8859-1 is refused, never sent. Cookies are
 * joined into one `Cookie` header, after a templated one if any.
 */
export function appendParameterHeaders(c: CompiledParameters, args: Record<string, unknown>, headers: [string, string][]): void {
  for (const p of c.headers) {
    const v = present(p, args);
    if (v === undefined) continue;
    const value = serializeSimple(p, v);
    if (!FIELD_VALUE.test(value)) throw new RenderError(`the value of header "${p.name}" contains a control character or a character outside ISO-8859-1`);
    headers.push([p.name, value]);
  }
  if (c.cookies.length === 0) return;
  const pairs: string[] = [];
  for (const p of c.cookies) {
    const v = present(p, args);
    if (v !== undefined) serializeCookie(p, v, pairs);
  }
  if (pairs.length === 0) return;
  const existing = headers.find(([n]) => n.toLowerCase() === 'cookie');
  if (existing) existing[1] = `${existing[1]}; ${pairs.join('; ')}`;
  else headers.push(['Cookie', pairs.join('; ')]);
}

/** The request body from its argument (undefined when the argument is absent): JSON text, or a form of its properties. */
export function renderBodyArgument(b: CompiledBodyArgument, args: Record<string, unknown>): Uint8Array | undefined {
  const v = readArgument(args, b.argument);
  if (v === undefined) return undefined;
  if (!b.form) return Buffer.from(JSON.stringify(v), 'utf8');
  if (!isRecord(v)) throw new RenderError(`"${b.pointer}" must be an object to be sent as a form`);
  const pairs: string[] = [];
  for (const key of Object.keys(v)) {
    const item = v[key];
    if (item === undefined || item === null) continue;
    const name = encodeForm(key);
    const text = scalarText(item);
    if (text !== undefined) {
      pairs.push(`${name}=${encodeForm(text)}`);
      continue;
    }
    if (!Array.isArray(item)) throw new RenderError(`"${b.pointer}/${escape(key)}" must be a string, number, boolean or list of them to be sent in a form`);
    for (const x of item) {
      if (x === null) continue;
      const t = scalarText(x);
      if (t === undefined) throw new RenderError(`"${b.pointer}/${escape(key)}" must be a list of strings, numbers or booleans to be sent in a form`);
      pairs.push(`${name}=${encodeForm(t)}`);
    }
  }
  return Buffer.from(pairs.join('&'), 'latin1');
}

/**
 * Reads a value by a path of property names: own properties of plain objects only (as createLookup does), so
 * `__proto__` or `constructor` never resolve to something inherited and a list is never indexed.
 */
export function readArgument(args: Record<string, unknown>, path: readonly string[]): unknown {
  let cur: unknown = args;
  for (const key of path) {
    if (!isRecord(cur) || !Object.hasOwn(cur, key)) return undefined;
    cur = cur[key];
  }
  return cur;
}

/** A parameter value as RFC 6570 sees it: one text, a list of texts or a list of name/text pairs. */
type Shaped = { kind: 'scalar'; text: string } | { kind: 'list'; items: string[] } | { kind: 'map'; entries: [string, string][]; raw: Record<string, unknown> };

/** The value or undefined when absent (null counts as absent); a missing required value is an error. */
function present(p: Param, args: Record<string, unknown>): Shaped | undefined {
  const v = valueOf(p, args);
  if (v === undefined && p.required) throw new MissingParameterError(`is missing and the upstream requires it (${p.in} parameter "${p.name}")`, p.pointer);
  // RFC 6570 §2.3: an empty list or object is undefined, so it is left out like an absent value.
  if (v && v.kind === 'list' && v.items.length === 0) return undefined;
  if (v && v.kind === 'map' && v.entries.length === 0 && p.style !== 'deepObject') return undefined;
  return v;
}

function valueOf(p: Param, args: Record<string, unknown>): Shaped | undefined {
  const v = readArgument(args, p.argument);
  if (v === undefined || v === null) return undefined;
  const text = scalarText(v);
  if (text !== undefined) return { kind: 'scalar', text };
  const where = p.in === 'path' ? 'the path' : `a ${p.in}`;
  if (Array.isArray(v)) {
    const items: string[] = [];
    for (const x of v) {
      if (x === null) continue;
      const t = scalarText(x);
      if (t === undefined) throw new RenderError(`"${p.pointer}" must be a list of strings, numbers or booleans to be used in ${where}`);
      items.push(t);
    }
    return { kind: 'list', items };
  }
  if (isRecord(v)) {
    const entries: [string, string][] = [];
    for (const key of Object.keys(v)) {
      const x = v[key];
      if (x === null || x === undefined) continue;
      const t = scalarText(x);
      if (t === undefined) {
        if (p.style === 'deepObject') continue;
        throw new RenderError(`"${p.pointer}" must be an object of strings, numbers or booleans to be used in ${where}`);
      }
      entries.push([key, t]);
    }
    return { kind: 'map', entries, raw: v };
  }
  throw new RenderError(`"${p.pointer}" must be a string, number, boolean, list or object to be used in ${where}`);
}

/** RFC 6570 expansion of `{name}`, `{.name}`, `{;name}` (and their `*` forms) within one path segment. */
function serializePath(p: Param, v: Shaped): string {
  const e = (s: string) => {
    // A piece that decodes to a dot segment could walk up the upstream's path tree (see render-url.ts).
    if (hasDotPiece(s)) throw new RenderError(`"${p.pointer}" cannot be or contain a "." or ".." segment (encoded or not) in the path`);
    return encodeComponent(s);
  };
  if (p.style === 'simple') return serializeSimple(p, v, e);
  if (p.style === 'label') {
    if (v.kind === 'scalar') return `.${e(v.text)}`;
    const sep = p.explode ? '.' : ',';
    if (v.kind === 'list') return `.${v.items.map(e).join(sep)}`;
    return `.${p.explode ? v.entries.map(([k, x]) => `${e(k)}=${e(x)}`).join('.') : v.entries.flatMap(([k, x]) => [e(k), e(x)]).join(',')}`;
  }
  // matrix: `;name=value`, an empty value as just `;name`.
  const pair = (name: string, text: string) => (text === '' ? `;${name}` : `;${name}=${text}`);
  if (v.kind === 'scalar') return pair(p.encName, e(v.text));
  if (v.kind === 'list') return p.explode ? v.items.map((x) => pair(p.encName, e(x))).join('') : pair(p.encName, v.items.map(e).join(','));
  return p.explode ? v.entries.map(([k, x]) => pair(e(k), e(x))).join('') : pair(p.encName, v.entries.flatMap(([k, x]) => [e(k), e(x)]).join(','));
}

/** `simple` style (path and header): comma-joined lists, objects as `k,v,…` or exploded `k=v,…`. */
function serializeSimple(p: Param, v: Shaped, e: (s: string) => string = p.encode): string {
  if (v.kind === 'scalar') return e(v.text);
  if (v.kind === 'list') return v.items.map(e).join(',');
  return p.explode ? v.entries.map(([k, x]) => `${e(k)}=${e(x)}`).join(',') : v.entries.flatMap(([k, x]) => [e(k), e(x)]).join(',');
}

/** Query styles: form (exploded: repeated keys; else comma-joined), space/pipe-delimited lists, deepObject. */
function serializeQuery(p: Param, v: Shaped, out: string[]): void {
  const e = p.encode;
  if (v.kind === 'scalar') {
    out.push(`${p.encName}=${e(v.text)}`);
    return;
  }
  if (p.style === 'deepObject') {
    if (v.kind === 'map') deepObject(p, p.encName, v.raw, out, 0);
    else for (const x of v.items) out.push(`${p.encName}=${e(x)}`);
    return;
  }
  if (p.explode) {
    if (v.kind === 'list') for (const x of v.items) out.push(`${p.encName}=${e(x)}`);
    else for (const [k, x] of v.entries) out.push(`${encodeComponent(k)}=${e(x)}`);
    return;
  }
  // The delimiters are percent-encoded where RFC 3986 does not allow them in a query (space, `|`).
  const sep = p.style === 'spaceDelimited' ? '%20' : p.style === 'pipeDelimited' ? '%7C' : ',';
  const parts = v.kind === 'list' ? v.items.map(e) : v.entries.flatMap(([k, x]) => [e(k), e(x)]);
  out.push(`${p.encName}=${parts.join(sep)}`);
}

/** `name[key]=value` for each property, nested objects as `name[a][b]`, lists as repeated keys; bounded depth. */
function deepObject(p: Param, prefix: string, obj: Record<string, unknown>, out: string[], depth: number): void {
  if (depth >= 8) throw new RenderError(`"${p.pointer}" nests too deeply to be sent as a query parameter`);
  for (const key of Object.keys(obj)) {
    const x = obj[key];
    if (x === null || x === undefined) continue;
    const name = `${prefix}%5B${encodeComponent(key)}%5D`;
    const text = scalarText(x);
    if (text !== undefined) out.push(`${name}=${p.encode(text)}`);
    else if (isRecord(x)) deepObject(p, name, x, out, depth + 1);
    else if (Array.isArray(x)) {
      for (const item of x) {
        if (item === null) continue;
        const t = scalarText(item);
        if (t === undefined) throw new RenderError(`"${p.pointer}" must hold only strings, numbers, booleans, lists of them and objects to be sent as a query parameter`);
        out.push(`${name}=${p.encode(t)}`);
      }
    } else throw new RenderError(`"${p.pointer}" must hold only strings, numbers, booleans, lists of them and objects to be sent as a query parameter`);
  }
}

/** Cookie `form` style: `name=value` pairs (exploded lists repeat the name, exploded objects use their keys). */
function serializeCookie(p: Param, v: Shaped, out: string[]): void {
  const e = encodeComponent;
  if (v.kind === 'scalar') out.push(`${p.name}=${e(v.text)}`);
  else if (!p.explode) out.push(`${p.name}=${(v.kind === 'list' ? v.items.map(e) : v.entries.flatMap(([k, x]) => [e(k), e(x)])).join(',')}`);
  else if (v.kind === 'list') for (const x of v.items) out.push(`${p.name}=${e(x)}`);
  else for (const [k, x] of v.entries) out.push(`${e(k)}=${e(x)}`);
}

/**
 * `allow_reserved`: RFC 3986 reserved characters stay as written, except those that would end the query or change
 * its pairs (`#`, `&`, `=`, `+`, which form decoders read as a space) and `%` itself; everything else is encoded.
 */
function encodeReserved(s: string): string {
  return encodeComponent(s).replace(/%(3A|2F|3F|5B|5D|40|21|24|27|28|29|2A|2C|3B)/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** application/x-www-form-urlencoded: as a query value, with spaces as `+`. */
function encodeForm(s: string): string {
  return encodeComponent(s).replace(/%20/g, '+');
}

function toPointer(path: readonly string[]): string {
  return path.map((k) => `/${escape(k)}`).join('');
}

function escape(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
