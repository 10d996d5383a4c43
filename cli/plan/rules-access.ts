import { limitBurst, limitRate } from './diff-tool.js';
import { ruleHit } from './rule-catalogue.js';
import type { FieldChange, PlanChange, RuleHit } from './types.js';
import { compact, durationMs, isObject } from './values.js';

const TTL_SETTINGS = new Set(['member_session_ttl', 'access_token_ttl', 'refresh_token_ttl']);

function limitText(l: unknown): string {
  if (!isObject(l)) return compact(l);
  const period = typeof l.quota === 'string' ? `${l.quota} (quota)` : `${String(l.window)}${typeof l.burst === 'number' ? ` burst ${l.burst}` : ''}`;
  return `${String(l.limit)} per ${period} per ${String(l.per)}`;
}

/**
 * Rules for a usage limit change (of a tool, an integration or a project), compared by calls per unit of time and
 * by burst: a new or lower limit may refuse callers that passed before; a removed or higher one protects less.
 */
export function limitRules(f: FieldChange): RuleHit[] {
  if (f.kind === 'added') return [ruleHit('USAGE_LIMIT_TIGHTENED', `new limit ${limitText(f.after)}: callers over it are refused`, f)];
  if (f.kind === 'removed') return [ruleHit('USAGE_LIMIT_REMOVED', `limit ${limitText(f.before)} removed`, f)];
  const raised = limitRate(f.after) > limitRate(f.before) || limitBurst(f.after) > limitBurst(f.before);
  const lowered = limitRate(f.after) < limitRate(f.before) || limitBurst(f.after) < limitBurst(f.before);
  const text = `${limitText(f.before)} → ${limitText(f.after)}`;
  if (raised) return [ruleHit('USAGE_LIMIT_RAISED', `limit raised: ${text}`, f)];
  return [ruleHit('USAGE_LIMIT_TIGHTENED', `${lowered ? 'limit lowered' : 'limit restated (same rate and burst)'}: ${text}`, f)];
}

/** Rules for a change of `usage_policy`: fail_open during a store outage admits calls no shared counter sees. */
function policyRules(f: FieldChange): RuleHit[] {
  const b = isObject(f.before) ? f.before : {};
  const a = isObject(f.after) ? f.after : {};
  const mode = (p: Record<string, unknown>) => (p.on_store_unavailable ?? 'fail_open') as string;
  const instances = (p: Record<string, unknown>) => (typeof p.expected_instances === 'number' ? p.expected_instances : 2);
  if (mode(a) === 'fail_open' && mode(b) !== 'fail_open') {
    return [ruleHit('USAGE_POLICY_FAIL_OPEN', 'on_store_unavailable fail_closed → fail_open: during a store outage each instance admits calls on its own counters', f)];
  }
  if (mode(a) === 'fail_open' && instances(a) < instances(b)) {
    return [ruleHit('USAGE_POLICY_FAIL_OPEN', `expected_instances ${instances(b)} → ${instances(a)}: during a store outage each instance admits a larger share of every limit`, f)];
  }
  return [ruleHit('PROJECT_CHANGED', `usage_policy ${compact(f.before)} → ${compact(f.after)}`, f)];
}

