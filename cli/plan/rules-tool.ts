import type { Idempotency, Tool } from '../../schemas/config-types.js';
import { DEFAULT_IDEMPOTENCY_WINDOW, DEFAULT_MAX_RESULT_BYTES, idempotencyEnabled } from '../../runtime/usage/idempotency.js';
import { normalizeTool, signsLegacy } from './diff-tool.js';
import { ruleHit } from './rule-catalogue.js';
import { limitRules } from './rules-access.js';
import { inputSchemaRules, outputSchemaRules } from './rules-schema.js';
import type { FieldChange, PlanChange, RuleHit } from './types.js';
import { compact, pointerSegment, urlHost } from './values.js';

const AUTH_RANK: Record<string, number> = { none: 0, static_bearer: 1, hmac_signature: 2 };

/** Member variables a template can send upstream; a new one exposes more of the member to the upstream. */
const MEMBER_VARIABLE = /(?<!\{)\{(member_id|member_email|member_roles)\}(?!\})/g;

/** The project `idempotency` defaults on both sides of a plan, which a tool's own settings override. */
export interface IdempotencyDefaults {
  before?: Idempotency;
  after?: Idempotency;
}

/** Rules for a tool change; `before`/`after` are the tool's two versions (one is absent for add and remove). */
export function toolRules(c: PlanChange, before: Tool | undefined, after: Tool | undefined, today: string, defaults: IdempotencyDefaults = {}): RuleHit[] {
  if (c.action === 'add' && after) return addedToolRules(after);
  if (c.action === 'remove' && before) return removedToolRules(before, today);
  const hits: RuleHit[] = [];
  if (c.action === 'rename') hits.push(ruleHit('TOOL_RENAMED', `renamed from "${c.previous_name}" to "${c.name}": callers using the old name get "Tool not enabled for this project"`));
  for (const f of c.fields) hits.push(...fieldRules(f, c.fields, after, today));
  if (before && after) {
    // signature_version unchanged, but the tool starts signing (or starts signing with it) through auth_strategy.
    if (signsLegacy(after) && !signsLegacy(before) && !c.fields.some((f) => f.field === 'signature_version')) {
      hits.push(ruleHit('LEGACY_SIGNATURE', `now signs with the legacy tng2 line (signature_version: tng2): ${LEGACY_WHY}`));
    }
    const added = memberVariables(after).filter((v) => !memberVariables(before).includes(v));
    if (added.length) hits.push(ruleHit('MEMBER_IDENTITY_EXPOSED', `templates now send ${added.map((v) => `{${v}}`).join(', ')} upstream`));
    const idem = idempotencyRule(before, after, defaults, c.fields.find((f) => f.field === 'idempotency'));
    if (idem) hits.push(idem);
  }
  return hits;
}

/**
 * Idempotent retries, judged by their effect rather than by the field: a change of http_method or of the
 * idempotentHint annotation can turn them on or off as surely as `idempotency.enabled`. Off is breaking: a client's
 * retry that used to be answered from the first result now repeats the upstream call and its side effects.
 */
function idempotencyRule(before: Tool, after: Tool, defaults: IdempotencyDefaults, field: FieldChange | undefined): RuleHit | undefined {
  const was = idempotencyEnabled(before, defaults.before);
  const is = idempotencyEnabled(after, defaults.after);
  const settings = (t: Tool, d: Idempotency | undefined) =>
    `window ${t.idempotency?.window ?? d?.window ?? DEFAULT_IDEMPOTENCY_WINDOW}, results up to ${t.idempotency?.max_result_bytes ?? d?.max_result_bytes ?? DEFAULT_MAX_RESULT_BYTES} bytes`;
  if (was && !is) return ruleHit('IDEMPOTENCY_OFF', "retries are no longer de-duplicated: a client's retry calls the upstream again and repeats its side effects", field);
  if (!was && is) return ruleHit('IDEMPOTENCY_CHANGED', `retries are now de-duplicated: a repeated call with the same arguments by the same caller gets the first result (${settings(after, defaults.after)})`, field);
  if (!field) return undefined;
  if (!is) return ruleHit('IDEMPOTENCY_CHANGED', `idempotency${field.pointer} ${field.kind} (no effect: retries of this tool are not de-duplicated)`, field);
  const [b, a] = [settings(before, defaults.before), settings(after, defaults.after)];
  return ruleHit('IDEMPOTENCY_CHANGED', b === a ? `idempotency${field.pointer} ${field.kind} (same effect: ${a})` : `${b} → ${a}`, field);
}

