// Generated from schemas/config.schema.json and schemas/bundle.schema.json by `npm run gen:types`. Do not edit.

/* eslint-disable */

/**
 * This interface was referenced by `TengineConfig`'s JSON-Schema
 * via the `definition` "integration".
 */
export type Integration = (ApiKeyIntegration | OAuthIntegration)
/**
 * A duration: a positive integer followed by ms, s, m, h or d (for example `10s`, `15m`).
 * 
 * This interface was referenced by `TengineConfig`'s JSON-Schema
 * via the `definition` "duration".
 */
export type Duration = string
/**
 * This interface was referenced by `TengineConfig`'s JSON-Schema
 * via the `definition` "endpointRate".
 */
export type EndpointRate = ("off" | {
/**
 * Requests per `window` at the sustained rate.
 */
limit: number
/**
 * The span `limit` is counted over: the sustained rate is one request every window / limit (1s–1d, at most 1000 per second: TNG250).
 */
window: string
/**
 * Requests that may arrive at once on top of an idle limit (default: `limit`).
 */
burst?: number
})

/**
 * Tengine gateway configuration (tengine.config.yaml). Declares the projects, the HTTP endpoints a model may call as MCP tools, the integrations (MCP client connections and API keys) and the assertion keys that use them.
 */
export interface TengineConfig {
/**
 * Optional JSON Schema reference for editors.
 */
$schema?: string
/**
 * Config language version. Only `1` exists.
 */
version: 1
/**
 * Files or glob patterns (relative to this file) holding more tools. Each included file is a fragment: `project: <id>` plus `tools: [...]`.
 */
include?: string[]
/**
 * Names of the environment variables that `${env:NAME}` references may read (a reference to any other name is TNG228). Their values are written into the bundle in clear, so list only non-secret configuration (hosts, regions, flags). `TENGINE_*` names and `REDIS_URL`, CI-provided variables (`GITHUB_*`, `ACTIONS_*`, `RUNNER_*`, `CI_*`, ...), the host's credentials and settings (`AWS_*`, `KUBERNETES_*`, `NODE_*`, proxies, ...) and names that say they hold a secret (`…SECRET…`, `…TOKEN…`, `…PASSWORD…`, `…_KEY`, ...) are refused even when listed (TNG228), and a value that looks like a credential is not substituted (TNG214). Read as written (no `${env:}` here), root file only, not part of the bundle. Secrets belong in `encrypted_auth_secret` or `auth_secret_env`.
 */
env_allowlist?: string[]
runtime?: RuntimeSettings
/**
 * The projects. Each is an isolated set of tools, integrations and keys.
 */
projects?: Project[]
}
/**
 * Settings of the runtime that serves the bundle. Every field can be overridden at boot by a flag or a `TENGINE_*` variable.
 * 
 * This interface was referenced by `TengineConfig`'s JSON-Schema
 * via the `definition` "runtime".
 */
