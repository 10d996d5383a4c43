import { isLoopbackName } from './host-policy.js';

/**
 * CORS for browser-based MCP clients on `runtime.allowed_origins` (and the runtime's own origin). The Origin check
 * in the MCP handler is the DNS-rebinding defence; this is the other half: without these headers a browser refuses
 * to hand an allowed origin its response, and without an answer to the preflight it never sends the POST at all.
 * Bearer tokens travel in `Authorization`, not cookies, so credentials mode is never granted.
 */
export interface CorsPolicy {
  /** True when `origin` may call `/mcp`. */
  allows(origin: string): boolean;
  /** Headers that let an allowed origin read a response (empty for no or a refused Origin). */
  responseHeaders(origin: string | undefined): Record<string, string>;
  /** Headers of a successful preflight for an allowed origin. */
  preflightHeaders(origin: string): Record<string, string>;
}

/** Request headers MCP clients send (Streamable HTTP: Mcp-Method and Mcp-Name from 2026-07-28; Mcp-Session-Id and Last-Event-ID before, though this server uses neither). */
const ALLOW_HEADERS = 'Authorization, Content-Type, Accept, MCP-Protocol-Version, Mcp-Method, Mcp-Name, Mcp-Session-Id, Last-Event-ID';
const NONE: Record<string, string> = Object.freeze({}) as Record<string, string>;

/**
 * Creates the policy for the configured origins plus the runtime's own public origin. A loopback origin stands for all
 * its spellings (`http://localhost:8080`, `http://127.0.0.1:8080`, `http://[::1]:8080`): they are the same machine and
 * port, and a developer's browser uses whichever the terminal printed.
 */
export function createCorsPolicy(allowedOrigins: readonly string[], selfOrigin?: string): CorsPolicy {
  const allowed = new Set<string>();
  for (const origin of [...allowedOrigins, ...(selfOrigin ? [selfOrigin] : [])]) for (const o of loopbackSpellings(origin)) allowed.add(o);
  return {
    allows: (origin) => allowed.has(origin),
    responseHeaders: (origin): Record<string, string> =>
      origin !== undefined && allowed.has(origin)
        ? // WWW-Authenticate carries resource_metadata, which a browser client needs to start OAuth discovery.
          { 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': 'WWW-Authenticate', Vary: 'Origin' }
        : NONE,
    preflightHeaders: (origin) => ({
      'Access-Control-Allow-Origin': origin,
      // GET and DELETE answer 405; letting them through the preflight lets SDK clients read that 405.
      'Access-Control-Allow-Methods': 'POST, GET, DELETE',
      'Access-Control-Allow-Headers': ALLOW_HEADERS,
      'Access-Control-Max-Age': '600',
      Vary: 'Origin',
    }),
  };
}

/** The origin itself, plus its other loopback spellings when its host is a loopback name. */
function loopbackSpellings(origin: string): string[] {
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    return [origin];
  }
  // WHATWG URL keeps IPv6 hosts bracketed (`[::1]`) and folds 127.1 and 0x7f000001 into 127.0.0.1.
  if (u.origin === 'null' || !isLoopbackName(u.hostname)) return [origin];
  const port = u.port ? `:${u.port}` : '';
  return [origin, ...['localhost', '127.0.0.1', '[::1]'].map((h) => `${u.protocol}//${h}${port}`)];
}
