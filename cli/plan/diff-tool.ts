import type { Tool, UsageLimit } from '../../schemas/config-types.js';
import { diffSchema } from './diff-schema.js';
import type { FieldChange } from './types.js';
import { durationMs, estimateTokens, isObject, listDelta, pointerSegment, REDACTED, same } from './values.js';

/** The identity a plan follows a tool by: its `id`, or its name when it has none. */
export function toolIdentity(t: Pick<Tool, 'id' | 'name'>): string {
  return t.id ?? t.name;
}

/** Tool fields in the order a plan lists them: what the model sees first, then the upstream, then limits. */
const TOOL_FIELD_ORDER = [
  'title',
  'description',
  'input_schema',
  'output_schema',
  'result',
  'annotations',
  'base_url',
  'http_method',
  'endpoint_path',
  'query_template',
  'headers_template',
  'body_template',
  'parameters',
  'body',
  'auth_strategy',
  'signature_version',
  'encrypted_auth_secret',
  'auth_secret_env',
  'require_member',
  'inject_member_identity',
  'identity_token',
  'scopes',
  'is_enabled',
  'deprecated',
  'timeout',
  'max_response_bytes',
  'retry',
  'usage_limits',
  'log_arguments',
  'idempotency',
] as const;

/** A tool with the schema defaults filled in, so an omitted field and its default compare equal. */
export function normalizeTool(t: Tool): Record<string, unknown> {
  return {
    ...t,
    require_member: t.require_member ?? false,
    inject_member_identity: { id: false, email: false, roles: false, ...t.inject_member_identity },
    identity_token: t.identity_token ?? false,
    auth_strategy: t.auth_strategy ?? 'none',
    signature_version: t.signature_version ?? 'tng3',
    is_enabled: t.is_enabled ?? true,
    scopes: t.scopes ?? [],
    retry: { max_attempts: 2, non_idempotent: false, ...t.retry },
    usage_limits: t.usage_limits ?? [],
    // By effect: no mapping is `format: json` of the whole body, so adding `result: {text: …}` changes only the text.
    result: { format: 'json', pointer: '', ...t.result },
  };
}

/** Field-level changes between two versions of one tool (the name is compared by the caller). */
export function diffToolFields(before: Tool, after: Tool): FieldChange[] {
  const b = normalizeTool(before);
  const a = normalizeTool(after);
  const out: FieldChange[] = [];
  const known = new Set<string>([...TOOL_FIELD_ORDER, 'name', 'id']);
  const extra = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => !known.has(k)).sort();
  for (const f of [...TOOL_FIELD_ORDER, ...extra]) {
    if (same(b[f], a[f])) continue;
    out.push(...diffToolField(f, b[f], a[f]));
  }
  if (before.id !== after.id && toolIdentity(before) !== toolIdentity(after)) {
    out.push({ field: 'id', pointer: '', kind: 'changed', before: toolIdentity(before), after: toolIdentity(after) });
  }
  return out;
}

function diffToolField(f: string, b: unknown, a: unknown): FieldChange[] {
  switch (f) {
    case 'description':
      return [textChange(f, b, a)];
    case 'input_schema':
    case 'output_schema':
      if (b === undefined || a === undefined) return [whole(f, b, a)];
      return diffSchema(f, b, a);
    case 'annotations':
    case 'query_template':
    case 'headers_template':
    case 'inject_member_identity':
    case 'retry':
    case 'idempotency':
    case 'result':
      return diffFlat(f, b, a);
    case 'body_template':
      return diffJson(f, b, a, '');
    case 'parameters':
      return diffParameters(f, b, a);
    case 'body':
      return b === undefined || a === undefined ? [whole(f, b, a)] : diffFlat(f, b, a);
    case 'encrypted_auth_secret':
      // Never the value, not even masked: a JWE is opaque, and only "it changed" matters to a reviewer.
      return [{ field: f, pointer: '', kind: kindOf(b, a), before: b === undefined ? undefined : REDACTED, after: a === undefined ? undefined : REDACTED }];
    case 'scopes':
      return diffList(f, (b as string[] | undefined) ?? [], (a as string[] | undefined) ?? []);
    case 'usage_limits':
      return diffUsageLimits(f, (b as UsageLimit[] | undefined) ?? [], (a as UsageLimit[] | undefined) ?? []);
    default:
      return [whole(f, b, a)];
  }
}