export interface RuntimeSettings {
/**
 * The absolute URL clients reach the runtime at (used in OAuth metadata and `WWW-Authenticate`).
 */
public_url?: string
/**
 * Browser origins allowed to call `/mcp` (an `Origin` header outside this list gets 403). Requests without `Origin` are always allowed.
 */
allowed_origins?: string[]
/**
 * Host names (no port) clients may use to reach the runtime besides the host of `public_url`. A request to `/mcp` or `/api/` whose `Host` is neither is refused with 421 (DNS-rebinding defence). `localhost`, `127.0.0.1` and `[::1]` count as one host.
 */
allowed_hosts?: string[]
/**
 * Tools per `tools/list` page.
 */
page_size?: number
/**
 * Largest accepted MCP request body, in bytes.
 */
max_request_bytes?: number
/**
 * Upstream timeout for tools that set none.
 */
default_timeout?: string
/**
 * Largest upstream response body for tools that set none; larger responses fail the call.
 */
default_max_response_bytes?: number
/**
 * Lifetime of `tng_mst_` member session tokens.
 */
member_session_ttl?: string
/**
 * Lifetime of OAuth access tokens.
 */
access_token_ttl?: string
/**
 * Lifetime of OAuth refresh-token families.
 */
refresh_token_ttl?: string
/**
 * How each runtime instance protects your APIs from overload, and itself from a failing API: per project and upstream origin (shared by the project's tools calling it, never by other projects), a concurrency cap with a bounded queue, a retry budget and a circuit breaker. The state is per runtime instance (docs/outbound.md §5).
 */
upstreams?: {
/**
 * Requests in flight from one project to one upstream origin at once, per runtime instance; also the size of that connection pool.
 */
max_concurrent?: number
/**
 * Calls that may wait (first in, first out, within their own timeout) for a free slot when `max_concurrent` are in flight; beyond that a call fails at once with UPSTREAM_OVERLOADED. 0: no waiting.
 */
max_queued?: number
/**
 * Retries to one origin may add at most this share of the calls sent to it in the last 10 seconds, plus 3 (so a quiet upstream can still get a retry); beyond that, failures are returned without retrying. 0: only the 3.
 */
retry_budget_percent?: number
/**
 * Stops calling an origin that keeps failing, then lets probe calls through to see whether it recovered.
 */
circuit_breaker?: {
/**
 * Consecutive failed requests to the origin (no response, TLS failure, timeout, HTTP 502/503/504; retries count) that open the breaker. Other statuses, 500 and 429 included, reset the count.
 */
failure_threshold?: number
/**
 * How long the breaker stays open (calls fail at once with UPSTREAM_CIRCUIT_OPEN) before half-open probe calls are let through; 100ms–1h (TNG227).
 */
open_for?: string
/**
 * Probe requests let through while half-open; the breaker closes when all of them succeed and reopens as soon as one fails.
 */
half_open_probes?: number
}
}
/**
 * Per-client and per-IP rate limits (GCRA, shared by every instance through the store) on the session-token exchange and the OAuth endpoints; a request over one is answered 429 with `Retry-After` before any signature is verified or grant is read (docs/usage.md). Each limit is `{limit, window, burst}` or `off`; an omitted one keeps its default.
 */
endpoint_limits?: {
/**
 * `POST /api/v1/mcp/session-token`. Per client: the integration whose API key authenticated the exchange. Defaults: per client 100 per 1s, burst 500; per IP 100 per 1s, burst 500.
 */
session_token?: {
/**
 * Requests per client (the authenticated integration or OAuth client) to this endpoint: `{limit, window, burst}`.
 */
per_client?: ("off" | {
/**
 * Requests per `window` at the sustained rate.
 */
limit: number
/**
 * The span `limit` is counted over: the sustained rate is one request every window / limit (1s–1d, at most 1000 per second: TNG250).
 */
window: string
/**
 * Requests that may arrive at once on top of an idle limit (default: `limit`).
 */
burst?: number
})
/**
 * Requests per client IP address to this endpoint (behind a proxy, the address from `runtime.trusted_proxies`): `{limit, window, burst}`.
 */
per_ip?: ("off" | {
/**
 * Requests per `window` at the sustained rate.
 */
limit: number
/**
 * The span `limit` is counted over: the sustained rate is one request every window / limit (1s–1d, at most 1000 per second: TNG250).
 */
window: string
/**
 * Requests that may arrive at once on top of an idle limit (default: `limit`).
 */
burst?: number
})
}
/**
 * The OAuth token endpoint. Per client: a confidential client that authenticated with its secret (public clients, whose id anyone may send, are limited per IP only). Defaults: per client 50 per 1s, burst 200; per IP 20 per 1s, burst 100.
 */
token?: {
/**
 * Requests per client (the authenticated integration or OAuth client) to this endpoint: `{limit, window, burst}`.
 */
per_client?: ("off" | {
/**
 * Requests per `window` at the sustained rate.
 */
limit: number
/**
 * The span `limit` is counted over: the sustained rate is one request every window / limit (1s–1d, at most 1000 per second: TNG250).
 */
window: string
/**
 * Requests that may arrive at once on top of an idle limit (default: `limit`).
 */
burst?: number
})
/**
 * Requests per client IP address to this endpoint (behind a proxy, the address from `runtime.trusted_proxies`): `{limit, window, burst}`.
 */
per_ip?: ("off" | {
/**
 * Requests per `window` at the sustained rate.
 */
limit: number
/**
 * The span `limit` is counted over: the sustained rate is one request every window / limit (1s–1d, at most 1000 per second: TNG250).
 */
window: string
/**
 * Requests that may arrive at once on top of an idle limit (default: `limit`).
 */
burst?: number
})
}
/**
 * The OAuth revocation endpoint (RFC 7009); per client as for `token`. Defaults: per client 20 per 1s, burst 100; per IP 10 per 1s, burst 50.
 */
revoke?: {
/**
 * Requests per client (the authenticated integration or OAuth client) to this endpoint: `{limit, window, burst}`.
 */
per_client?: ("off" | {
/**
 * Requests per `window` at the sustained rate.
 */
limit: number
/**
 * The span `limit` is counted over: the sustained rate is one request every window / limit (1s–1d, at most 1000 per second: TNG250).
 */
window: string
/**
 * Requests that may arrive at once on top of an idle limit (default: `limit`).
 */
burst?: number
})
/**
 * Requests per client IP address to this endpoint (behind a proxy, the address from `runtime.trusted_proxies`): `{limit, window, burst}`.
 */
per_ip?: ("off" | {
/**
 * Requests per `window` at the sustained rate.
 */
limit: number
/**
 * The span `limit` is counted over: the sustained rate is one request every window / limit (1s–1d, at most 1000 per second: TNG250).
 */
window: string
/**
 * Requests that may arrive at once on top of an idle limit (default: `limit`).
 */
burst?: number
})
}
/**
 * Dynamic client registration (RFC 7591): each registration stores a client, so it gets the tightest limit. Default per IP: 20 per 1m, burst 20.
 */
register?: {
/**
 * Requests per client IP address to this endpoint (behind a proxy, the address from `runtime.trusted_proxies`): `{limit, window, burst}`.
 */
per_ip?: ("off" | {
/**
 * Requests per `window` at the sustained rate.
 */
limit: number
/**
 * The span `limit` is counted over: the sustained rate is one request every window / limit (1s–1d, at most 1000 per second: TNG250).
 */
window: string
/**
 * Requests that may arrive at once on top of an idle limit (default: `limit`).
 */
burst?: number
})
}
/**
 * The authorization endpoint and the consent form's answer (browser pages). Per IP only: its client_id is not authenticated, so a per-client limit would let anyone lock a client's users out. Default per IP: 5 per 1s, burst 50.
 */
authorize?: {
/**
 * Requests per client IP address to this endpoint (behind a proxy, the address from `runtime.trusted_proxies`): `{limit, window, burst}`.
 */
per_ip?: ("off" | {
/**
 * Requests per `window` at the sustained rate.
 */
limit: number
/**
 * The span `limit` is counted over: the sustained rate is one request every window / limit (1s–1d, at most 1000 per second: TNG250).
 */
window: string
/**
 * Requests that may arrive at once on top of an idle limit (default: `limit`).
 */
burst?: number
})
}
/**
 * The member login callback and the page after it (browser pages). Default per IP: 5 per 1s, burst 50.
 */
login_callback?: {
/**
 * Requests per client IP address to this endpoint (behind a proxy, the address from `runtime.trusted_proxies`): `{limit, window, burst}`.
 */
per_ip?: ("off" | {
/**
 * Requests per `window` at the sustained rate.
 */
limit: number
/**
 * The span `limit` is counted over: the sustained rate is one request every window / limit (1s–1d, at most 1000 per second: TNG250).
 */
window: string
/**
 * Requests that may arrive at once on top of an idle limit (default: `limit`).
 */
burst?: number
})
}
}
/**
 * Addresses or CIDR ranges (`10.0.0.0/8`, `2001:db8::/32`) of the reverse proxies and load balancers in front of the runtime. Only when the connection comes from one of them is the client address read from `forwarded_header`, as its right-most address not in this list; otherwise the connection's own address is the client's, and forwarding headers are ignored (they are the client's to forge). Default: none.
 * 
 * @maxItems 256
 */
trusted_proxies?: string[]
/**
 * The header the `trusted_proxies` write the client address to: `x-forwarded-for` (default) or RFC 7239 `forwarded` (its `for=` parameters). Only this one is read: a header your proxies do not write holds whatever the client sent.
 */
forwarded_header?: ("x-forwarded-for" | "forwarded")
/**
 * Usage records: calls, errors by code, upstream latency and bytes per project, integration, member and tool, in hourly and daily UTC buckets in the store, read with `tengine usage` (docs/usage.md, Usage records). Each runtime instance writes them about once a second.
 */
usage_records?: {
/**
 * Keep usage records. `false`: nothing is recorded (records already written stay until they expire).
 */
enabled?: boolean
/**
 * How long an hourly bucket is kept after it ends; 1h–400d (TNG227) and at most `daily_retention` (TNG253).
 */
hourly_retention?: string
/**
 * How long a daily bucket is kept after it ends; 1d–3660d (TNG227).
 */
daily_retention?: string
}
/**
 * How long a `tools/call` whose client sent `_meta.progressToken` and accepts `text/event-stream` may run before its answer turns into an event stream carrying `notifications/progress` (attempt, retry waits, elapsed time) every interval until the result (docs/http-api.md#progress); 100ms–1m (TNG227). Faster calls are answered with plain JSON.
 */
progress_interval?: string
}
/**
 * This interface was referenced by `TengineConfig`'s JSON-Schema
 * via the `definition` "project".
 */
