import type { Context } from 'hono';
import { logOf, traceOf } from '../observability/hono-trace.js';
import type { LimitedEndpoint } from '../usage/endpoint-limits.js';
import { authenticateClient, type AuthenticatedClient } from './client-auth.js';
import { pageHeaders, renderErrorPage } from './consent-page.js';
import type { OAuthDeps } from './deps.js';
import { OAuthLimitError } from './errors.js';

/**
 * Charges the request against its endpoint's limits (runtime.endpoint_limits) and throws an OAuthLimitError when one
 * refuses; `client` only for a client that proved who it is. Without a limiter (handlers tested alone) it admits.
 */
export async function chargeEndpoint(c: Context, deps: OAuthDeps, endpoint: LimitedEndpoint, client?: string): Promise<void> {
  if (!deps.limiter) return;
  const verdict = await deps.limiter.chargeRequest(c, endpoint, client);
  if (verdict.ok) return;
  const trace = traceOf(c);
  if (trace && verdict.code === 'RATE_LIMIT_EXCEEDED') trace.fields.limit_scope = verdict.scope;
  throw new OAuthLimitError(verdict.detail, verdict.status, verdict.retryAfterSeconds, verdict.code);
}

/**
 * Authenticates the client of a token or revocation request with the endpoint's limits charged before anything
 * costly. A configured client is looked up and its secret compared (a map lookup and a SHA-256) first, so a
 * confidential client that proved itself is counted per client and per address in one atomic charge; a client that
 * failed, or a public one (whose id anyone may send), per address only. Any other client id may cost a store read or
 * a metadata document fetch, so its address is charged before it is resolved. A refusal by a limit wins over the
 * authentication's own answer, so guessing secrets from one address meets 429s.
 */
export async function authenticateLimitedClient(c: Context, deps: OAuthDeps, endpoint: 'token' | 'revoke', form: Record<string, string>): Promise<AuthenticatedClient> {
  const authorization = c.req.header('authorization');
  if (!deps.limiter) return authenticateClient(authorization, form, (id) => deps.clients.resolve(id));
  let charged = false;
  const resolve = async (id: string) => {
    const configured = deps.model.oauthClients.get(id);
    if (configured) return configured;
    await chargeEndpoint(c, deps, endpoint);
    charged = true;
    return deps.clients.resolve(id);
  };
  let authenticated: AuthenticatedClient;
  try {
    authenticated = await authenticateClient(authorization, form, resolve);
  } catch (e) {
    if (!charged && !(e instanceof OAuthLimitError)) await chargeEndpoint(c, deps, endpoint);
    throw e;
  }
  if (!charged) await chargeEndpoint(c, deps, endpoint, authenticated.client.secretSha256 ? authenticated.client.clientId : undefined);
  return authenticated;
}

/**
 * The browser endpoints' answer to a refusal by a limit: the error page with 429 (or 503) and `Retry-After`, never a
 * redirect to the client (its redirect URI is not even looked at before the limit).
 */
export function limitedPage(c: Context, deps: OAuthDeps, endpoint: string, e: OAuthLimitError): Response {
  logOf(c, deps.log)?.({ level: 'info', event: 'oauth_refused', endpoint, error: e.code, code: e.auditCode, detail: e.description });
  return c.body(renderErrorPage(e.code, e.description), e.status as 429, { ...pageHeaders(), 'Retry-After': String(e.retryAfterSeconds) });
}

/** Runs a browser endpoint's handler behind its limit: a refusal is the error page, anything else the handler's answer. */
export function limitedPageHandler(deps: OAuthDeps, endpoint: LimitedEndpoint, logName: string, handler: (c: Context) => Promise<Response>): (c: Context) => Promise<Response> {
  return async (c) => {
    try {
      await chargeEndpoint(c, deps, endpoint);
    } catch (e) {
      if (e instanceof OAuthLimitError) return limitedPage(c, deps, logName, e);
      throw e;
    }
    return handler(c);
  };
}
