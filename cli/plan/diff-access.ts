import type { ApiKeyHash, AssertionKey, Integration, Project, RuntimeSettings } from '../../schemas/config-types.js';
import { diffJson, diffList, diffUsageLimits, textChange, whole } from './diff-tool.js';
import type { FieldChange, PlanChange } from './types.js';
import { maskHash, publicKeyFingerprint, same } from './values.js';

type Base = Omit<PlanChange, 'fields' | 'action'>;

/** Runtime defaults (config.schema.json), so an omitted setting and its default compare equal. */
const RUNTIME_DEFAULTS: Required<Omit<RuntimeSettings, 'public_url'>> = {
  allowed_origins: [],
  allowed_hosts: [],
  page_size: 100,
  max_request_bytes: 1048576,
  default_timeout: '10s',
  default_max_response_bytes: 1048576,
  member_session_ttl: '15m',
  access_token_ttl: '1h',
  refresh_token_ttl: '30d',
  upstreams: { max_concurrent: 256, max_queued: 256, retry_budget_percent: 20, circuit_breaker: { failure_threshold: 5, open_for: '30s', half_open_probes: 1 } },
  endpoint_limits: {},
  trusted_proxies: [],
  forwarded_header: 'x-forwarded-for',
  usage_records: { enabled: true, hourly_retention: '14d', daily_retention: '400d' },
  progress_interval: '1s',
};

/** Changes of the runtime settings: one change listing every setting that differs. */
export function diffRuntime(before: RuntimeSettings | undefined, after: RuntimeSettings | undefined): PlanChange[] {
  const b: Record<string, unknown> = { ...RUNTIME_DEFAULTS, ...before };
  const a: Record<string, unknown> = { ...RUNTIME_DEFAULTS, ...after };
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
  const fields = keys
    .filter((k) => !same(b[k], a[k]))
    .flatMap((k) => (k === 'allowed_origins' || k === 'allowed_hosts' ? diffList(k, (b[k] as string[]) ?? [], (a[k] as string[]) ?? []) : [whole(k, b[k], a[k])]));
  if (!fields.length) return [];
  return [{ project: null, subject: 'runtime', action: 'change', name: 'runtime', previous_name: null, identity: null, parent: null, fields }];
}

/** The project's own fields (not its tools, integrations or keys): name, description, environment, private networks, scopes, limits. */
export function projectFields(before: Project | undefined, after: Project | undefined): FieldChange[] {
  const out: FieldChange[] = [];
  for (const f of ['name', 'description'] as const) {
    if (!same(before?.[f], after?.[f])) out.push(f === 'description' ? textChange(f, before?.[f], after?.[f]) : whole(f, before?.[f], after?.[f]));
  }
  const envB = before ? (before.environment ?? 'production') : undefined;
  const envA = after ? (after.environment ?? 'production') : undefined;
  if (envB !== envA) out.push(whole('environment', envB, envA));
  // Shown for a new project only when it opts in, so the default does not clutter every added project.
  const privB = before ? (before.allow_private_networks ?? false) : undefined;
  const privA = after ? (after.allow_private_networks ?? false) : undefined;
  if (privB !== privA && !(before === undefined && privA === false) && after !== undefined) out.push(whole('allow_private_networks', privB, privA));
  const sb = new Map((before?.scopes ?? []).map((s) => [s.name, s.description]));
  const sa = new Map((after?.scopes ?? []).map((s) => [s.name, s.description]));
  out.push(...diffList('scopes', [...sb.keys()], [...sa.keys()]));
  for (const [n, d] of sa) if (sb.has(n) && sb.get(n) !== d) out.push(whole('scopes', sb.get(n), d, `/${n}/description`));
  out.push(...diffUsageLimits('usage_limits', before?.usage_limits ?? [], after?.usage_limits ?? []));
  out.push(...diffJson('idempotency', before?.idempotency, after?.idempotency, ''));
  // Shown for a new project only when set, like allow_private_networks.
  if (!same(before?.usage_policy ?? {}, after?.usage_policy ?? {}) && after !== undefined) out.push(whole('usage_policy', before?.usage_policy, after.usage_policy));
  return out;
}