export interface Project {
/**
 * Stable project id (lower-case letters, digits, `_`, `-`). Used in assertion audiences `tengine:project:<id>`.
 */
id: string
/**
 * Human-readable name of the project, shown in consent pages and tool listings.
 */
name?: string
/**
 * What the project is for; for people reading the config (not sent to MCP clients).
 */
description?: string
/**
 * `development` allows loopback `http://` base URLs and the `member_external_id` session exchange.
 */
environment?: ("production" | "development")
/**
 * Let this project's tools call private addresses (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, fc00::/7): internal APIs. Checked at connect time on the resolved address. Loopback, link-local and cloud metadata addresses stay refused outside `environment: development` projects. `tengine plan` flags turning it on.
 */
allow_private_networks?: boolean
/**
 * Scopes defined in this project. Tools may require them; OAuth integrations grant up to a ceiling of them.
 */
scopes?: Scope[]
/**
 * Public keys that verify member assertions signed by your backend.
 */
assertion_keys?: AssertionKey[]
/**
 * MCP client connections: API-key integrations and OAuth integrations.
 */
integrations?: Integration[]
idempotency?: Idempotency
/**
 * Limits on all of the project's tool calls together (each call must also pass its integration's and its tool's limits).
 */
usage_limits?: UsageLimit[]
/**
 * How this project's usage limits behave when the shared store (Redis) cannot be reached, and the time zone of its quotas (docs/usage.md#when-the-store-is-down).
 */
usage_policy?: {
/**
 * During a store outage: `fail_open` admits calls within a local per-instance limiter (each limit divided by `expected_instances`); `fail_closed` refuses calls that have a limit with USAGE_CHECK_UNAVAILABLE. An overloaded store refuses either way.
 */
on_store_unavailable?: ("fail_open" | "fail_closed")
/**
 * Runtime instances expected to serve this project: during an outage each instance admits its share, the limit divided by this number.
 */
expected_instances?: number
/**
 * IANA time zone of the calendar windows of quotas (`Europe/Berlin`): days, weeks and months start at local midnight (TNG243 for an unknown zone).
 */
time_zone?: string
}
/**
 * The tools this project serves, in order. Tools from `include`d files and `openapi` sources are appended.
 */
tools?: Tool[]
/**
 * OpenAPI documents (3.0, 3.1 or Swagger 2.0; YAML or JSON; files inside the config directory) whose operations become tools of this project. `validate`, `plan` and `build` expand them like hand-written tools; diagnostics point at the operation in the document (docs/openapi.md).
 * 
 * @maxItems 64
 */
openapi?: OpenApiSource[]
}
/**
 * This interface was referenced by `TengineConfig`'s JSON-Schema
 * via the `definition` "scope".
 */
export interface Scope {
/**
 * The scope as OAuth clients request it, e.g. `tickets:read` (letters, digits and `_ . : -`, at most 64).
 */
name: string
/**
 * What the scope allows, shown on the consent page.
 */
description?: string
/**
 * Scopes an OAuth grant of this scope also gets (`tickets:write` implies `tickets:read`), within the client's ceiling. Each must be a scope of the project.
 */
implies?: string[]
}
/**
 * This interface was referenced by `TengineConfig`'s JSON-Schema
 * via the `definition` "assertionKey".
 */
export interface AssertionKey {
/**
 * Key id your backend puts in the assertion header.
 */
kid: string
/**
 * The only algorithm accepted for this key. `Ed25519` is an alias of `EdDSA`.
 */
alg: ("ES256" | "ES384" | "EdDSA" | "Ed25519" | "RS256")
/**
 * PEM-encoded public key (SubjectPublicKeyInfo, `-----BEGIN PUBLIC KEY-----`).
 */
public_key: string
}
/**
 * This interface was referenced by `TengineConfig`'s JSON-Schema
 * via the `definition` "apiKeyIntegration".
 */
