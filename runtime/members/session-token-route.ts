import { logOf, traceOf } from '../observability/hono-trace.js';
import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import { authenticate, quotedParam } from '../auth/authenticate.js';
import type { RuntimeModel } from '../load/runtime-model.js';
import { StoreUnavailableError, type Store } from '../store/store.js';
import { ASSERTION_CLOCK_TOLERANCE_S, isMemberId, verifyAssertion } from './verify-assertion.js';
import type { Member } from './session-tokens.js';
import type { VerifiedAssertion } from './verify-assertion.js';
import type { EndpointLimiter } from '../usage/endpoint-limits.js';

/** What the exchange needs. */
export interface SessionTokenDeps {
  model: RuntimeModel;
  store: Store;
  now: () => number;
  log?: (entry: Record<string, unknown>) => void;
  /** Per-client and per-IP limits (`runtime.endpoint_limits.session_token`); none in tests of the exchange alone. */
  limiter?: EndpointLimiter;
}

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

/**
 * `POST /api/v1/mcp/session-token`: exchanges a member assertion signed by the customer's backend (or, in
 * development projects only, a raw `member_external_id`) for a `tng_mst_` member session token. Authenticated
 * by a project API key; errors use the compatible `{"detail": …}` body plus a stable `code`.
 */
export function sessionTokenHandler(deps: SessionTokenDeps) {
  const fail = (c: Context, status: number, detail: string, code: string) => {
    // Every refusal is an audited exchange refusal with its stable code, whether or not a line was logged before it.
    const trace = traceOf(c);
    if (trace) Object.assign(trace.fields, { event: 'session_token_refused', code });
    return c.json({ detail, code }, status as 400, NO_STORE);
  };
  return async (c: Context) => {
    const auth = authenticate(c.req.header('authorization'), deps.model);
    // Counted after the key is looked up (a hash and a map lookup) and before the body is read or an assertion
    // verified: per integration once the key matched, per address always, so wrong keys count against their sender.
    if (deps.limiter) {
      const client = auth.ok && auth.caller.kind === 'api_key' ? `${auth.caller.projectId}/${auth.caller.integrationId}` : undefined;
      const verdict = await deps.limiter.chargeRequest(c, 'session_token', client);
      if (!verdict.ok) {
        c.header('Retry-After', String(verdict.retryAfterSeconds));
        if (verdict.code === 'RATE_LIMIT_EXCEEDED') {
          const trace = traceOf(c);
          if (trace) Object.assign(trace.fields, { limit_scope: verdict.scope }, auth.ok ? { project: auth.caller.projectId, integration: auth.caller.integrationId } : {});
          return fail(c, 429, `Rate limit exceeded: ${verdict.detail}`, 'RATE_LIMIT_EXCEEDED');
        }
        return fail(c, 503, 'Session store unavailable, retry shortly', 'STORE_UNAVAILABLE');
      }
    }
    // Only a project API key may mint sessions: a member token presented here is not a key.
    if (!auth.ok || auth.caller.kind !== 'api_key') {
      // The body keeps the compatible catalogue's text; the challenge says what is wrong (RFC 6750 §3).
      const why = auth.ok ? 'a member session token cannot mint sessions: send the project API key' : auth.reason === 'missing' && c.req.header('authorization') === undefined ? undefined : auth.detail;
      c.header('WWW-Authenticate', `Bearer realm="tengine"${why ? `, error="invalid_token", error_description="${quotedParam(why)}"` : ''}`);
      return fail(c, 401, 'Invalid or inactive API key', auth.ok || auth.reason !== 'missing' ? 'INVALID_API_KEY' : 'MISSING_API_KEY');
    }
    const { projectId, integrationId } = auth.caller;
    const trace = traceOf(c);
    if (trace) Object.assign(trace.fields, { project: projectId, integration: integrationId });
    if (!deps.model.sessions || !deps.model.sessions.canMint()) {
      return fail(c, 503, 'Member sessions are not available: the runtime has no token signing key', 'SESSIONS_UNAVAILABLE');
    }
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch {
      return fail(c, 400, 'Request body must be a JSON object', 'INVALID_BODY');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return fail(c, 400, 'Request body must be a JSON object', 'INVALID_BODY');
    const { member_assertion: assertion, member_external_id: externalId } = body as Record<string, unknown>;

    let member: Member;
    if (assertion !== undefined && assertion !== null) {
      if (typeof assertion !== 'string') return fail(c, 401, 'Invalid member assertion: MALFORMED', 'MALFORMED');
      const nowMs = deps.now();
      const v = await verifyAssertion(assertion, projectId, deps.model.assertionKeys.get(projectId), nowMs);
      if (!v.ok) {
        logOf(c, deps.log)?.({ level: 'info', event: 'session_token_refused', project: projectId, integration: integrationId, code: v.failure });
        if (v.failure === 'SUB_INVALID') return fail(c, 400, 'Could not resolve member_external_id', 'SUB_INVALID');
        return fail(c, 401, `Invalid member assertion: ${v.failure}`, v.failure);
      }
      // Replay guard shared by every instance: the first use wins until the assertion expires. With a `jti` the
      // guard is (project, kid, jti); without one (the compatible product's own client code mints none) it is the
      // assertion in its canonical spelling, so the same assertion is accepted once, whatever its signature's encoding.
      const key = replayGuardKey(projectId, v.assertion);
      const ttlMs = Math.max(1000, (v.assertion.exp + ASSERTION_CLOCK_TOLERANCE_S) * 1000 - nowMs);
      try {
        if (!(await deps.store.setIfAbsent(key, '1', ttlMs))) {
          logOf(c, deps.log)?.({ level: 'info', event: 'session_token_refused', project: projectId, integration: integrationId, code: 'REPLAYED' });
          return fail(c, 401, 'Invalid member assertion: REPLAYED', 'REPLAYED');
        }
      } catch (e) {
        if (e instanceof StoreUnavailableError) return fail(c, 503, 'Session store unavailable, retry shortly', 'STORE_UNAVAILABLE');
        throw e;
      }
      member = v.assertion.member;
    } else if (externalId !== undefined && externalId !== null) {
      if (deps.model.projects.get(projectId)?.environment !== 'development') {
        return fail(c, 403, 'member_external_id mode disabled in production', 'EXTERNAL_ID_DISABLED');
      }
      if (!isMemberId(externalId)) {
        return fail(c, 400, 'Could not resolve member_external_id', 'SUB_INVALID');
      }
      member = { id: externalId };
    } else {
      return fail(c, 400, 'Provide member_assertion or member_external_id', 'MISSING_MEMBER');
    }

    const minted = deps.model.sessions.mint(projectId, integrationId, member);
    const ttl = minted.exp - minted.iat;
    logOf(c, deps.log)?.({ level: 'info', event: 'session_token_issued', project: projectId, integration: integrationId, member: member.id });
    return c.json(
      {
        token: minted.token,
        token_type: 'Bearer',
        expires_in: ttl,
        // The hosted product's field (its quick start caches by it); whole minutes.
        expires_in_minutes: Math.floor(ttl / 60),
        expires_at: new Date(minted.exp * 1000).toISOString(),
        project_id: projectId,
        integration_id: integrationId,
        member_id: member.id,
      },
      200,
      NO_STORE,
    );
  };
}

/**
 * The store key of an assertion's replay guard: `jti:` + SHA-256 of (project, kid, jti) when it has a `jti`, else
 * `asn:` + SHA-256 of (project, the assertion's canonical spelling). Only hashes are stored (docs/storage.md).
 */
export function replayGuardKey(projectId: string, a: Pick<VerifiedAssertion, 'kid' | 'jti' | 'replayId'>): string {
  if (a.jti !== undefined) return `jti:${createHash('sha256').update(`${projectId}\u0000${a.kid}\u0000${a.jti}`).digest('hex')}`;
  return `asn:${createHash('sha256').update(`${projectId}\u0000${a.replayId}`).digest('hex')}`;
}
