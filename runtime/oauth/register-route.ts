import { logOf } from '../observability/hono-trace.js';
import type { Context } from 'hono';
import { isSendableIdentity } from '../members/verify-assertion.js';
import type { OAuthDeps } from './deps.js';
import { NO_STORE_HEADERS, OAuthError, OAuthLimitError } from './errors.js';
import { chargeEndpoint } from './endpoint-limit.js';
import { MAX_REDIRECT_URI_LENGTH, parseScope } from './policy.js';
import { MAX_OAUTH_PARAMS_BYTES } from './request-params.js';

/** Hosts on which a redirect URI or a development client_id URL may use plain http (as `URL.hostname` spells them). */
export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);
const MAX_REDIRECT_URIS = 10;

/**
 * POST /api/v1/mcp-oauth/register (and /register, the default path of 2025-03-26 clients): RFC 7591 dynamic client
 * registration through the integration whose `dynamic_registration` allows it. Registered clients are public
 * (`token_endpoint_auth_method: none`) and act as that integration: its project, scope ceiling, and sign-in (the
 * member login or the connect secret), so registering grants nothing by itself. Redirect URIs must point to one of
 * `allowed_redirect_hosts`, over https (or http on a loopback host), without fragment or userinfo.
 */
export function registerHandler(deps: OAuthDeps) {
  return async (c: Context): Promise<Response> => {
    try {
      // Per address, before anything is read: each registration stores a client for weeks.
      await chargeEndpoint(c, deps, 'register');
      const registrar = deps.clients.registrar;
      if (!registrar?.registration) throw new OAuthError('invalid_request', 'dynamic client registration is not enabled on this server');
      const meta = await readJson(c.req.raw);
      const redirectUris = checkRedirectUris(meta.redirect_uris, registrar.registration.allowedRedirectHosts);
      const method = meta.token_endpoint_auth_method;
      if (method !== undefined && method !== 'none') throw new OAuthError('invalid_client_metadata', 'only public clients register here: token_endpoint_auth_method must be "none" (the person signing in proves they may connect)');
      const grants = meta.grant_types ?? ['authorization_code', 'refresh_token'];
      if (!Array.isArray(grants) || !grants.includes('authorization_code') || grants.some((g) => g !== 'authorization_code' && g !== 'refresh_token')) {
        throw new OAuthError('invalid_client_metadata', 'grant_types must be authorization_code, optionally with refresh_token');
      }
      const responses = meta.response_types ?? ['code'];
      if (!Array.isArray(responses) || responses.some((r) => r !== 'code')) throw new OAuthError('invalid_client_metadata', 'response_types must be ["code"]');
      const name = meta.client_name ?? 'Registered MCP client';
      if (typeof name !== 'string' || name.length === 0 || name.length > 200 || !isSendableIdentity(name)) throw new OAuthError('invalid_client_metadata', 'client_name must be 1-200 printable characters');
      if (meta.scope !== undefined) {
        if (typeof meta.scope !== 'string') throw new OAuthError('invalid_client_metadata', 'scope must be a string');
        const extra = parseScope(meta.scope).find((s) => !registrar.scopes.includes(s));
        if (extra !== undefined) throw new OAuthError('invalid_client_metadata', `"${extra.slice(0, 100)}" is not a scope clients of this server may be granted`);
      }
      const client = await deps.clients.register(name, redirectUris, deps.now());
      logOf(c, deps.log)?.({ level: 'info', event: 'oauth_client_registered', client_id: client.clientId, project: client.projectId, integration: client.integrationId, redirect_hosts: redirectUris.map((u) => new URL(u).host) });
      return c.json(
        {
          client_id: client.clientId,
          client_id_issued_at: Math.floor(deps.now() / 1000),
          client_name: name,
          redirect_uris: redirectUris,
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'none',
          scope: client.scopes.join(' '),
        },
        201,
        { ...NO_STORE_HEADERS, 'Access-Control-Allow-Origin': '*' },
      );
    } catch (e) {
      const err = e instanceof OAuthError ? e : new OAuthError('temporarily_unavailable', 'the registration cannot be stored right now; try again');
      const limited = err instanceof OAuthLimitError ? err : undefined;
      logOf(c, deps.log)?.({ level: 'info', event: 'oauth_refused', endpoint: 'register', error: err.code, ...(limited ? { code: limited.auditCode } : {}), detail: err.description });
      return c.json(err.body(), err.status as 400, { ...NO_STORE_HEADERS, 'Access-Control-Allow-Origin': '*', ...(limited ? { 'Retry-After': String(limited.retryAfterSeconds) } : {}) });
    }
  };
}

async function readJson(req: Request): Promise<Record<string, unknown>> {
  const type = req.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw new OAuthError('invalid_client_metadata', 'the registration must be a JSON object (Content-Type: application/json)');
  if (Number(req.headers.get('content-length') ?? '0') > MAX_OAUTH_PARAMS_BYTES) throw new OAuthError('invalid_client_metadata', `the registration is larger than ${MAX_OAUTH_PARAMS_BYTES} bytes`);
  const text = await req.text();
  if (Buffer.byteLength(text) > MAX_OAUTH_PARAMS_BYTES) throw new OAuthError('invalid_client_metadata', `the registration is larger than ${MAX_OAUTH_PARAMS_BYTES} bytes`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new OAuthError('invalid_client_metadata', 'the registration is not valid JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new OAuthError('invalid_client_metadata', 'the registration must be a JSON object');
  return v as Record<string, unknown>;
}

/** The redirect URIs of a registration or metadata document, each checked (RFC 7591 §2: invalid_redirect_uri otherwise). */
export function checkRedirectUris(value: unknown, allowedHosts: readonly string[]): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_REDIRECT_URIS) throw new OAuthError('invalid_redirect_uri', `redirect_uris must list 1-${MAX_REDIRECT_URIS} URIs`);
  const out: string[] = [];
  for (const uri of value) {
    if (typeof uri !== 'string' || uri.length === 0 || uri.length > MAX_REDIRECT_URI_LENGTH || uri.includes('#')) throw new OAuthError('invalid_redirect_uri', 'each redirect URI must be an absolute URI without a fragment');
    let u: URL;
    try {
      u = new URL(uri);
    } catch {
      throw new OAuthError('invalid_redirect_uri', `${JSON.stringify(uri.slice(0, 200))} is not an absolute URI`);
    }
    if (u.username !== '' || u.password !== '') throw new OAuthError('invalid_redirect_uri', 'a redirect URI may not hold userinfo');
    const host = u.hostname;
    const loopback = LOOPBACK_HOSTS.has(host);
    if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) throw new OAuthError('invalid_redirect_uri', `${JSON.stringify(uri.slice(0, 200))} must be https (http only on a loopback host)`);
    if (!allowedHosts.includes(host)) throw new OAuthError('invalid_redirect_uri', `redirect URIs may point to ${allowedHosts.join(', ')} only, not ${host}`);
    out.push(uri);
  }
  return out;
}