export interface ApiKeyIntegration {
/**
 * Id of the integration, unique in the project (lower-case letters, digits, `_` and `-`); API keys and tokens name it.
 */
id: string
/**
 * `api_key`: callers send a `tengine_` API key as a bearer token.
 */
kind: "api_key"
/**
 * Human-readable name of the integration, shown in listings and on the consent page.
 */
name?: string
/**
 * What the integration is for; for people reading the config.
 */
description?: string
/**
 * SHA-256 hashes of the `tengine_` keys of this integration (`tengine keys api-key` prints them).
 */
api_keys?: ApiKeyHash[]
/**
 * Limits on the calls made through this integration (on top of the project's and the tool's).
 */
usage_limits?: UsageLimit[]
}
/**
 * This interface was referenced by `TengineConfig`'s JSON-Schema
 * via the `definition` "apiKeyHash".
 */
export interface ApiKeyHash {
/**
 * Lower-case hex SHA-256 of the whole key, prefix included.
 */
sha256: string
/**
 * A label for the key (e.g. who holds it or when it was minted), to tell keys apart when rotating.
 */
name?: string
/**
 * Informational creation date.
 */
created_at?: string
}
/**
 * One limit on tool calls: a rate (`window`, GCRA with a `burst`) or a calendar quota (`quota`); exactly one of the two (TNG239). A call must pass every limit that applies to it (docs/usage.md#limits).
 * 
 * This interface was referenced by `TengineConfig`'s JSON-Schema
 * via the `definition` "usageLimit".
 */
export interface UsageLimit {
/**
 * A label shown in refusals and logs (`reads per member`); by default the refusal describes the limit.
 */
name?: string
/**
 * Calls allowed per `window` (a rate) or per calendar `quota` period.
 */
limit: number
/**
 * A rate limit: `limit` calls per this duration, from 1s to 24h (`10s`, `1m`, `1h`), enforced with GCRA: calls are spread at one per window/limit, with up to `burst` at once. Longer periods are quotas (TNG244).
 */
window?: string
/**
 * A rate limit: calls that may arrive at once after a quiet spell (default: `limit`, so the whole window's allowance). At most `limit` (TNG240).
 */
burst?: number
/**
 * A quota: `limit` calls per calendar day, ISO week (from Monday) or calendar month in the project's `usage_policy.time_zone`; the count starts over at each calendar boundary.
 */
quota?: ("day" | "week" | "month")
/**
 * Whose calls are counted together: the whole project, each integration, or each member (`member` falls back to the integration for callers without a member). On an integration's limits, `project` counts that integration's calls together, like `integration`.
 */
per?: ("project" | "integration" | "member")
}
/**
 * This interface was referenced by `TengineConfig`'s JSON-Schema
 * via the `definition` "oauthIntegration".
 */
export interface OAuthIntegration {
/**
 * Id of the integration, unique in the project (lower-case letters, digits, `_` and `-`); API keys and tokens name it.
 */
id: string
/**
 * `oauth`: MCP clients sign in with OAuth 2.1 (authorization code with PKCE) and send access tokens.
 */
kind: "oauth"
/**
 * Human-readable name of the integration, shown in listings and on the consent page.
 */
name?: string
/**
 * What the integration is for; for people reading the config.
 */
description?: string
/**
 * OAuth client id (unique across the config).
 */
client_id: string
/**
 * SHA-256 of the client secret for a confidential client. Omit for a public client (PKCE only).
 */
client_secret_sha256?: string
/**
 * Your login page for members: the runtime sends the person signing in there with `tengine_request` and `tengine_callback`; your page signs them in and posts a member assertion carrying `nonce` back to the callback (docs/oauth.md). Grants then carry the member. https, or http on a loopback host.
 */
login_url?: string
/**
 * Let MCP clients register themselves (RFC 7591) as public clients of this integration: same project, scope ceiling and sign-in (login_url or connect secret). At most one integration of a config.
 */
dynamic_registration?: {
/**
 * Hosts a registered redirect URI may point to, exactly (`localhost`, `127.0.0.1`, `claude.ai`); https, or http on a loopback host.
 * 
 * @minItems 1
 */
allowed_redirect_hosts: [string, ...(string)[]]
/**
 * How long a registered client lives in the store.
 */
client_ttl?: string
/**
 * Also accept clients whose client_id is an https URL of their metadata document (MCP Client ID Metadata Documents), fetched from public addresses only, with the same redirect host rule.
 */
metadata_documents?: boolean
}
/**
 * SHA-256 of a connect secret (`tengine keys connect-secret`): the person signing a public client in enters it on the consent page, proving they may connect. A public client needs it, since nothing else proves who is connecting.
 */
connect_secret_sha256?: string
/**
 * Exact redirect URIs allowed (HTTPS, or `http://` on a loopback host).
 * 
 * @minItems 1
 */
redirect_uris: [string, ...(string)[]]
/**
 * Scope ceiling this client may be granted; must be scopes of the project.
 */
scopes?: string[]
/**
 * Limits on the calls made through this integration (on top of the project's and the tool's).
 */
usage_limits?: UsageLimit[]
}
/**
 * Project default of idempotent retries for its tools; a tool's own `idempotency` overrides it field by field (docs/usage.md#idempotent-retries).
 */
export interface Idempotency {
/**
 * De-duplicate retries of the tool. Default: true for POST, PUT, PATCH and DELETE tools whose annotations do not say `idempotentHint: true`; false for GET tools and tools marked idempotent, which are safe to repeat (set true to cache them anyway).
 */
enabled?: boolean
/**
 * How long a result is kept and retries are answered from it, from the end of the first call (default `60s`, at most `24h`).
 */
window?: string
/**
 * Largest result (bytes of its JSON) that is kept; a larger one is returned but not kept, so its retries call the upstream again (default 65536).
 */
max_result_bytes?: number
}
/**
 * This interface was referenced by `TengineConfig`'s JSON-Schema
 * via the `definition` "tool".
 */