function addedToolRules(t: Tool): RuleHit[] {
  const n = normalizeTool(t);
  if (!n.is_enabled) return [ruleHit('DISABLED_TOOL_ADDED', 'added disabled (is_enabled: false): not listed and not callable yet')];
  const hits = [ruleHit('TOOL_ADDED', `new tool the model can call: ${toolFacts(t)}`)];
  if (t.base_url.startsWith('http://')) hits.push(ruleHit('HTTP_ALLOWED', `calls ${t.base_url} over plain http`, { field: 'base_url', pointer: '' }));
  const exposed = [
    ...Object.entries(n.inject_member_identity as Record<string, boolean>)
      .filter(([, on]) => on)
      .map(([k]) => `X-Tengine-Member-${k[0]!.toUpperCase()}${k.slice(1)}`),
    ...(n.identity_token ? ['X-Tengine-Identity'] : []),
    ...memberVariables(t).map((v) => `{${v}}`),
  ];
  if (exposed.length) hits.push(ruleHit('MEMBER_IDENTITY_EXPOSED', `sends member identity upstream: ${exposed.join(', ')}`));
  if (t.log_arguments) hits.push(ruleHit('ARGUMENTS_LOGGED', `argument values go to the audit log (redacted: ${t.log_arguments.redact.length ? t.log_arguments.redact.join(', ') : 'secret-named keys only'})`, { field: 'log_arguments', pointer: '' }));
  if (signsLegacy(t)) hits.push(ruleHit('LEGACY_SIGNATURE', `signs with the legacy tng2 line (signature_version: tng2): ${LEGACY_WHY}`, { field: 'signature_version', pointer: '' }));
  return hits;
}

/**
 * Argument logging: turned on, or with fewer redactions, more of what users type reaches the logs (security);
 * turned off or with more redactions, less does.
 */
function argumentLogRule(f: FieldChange): RuleHit {
  const before = (f.before as { redact?: string[] } | undefined)?.redact;
  const after = (f.after as { redact?: string[] } | undefined)?.redact;
  if (after === undefined) return ruleHit('ARGUMENTS_LOG_REDUCED', 'argument values are no longer logged', f);
  const unmasked = before === undefined ? [] : before.filter((p) => !after.includes(p));
  if (before === undefined) return ruleHit('ARGUMENTS_LOGGED', `argument values now go to the audit log (redacted: ${after.length ? after.join(', ') : 'secret-named keys only'})`, f);
  if (unmasked.length) return ruleHit('ARGUMENTS_LOGGED', `argument values logged unredacted from now on: ${unmasked.join(', ')}`, f);
  return ruleHit('ARGUMENTS_LOG_REDUCED', `more argument values are redacted in the audit log: ${after.filter((p) => !before.includes(p)).join(', ')}`, f);
}

/** What a reviewer needs to judge a tool that becomes callable: where it calls, how, and who may call it. */
function toolFacts(t: Tool): string {
  const n = normalizeTool(t);
  const scopes = n.scopes as string[];
  return [
    `${t.http_method} ${urlHost(t.base_url)}${t.endpoint_path}`,
    `auth ${String(n.auth_strategy)}${signsLegacy(t) ? ' (tng2)' : ''}`,
    n.require_member ? 'member required' : 'no member required',
    scopes.length ? `scopes ${scopes.join(', ')}` : 'no scopes',
  ].join('; ');
}

function removedToolRules(t: Tool, today: string): RuleHit[] {
  if (t.is_enabled === false) return [ruleHit('DISABLED_TOOL_REMOVED', 'was disabled, so no caller could see or call it')];
  const d = t.deprecated;
  if (d && d.sunset <= today) {
    return [ruleHit('DEPRECATED_TOOL_REMOVED', `deprecated${d.since ? ` since ${d.since}` : ''} with sunset ${d.sunset}, which is reached (today ${today})`)];
  }
  const note = d ? `; it is deprecated, but its sunset ${d.sunset} is after today (${today})` : '; mark it deprecated with a sunset date first to remove it without breaking callers';
  return [ruleHit('TOOL_REMOVED', `callers of this tool get "Tool not enabled for this project"${note}`)];
}