/** Rules for a project added, removed or changed (its own fields; tools and keys are changes of their own). */
export function projectRules(c: PlanChange): RuleHit[] {
  const dev = c.fields.find((f) => f.field === 'environment' && f.after === 'development');
  const privateNets = c.fields.find((f) => f.field === 'allow_private_networks' && f.after === true);
  if (c.action === 'remove') return [ruleHit('PROJECT_REMOVED', 'the project and everything in it is gone: its callers are refused')];
  if (c.action === 'add') {
    const hits = [ruleHit('PROJECT_ADDED', 'new project')];
    if (dev) hits.push(ruleHit('ENVIRONMENT_DEVELOPMENT', 'the new project is environment: development (loopback http upstreams, unsigned member sessions)', dev));
    if (privateNets) hits.push(ruleHit('PRIVATE_NETWORKS_ALLOWED', 'the new project allows private networks: its tools may call addresses in 10/8, 172.16/12, 192.168/16, 100.64/10 and fc00::/7', privateNets));
    return hits;
  }
  return c.fields.flatMap((f): RuleHit[] => {
    if (f.field === 'usage_limits') return limitRules(f);
    if (f.field === 'idempotency') return [projectIdempotencyRule(f)];
    if (f.field === 'usage_policy') return policyRules(f);
    if (f === dev) return [ruleHit('ENVIRONMENT_DEVELOPMENT', 'environment production → development: allows loopback http upstreams and member sessions without a signed assertion', f)];
    if (f.field === 'allow_private_networks' && f.after === false) return [ruleHit('PROJECT_CHANGED', 'allow_private_networks true → false: tools whose host resolves to a private address now fail with UPSTREAM_ADDRESS_BLOCKED', f)];
    if (f === privateNets) return [ruleHit('PRIVATE_NETWORKS_ALLOWED', "allow_private_networks false → true: the project's tools may now call private addresses (internal APIs, and anything else on the runtime's network)", f)];
    return [ruleHit('PROJECT_CHANGED', `${f.field}${f.pointer} ${f.kind}`, f)];
  });
}

/**
 * The project's idempotency default: `enabled: false` turns de-duplication off for every tool that does not turn
 * it on itself (breaking, as for one tool); anything else changes the window, the cap or turns it on.
 */
function projectIdempotencyRule(f: FieldChange): RuleHit {
  const enabledAfter = f.pointer === '/enabled' ? f.after : (f.after as { enabled?: unknown } | undefined)?.enabled;
  const enabledBefore = f.pointer === '/enabled' ? f.before : (f.before as { enabled?: unknown } | undefined)?.enabled;
  if (enabledAfter === false && enabledBefore !== false) {
    return ruleHit('IDEMPOTENCY_OFF', "the project's default turns idempotent retries off: retries of its tools that do not enable them themselves call the upstream again", f);
  }
  return ruleHit('IDEMPOTENCY_CHANGED', `project default idempotency${f.pointer}: ${compact(f.before)} → ${compact(f.after)}`, f);
}