export interface Tool {
/**
 * Name the model sees; unique within the project.
 */
name: string
/**
 * Stable identity of the tool across renames; defaults to the name. `tengine plan` shows a tool whose name changes but whose id stays as a rename.
 */
id?: string
/**
 * Human-readable display name.
 */
title?: string
/**
 * What the tool does, for the model.
 */
description: string
/**
 * JSON Schema (2020-12 unless `$schema` says otherwise) of the arguments the model supplies. Must describe an object.
 */
input_schema: {

}
/**
 * JSON Schema the upstream JSON result must match; exposed to clients as `outputSchema`.
 */
output_schema?: {

}
result?: ResultMapping
annotations?: ToolAnnotations
/**
 * HTTPS origin only: no path, query or fragment.
 */
base_url: string
/**
 * HTTP method of the upstream request.
 */
http_method: ("GET" | "POST" | "PUT" | "PATCH" | "DELETE")
/**
 * Path template starting with `/`, with `{placeholders}`.
 */
endpoint_path: string
query_template?: QueryTemplate
headers_template?: HeadersTemplate
/**
 * JSON body; a string that is exactly `{name}` takes the typed value, other strings interpolate.
 */
body_template?: {
[k: string]: unknown | undefined
}
/**
 * OpenAPI-style request mapping (docs/openapi.md#request-mapping-from-parameters): each entry sends one argument value as a path, query, header or cookie parameter, serialized by the OpenAPI `style`/`explode` rules. With `parameters`, a `{name}` in `endpoint_path` names a path parameter (any characters but `{`, `}` and `/`) rather than a template variable. Absent optional values are omitted.
 * 
 * @maxItems 256
 */
parameters?: {
/**
 * The parameter's name as the upstream expects it, sent as is: the `{name}` placeholder in `endpoint_path`, the query key, the header name or the cookie name.
 */
name: string
/**
 * Where the parameter goes.
 */
in: ("path" | "query" | "header" | "cookie")
/**
 * Where the value is in the arguments: a path of property names from the top, e.g. `[pathParams, pet-id]` or `[limit]`. Only own properties are followed.
 * 
 * @minItems 1
 * @maxItems 8
 */
argument: [string, ...(string)[]]
/**
 * OpenAPI serialization style. Allowed: path `simple` (default), `label`, `matrix`; query `form` (default), `spaceDelimited`, `pipeDelimited`, `deepObject`; header `simple` (default); cookie `form` (default).
 */
style?: ("simple" | "label" | "matrix" | "form" | "spaceDelimited" | "pipeDelimited" | "deepObject")
/**
 * OpenAPI `explode`: arrays and objects as separate values (`id=1&id=2`) rather than one comma-joined value. Defaults to true for style `form`, false otherwise.
 */
explode?: boolean
/**
 * Query parameters only: keep RFC 3986 reserved characters (`:/?#[]@!$&'()*+,;=`) unencoded in the value.
 */
allow_reserved?: boolean
/**
 * The upstream needs this parameter: a call without its value is refused with INVALID_ARGUMENTS (path parameters are always required). Normally the input schema's `required` catches it first.
 */
required?: boolean
}[]
/**
 * Request body from one argument (excludes `body_template`): its value sent as JSON, or an object's scalar properties (arrays repeated) as a form.
 */
body?: {
/**
 * Where the body is in the arguments: a path of property names, e.g. `[body]`. Absent: no body is sent.
 * 
 * @minItems 1
 * @maxItems 8
 */
argument: [string, ...(string)[]]
/**
 * How the body is encoded; also sent as `Content-Type`.
 */
content_type?: ("application/json" | "application/x-www-form-urlencoded")
}
/**
 * Refuse callers without a member session.
 */
require_member?: boolean
/**
 * Which `X-Tengine-Member-*` headers are sent upstream.
 */
inject_member_identity?: {
/**
 * Send `X-Tengine-Member-Id` with the member's external id (the `sub` of the member assertion).
 */
id?: boolean
/**
 * Send `X-Tengine-Member-Email` with the member's email (when the member session has one).
 */
email?: boolean
/**
 * Send `X-Tengine-Member-Roles` with the member's roles joined with `,` (when the member has any).
 */
roles?: boolean
}
/**
 * Also send `X-Tengine-Identity`: a 60-second JWT signed by the runtime (member, project, integration, tool, request id) that your API can verify with /.well-known/jwks.json instead of trusting plain headers.
 */
identity_token?: boolean
/**
 * How the runtime authenticates to the upstream: `none`; `static_bearer` (sends the tool's secret as a bearer token); `hmac_signature` (signs each request with the secret in `X-Tengine-Signature`). Anything but `none` needs one secret source: `encrypted_auth_secret` or `auth_secret_env`.
 */
auth_strategy?: ("none" | "static_bearer" | "hmac_signature")
/**
 * Signature scheme of `hmac_signature`: `tng3` (default) also signs the project, integration and member headers; `tng2` is the older line without them, kept only for upstreams that still verify it (docs/outbound.md §4.2).
 */
signature_version?: ("tng3" | "tng2")
/**
 * The upstream secret as a JWE encrypted to the runtime key (`tengine secret encrypt`). Never plaintext.
 */
encrypted_auth_secret?: string
/**
 * Alternative to `encrypted_auth_secret`: name of an environment variable the runtime reads the secret from at boot. A variable of its own (`CRM_HMAC_SECRET`), never one of Tengine, the CI system or the host (`TENGINE_*`, `REDIS_URL`, `AWS_*`, `GITHUB_*`, ...: TNG228; the runtime refuses such a bundle with SECRET_ENV_FORBIDDEN).
 */
auth_secret_env?: string
/**
 * Disabled tools are not listed and cannot be called.
 */
is_enabled?: boolean
deprecated?: Deprecated
/**
 * Scopes an OAuth caller must hold to see and call the tool.
 */
scopes?: string[]
/**
 * Overall deadline for the upstream call, retries included (default: runtime `default_timeout`).
 */
timeout?: string
/**
 * Largest upstream response body; larger fails the call.
 */
max_response_bytes?: number
log_arguments?: LogArguments
idempotency?: Idempotency1
/**
 * Retries of failed upstream attempts: only transient failures, within the origin's retry budget and circuit breaker (docs/outbound.md §5).
 */
retry?: {
/**
 * Attempts including the first: the default 2 allows at most one retry; 1 turns retries off.
 */
max_attempts?: number
/**
 * Also retry POST and PATCH (only if the upstream de-duplicates on `X-Tengine-Request-Id`).
 */
non_idempotent?: boolean
}
/**
 * Limits on this tool's calls (on top of its project's and the caller's integration's).
 */
usage_limits?: UsageLimit[]
}
/**
 * How a successful upstream response becomes the MCP result (docs/http-api.md#results-by-content-type). Without it the response's Content-Type decides: JSON becomes text plus `structuredContent`, `text/*` text, `image/*` and `audio/*` image and audio blocks, other binary an embedded resource. Every field here needs a JSON body; any other body fails the call with UPSTREAM_RESULT_UNMAPPABLE.
 */