function fieldRules(f: FieldChange, all: FieldChange[], after: Tool | undefined, today: string): RuleHit[] {
  const v = `${compact(f.before)} → ${compact(f.after)}`;
  switch (f.field) {
    case 'title':
      return [ruleHit('TITLE_CHANGED', `title: ${v}`, f)];
    case 'description':
      return [ruleHit('DESCRIPTION_CHANGED', `the model reads the description: ${f.note ?? ''}`, f)];
    case 'input_schema':
      return inputSchemaRules(f, all, after?.input_schema);
    case 'output_schema':
      if (f.kind === 'removed') return [ruleHit('OUTPUT_SCHEMA_REMOVED', 'the tool no longer declares an output schema: clients lose structured, validated results', f)];
      if (f.kind === 'added') return [ruleHit('OUTPUT_SCHEMA_CHANGED', 'an output schema was added: upstream results that do not match it now fail the call', f)];
      return outputSchemaRules(f);
    case 'annotations':
      return [ruleHit('ANNOTATIONS_CHANGED', `annotation ${f.pointer.slice(1)}: ${v}`, f)];
    case 'base_url':
      return baseUrlRules(f);
    case 'auth_strategy': {
      const weaker = (AUTH_RANK[String(f.after)] ?? 0) < (AUTH_RANK[String(f.before)] ?? 0);
      return weaker
        ? [ruleHit('AUTH_STRATEGY_WEAKENED', `upstream auth weakened: ${v}`, f)]
        : [ruleHit('AUTH_STRATEGY_STRENGTHENED', `upstream auth strengthened: ${v}`, f)];
    }
    case 'signature_version':
      return [signatureRule(f, after)];
    case 'encrypted_auth_secret':
    case 'auth_secret_env':
      return [ruleHit('SECRET_CHANGED', `upstream secret (${f.field}) ${f.kind}: check that the runtime has the new one`, f)];
    case 'require_member':
      return f.after === true
        ? [ruleHit('MEMBER_REQUIRED_ADDED', 'require_member turned on: callers without a member session (plain API key or OAuth) are refused', f)]
        : [ruleHit('REQUIRE_MEMBER_REMOVED', 'require_member turned off: callers without a member session may now call the tool', f)];
    case 'inject_member_identity':
      return f.after === true
        ? [ruleHit('MEMBER_IDENTITY_EXPOSED', `member ${f.pointer.slice(1)} is now sent upstream`, f)]
        : [ruleHit('UPSTREAM_REQUEST_CHANGED', `member ${f.pointer.slice(1)} is no longer sent upstream`, f)];
    case 'identity_token':
      return f.after === true
        ? [ruleHit('MEMBER_IDENTITY_EXPOSED', 'a signed identity token (X-Tengine-Identity) is now sent upstream', f)]
        : [ruleHit('UPSTREAM_REQUEST_CHANGED', 'the identity token is no longer sent upstream', f)];
    case 'scopes':
      return f.kind === 'added'
        ? [ruleHit('SCOPE_REQUIRED_ADDED', `now requires scope ${compact(f.after)}: OAuth callers without it lose the tool`, f)]
        : [ruleHit('SCOPE_REQUIRED_REMOVED', `no longer requires scope ${compact(f.before)}: more OAuth callers may call it`, f)];
    case 'is_enabled':
      return f.after === false
        ? [ruleHit('TOOL_DISABLED', 'disabled: the tool disappears from tools/list and calls fail', f)]
        : [ruleHit('TOOL_ENABLED', `enabled: the model can now see and call the tool: ${after ? toolFacts(after) : ''}`, f)];
    case 'deprecated':
      return [deprecationRule(f, today)];
    case 'timeout':
      return [ruleHit('TIMEOUT_CHANGED', `timeout: ${v}`, f)];
    case 'result':
      // format and pointer decide what structuredContent and the blocks are; text and links only what the model reads besides.
      return f.pointer === '/format' || f.pointer === '/pointer'
        ? [ruleHit('RESULT_SHAPE_CHANGED', `result${f.pointer}: ${v}: structuredContent and the content blocks clients receive change shape`, f)]
        : [ruleHit('RESULT_TEXT_CHANGED', `result${f.pointer}: ${v}`, f)];
    case 'max_response_bytes':
      return [ruleHit('RESPONSE_LIMIT_CHANGED', `max_response_bytes: ${v}`, f)];
    case 'log_arguments':
      return [argumentLogRule(f)];
    case 'idempotency':
      return []; // judged once per tool, by effect (idempotencyRule)
    case 'retry':
      return [ruleHit('RETRY_CHANGED', `retry ${f.pointer.slice(1)}: ${v}`, f)];
    case 'usage_limits':
      return limitRules(f);
    case 'id':
      return [ruleHit('TOOL_ID_CHANGED', `identity ${v}: later renames are followed by the new id`, f)];
    case 'parameters':
    case 'body':
      return [requestMappingRule(f, all, v)];
    default:
      // http_method, endpoint_path, the templates, and any field a later schema adds.
      return [ruleHit('UPSTREAM_REQUEST_CHANGED', `${f.field}${f.pointer}: ${v}`, f)];
  }
}

