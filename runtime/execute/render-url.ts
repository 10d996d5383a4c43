import { parseTemplate, type TemplatePart } from '../../schemas/template.js';
import { scalarText, type TemplateLookup } from './template-values.js';

/** Why a value could not be rendered; the caller turns it into ARGUMENT_NOT_RENDERABLE. */
export class RenderError extends Error {}

/**
 * Percent-encodes everything except the RFC 3986 §2.3 unreserved characters (`A-Z a-z 0-9 - . _ ~`), as UTF-8.
 * encodeURIComponent also keeps `! ' ( ) *`, which some servers treat as delimiters, so those are encoded too.
 * Throws RenderError for a string with a lone surrogate (it has no UTF-8 form).
 */
export function encodeComponent(value: string): string {
  let out: string;
  try {
    out = encodeURIComponent(value);
  } catch {
    throw new RenderError('is not valid Unicode text');
  }
  return out.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Parses a template known to be valid (the bundle passed `tengine validate`); a bad one is a programmer error. */
export function parseValid(source: string, where: string): TemplatePart[] {
  const parsed = parseTemplate(source);
  if (!parsed.ok) throw new Error(`${where}: ${parsed.message} at offset ${parsed.offset}`);
  return parsed.parts;
}

/** The compiled `endpoint_path`: literal parts kept as written, placeholders filled per call. */
export interface PathTemplate {
  parts: TemplatePart[];
}

/** Compiles `endpoint_path` once. Non-ASCII literal characters are UTF-8 percent-encoded so the path is sendable. */
export function compilePath(source: string): PathTemplate {
  const parts = parseValid(source, 'endpoint_path').map((p) => ('text' in p ? { text: p.text.replace(/[^\x21-\x7e]+/g, (s) => encodeURIComponent(s)) } : p));
  return { parts };
}

/** Renders the path: every value becomes exactly one path segment (or part of one), never `.`/`..`, never empty. */
export function renderPath(tpl: PathTemplate, lookup: TemplateLookup): string {
  let out = '';
  for (const part of tpl.parts) {
    if ('text' in part) {
      out += part.text;
      continue;
    }
    const v = lookup(part.variable);
    if (v === undefined) throw new RenderError(`"${part.variable}" is missing and the path needs it`);
    if (v.text === undefined) throw new RenderError(`"${part.variable}" must be a string, number or boolean to be used in the path`);
    if (v.text === '') throw new RenderError(`"${part.variable}" is empty and the path needs a value`);
    // A value that decodes (once, or again by a double-decoding proxy) to a dot segment could walk up the
    // upstream's path tree; refuse it rather than rely on every hop keeping `%2E` opaque.
    if (hasDotPiece(v.text)) throw new RenderError(`"${part.variable}" cannot be or contain a "." or ".." segment (encoded or not) in the path`);
    out += encodeComponent(v.text);
  }
  for (const segment of out.split('/')) {
    if (isDotSegment(segment)) throw new RenderError('the rendered path contains a "." or ".." segment');
  }
  return out;
}

/** True when `s`, percent-decoded until it stops changing (or its NFKC fold), is `.` or `..`. */
export function isDotSegment(s: string): boolean {
  return seenAs(s).some((d) => d === '.' || d === '..');
}

/**
 * True when a value, fully percent-decoded, has a `.` or `..` piece between `/` or `\` (`../x`, `a/..`, `%2e%2e`).
 * Such a value is one harmless segment for a compliant upstream, but an upstream or proxy that decodes `%2F`
 * before routing would see a traversal, so it is refused. Values with ordinary slashes (`a/b`) are fine.
 */
export function hasDotPiece(s: string): boolean {
  return seenAs(s).some((d) => d.split(/[/\\]/).some((p) => p === '.' || p === '..'));
}

/**
 * What a hop on the way may make of a value: fully percent-decoded, and for non-ASCII text also its NFKC fold, which
 * turns `．．／` (fullwidth) or `‥` (two dot leader) into `../` for upstreams and proxies that normalize paths.
 */
function seenAs(s: string): string[] {
  const d = decodeFully(s);
  return /[^\x00-\x7f]/.test(d) ? [d, d.normalize('NFKC')] : [d];
}

function decodeFully(s: string): string {
  let cur = s;
  // Bounded: each round removes at least one `%`; eight layers of encoding is already absurd.
  for (let i = 0; i < 8 && cur.includes('%'); i++) {
    let next: string;
    try {
      next = decodeURIComponent(cur);
    } catch {
      // Not valid escapes throughout: decode just the escapes that can build a dot segment or a separator.
      next = cur.replace(/%2e/gi, '.').replace(/%2f/gi, '/').replace(/%5c/gi, '\\').replace(/%25/g, '%');
    }
    if (next === cur) break;
    cur = next;
  }
  return cur;
}

type QueryParam = { name: string; literal: string } | { name: string; parts: TemplatePart[]; whole?: string };

/** The compiled `query_template`, in the order written. */
export interface QueryTemplate {
  params: QueryParam[];
}

/** Compiles `query_template` once; static numbers and booleans are sent as their text. */
export function compileQuery(source: Record<string, string | number | boolean | undefined> | undefined): QueryTemplate {
  const params: QueryParam[] = [];
  for (const [name, value] of Object.entries(source ?? {})) {
    if (value === undefined) continue;
    const encName = encodeComponent(name);
    if (typeof value !== 'string') {
      params.push({ name: encName, literal: `${encName}=${encodeComponent(String(value))}` });
      continue;
    }
    const parts = parseValid(value, `query_template.${name}`);
    if (parts.every((p) => 'text' in p)) {
      params.push({ name: encName, literal: `${encName}=${encodeComponent(parts.map((p) => ('text' in p ? p.text : '')).join(''))}` });
      continue;
    }
    const only = parts.length === 1 ? parts[0] : undefined;
    params.push({ name: encName, parts, ...(only && 'variable' in only ? { whole: only.variable } : {}) });
  }
  return { params };
}

/** Renders the query string (with its leading `?`, or empty). A parameter that needs a missing value is left out. */
export function renderQuery(tpl: QueryTemplate, lookup: TemplateLookup): string {
  const out: string[] = [];
  for (const p of tpl.params) {
    if ('literal' in p) {
      out.push(p.literal);
      continue;
    }
    if (p.whole !== undefined) {
      const v = lookup(p.whole);
      if (v === undefined || v.json === null) continue;
      if (v.text === undefined && Array.isArray(v.json)) {
        // `ids: "{ids}"` with ["a","b"] → ids=a&ids=b, the form most servers parse as a list.
        for (const item of v.json) {
          const t = scalarText(item);
          if (t === undefined) throw new RenderError(`"${p.whole}" must be a list of strings, numbers or booleans to be used in the query`);
          out.push(`${p.name}=${encodeComponent(t)}`);
        }
        continue;
      }
      if (v.text === undefined) throw new RenderError(`"${p.whole}" must be a string, number, boolean or list of them to be used in the query`);
      out.push(`${p.name}=${encodeComponent(v.text)}`);
      continue;
    }
    const text = interpolate(p.parts, lookup, 'query');
    if (text !== undefined) out.push(`${p.name}=${encodeComponent(text)}`);
  }
  return out.length > 0 ? `?${out.join('&')}` : '';
}

/**
 * Joins literal text and scalar values; undefined when a value is missing or null (the caller leaves the
 * parameter or header out). Objects and lists have no text form here, so they are refused rather than guessed.
 */
export function interpolate(parts: TemplatePart[], lookup: TemplateLookup, where: 'query' | 'header'): string | undefined {
  let text = '';
  for (const part of parts) {
    if ('text' in part) {
      text += part.text;
      continue;
    }
    const v = lookup(part.variable);
    if (v === undefined || v.json === null) return undefined;
    if (v.text === undefined) throw new RenderError(`"${part.variable}" must be a string, number or boolean to be used in a ${where}`);
    text += v.text;
  }
  return text;
}
