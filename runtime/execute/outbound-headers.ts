import type { CallerIdentity } from './types.js';

/** The `User-Agent` of every upstream call. */
export const USER_AGENT = 'tengine/0.1';

/** Which member headers a tool sends (`inject_member_identity`); every flag defaults to false. */
export interface InjectMemberIdentity {
  id?: boolean;
  email?: boolean;
  roles?: boolean;
}

/** What the identity headers of one execution are built from. */
export interface OutboundHeaderInput {
  caller: CallerIdentity;
  inject: InjectMemberIdentity | undefined;
  /** One per execution, the same on every retry. */
  requestId: string;
  /** Unix seconds at the start of the execution. */
  timestamp: number;
  hasBody: boolean;
  /** Rendered `headers_template`, in template order. */
  templateHeaders: readonly [string, string][];
}

/**
 * Builds the upstream headers: the tool's rendered headers, then the runtime's own, which win on a name clash
 * (compared case-insensitively) so a template can never forge `X-Tengine-*` or the `User-Agent` that identifies
 * the gateway in upstream logs. `Accept` and `Content-Type` are defaults a template may override (an API may want
 * `application/merge-patch+json`).
 * Member headers are sent only when the caller has a member and the tool asks for them; absent, never empty.
 * The caller's own credential is not an input here, so it cannot reach the upstream.
 */
export function buildOutboundHeaders(input: OutboundHeaderInput): Record<string, string> {
  // Most tools render no headers: then no name can clash, and the record is written directly (same names, same order).
  if (input.templateHeaders.length === 0) return runtimeHeaders(input);
  const headers = new HeaderSet();
  headers.set('Accept', 'application/json');
  if (input.hasBody) headers.set('Content-Type', 'application/json');
  for (const [name, value] of input.templateHeaders) headers.set(name, value);
  headers.set('User-Agent', USER_AGENT);
  headers.set('X-Tengine-Project-Id', input.caller.projectId);
  headers.set('X-Tengine-Integration-Id', input.caller.integrationId);
  headers.set('X-Tengine-Request-Id', input.requestId);
  headers.set('X-Tengine-Timestamp', String(input.timestamp));
  const member = input.caller.member;
  if (member) {
    if (input.inject?.id && member.id !== '') headers.set('X-Tengine-Member-Id', identityValue(member.id));
    if (input.inject?.email && member.email !== undefined && member.email !== '') headers.set('X-Tengine-Member-Email', identityValue(member.email));
    // Comma-joined, the usual list form of an HTTP field (RFC 9110 §5.3).
    if (input.inject?.roles && member.roles && member.roles.length > 0) headers.set('X-Tengine-Member-Roles', identityValue(member.roles.join(',')));
  }
  return headers.toRecord();
}

/** buildOutboundHeaders without template headers: the runtime's own headers only, in the same order. */
function runtimeHeaders(input: OutboundHeaderInput): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  out.Accept = 'application/json';
  if (input.hasBody) out['Content-Type'] = 'application/json';
  out['User-Agent'] = USER_AGENT;
  out['X-Tengine-Project-Id'] = input.caller.projectId;
  out['X-Tengine-Integration-Id'] = input.caller.integrationId;
  out['X-Tengine-Request-Id'] = input.requestId;
  out['X-Tengine-Timestamp'] = String(input.timestamp);
  const member = input.caller.member;
  if (member) {
    if (input.inject?.id && member.id !== '') out['X-Tengine-Member-Id'] = identityValue(member.id);
    if (input.inject?.email && member.email !== undefined && member.email !== '') out['X-Tengine-Member-Email'] = identityValue(member.email);
    if (input.inject?.roles && member.roles && member.roles.length > 0) out['X-Tengine-Member-Roles'] = identityValue(member.roles.join(','));
  }
  return out;
}

/** Thrown when a member's identity holds a control character and so cannot be sent as a header. */
export class IdentityHeaderError extends Error {}

/**
 * A member value as a header string whose characters are the value's UTF-8 bytes (Node writes header strings
 * byte per character), so non-ASCII ids and emails arrive as UTF-8 instead of failing the call. A control
 * character would be header injection and is refused rather than stripped: a changed id could name another member.
 */
function identityValue(value: string): string {
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) throw new IdentityHeaderError('the member identity contains a control character and cannot be sent in a header');
  return Buffer.from(value, 'utf8').toString('latin1');
}

/** A header map keyed case-insensitively that keeps the spelling of the last writer. */
export class HeaderSet {
  private readonly map = new Map<string, [string, string]>();

  /** Sets a header, replacing any with the same name in another case. */
  set(name: string, value: string): void {
    this.map.set(name.toLowerCase(), [name, value]);
  }

  /** A plain object of the headers, with null prototype so no header name can touch Object.prototype. */
  toRecord(): Record<string, string> {
    const out = Object.create(null) as Record<string, string>;
    for (const [name, value] of this.map.values()) out[name] = value;
    return out;
  }
}
