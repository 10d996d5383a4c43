/*
 * The consent page and the error page of the authorization endpoint: server-rendered HTML that works without
 * JavaScript, sent with a strict Content-Security-Policy (no script at all, inline style by hash-free `style-src
 * 'unsafe-inline'` only), never framed (clickjacking), never cached, no referrer.
 */

const STYLE = 'body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#222}' +
  'h1{font-size:1.4rem}ul{padding-left:1.2rem}code{background:#f3f3f3;padding:0 .2rem}' +
  'form{margin-top:2rem}form p{margin:.5rem 0 1rem}input[type=password]{font:inherit;padding:.4rem;max-width:100%}button{margin-right:1rem}button{font:inherit;padding:.5rem 1.2rem;border-radius:.4rem;border:1px solid #888;background:#fff}' +
  'button[value=approve]{background:#1a5fb4;color:#fff;border-color:#1a5fb4}.muted{color:#666;font-size:.9rem}';

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Security headers of every HTML page of the authorization server; `formTarget` widens form-action to the redirect. */
export function pageHeaders(formTarget?: string): Record<string, string> {
  // Browsers apply form-action to the redirect that follows the form's POST, so the client's origin is allowed too.
  const formAction = formTarget ? `'self' ${formTarget}` : "'self'";
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': `default-src 'none'; style-src 'unsafe-inline'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
    'X-Frame-Options': 'DENY',
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
  };
}

/** What the consent page shows and posts back. */
export interface ConsentView {
  clientName: string;
  clientId: string;
  projectId: string;
  redirectHost: string;
  scopes: readonly string[];
  requestId: string;
  csrf: string;
  action: string;
  /** Ask for the integration's connect secret (a public client: the person proves they may connect). */
  askConnectSecret: boolean;
  /** The member who signed in on the login page, when the grant will carry one. */
  member?: { id: string; email?: string };
}

/** The consent page: who asks, for which project, where the browser goes next, which scopes; approve or deny. */
export function renderConsentPage(v: ConsentView): string {
  const scopes = v.scopes.length === 0 ? '<p>No scopes: the tools of the project that need none.</p>' : `<ul>${v.scopes.map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join('')}</ul>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Connect ${escapeHtml(v.clientName)}</title><style>${STYLE}</style></head><body>
<h1>Connect <strong>${escapeHtml(v.clientName)}</strong> to project <code>${escapeHtml(v.projectId)}</code>?</h1>
${v.member ? `<p>You are signed in as <strong>${escapeHtml(v.member.email ?? v.member.id)}</strong>; the client will act as you.</p>
` : ''}<p>The client <code>${escapeHtml(v.clientId)}</code> asks to call this project's tools with these scopes:</p>
${scopes}
<p class="muted">After you answer, your browser returns to <strong>${escapeHtml(v.redirectHost)}</strong>.</p>
<form method="post" action="${escapeHtml(v.action)}">
<input type="hidden" name="request_id" value="${escapeHtml(v.requestId)}">
<input type="hidden" name="csrf_token" value="${escapeHtml(v.csrf)}">${v.askConnectSecret ? `
<p><label for="connect_secret">Connect secret</label><br><input id="connect_secret" name="connect_secret" type="password" autocomplete="off" required size="48"></p>
<p class="muted">Your administrator gave you this secret for this client. It proves you may connect it.</p>` : ''}
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form></body></html>`;
}

/** The page shown instead of a redirect when redirecting would be unsafe (unknown client, unregistered redirect URI). */
export function renderErrorPage(code: string, description: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in failed</title><style>${STYLE}</style></head><body>
<h1>This sign-in cannot continue</h1>
<p>${escapeHtml(description)}</p>
<p class="muted">Error code: <code>${escapeHtml(code)}</code>. Check the client's OAuth settings (client id and redirect URI) against the <code>kind: oauth</code> integration of your Tengine config.</p>
</body></html>`;
}
