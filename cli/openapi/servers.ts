import { isObject } from './context.js';
import { child, type DocNode } from './refs.js';

/** Where generated tools send requests: an origin for `base_url` and the server's path, prefixed to every endpoint. */
export interface ServerTarget {
  origin: string;
  prefix: string;
  /** Where the URL is written (a server's `url`, Swagger's `host`), for diagnostics about it. */
  node?: DocNode;
}

/** Splits an absolute URL into origin and path prefix (no trailing `/`); undefined when it is not absolute. */
export function splitUrl(url: string): { origin: string; prefix: string } | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
  // The origin as written (URL.origin would drop user info, which the URL rules must still see and refuse).
  const start = url.indexOf('//') + 2;
  const cut = url.slice(start).search(/[/?#]/);
  return { origin: cut < 0 ? url : url.slice(0, start + cut), prefix: u.pathname.replace(/\/+$/, '') };
}

/**
 * The first absolute server of the document: OpenAPI 3 `servers[].url` with its variables at their defaults, or
 * Swagger 2.0 `schemes` (https preferred) + `host` + `basePath`.
 */
export function documentServer(root: DocNode, version: '2.0' | '3.0' | '3.1'): ServerTarget | undefined {
  const doc = root.value as Record<string, unknown>;
  if (version === '2.0') {
    if (typeof doc.host !== 'string') return undefined;
    const schemes = Array.isArray(doc.schemes) ? doc.schemes : [];
    const scheme = schemes.includes('https') || schemes.length === 0 ? 'https' : String(schemes[0]);
    const base = typeof doc.basePath === 'string' ? doc.basePath : '';
    const split = splitUrl(`${scheme}://${doc.host}${base.startsWith('/') ? base : ''}`);
    return split && { ...split, node: child(root, 'host') };
  }
  const servers = child(root, 'servers');
  if (!Array.isArray(servers.value)) return undefined;
  for (let i = 0; i < servers.value.length; i++) {
    const s = child(servers, i);
    if (!isObject(s.value) || typeof s.value.url !== 'string') continue;
    const vars = isObject(s.value.variables) ? s.value.variables : {};
    const url = s.value.url.replace(/\{([^{}]+)\}/g, (m, name: string) => {
      const v = vars[name];
      return isObject(v) && typeof v.default === 'string' ? v.default : m;
    });
    const split = splitUrl(url);
    if (split) return { ...split, node: child(s, 'url') };
  }
  return undefined;
}
