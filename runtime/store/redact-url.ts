/**
 * A Redis URL reduced to what is safe to print: scheme, host, port and a numeric database, never the user, the
 * password or a query. A password with an unencoded `/` (common in base64 access keys) makes the rest of it look
 * like a path, so only a `/<db>` path is kept; a URL that does not parse is not echoed at all.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${/^\/\d{1,4}$/.test(u.pathname) ? u.pathname : ''}`;
  } catch {
    return '(unparsable URL)';
  }
}
