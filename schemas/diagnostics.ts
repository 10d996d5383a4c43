/** One problem found in a config: where it is, what it is, and how to fix it. */
export interface Diagnostic {
  code: DiagnosticCode;
  severity: 'error' | 'warning';
  message: string;
  file: string;
  line: number;
  column: number;
  hint: string;
  /** JSON pointer of the value inside `file`, where the file is not the config itself (an OpenAPI document). */
  pointer?: string;
}

/** Severity and default hint of each diagnostic code. Codes are stable: never renumber, only add. */
export const DIAGNOSTIC_CODES = {
  // Reading files (TNG0xx)
  TNG001: { title: 'file-unreadable', severity: 'error', hint: 'check the path and the file permissions' },
  TNG002: { title: 'yaml-syntax', severity: 'error', hint: 'fix the YAML syntax at this position' },
  TNG003: { title: 'duplicate-key', severity: 'error', hint: 'remove or rename one of the duplicate keys' },
  TNG004: { title: 'file-too-large', severity: 'error', hint: 'split the config with `include:` (each file at most 4 MiB)' },
  TNG005: { title: 'not-text', severity: 'error', hint: 'config files must be UTF-8 text without NUL bytes' },
  TNG006: { title: 'forbidden-key', severity: 'error', hint: 'keys named __proto__, constructor or prototype are not allowed' },
  TNG007: { title: 'include-not-found', severity: 'error', hint: 'check the include path or glob; it is relative to the including file' },
  TNG008: { title: 'include-invalid', severity: 'error', hint: 'includes must stay inside the config directory and may not include the root file' },
  TNG009: { title: 'env-unset', severity: 'error', hint: 'set the variable, or give a default with ${env:NAME:-default}' },
  TNG010: { title: 'env-reference-invalid', severity: 'error', hint: 'write environment references as ${env:NAME} or ${env:NAME:-default}' },
  TNG011: { title: 'multiple-documents', severity: 'error', hint: 'a config file holds exactly one YAML document' },
  TNG012: { title: 'yaml-alias-limit', severity: 'error', hint: 'reduce the use of YAML aliases (*ref); they expand to too much data (at most 100,000 values and 4 MiB of text per file)' },
  TNG013: { title: 'empty-config', severity: 'error', hint: 'the file is empty; start with `version: 1`' },
  TNG014: { title: 'yaml-too-deep', severity: 'error', hint: 'flatten the data: mappings and lists may nest at most 200 levels deep' },
  TNG015: { title: 'fragment-as-root', severity: 'error', hint: 'pass the root config (the directory holding tengine.config.yaml) that includes this file' },
  // Schema (TNG1xx)
  TNG100: { title: 'unknown-field', severity: 'error', hint: 'remove the field or fix its spelling' },
  TNG101: { title: 'wrong-type', severity: 'error', hint: 'change the value to the expected type' },
  TNG102: { title: 'missing-field', severity: 'error', hint: 'add the required field' },
  TNG103: { title: 'invalid-value', severity: 'error', hint: 'use one of the allowed values' },
  TNG104: { title: 'schema-violation', severity: 'error', hint: 'see docs/config.md for the allowed values' },
  // Semantic rules (TNG2xx)
  TNG200: { title: 'duplicate-tool-name', severity: 'error', hint: 'tool names must be unique within a project' },
  TNG201: { title: 'invalid-tool-name', severity: 'error', hint: 'MCP tool names use 1-64 of A-Z a-z 0-9 _ . -' },
  TNG202: { title: 'undeclared-placeholder', severity: 'error', hint: 'declare the placeholder in input_schema.properties or use a reserved variable' },
  TNG203: { title: 'reserved-variable-in-input', severity: 'error', hint: 'remove it from input_schema; the runtime fills reserved variables from the caller identity' },
  TNG204: { title: 'member-variable-needs-member', severity: 'error', hint: 'set `require_member: true` on this tool' },
  TNG205: { title: 'base-url-not-origin', severity: 'error', hint: 'use an origin only, like https://api.example.com (no path, query or fragment)' },
  TNG206: { title: 'base-url-not-https', severity: 'error', hint: 'use https://; plain http:// is allowed only for loopback hosts in `environment: development` projects' },
  TNG207: { title: 'endpoint-path-invalid', severity: 'error', hint: 'endpoint_path must start with / and contain no query, fragment or dot segments' },
  TNG208: { title: 'auth-secret-missing', severity: 'error', hint: 'add encrypted_auth_secret (tengine secret encrypt) or auth_secret_env' },
  TNG209: { title: 'invalid-json-schema', severity: 'error', hint: 'fix the schema so it is valid JSON Schema (2020-12 unless $schema says otherwise)' },
  TNG210: { title: 'assertion-key-invalid', severity: 'error', hint: 'paste a PEM public key whose type matches alg (ES256: P-256, ES384: P-384, EdDSA: Ed25519, RS256: RSA >= 2048 bits)' },
  TNG211: { title: 'duplicate-kid', severity: 'error', hint: 'each assertion key of a project needs its own kid' },
  TNG212: { title: 'redirect-uri-invalid', severity: 'error', hint: 'redirect URIs must be absolute https:// URIs, or http:// on a loopback host, without a fragment' },
  TNG213: { title: 'unknown-scope', severity: 'error', hint: 'declare the scope in the project `scopes:` list' },
  TNG214: { title: 'plaintext-secret', severity: 'error', hint: 'never write secrets in YAML: use `tengine secret encrypt` or `tengine keys`, which print what to paste' },
  TNG215: { title: 'duplicate-id', severity: 'error', hint: 'ids must be unique' },
  TNG216: { title: 'input-schema-not-object', severity: 'error', hint: 'input_schema must describe an object: `type: object` with `properties`' },
  TNG217: { title: 'template-syntax', severity: 'error', hint: 'placeholders are {name} with name made of letters, digits and _; write {{ and }} for literal braces' },
  TNG218: { title: 'unknown-project', severity: 'error', hint: 'declare the project in the root config `projects:` list' },
  TNG219: { title: 'secret-source-conflict', severity: 'error', hint: 'set either encrypted_auth_secret or auth_secret_env, not both' },
  TNG220: { title: 'unused-secret', severity: 'warning', hint: 'remove the secret or set an auth_strategy that uses it' },
  TNG221: { title: 'invalid-header-template', severity: 'error', hint: 'header values may not contain CR or LF, and reserved headers are set by the runtime' },
  TNG222: { title: 'public-url-invalid', severity: 'error', hint: 'public_url must be an absolute https:// URL (http:// only on loopback)' },
  TNG223: { title: 'no-projects', severity: 'warning', hint: 'add a project under `projects:`' },
  TNG224: { title: 'duplicate-api-key', severity: 'error', hint: 'an API key hash may appear once in the whole config' },
  TNG225: { title: 'reserved-tool-name', severity: 'error', hint: 'rename the tool; names starting with mcp_ are reserved for built-in tools such as mcp_whoami' },
  TNG226: { title: 'duplicate-tool-id', severity: 'error', hint: 'tool ids (id, else the name) identify tools across renames and must be unique within a project' },
  TNG227: { title: 'duration-out-of-range', severity: 'error', hint: 'use a duration within the documented range for this setting' },
  TNG228: { title: 'env-not-allowed', severity: 'error', hint: 'list the variable in the root `env_allowlist` (non-secret values only); secrets go in encrypted_auth_secret or auth_secret_env' },
  TNG229: { title: 'pattern-not-linear', severity: 'error', hint: 'patterns run on a linear-time engine (RE2): rewrite without backreferences or lookaround, with repeat counts up to 1000 (docs/config.md)' },
  TNG230: { title: 'config-too-large', severity: 'error', hint: 'stay within the documented limits (docs/config.md §1.6): 20,000 tools per config, 256 KiB of JSON per tool' },
  TNG231: { title: 'upstream-address-not-allowed', severity: 'error', hint: 'point base_url at a public host of the API; loopback, link-local, metadata and reserved addresses are for environment: development projects only, and private ones need `allow_private_networks: true` on the project' },
  TNG232: { title: 'host-confusable', severity: 'error', hint: 'write each host label in one script (Latin may join Han, Hiragana, Katakana, Hangul or Bopomofo); punycode labels are decoded and checked the same way' },
  TNG233: { title: 'legacy-signature', severity: 'warning', hint: 'move the upstream verifier to tng3 (docs/outbound.md §4.2), then remove signature_version: tng2' },
  TNG235: { title: 'oauth-anonymous-grant', severity: 'error', hint: 'give a public OAuth client a login_url (members sign in) or a connect_secret_sha256 (tengine keys connect-secret), or make it confidential with client_secret_sha256' },
  TNG236: { title: 'login-without-assertion-keys', severity: 'error', hint: 'add the public key your login page signs member assertions with under the project\'s assertion_keys' },
  TNG237: { title: 'one-dynamic-registration', severity: 'error', hint: 'enable dynamic_registration on one oauth integration only; serve another project\'s registrations from a runtime of its own' },
  TNG234: { title: 'unknown-format', severity: 'warning', hint: 'use a format the runtime checks (date-time, email, uri, uuid, ... see docs/config.md); an unknown format is not checked at all' },
  TNG238: { title: 'idempotency-settings-unused', severity: 'warning', hint: 'remove window and max_result_bytes, or set idempotency.enabled: true on the tool if its retries should be de-duplicated' },
  TNG250: { title: 'endpoint-limit-out-of-range', severity: 'error', hint: 'give runtime.endpoint_limits a window from 1s to 1d and at most 1000 requests per second (docs/usage.md)' },
  TNG251: { title: 'trusted-proxy-invalid', severity: 'error', hint: 'write each trusted proxy as an IP address or CIDR range, such as 10.0.0.0/8 or 2001:db8::/32' },
  TNG252: { title: 'trusted-proxy-everyone', severity: 'warning', hint: 'list only the addresses of your own proxies and load balancers: a client the list covers may send any client address it likes' },
  TNG253: { title: 'usage-retention-order', severity: 'error', hint: 'keep hourly usage records no longer than daily ones (runtime.usage_records)' },
  TNG254: { title: 'path-parameter-mismatch', severity: 'error', hint: 'with `parameters`, every {name} in endpoint_path needs a parameter `{name: name, in: path}` and every path parameter needs its {name} in endpoint_path (names are any characters but { } /)' },
  TNG255: { title: 'parameter-argument-undeclared', severity: 'error', hint: 'point `argument` at a property input_schema declares, one property name per level (e.g. [pathParams, pet-id])' },
  TNG256: { title: 'path-parameter-optional', severity: 'error', hint: 'list the argument (and each object above it) in input_schema `required`: a path cannot be built without it' },
  TNG257: { title: 'duplicate-parameter', severity: 'error', hint: 'declare each parameter once per location (header names compare without case)' },
  TNG258: { title: 'parameter-sent-twice', severity: 'error', hint: 'send each query key or header from either a parameter or the template, and the body from `body` or `body_template`, not both' },
  TNG259: { title: 'reserved-parameter-header', severity: 'error', hint: 'remove the parameter: Authorization, Cookie, Host, Content-*, Accept, User-Agent and X-Tengine-* are set by the runtime, the outbound auth or `in: cookie` parameters' },
  TNG260: { title: 'invalid-parameter-name', severity: 'error', hint: 'header and cookie names are HTTP tokens: letters, digits and !#$%&\'*+-.^_`|~, no spaces, colons or semicolons' },
  TNG261: { title: 'parameter-style-invalid', severity: 'error', hint: 'path: simple, label, matrix; query: form, spaceDelimited, pipeDelimited, deepObject; header: simple; cookie: form; allow_reserved only on query parameters' },
  TNG239: { title: 'usage-limit-shape', severity: 'error', hint: 'give each usage limit exactly one of `window` (a rate, e.g. `{limit: 10, window: 1m}`) and `quota` (`{limit: 1000, quota: day}`), at most 8 per list (docs/usage.md#limits)' },
  TNG240: { title: 'burst-over-limit', severity: 'error', hint: 'a burst is how many of the window\'s calls may come at once: set it to at most `limit`, or raise `limit`' },
  TNG241: { title: 'duplicate-usage-limit', severity: 'error', hint: 'keep one limit per window (or quota period) and `per` in each list' },
  TNG242: { title: 'unreachable-usage-limit', severity: 'warning', hint: 'remove the limit that never refuses, or loosen the stricter one if this one was meant to bind' },
  TNG243: { title: 'unknown-time-zone', severity: 'error', hint: 'use an IANA time zone name such as `UTC`, `Europe/Berlin` or `America/New_York`' },
  TNG244: { title: 'usage-window-out-of-range', severity: 'error', hint: 'a rate window is 1s to 24h; for a limit per day, week or month use `quota: day | week | month`' },
  // OpenAPI sources (TNG3xx, docs/openapi.md)
  TNG300: { title: 'openapi-invalid', severity: 'error', hint: 'the document must be OpenAPI 3.0, 3.1 or Swagger 2.0 with `paths` (docs/openapi.md)' },
  TNG301: { title: 'openapi-path-invalid', severity: 'error', hint: 'give the document as a relative path inside the config directory (no `..`, not absolute)' },
  TNG302: { title: 'openapi-ref-unresolved', severity: 'error', hint: 'fix the $ref: a JSON pointer into this document (#/components/schemas/Pet) or a relative file inside the config directory' },
  TNG303: { title: 'openapi-ref-remote', severity: 'error', hint: 'remote $refs are fetched only under a prefix listed in the source\'s allow_remote_refs (docs/openapi.md); otherwise copy the referenced document into the config repository and refer to it by a relative path' },
  TNG304: { title: 'openapi-ref-outside', severity: 'error', hint: 'move the referenced file into the config directory: a $ref may not leave it' },
  TNG305: { title: 'openapi-method-skipped', severity: 'warning', hint: 'only GET, POST, PUT, PATCH and DELETE operations become tools' },
  TNG306: { title: 'openapi-parameter-skipped', severity: 'warning', hint: 'reserved headers (Authorization, Host, Cookie, Content-*, X-Tengine-*) are set by the runtime; set them with the auth strategy or headers_template' },
  TNG307: { title: 'openapi-body-unsupported', severity: 'warning', hint: 'only JSON (application/json, */*+json) and application/x-www-form-urlencoded bodies are mapped; exclude the operation or write its tool by hand' },
  TNG308: { title: 'openapi-duplicate-operation-id', severity: 'error', hint: 'operationIds must be unique in a document: rename one (or override the tool name and exclude the other)' },
  TNG309: { title: 'openapi-name-collision', severity: 'warning', hint: 'two operations give the same tool name: set x-tengine-name or an override name to choose the names yourself' },
  TNG310: { title: 'openapi-recursive-schema', severity: 'warning', hint: 'the recursive part is kept as a $defs entry referenced with $ref: clients that do not follow $ref see it as any value' },
  TNG311: { title: 'openapi-input-collision', severity: 'warning', hint: 'two inputs of the flat shape have one name: the later is renamed <name>_<in>; use input_shape: grouped to keep the names' },
  TNG312: { title: 'openapi-description-trimmed', severity: 'warning', hint: 'raise description_max_length, or shorten the summary and description (or override the description)' },
  TNG313: { title: 'openapi-scope-unknown', severity: 'error', hint: 'declare the scope in the project `scopes:` list, or override the tool scopes' },
  TNG314: { title: 'openapi-override-unmatched', severity: 'warning', hint: 'key overrides by operationId or by `METHOD /path` as written in the document' },
  TNG315: { title: 'openapi-no-responses', severity: 'warning', hint: 'describe the responses of the operation; without a 2xx JSON object response the tool has no output_schema' },
  TNG316: { title: 'openapi-ignored', severity: 'warning', hint: 'webhooks and callbacks are requests the API sends, not operations a model calls; they are not mapped' },
  TNG317: { title: 'openapi-no-base-url', severity: 'error', hint: 'set base_url on the openapi source, or give the document an absolute https server URL' },
  TNG318: { title: 'openapi-lossy-mapping', severity: 'warning', hint: 'the document says something a tool cannot express; check the generated tool (tengine import openapi shows it) or override it' },
  TNG319: { title: 'openapi-extension-invalid', severity: 'error', hint: 'x-tengine-name and x-tengine-description are strings, x-tengine-enabled a boolean, x-tengine-scopes a list of strings, x-tengine-annotations a mapping of MCP annotations' },
  // Result mappings (TNG320-TNG322, docs/config.md#result-mapping)
  TNG320: { title: 'result-pointer-invalid', severity: 'error', hint: 'write a JSON pointer (RFC 6901): "" for the whole body, or "/" followed by property names and array indexes, e.g. /data/items/0; ~1 for "/" and ~0 for "~" inside a name' },
  TNG321: { title: 'result-format-conflict', severity: 'error', hint: 'with format: mcp the upstream answers the content blocks itself: remove text and resource_links, or drop format: mcp' },
  TNG322: { title: 'result-field-undeclared', severity: 'warning', hint: 'name a property output_schema declares (a field that is absent is shown as nothing), or declare the property' },
  // OpenAPI remote references (docs/openapi.md §1.1)
  TNG323: { title: 'openapi-remote-prefix-invalid', severity: 'error', hint: 'list absolute https:// URL prefixes (origin and path, e.g. https://schemas.example.com/common/) without credentials, query or fragment; http:// only for 127.0.0.1 or localhost' },
  TNG324: { title: 'openapi-ref-fetch-failed', severity: 'error', hint: 'the remote document must answer GET with 200 and YAML or JSON within 10 s and 32 MiB, without a redirect: fix the URL or the server, or copy the document into the config repository' },
} as const satisfies Record<string, { title: string; severity: 'error' | 'warning'; hint: string }>;

/** A stable diagnostic code such as `TNG202`. */
export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

/** Builds a diagnostic with the code's severity and default hint unless overridden. */
export function diagnostic(
  code: DiagnosticCode,
  message: string,
  at: { file: string; line: number; column: number; pointer?: string },
  hint?: string,
): Diagnostic {
  const def = DIAGNOSTIC_CODES[code];
  const d: Diagnostic = { code, severity: def.severity, message, file: at.file, line: at.line, column: at.column, hint: hint ?? def.hint };
  if (at.pointer !== undefined) d.pointer = at.pointer;
  return d;
}

/** Sorts diagnostics by file, line, column and code, so output is stable. */
export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return [...list].sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.code.localeCompare(b.code),
  );
}