/**
 * A change of the request mapping is a change of what the upstream receives, like a template change, except that
 * a parameter the upstream requires (a path parameter, or `required: true`) or the body no longer being sent is
 * breaking: the upstream refuses or misreads every call. Not when the same key moves to query_template,
 * headers_template or body_template in the same change.
 */
function requestMappingRule(f: FieldChange, all: FieldChange[], v: string): RuleHit {
  const what = `${f.field}${f.pointer}: ${v}`;
  if (f.kind !== 'removed') return ruleHit('UPSTREAM_REQUEST_CHANGED', what, f);
  if (f.field === 'body') {
    if (f.pointer !== '' || all.some((x) => x.field === 'body_template' && x.kind === 'added')) return ruleHit('UPSTREAM_REQUEST_CHANGED', what, f);
    return ruleHit('UPSTREAM_PARAMETER_REMOVED', 'the request body is no longer sent: an upstream that expects one refuses or misreads every call', f);
  }
  const p = f.before as { name?: string; in?: string; required?: boolean };
  if (p.in !== 'path' && p.required !== true) return ruleHit('UPSTREAM_REQUEST_CHANGED', what, f);
  const template = p.in === 'query' ? 'query_template' : p.in === 'header' ? 'headers_template' : undefined;
  const moved = template && all.some((x) => x.field === template && x.kind === 'added' && x.pointer.slice(1).toLowerCase() === pointerSegment(String(p.name)).toLowerCase());
  if (moved) return ruleHit('UPSTREAM_REQUEST_CHANGED', `${what} (now sent from ${template})`, f);
  return ruleHit('UPSTREAM_PARAMETER_REMOVED', `${p.in} parameter "${p.name}" is no longer sent, and the upstream requires it${p.in === 'path' ? ' (it is in the path)' : ''}: every call fails or reaches another resource`, f);
}

/** What tng2 leaves out, for the messages of LEGACY_SIGNATURE. */
const LEGACY_WHY = 'project, integration and member headers are not signed, so a rewritten X-Tengine-Member-Id still verifies';

/** A signature_version change: weaker (tng2), stronger but breaking for tng2-only verifiers (tng3), or no effect. */
function signatureRule(f: FieldChange, after: Tool | undefined): RuleHit {
  const v = `${compact(f.before)} → ${compact(f.after)}`;
  if (after?.auth_strategy !== 'hmac_signature') return ruleHit('UPSTREAM_REQUEST_CHANGED', `signature_version: ${v} (no effect: the tool does not use hmac_signature)`, f);
  return f.after === 'tng2'
    ? ruleHit('LEGACY_SIGNATURE', `signature_version: ${v}: ${LEGACY_WHY}`, f)
    : ruleHit('SIGNATURE_UPGRADED', `signature_version: ${v}: the upstream must verify tng3 (docs/outbound.md §4.2) before this ships, or every call fails with 401`, f);
}

function baseUrlRules(f: FieldChange): RuleHit[] {
  const hits: RuleHit[] = [];
  const after = String(f.after);
  const before = String(f.before);
  if (after.startsWith('http://') && !before.startsWith('http://')) hits.push(ruleHit('HTTP_ALLOWED', `calls now go over plain http: ${after}`, f));
  if (urlHost(before) !== urlHost(after)) hits.push(ruleHit('BASE_URL_CHANGED', `calls now go to ${urlHost(after)} (was ${urlHost(before)})`, f));
  if (!hits.length) hits.push(ruleHit('UPSTREAM_REQUEST_CHANGED', `base_url: ${compact(f.before)} → ${compact(f.after)} (same host)`, f));
  return hits;
}

function deprecationRule(f: FieldChange, today: string): RuleHit {
  const d = f.after as { sunset?: string } | undefined;
  if (f.kind === 'removed') return ruleHit('DEPRECATION_CHANGED', 'no longer deprecated', f);
  const sunset = d?.sunset ?? '';
  const when = sunset <= today ? `the sunset ${sunset} is already reached: callers get no notice period` : `it may be removed without a breaking change from ${sunset}`;
  return ruleHit('DEPRECATION_CHANGED', `${f.kind === 'added' ? 'marked deprecated' : 'deprecation changed'}: ${when}`, f);
}

/** Member variables the tool's templates use (path, query, headers, body), sorted. */
export function memberVariables(t: Tool): string[] {
  const text = JSON.stringify([t.endpoint_path, t.query_template ?? {}, t.headers_template ?? {}, t.body_template ?? null]);
  return [...new Set([...text.matchAll(MEMBER_VARIABLE)].map((m) => m[1]!))].sort();
}