export interface ResultMapping {
/**
 * `json`: the body is plain JSON, shown as text (or `text`) plus `structuredContent`. `mcp`: the upstream itself answers an MCP `content` array, or an object with `content` and optionally `structuredContent` and `isError`; it is checked against the MCP content-block schema and passed on, so one result can mix text, images, audio, links and resources (an invalid one fails the call with UPSTREAM_CONTENT_INVALID).
 */
format?: ("json" | "mcp")
/**
 * JSON pointer (RFC 6901, e.g. `/data`) to the part of the JSON body that is the result; the rest of the body is dropped. The value found becomes `structuredContent` (a non-object as `{"result": value}`) and must match `output_schema`. A body without it fails the call with UPSTREAM_RESULT_UNMAPPABLE. Absent or `""`: the whole body.
 */
pointer?: string
/**
 * Template of the text block the model reads instead of the JSON text, e.g. `{name} is {status}`: each `{field}` is a top-level field of `structuredContent` (the result after `pointer`; `{result}` for a result that is not an object), strings as they are, other values as JSON, absent ones as nothing; `{{` and `}}` are literal braces. `structuredContent` still carries the whole result. Not with `format: mcp`.
 */
text?: string
/**
 * `resource_link` blocks added after the text, one per URL field of the JSON body (e.g. a download link), so a client can fetch or show the linked file. Not with `format: mcp`.
 * 
 * @maxItems 16
 */
resource_links?: {
/**
 * JSON pointer into the whole body (not the `pointer` result) to an absolute `https://` or `http://` URL string. Absent or null: no link; any other value fails the call with UPSTREAM_RESULT_UNMAPPABLE.
 */
pointer: string
/**
 * The link's `name` shown to the client and the model.
 */
name: string
/**
 * The linked file's media type (the block's `mimeType`), e.g. `application/pdf`.
 */
mime_type?: string
/**
 * What the linked file is, for the model (the block's `description`).
 */
description?: string
}[]
}
/**
 * MCP tool annotations (hints for clients).
 * 
 * This interface was referenced by `TengineConfig`'s JSON-Schema
 * via the `definition` "toolAnnotations".
 */
export interface ToolAnnotations {
/**
 * A human-readable title of the tool for client interfaces.
 */
title?: string
/**
 * The tool does not change anything upstream. Default false.
 */
readOnlyHint?: boolean
/**
 * The tool may delete or overwrite data (meaningful when readOnlyHint is false). Default true.
 */
destructiveHint?: boolean
/**
 * Calling the tool again with the same arguments has no further effect (meaningful when readOnlyHint is false). Default false.
 */
idempotentHint?: boolean
/**
 * The tool reaches systems outside a closed domain (e.g. the web). Default true.
 */
openWorldHint?: boolean
}
/**
 * Query parameters; values may contain `{placeholders}`.
 */
export interface QueryTemplate {
[k: string]: (string | number | boolean) | undefined
}
/**
 * Request headers; values may contain `{placeholders}`.
 */
export interface HeadersTemplate {
[k: string]: (string | number | boolean) | undefined
}
/**
 * Marks the tool as deprecated. A tool marked deprecated whose sunset date has passed (today is on or after it) may be removed without a breaking change (`tengine plan` rule DEPRECATED_TOOL_REMOVED).
 */
export interface Deprecated {
/**
 * Date (YYYY-MM-DD) the tool was deprecated.
 */
since?: string
/**
 * Date (YYYY-MM-DD) from which the tool may be removed without a breaking change.
 */
sunset: string
/**
 * What callers should use instead.
 */
message?: string
}
/**
 * Opt-in: the audit line of each call of this tool carries its arguments, with the values at the `redact` JSON pointers (and under any key that names a secret) replaced by "[REDACTED]", at most 2 KiB. Without it, argument values are never logged.
 */
export interface LogArguments {
/**
 * JSON pointers into the arguments whose values are never logged, e.g. `/card/number`; `[]` logs every value except secret-named keys.
 * 
 * @maxItems 64
 */
redact: string[]
}
/**
 * Idempotent retries of this tool: a retry with the same arguments by the same caller within the window gets the first result without a second upstream call (docs/usage.md#idempotent-retries). Overrides the project's `idempotency` field by field.
 */
export interface Idempotency1 {
/**
 * De-duplicate retries of the tool. Default: true for POST, PUT, PATCH and DELETE tools whose annotations do not say `idempotentHint: true`; false for GET tools and tools marked idempotent, which are safe to repeat (set true to cache them anyway).
 */
enabled?: boolean
/**
 * How long a result is kept and retries are answered from it, from the end of the first call (default `60s`, at most `24h`).
 */
window?: string
/**
 * Largest result (bytes of its JSON) that is kept; a larger one is returned but not kept, so its retries call the upstream again (default 65536).
 */
max_result_bytes?: number
}
/**
 * One OpenAPI document and how its operations become tools.
 * 
 * This interface was referenced by `TengineConfig`'s JSON-Schema
 * via the `definition` "openApiSource".
 */