/** Integration changes of one project: added, removed (a change of `kind` is both), changed fields. */
export function diffIntegrations(project: string, before: Integration[], after: Integration[]): PlanChange[] {
  const out: PlanChange[] = [];
  const base = (i: Integration): Base => ({ project, subject: 'integration', name: i.id, previous_name: null, identity: null, parent: null });
  const mb = new Map(before.map((i) => [i.id, i]));
  const ma = new Map(after.map((i) => [i.id, i]));
  for (const [id, b] of mb) {
    const a = ma.get(id);
    if (!a || a.kind !== b.kind) out.push({ ...base(b), action: 'remove', fields: [] });
  }
  for (const [id, a] of ma) {
    const b = mb.get(id);
    if (!b || a.kind !== b.kind) {
      out.push({ ...base(a), action: 'add', fields: integrationFields(undefined, a) });
      continue;
    }
    const fields = integrationFields(b, a);
    if (fields.length) out.push({ ...base(a), action: 'change', fields });
  }
  return out;
}

function integrationFields(b: Integration | undefined, a: Integration): FieldChange[] {
  const out: FieldChange[] = [];
  if (b === undefined) out.push(whole('kind', undefined, a.kind));
  for (const f of ['name', 'description'] as const) if (!same(b?.[f], a[f])) out.push(whole(f, b?.[f], a[f]));
  out.push(...diffUsageLimits('usage_limits', b?.usage_limits ?? [], a.usage_limits ?? []));
  if (a.kind !== 'oauth') return out;
  const ob = b?.kind === 'oauth' ? b : undefined;
  if (ob?.client_id !== a.client_id) out.push(whole('client_id', ob?.client_id, a.client_id));
  const mask = (h: string | undefined) => (h === undefined ? undefined : maskHash(h));
  for (const f of ['client_secret_sha256', 'connect_secret_sha256'] as const) {
    if (ob?.[f] !== a[f]) out.push(whole(f, mask(ob?.[f]), mask(a[f])));
  }
  if (!same(ob?.login_url, a.login_url)) out.push(whole('login_url', ob?.login_url, a.login_url));
  if (!same(ob?.dynamic_registration, a.dynamic_registration)) out.push(whole('dynamic_registration', ob?.dynamic_registration, a.dynamic_registration));
  out.push(...diffList('redirect_uris', ob?.redirect_uris ?? [], a.redirect_uris));
  out.push(...diffList('scopes', ob?.scopes ?? [], a.scopes ?? []));
  return out;
}

/**
 * API key changes of one project. A key is identified by its integration and its hash, and shown only by its
 * masked hash and its label.
 */
export function diffApiKeys(project: string, before: Integration[], after: Integration[]): PlanChange[] {
  const keys = (list: Integration[]) => {
    const m = new Map<string, { integration: string; key: ApiKeyHash }>();
    for (const i of list) if (i.kind === 'api_key') for (const k of i.api_keys ?? []) m.set(`${i.id}\u0000${k.sha256}`, { integration: i.id, key: k });
    return m;
  };
  const kb = keys(before);
  const ka = keys(after);
  const out: PlanChange[] = [];
  const change = (e: { integration: string; key: ApiKeyHash }, action: 'add' | 'remove'): PlanChange => ({
    project,
    subject: 'api_key',
    action,
    name: maskHash(e.key.sha256),
    previous_name: null,
    identity: null,
    parent: e.integration,
    fields: e.key.name === undefined ? [] : [action === 'add' ? whole('name', undefined, e.key.name) : whole('name', e.key.name, undefined)],
  });
  for (const [k, e] of kb) if (!ka.has(k)) out.push(change(e, 'remove'));
  for (const [k, e] of ka) if (!kb.has(k)) out.push(change(e, 'add'));
  return out;
}

/** Assertion key changes of one project, by `kid`; public keys are shown as SHA-256 fingerprints. */
export function diffAssertionKeys(project: string, before: AssertionKey[], after: AssertionKey[]): PlanChange[] {
  const mb = new Map(before.map((k) => [k.kid, k]));
  const ma = new Map(after.map((k) => [k.kid, k]));
  const base = (kid: string): Base => ({ project, subject: 'assertion_key', name: kid, previous_name: null, identity: null, parent: null });
  const out: PlanChange[] = [];
  for (const [kid] of mb) if (!ma.has(kid)) out.push({ ...base(kid), action: 'remove', fields: [] });
  for (const [kid, a] of ma) {
    const b = mb.get(kid);
    const fields: FieldChange[] = [];
    if (b?.alg !== a.alg) fields.push(whole('alg', b?.alg, a.alg));
    const fb = b ? publicKeyFingerprint(b.public_key) : undefined;
    const fa = publicKeyFingerprint(a.public_key);
    if (fb !== fa) fields.push(whole('public_key', fb, fa));
    if (!b) out.push({ ...base(kid), action: 'add', fields });
    else if (fields.length) out.push({ ...base(kid), action: 'change', fields });
  }
  return out;
}
