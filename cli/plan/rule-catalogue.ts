import type { RuleHit, Severity } from './types.js';

/** One rule of the catalogue: its severity and a one-line summary (docs/plan-rules.md has the full text). */
export interface RuleInfo {
  severity: Severity;
  summary: string;
}

/**
 * Every rule `tengine plan` classifies changes with. IDs are stable: CI configs and ignore files name them.
 * docs/plan-rules.md documents each one, and test/plan has a golden scenario for each.
 */
export const RULES = {
  // Breaking: a caller that worked before may fail after.
  PROJECT_REMOVED: { severity: 'breaking', summary: 'A project was removed: every tool, integration and key of it stops working.' },
  TOOL_REMOVED: { severity: 'breaking', summary: 'A tool was removed before its deprecation sunset (or was never deprecated).' },
  TOOL_RENAMED: { severity: 'breaking', summary: 'A tool kept its identity but changed its name: callers use the old name.' },
  TOOL_DISABLED: { severity: 'breaking', summary: 'A tool was disabled (is_enabled: false): it disappears from tools/list.' },
  INPUT_REQUIRED_ADDED: { severity: 'breaking', summary: 'An input property became required (new, or optional before).' },
  INPUT_PROPERTY_REMOVED: { severity: 'breaking', summary: 'An input property was removed: callers that send it are refused or silently ignored.' },
  INPUT_TYPE_NARROWED: { severity: 'breaking', summary: 'An input type accepts fewer types, or an anyOf/oneOf variant was removed.' },
  INPUT_ENUM_VALUE_REMOVED: { severity: 'breaking', summary: 'An input enum (or const) lost a value.' },
  INPUT_CONSTRAINT_TIGHTENED: { severity: 'breaking', summary: 'An input constraint accepts fewer values (bounds, pattern, format, enum introduced, additionalProperties).' },
  OUTPUT_PROPERTY_REMOVED: { severity: 'breaking', summary: 'An output property was removed.' },
  OUTPUT_TYPE_CHANGED: { severity: 'breaking', summary: 'An output type, enum or variant now allows values clients were not told about.' },
  OUTPUT_REQUIRED_REMOVED: { severity: 'breaking', summary: 'An output property is no longer required: clients relying on it may find it absent.' },
  OUTPUT_SCHEMA_REMOVED: { severity: 'breaking', summary: 'The output schema was removed: clients lose structured, validated results.' },
  MEMBER_REQUIRED_ADDED: { severity: 'breaking', summary: 'require_member was turned on: callers without a member session (API keys, OAuth) are refused.' },
  SCOPE_REQUIRED_ADDED: { severity: 'breaking', summary: 'A tool requires a new scope: OAuth callers without it lose the tool.' },
  INTEGRATION_REMOVED: { severity: 'breaking', summary: 'An integration was removed (or changed kind): its clients can no longer connect.' },
  CLIENT_ID_CHANGED: { severity: 'breaking', summary: 'An OAuth client id changed: clients configured with the old id fail to sign in.' },
  REDIRECT_URI_REMOVED: { severity: 'breaking', summary: 'An OAuth redirect URI was removed: clients using it fail to sign in.' },
  SCOPE_CEILING_NARROWED: { severity: 'breaking', summary: 'An OAuth scope ceiling lost a scope: clients can no longer be granted it.' },
  PUBLIC_URL_CHANGED: { severity: 'breaking', summary: 'runtime.public_url changed or was removed: OAuth metadata, audiences and client configs change.' },
  IDEMPOTENCY_OFF: { severity: 'breaking', summary: "A tool's retries are no longer de-duplicated (idempotency turned off): a client's retry calls the upstream again and repeats its side effects." },
  UPSTREAM_PARAMETER_REMOVED: { severity: 'breaking', summary: 'A request parameter the upstream requires (a path parameter, or required: true), or the request body, is no longer sent.' },
  SIGNATURE_UPGRADED: { severity: 'breaking', summary: 'A tool moves from the tng2 to the tng3 HMAC signature: an upstream verifier that only knows tng2 refuses every call.' },
  RESULT_SHAPE_CHANGED: { severity: 'breaking', summary: "A tool's result.format or result.pointer changed: the structuredContent and content blocks clients receive have another shape." },

  // Security: changes a security reviewer must look at.
  TOOL_ADDED: { severity: 'security', summary: 'A new enabled tool: the model can do something it could not (low priority).' },
  TOOL_ENABLED: { severity: 'security', summary: 'A disabled tool was enabled: like a new tool (low priority).' },
  AUTH_STRATEGY_WEAKENED: { severity: 'security', summary: 'Upstream auth got weaker (hmac_signature > static_bearer > none).' },
  LEGACY_SIGNATURE: { severity: 'security', summary: 'A tool signs with the legacy tng2 HMAC line (signature_version: tng2), which covers no identity header.' },
  REQUIRE_MEMBER_REMOVED: { severity: 'security', summary: 'require_member was turned off: callers without a member session may call the tool.' },
  SCOPE_REQUIRED_REMOVED: { severity: 'security', summary: 'A tool no longer requires a scope: more OAuth callers may call it.' },
  BASE_URL_CHANGED: { severity: 'security', summary: 'A tool calls a different upstream host (or port).' },
  HTTP_ALLOWED: { severity: 'security', summary: 'A tool calls a plain http:// base URL.' },
  ARGUMENTS_LOGGED: { severity: 'security', summary: 'A tool logs argument values in its audit lines (log_arguments turned on, or fewer values redacted).' },
  MEMBER_IDENTITY_EXPOSED: { severity: 'security', summary: 'More member identity goes upstream (inject_member_identity, identity_token, member variables in templates).' },
  SECRET_CHANGED: { severity: 'security', summary: 'An upstream secret or an OAuth client secret was set, changed or moved (values never shown).' },
  CLIENT_SECRET_REMOVED: { severity: 'security', summary: 'An OAuth client lost its secret: it becomes a public client (PKCE only).' },
  USAGE_LIMIT_RAISED: { severity: 'security', summary: 'A usage limit (of a project, an integration or a tool) allows more calls per unit of time, or a larger burst.' },
  USAGE_LIMIT_REMOVED: { severity: 'security', summary: 'A usage limit was removed.' },
  USAGE_POLICY_FAIL_OPEN: { severity: 'security', summary: 'usage_policy switched to fail_open (or a smaller expected_instances under it): a store outage admits more calls.' },
  OAUTH_CLIENT_ADDED: { severity: 'security', summary: 'A new OAuth integration: a new client may sign users in.' },
  REDIRECT_URI_ADDED: { severity: 'security', summary: 'An OAuth client accepts a new redirect URI: authorization codes may be sent there.' },
  SCOPE_CEILING_WIDENED: { severity: 'security', summary: 'An OAuth client may be granted more scopes.' },
  API_KEY_ADDED: { severity: 'security', summary: 'A new API key can call the project.' },
  ASSERTION_KEY_ADDED: { severity: 'security', summary: 'A new key may sign member assertions (who the caller acts as).' },
  ASSERTION_KEY_CHANGED: { severity: 'security', summary: 'An assertion key changed its algorithm or public key.' },
  ENVIRONMENT_DEVELOPMENT: { severity: 'security', summary: 'A project is (now) environment: development: loopback http and unsigned member sessions.' },
  PRIVATE_NETWORKS_ALLOWED: { severity: 'security', summary: "A project's tools may (now) call private network addresses (allow_private_networks)." },
  ALLOWED_ORIGIN_ADDED: { severity: 'security', summary: 'A new browser origin may call /mcp.' },
  TOKEN_TTL_RAISED: { severity: 'security', summary: 'Member session, access or refresh tokens live longer.' },

  // Benign: visible, but neither breaking nor security-relevant.
  DEPRECATED_TOOL_REMOVED: { severity: 'benign', summary: 'A deprecated tool was removed on or after its sunset date.' },
  DISABLED_TOOL_REMOVED: { severity: 'benign', summary: 'A tool that was disabled (invisible to callers) was removed.' },
  DISABLED_TOOL_ADDED: { severity: 'benign', summary: 'A tool was added disabled: nobody can see or call it yet.' },
  TOOL_ID_CHANGED: { severity: 'benign', summary: "A tool's id changed while its name stayed: renames are followed by the new id from now on." },
  DESCRIPTION_CHANGED: { severity: 'benign', summary: 'A tool description changed (with its size in tokens: the model reads it).' },
  TITLE_CHANGED: { severity: 'benign', summary: 'A tool title changed.' },
  ANNOTATIONS_CHANGED: { severity: 'benign', summary: 'MCP annotations (hints to clients) changed.' },
  SCHEMA_TEXT_CHANGED: { severity: 'benign', summary: 'Documentation inside a schema changed (description, title, examples, default).' },
  INPUT_OPTIONAL_ADDED: { severity: 'benign', summary: 'A new optional input property.' },
  INPUT_SCHEMA_RELAXED: { severity: 'benign', summary: 'The input accepts more (type widened, enum value or variant added, constraint loosened, required dropped).' },
  INPUT_SCHEMA_CHANGED: { severity: 'benign', summary: 'An input schema keyword the plan does not analyse changed ($ref, allOf, not, ...): review by eye.' },
  OUTPUT_SCHEMA_CHANGED: { severity: 'benign', summary: 'A compatible output schema change (property added, type narrowed, schema added, unanalysed keyword).' },
  UPSTREAM_REQUEST_CHANGED: { severity: 'benign', summary: 'What is sent upstream changed on the same host (method, path, templates, fewer identity headers).' },
  AUTH_STRATEGY_STRENGTHENED: { severity: 'benign', summary: 'Upstream auth got stronger.' },
  TIMEOUT_CHANGED: { severity: 'benign', summary: 'A tool timeout changed.' },
  RETRY_CHANGED: { severity: 'benign', summary: 'A tool retry policy changed.' },
  ARGUMENTS_LOG_REDUCED: { severity: 'benign', summary: 'A tool logs fewer argument values (log_arguments turned off, or more values redacted).' },
  IDEMPOTENCY_CHANGED: { severity: 'benign', summary: 'Idempotent retries changed: turned on, or another window or result cap.' },
  RESPONSE_LIMIT_CHANGED: { severity: 'benign', summary: 'A tool max_response_bytes changed.' },
  RESULT_TEXT_CHANGED: { severity: 'benign', summary: "A tool's result.text template or result.resource_links changed: the model reads other text or links; structuredContent is unchanged." },
  USAGE_LIMIT_TIGHTENED: { severity: 'benign', summary: 'A usage limit was added or lowered (rate or burst): callers over it are refused.' },
  DEPRECATION_CHANGED: { severity: 'benign', summary: 'A tool was marked deprecated, or its deprecation changed or was lifted.' },
  PROJECT_ADDED: { severity: 'benign', summary: 'A new project (its tools, integrations and keys are classified on their own).' },
  PROJECT_CHANGED: { severity: 'benign', summary: 'Project name, description, declared scopes, environment back to production, or private networks no longer allowed.' },
  INTEGRATION_ADDED: { severity: 'benign', summary: 'A new API-key integration (its keys are classified on their own).' },
  INTEGRATION_CHANGED: { severity: 'benign', summary: 'Integration name or description changed.' },
  API_KEY_REVOKED: { severity: 'benign', summary: 'An API key was removed (revoked): whoever holds it loses access.' },
  ASSERTION_KEY_REMOVED: { severity: 'benign', summary: 'An assertion key was removed: assertions signed with it are refused.' },
  RUNTIME_SETTINGS_CHANGED: { severity: 'benign', summary: 'Other runtime settings changed (page size, body limits, default timeout, origins removed, ...).' },
} as const satisfies Record<string, RuleInfo>;

/**
 * Security rules of low priority: they count as security (so `--fail-on security` sees them) but are listed
 * after the other security changes, since every new tool triggers them.
 */
export const LOW_PRIORITY_RULES: ReadonlySet<string> = new Set(['TOOL_ADDED', 'TOOL_ENABLED']);

/** A rule ID of the catalogue. */
export type RuleId = keyof typeof RULES;

/** Every rule ID, in catalogue order. */
export const RULE_IDS = Object.keys(RULES) as RuleId[];

const SEVERITY_RANK: Record<Severity, number> = { breaking: 0, security: 1, benign: 2 };

/** Sort key of a severity: breaking first, then security, then benign. */
export function severityRank(s: Severity): number {
  return SEVERITY_RANK[s];
}

/** A hit of `rule` with its catalogue severity, about the given field change (or the whole subject). */
export function ruleHit(rule: RuleId, message: string, at?: { field: string; pointer: string }): RuleHit {
  return { rule, severity: RULES[rule].severity, message, field: at?.field ?? null, pointer: at ? at.pointer : null, accepted: false, reason: null };
}