export interface OpenApiSource {
/**
 * Path of the document relative to this config file, inside the config directory (no `..`, not absolute). Its relative-file `$ref`s must stay inside the config directory too; remote `$ref`s are refused unless `allow_remote_refs` lists them.
 */
document: string
/**
 * URL prefixes (origin and path, e.g. `https://schemas.example.com/common/`) under which remote `$ref`s are fetched when the config is loaded; `https:` only, or `http:` for 127.0.0.1 and localhost. A prefix ending in `/` covers everything below it, otherwise that URL and what lies below it. Any other remote `$ref` is TNG303. Fetched documents make a build depend on the network (docs/openapi.md).
 * 
 * @maxItems 32
 */
allow_remote_refs?: string[]
/**
 * Origin the generated tools call (HTTPS; the same rules as a tool's `base_url`). Default: the origin of the document's first absolute server URL (`servers[0].url`, or Swagger 2.0 `schemes`/`host`); a server path becomes a prefix of every endpoint_path.
 */
base_url?: string
/**
 * How generated tools authenticate to the API, as a tool's `auth_strategy` (`none`, `static_bearer`, `hmac_signature`).
 */
auth_strategy?: ("none" | "static_bearer" | "hmac_signature")
/**
 * Signature scheme of `hmac_signature`: `tng3` (default) also signs the project, integration and member headers; `tng2` is the older line without them, kept only for upstreams that still verify it (docs/outbound.md §4.2).
 */
signature_version?: ("tng3" | "tng2")
/**
 * The upstream secret as a JWE encrypted to the runtime key (`tengine secret encrypt`). Never plaintext.
 */
encrypted_auth_secret?: string
/**
 * Alternative to `encrypted_auth_secret`: name of an environment variable the runtime reads the secret from at boot. A variable of its own (`CRM_HMAC_SECRET`), never one of Tengine, the CI system or the host (`TENGINE_*`, `REDIS_URL`, `AWS_*`, `GITHUB_*`, ...: TNG228; the runtime refuses such a bundle with SECRET_ENV_FORBIDDEN).
 */
auth_secret_env?: string
include?: OpenApiFilter
exclude?: OpenApiFilter1
/**
 * `grouped` (default): arguments `{pathParams, query, headers, cookies, body}` as the Enginy product does, each present only when the operation has such inputs. `flat`: every parameter as a top-level argument by its name, and the body as `body` (a name used twice becomes `<name>_<in>`, reported as TNG311).
 */
input_shape?: ("grouped" | "flat")
/**
 * Optional parameters never offered to the model (e.g. a tracing header the upstream fills itself). A required parameter cannot be omitted (TNG306).
 * 
 * @maxItems 256
 */
omit_parameters?: {
/**
 * The parameter's name (case-insensitive for headers).
 */
name: string
/**
 * Where the parameter goes.
 */
in: ("query" | "header" | "cookie")
}[]
/**
 * Prefix of every generated tool name, e.g. `crm_`, so two documents in one project cannot collide. Counts toward the 64-character limit.
 */
name_prefix?: string
/**
 * Longest tool description: summary and description are joined and cut at a word boundary with `…` (reported as TNG312).
 */
description_max_length?: number
/**
 * Tool fields applied to every generated tool; what the document says (scopes, annotations) and `overrides` take precedence.
 */
defaults?: {
annotations?: ToolAnnotations
headers_template?: HeadersTemplate
/**
 * Refuse callers without a member session.
 */
require_member?: boolean
/**
 * Which `X-Tengine-Member-*` headers are sent upstream.
 */
inject_member_identity?: {
/**
 * Send `X-Tengine-Member-Id` with the member's external id (the `sub` of the member assertion).
 */
id?: boolean
/**
 * Send `X-Tengine-Member-Email` with the member's email (when the member session has one).
 */
email?: boolean
/**
 * Send `X-Tengine-Member-Roles` with the member's roles joined with `,` (when the member has any).
 */
roles?: boolean
}
/**
 * Also send `X-Tengine-Identity`: a 60-second JWT signed by the runtime (member, project, integration, tool, request id) that your API can verify with /.well-known/jwks.json instead of trusting plain headers.
 */
identity_token?: boolean
/**
 * Disabled tools are not listed and cannot be called.
 */
is_enabled?: boolean
/**
 * Scopes an OAuth caller must hold to see and call the tool.
 */
scopes?: string[]
/**
 * Overall deadline for the upstream call, retries included (default: runtime `default_timeout`).
 */
timeout?: string
/**
 * Largest upstream response body; larger fails the call.
 */
max_response_bytes?: number
log_arguments?: LogArguments
idempotency?: Idempotency1
/**
 * Retries of failed upstream attempts: only transient failures, within the origin's retry budget and circuit breaker (docs/outbound.md §5).
 */
retry?: {
/**
 * Attempts including the first: the default 2 allows at most one retry; 1 turns retries off.
 */
max_attempts?: number
/**
 * Also retry POST and PATCH (only if the upstream de-duplicates on `X-Tengine-Request-Id`).
 */
non_idempotent?: boolean
}
/**
 * Limits on this tool's calls (on top of its project's and the caller's integration's).
 */
usage_limits?: UsageLimit[]
}
/**
 * Per-operation tool fields, keyed by operationId or by `METHOD /path` (e.g. `GET /pets/{petId}`); they take precedence over the document and `defaults`. A key matching no operation is TNG314.
 */
overrides?: {
/**
 * Tool fields for one operation.
 */
[k: string]: {
/**
 * Name the model sees; unique within the project.
 */
name?: string
/**
 * Stable identity of the tool across renames; defaults to the name. `tengine plan` shows a tool whose name changes but whose id stays as a rename.
 */
id?: string
/**
 * Human-readable display name.
 */
title?: string
/**
 * What the tool does, for the model.
 */
description?: string
annotations?: ToolAnnotations
query_template?: QueryTemplate
headers_template?: HeadersTemplate
/**
 * Refuse callers without a member session.
 */
require_member?: boolean
/**
 * Which `X-Tengine-Member-*` headers are sent upstream.
 */
inject_member_identity?: {
/**
 * Send `X-Tengine-Member-Id` with the member's external id (the `sub` of the member assertion).
 */
id?: boolean
/**
 * Send `X-Tengine-Member-Email` with the member's email (when the member session has one).
 */
email?: boolean
/**
 * Send `X-Tengine-Member-Roles` with the member's roles joined with `,` (when the member has any).
 */
roles?: boolean
}
/**
 * Also send `X-Tengine-Identity`: a 60-second JWT signed by the runtime (member, project, integration, tool, request id) that your API can verify with /.well-known/jwks.json instead of trusting plain headers.
 */
identity_token?: boolean
/**
 * Disabled tools are not listed and cannot be called.
 */
is_enabled?: boolean
deprecated?: Deprecated
/**
 * Scopes an OAuth caller must hold to see and call the tool.
 */
scopes?: string[]
/**
 * Overall deadline for the upstream call, retries included (default: runtime `default_timeout`).
 */
timeout?: string
/**
 * Largest upstream response body; larger fails the call.
 */
max_response_bytes?: number
log_arguments?: LogArguments
idempotency?: Idempotency1
/**
 * Retries of failed upstream attempts: only transient failures, within the origin's retry budget and circuit breaker (docs/outbound.md §5).
 */
retry?: {
/**
 * Attempts including the first: the default 2 allows at most one retry; 1 turns retries off.
 */
max_attempts?: number
/**
 * Also retry POST and PATCH (only if the upstream de-duplicates on `X-Tengine-Request-Id`).
 */
non_idempotent?: boolean
}
/**
 * Limits on this tool's calls (on top of its project's and the caller's integration's).
 */
usage_limits?: UsageLimit[]
} | undefined
}
}
/**
 * Only operations matching this filter become tools (default: every operation).
 */