/** A whole-value change, with `added`/`removed` when one side is absent. */
export function whole(field: string, b: unknown, a: unknown, pointer = ''): FieldChange {
  return { field, pointer, kind: kindOf(b, a), before: b, after: a };
}

function kindOf(b: unknown, a: unknown): 'added' | 'removed' | 'changed' {
  return b === undefined ? 'added' : a === undefined ? 'removed' : 'changed';
}

/** A text change annotated with its size in tokens, since descriptions are what the model reads. */
export function textChange(field: string, b: unknown, a: unknown): FieldChange {
  const tb = typeof b === 'string' ? estimateTokens(b) : 0;
  const ta = typeof a === 'string' ? estimateTokens(a) : 0;
  const delta = ta - tb;
  const note = b === undefined ? `≈${ta} tokens` : a === undefined ? `≈${tb} tokens` : `≈${tb} → ≈${ta} tokens (${delta >= 0 ? '+' : ''}${delta})`;
  return { ...whole(field, b, a), note };
}

/** Per-key changes of a flat map (annotations, templates, identity flags, retry). */
function diffFlat(field: string, b: unknown, a: unknown): FieldChange[] {
  const mb = isObject(b) ? b : {};
  const ma = isObject(a) ? a : {};
  const keys = [...new Set([...Object.keys(mb), ...Object.keys(ma)])].sort();
  return keys.filter((k) => !same(mb[k], ma[k])).map((k) => whole(field, mb[k], ma[k], `/${pointerSegment(k)}`));
}

/**
 * Request parameters matched by location and name (header names without case), so a reordering is no change: a
 * parameter added, removed or changed (argument, style, explode, ...) at `/<in>/<name>`. A rename is a removal and
 * an addition, as the upstream sees it.
 */
function diffParameters(field: string, b: unknown, a: unknown): FieldChange[] {
  const byKey = (list: unknown) => {
    const m = new Map<string, Record<string, unknown>>();
    for (const p of Array.isArray(list) ? list : []) {
      if (!isObject(p)) continue;
      const name = String(p.name);
      m.set(`/${String(p.in)}/${pointerSegment(p.in === 'header' ? name.toLowerCase() : name)}`, p);
    }
    return m;
  };
  const mb = byKey(b);
  const ma = byKey(a);
  const out: FieldChange[] = [];
  for (const [k, p] of mb) if (!same(p, ma.get(k))) out.push(whole(field, p, ma.get(k), k));
  for (const [k, p] of ma) if (!mb.has(k)) out.push(whole(field, undefined, p, k));
  return out;
}

/** A JSON diff by pointer: objects are compared key by key, anything else as a whole. */
export function diffJson(field: string, b: unknown, a: unknown, ptr: string): FieldChange[] {
  if (same(b, a)) return [];
  if (isObject(b) && isObject(a)) {
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
    return keys.flatMap((k) => diffJson(field, b[k], a[k], `${ptr}/${pointerSegment(k)}`));
  }
  return [whole(field, b, a, ptr)];
}

/** Items added to and removed from a list of strings (scopes, redirect URIs, origins). */
export function diffList(field: string, b: readonly string[], a: readonly string[]): FieldChange[] {
  const d = listDelta(b, a);
  return [
    ...d.removed.map((v): FieldChange => ({ field, pointer: '', kind: 'removed', before: v })),
    ...d.added.map((v): FieldChange => ({ field, pointer: '', kind: 'added', after: v })),
  ];
}

/**
 * Usage limit changes. Limits are matched by `per` and `window` (or `quota` period); a limit left over on each side
 * with the same `per` is a change of window (compared by rate); anything else is added or removed. A change of
 * `burst` alone is a change too. `keyword` is the `per`.
 */