/** Rules for an integration added, removed or changed. */
export function integrationRules(c: PlanChange): RuleHit[] {
  const kind = c.fields.find((f) => f.field === 'kind')?.after;
  if (c.action === 'remove') return [ruleHit('INTEGRATION_REMOVED', 'its clients can no longer connect')];
  if (c.action === 'add') {
    if (kind !== 'oauth') return [ruleHit('INTEGRATION_ADDED', 'new API-key integration')];
    const uris = c.fields.filter((f) => f.field === 'redirect_uris').map((f) => String(f.after));
    const scopes = c.fields.filter((f) => f.field === 'scopes').map((f) => String(f.after));
    const secret = c.fields.some((f) => f.field === 'client_secret_sha256' && f.after !== undefined) ? 'confidential' : 'public (PKCE only)';
    return [ruleHit('OAUTH_CLIENT_ADDED', `new ${secret} OAuth client; redirect URIs ${uris.join(', ')}; scope ceiling ${scopes.length ? scopes.join(', ') : '(none)'}`)];
  }
  return c.fields.flatMap((f): RuleHit[] => {
    switch (f.field) {
      case 'client_id':
        return [ruleHit('CLIENT_ID_CHANGED', `client_id ${compact(f.before)} → ${compact(f.after)}: clients configured with the old id fail to sign in`, f)];
      case 'client_secret_sha256':
        return f.kind === 'removed'
          ? [ruleHit('CLIENT_SECRET_REMOVED', 'the client no longer has a secret: it becomes a public client (PKCE only)', f)]
          : [ruleHit('SECRET_CHANGED', `client secret ${f.kind === 'added' ? 'set: the client becomes confidential' : 'rotated'}; clients need the new secret`, f)];
      case 'connect_secret_sha256':
        return [ruleHit('SECRET_CHANGED', `connect secret ${f.kind === 'added' ? 'set' : f.kind === 'removed' ? 'removed' : 'rotated'}: people signing the client in need the ${f.kind === 'removed' ? 'client secret instead' : 'new one'}`, f)];
      case 'login_url':
        return f.kind === 'removed'
          ? [ruleHit('REDIRECT_URI_REMOVED', `members no longer sign in at ${compact(f.before)}`, f)]
          : [ruleHit('REDIRECT_URI_ADDED', `people signing in are sent to ${compact(f.after)}, and the member it vouches for gets the grant`, f)];
      case 'dynamic_registration': {
        const hosts = (v: unknown) => ((v as { allowed_redirect_hosts?: string[] } | undefined)?.allowed_redirect_hosts ?? []).join(', ');
        return f.kind === 'removed'
          ? [ruleHit('REDIRECT_URI_REMOVED', 'clients can no longer register themselves; registered clients fail to sign in', f)]
          : [ruleHit('REDIRECT_URI_ADDED', `clients may register themselves, with redirect URIs on ${hosts(f.after)}: authorization codes may be sent there`, f)];
      }
      case 'redirect_uris':
        return f.kind === 'added'
          ? [ruleHit('REDIRECT_URI_ADDED', `authorization codes may now be sent to ${String(f.after)}`, f)]
          : [ruleHit('REDIRECT_URI_REMOVED', `clients redirecting to ${String(f.before)} fail to sign in`, f)];
      case 'scopes':
        return f.kind === 'added'
          ? [ruleHit('SCOPE_CEILING_WIDENED', `the client may now be granted ${String(f.after)}`, f)]
          : [ruleHit('SCOPE_CEILING_NARROWED', `the client can no longer be granted ${String(f.before)}`, f)];
      case 'usage_limits':
        return limitRules(f);
      default:
        return [ruleHit('INTEGRATION_CHANGED', `${f.field} ${f.kind}`, f)];
    }
  });
}

/** Rules for an API key added or removed. */
export function apiKeyRules(c: PlanChange): RuleHit[] {
  return c.action === 'add'
    ? [ruleHit('API_KEY_ADDED', `a new API key can call the project through integration ${c.parent ?? ''}`)]
    : [ruleHit('API_KEY_REVOKED', `revoked: whoever holds this key of integration ${c.parent ?? ''} loses access`)];
}

/** Rules for an assertion key added, removed or changed. */
export function assertionKeyRules(c: PlanChange): RuleHit[] {
  if (c.action === 'add') return [ruleHit('ASSERTION_KEY_ADDED', 'a new key may sign member assertions: whoever holds its private half can act as any member')];
  if (c.action === 'remove') return [ruleHit('ASSERTION_KEY_REMOVED', 'assertions signed with this key are refused')];
  return c.fields.map((f) => ruleHit('ASSERTION_KEY_CHANGED', `${f.field} ${compact(f.before)} → ${compact(f.after)}`, f));
}

/** Rules for runtime settings. */
export function runtimeRules(c: PlanChange): RuleHit[] {
  return c.fields.map((f): RuleHit => {
    const v = `${compact(f.before)} → ${compact(f.after)}`;
    if (f.field === 'public_url' && f.before !== undefined) return ruleHit('PUBLIC_URL_CHANGED', `public_url ${v}: OAuth metadata and token audiences change; clients must be reconfigured`, f);
    if (f.field === 'allowed_origins' && f.kind === 'added') return ruleHit('ALLOWED_ORIGIN_ADDED', `browsers on ${String(f.after)} may now call /mcp`, f);
    if (TTL_SETTINGS.has(f.field) && (durationMs(f.after) ?? 0) > (durationMs(f.before) ?? 0)) return ruleHit('TOKEN_TTL_RAISED', `${f.field} ${v}: tokens stay valid longer`, f);
    return ruleHit('RUNTIME_SETTINGS_CHANGED', `${f.field}${f.kind === 'changed' ? ` ${v}` : ` ${f.kind} ${compact(f.after ?? f.before)}`}`, f);
  });
}
