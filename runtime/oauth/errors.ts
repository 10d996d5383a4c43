/**
 * The OAuth error vocabulary of the authorization server: the RFC codes (RFC 6749 §4.1.2.1 and §5.2, RFC 7009 §2.2.1,
 * RFC 7591 §3.2.2, RFC 8707 §2) with the HTTP status each is sent with from the token, revocation and registration
 * endpoints. Codes are the RFCs'; never invent one.
 */
export const OAUTH_ERRORS = {
  invalid_request: { status: 400, rfc: 'RFC 6749 §5.2' },
  // 401 when the client tried to authenticate through the Authorization header (RFC 6749 §5.2), with a Basic challenge.
  invalid_client: { status: 401, rfc: 'RFC 6749 §5.2' },
  invalid_grant: { status: 400, rfc: 'RFC 6749 §5.2' },
  unauthorized_client: { status: 400, rfc: 'RFC 6749 §5.2' },
  unsupported_grant_type: { status: 400, rfc: 'RFC 6749 §5.2' },
  invalid_scope: { status: 400, rfc: 'RFC 6749 §5.2' },
  access_denied: { status: 400, rfc: 'RFC 6749 §4.1.2.1' },
  unsupported_response_type: { status: 400, rfc: 'RFC 6749 §4.1.2.1' },
  server_error: { status: 500, rfc: 'RFC 6749 §4.1.2.1' },
  temporarily_unavailable: { status: 503, rfc: 'RFC 6749 §4.1.2.1' },
  unsupported_token_type: { status: 400, rfc: 'RFC 7009 §2.2.1' },
  invalid_redirect_uri: { status: 400, rfc: 'RFC 7591 §3.2.2' },
  invalid_client_metadata: { status: 400, rfc: 'RFC 7591 §3.2.2' },
  invalid_target: { status: 400, rfc: 'RFC 8707 §2' },
} as const satisfies Record<string, { status: number; rfc: string }>;

/** One of the RFC error codes. */
export type OAuthErrorCode = keyof typeof OAUTH_ERRORS;

/** A refusal of an OAuth request: the RFC code and a description that names what was wrong (never a secret). */
export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
  ) {
    super(`${code}: ${description}`);
  }

  /** The HTTP status of this error from the token, revocation and registration endpoints. */
  get status(): number {
    return OAUTH_ERRORS[this.code].status;
  }

  /** The RFC 6749 §5.2 body. */
  body(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.code, error_description: this.description };
  }
}

/** Headers every OAuth JSON answer carries: tokens and errors alike must never be cached (RFC 6749 §5.1). */
export const NO_STORE_HEADERS = { 'Cache-Control': 'no-store', Pragma: 'no-cache' } as const;

/**
 * A request refused by an endpoint limit (429) or because the limits' store is overloaded (503), with how long to
 * wait (`Retry-After`). RFC 6749 registers no code for rate limiting, so the body carries the nearest one,
 * `temporarily_unavailable` (RFC 6749 §4.1.2.1: "unable to handle the request due to a temporary overloading"),
 * and the status and `Retry-After` say the rest (RFC 6585 §4); the audit line's code is the stable `auditCode`.
 */
export class OAuthLimitError extends OAuthError {
  constructor(
    description: string,
    private readonly httpStatus: 429 | 503,
    readonly retryAfterSeconds: number,
    readonly auditCode: 'RATE_LIMIT_EXCEEDED' | 'STORE_UNAVAILABLE',
  ) {
    super('temporarily_unavailable', description);
  }

  override get status(): number {
    return this.httpStatus;
  }
}