export function diffUsageLimits(field: string, before: UsageLimit[], after: UsageLimit[]): FieldChange[] {
  // The burst defaults to the limit, so `{limit: 10, window: 1m}` and `{..., burst: 10}` are the same limit.
  const norm = (l: UsageLimit) =>
    l.quota !== undefined
      ? { limit: l.limit, quota: l.quota, per: l.per ?? 'member' }
      : { limit: l.limit, window: l.window, ...(l.burst !== undefined && l.burst !== l.limit ? { burst: l.burst } : {}), per: l.per ?? 'member' };
  const b = before.map(norm);
  const a = after.map(norm);
  const key = (l: ReturnType<typeof norm>) => `${l.per} ${'quota' in l ? `quota ${l.quota}` : (durationMs(l.window) ?? l.window)}`;
  const out: FieldChange[] = [];
  const leftB: typeof b = [];
  const leftA = [...a];
  for (const lb of b) {
    const i = leftA.findIndex((la) => key(la) === key(lb));
    if (i < 0) {
      leftB.push(lb);
      continue;
    }
    const [la] = leftA.splice(i, 1);
    if (!same(la, lb)) out.push({ field, pointer: '', kind: 'changed', keyword: lb.per, before: lb, after: la });
  }
  for (const lb of leftB) {
    const i = leftA.findIndex((la) => la.per === lb.per);
    if (i < 0) {
      out.push({ field, pointer: '', kind: 'removed', keyword: lb.per, before: lb });
      continue;
    }
    const [la] = leftA.splice(i, 1);
    out.push({ field, pointer: '', kind: 'changed', keyword: lb.per, before: lb, after: la });
  }
  for (const la of leftA) out.push({ field, pointer: '', kind: 'added', keyword: la.per, after: la });
  return out;
}

// Nominal lengths of quota periods, to compare a quota with a rate or another period.
const PERIOD_MS: Record<string, number> = { day: 86_400_000, week: 7 * 86_400_000, month: 30 * 86_400_000 };

/** Calls per millisecond a limit allows (a quota over its nominal period), to compare limits with different windows. */
export function limitRate(l: unknown): number {
  if (!isObject(l)) return Infinity;
  const ms = typeof l.quota === 'string' ? PERIOD_MS[l.quota] : durationMs(l.window);
  return typeof l.limit === 'number' && ms ? l.limit / ms : Infinity;
}

/** Calls a limit admits at once: its burst (default: the limit); a quota's whole limit. */
export function limitBurst(l: unknown): number {
  if (!isObject(l)) return Infinity;
  return typeof l.burst === 'number' ? l.burst : typeof l.limit === 'number' ? l.limit : Infinity;
}

/** The fields shown for a tool that is added: what a reviewer needs to judge it, not every default. */
export function addedToolFields(t: Tool): FieldChange[] {
  const n = normalizeTool(t);
  const out: FieldChange[] = [];
  const add = (field: string, v: unknown) => out.push({ field, pointer: '', kind: 'added', after: v });
  if (t.title !== undefined) add('title', t.title);
  out.push(textChange('description', undefined, t.description));
  add('input_schema', t.input_schema);
  if (t.output_schema !== undefined) add('output_schema', t.output_schema);
  if (t.annotations !== undefined) add('annotations', t.annotations);
  add('base_url', t.base_url);
  add('http_method', t.http_method);
  add('endpoint_path', t.endpoint_path);
  add('auth_strategy', n.auth_strategy);
  if (signsLegacy(t)) add('signature_version', 'tng2');
  if (n.require_member) add('require_member', true);
  const inject = n.inject_member_identity as Record<string, boolean>;
  if (Object.values(inject).some(Boolean)) add('inject_member_identity', inject);
  if (n.identity_token) add('identity_token', true);
  if ((n.scopes as string[]).length) add('scopes', n.scopes);
  if ((n.usage_limits as unknown[]).length) add('usage_limits', n.usage_limits);
  if (!n.is_enabled) add('is_enabled', false);
  if (t.deprecated !== undefined) add('deprecated', t.deprecated);
  return out;
}

/** True for a tool that signs its upstream calls with the legacy tng2 line (no identity headers covered). */
export function signsLegacy(t: Pick<Tool, 'auth_strategy' | 'signature_version'>): boolean {
  return t.auth_strategy === 'hmac_signature' && t.signature_version === 'tng2';
}
