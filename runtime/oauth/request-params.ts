import { OAuthError } from './errors.js';

/** Largest OAuth form body or query accepted. */
export const MAX_OAUTH_PARAMS_BYTES = 16 * 1024;

/**
 * The parameters of an OAuth request as single values. RFC 6749 §3.1 and §3.2: parameters sent without a value are
 * treated as omitted, and a parameter MUST NOT be included more than once (invalid_request).
 */
export function singleParams(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of params) {
    if (k in out) throw new OAuthError('invalid_request', `the parameter "${k.slice(0, 64)}" is sent more than once`);
    if (v !== '') out[k] = v;
  }
  return out;
}

/** Reads an `application/x-www-form-urlencoded` body (RFC 6749 §3.2), within MAX_OAUTH_PARAMS_BYTES. */
export async function readForm(req: Request): Promise<Record<string, string>> {
  const type = req.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw new OAuthError('invalid_request', 'the body must be application/x-www-form-urlencoded');
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > MAX_OAUTH_PARAMS_BYTES) throw new OAuthError('invalid_request', `the body is larger than ${MAX_OAUTH_PARAMS_BYTES} bytes`);
  const text = await req.text();
  if (Buffer.byteLength(text) > MAX_OAUTH_PARAMS_BYTES) throw new OAuthError('invalid_request', `the body is larger than ${MAX_OAUTH_PARAMS_BYTES} bytes`);
  return singleParams(new URLSearchParams(text));
}