export interface OpenApiFilter {
/**
 * Operations carrying any of these tags.
 * 
 * @maxItems 256
 */
tags?: string[]
/**
 * Operations with any of these operationIds.
 * 
 * @maxItems 4096
 */
operation_ids?: string[]
/**
 * Operations whose path matches any of these globs (`*` within a segment, `**` across segments, `{a,b}`, `?`), e.g. `/pets/**`. Braces of path templates are matched literally when written as `{petId}` in full.
 * 
 * @maxItems 256
 */
paths?: string[]
/**
 * Operations of these HTTP methods.
 * 
 * @maxItems 5
 */
methods?: ("GET" | "POST" | "PUT" | "PATCH" | "DELETE")[]
}
/**
 * Operations matching this filter do not become tools (applied after `include`).
 */
export interface OpenApiFilter1 {
/**
 * Operations carrying any of these tags.
 * 
 * @maxItems 256
 */
tags?: string[]
/**
 * Operations with any of these operationIds.
 * 
 * @maxItems 4096
 */
operation_ids?: string[]
/**
 * Operations whose path matches any of these globs (`*` within a segment, `**` across segments, `{a,b}`, `?`), e.g. `/pets/**`. Braces of path templates are matched literally when written as `{petId}` in full.
 * 
 * @maxItems 256
 */
paths?: string[]
/**
 * Operations of these HTTP methods.
 * 
 * @maxItems 5
 */
methods?: ("GET" | "POST" | "PUT" | "PATCH" | "DELETE")[]
}
/**
 * Idempotent retries: within `window`, a repeated call of a tool with the same arguments by the same caller (or with the same client idempotency key in `_meta["tengine.dev/idempotency_key"]`) is answered with the first call's result instead of calling the upstream again; concurrent duplicates wait for the first. Only successful results of at most `max_result_bytes` are kept, and only for the window.
 * 
 * This interface was referenced by `TengineConfig`'s JSON-Schema
 * via the `definition` "idempotency".
 */
export interface Idempotency2 {
/**
 * De-duplicate retries of the tool. Default: true for POST, PUT, PATCH and DELETE tools whose annotations do not say `idempotentHint: true`; false for GET tools and tools marked idempotent, which are safe to repeat (set true to cache them anyway).
 */
enabled?: boolean
/**
 * How long a result is kept and retries are answered from it, from the end of the first call (default `60s`, at most `24h`).
 */
window?: string
/**
 * Largest result (bytes of its JSON) that is kept; a larger one is returned but not kept, so its retries call the upstream again (default 65536).
 */
max_result_bytes?: number
}
/**
 * This interface was referenced by `TengineConfig`'s JSON-Schema
 * via the `definition` "stringMap".
 */
export interface StringMap {
[k: string]: (string | number | boolean) | undefined
}
/**
 * Selects operations: one that matches any of the listed values of a field matches that field; all fields given must match.
 * 
 * This interface was referenced by `TengineConfig`'s JSON-Schema
 * via the `definition` "openApiFilter".
 */
export interface OpenApiFilter2 {
/**
 * Operations carrying any of these tags.
 * 
 * @maxItems 256
 */
tags?: string[]
/**
 * Operations with any of these operationIds.
 * 
 * @maxItems 4096
 */
operation_ids?: string[]
/**
 * Operations whose path matches any of these globs (`*` within a segment, `**` across segments, `{a,b}`, `?`), e.g. `/pets/**`. Braces of path templates are matched literally when written as `{petId}` in full.
 * 
 * @maxItems 256
 */
paths?: string[]
/**
 * Operations of these HTTP methods.
 * 
 * @maxItems 5
 */
methods?: ("GET" | "POST" | "PUT" | "PATCH" | "DELETE")[]
}

export type Config = TengineConfig

/**
 * The signed payload of a Tengine bundle: the resolved configuration (includes merged, defaults applied, environment references substituted) plus build metadata. The runtime loads exactly this.
 */
export interface BundlePayload {
/**
 * Bundle format version; the runtime refuses versions it does not know.
 */
format_version: 1
/**
 * Build time: SOURCE_DATE_EPOCH, else the commit time of the source revision, else the wall clock.
 */
created_at: string
source?: BundleSource
/**
 * SHA-256 of the canonical JSON of `config`.
 */
config_digest: string
config: Config
}
export interface BundleSource {
/**
 * Git commit the config was built from.
 */
revision?: string
/**
 * True when the config files differed from that commit.
 */
dirty?: boolean
}

