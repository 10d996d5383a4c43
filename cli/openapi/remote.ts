/** How remote `$ref`s of one source may be fetched: the allowed URL prefixes and the limits of one GET. */
export interface RemoteRefPolicy {
  /** Normalized prefixes (WHATWG URL `href`), as checked by `checkRemotePrefixes`. */
  prefixes: string[];
  /** Total time for one document: connect, headers and body. */
  timeoutMs: number;
  maxBytes: number;
}

/** Total time one remote document may take; a load never waits longer per URL. */
export const REMOTE_REF_TIMEOUT_MS = 10_000;

// Plain http is accepted only where no one else is on the wire: tests and a local mirror.
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Normalizes `allow_remote_refs` entries, or says why one cannot be used. A prefix must be an absolute https URL
 * (http only on loopback) with no credentials, query or fragment; its origin always ends in `/`, so
 * `https://a.example.com` can never match `https://a.example.com.evil.net/`.
 */
export function checkRemotePrefix(raw: string): { prefix: string } | { problem: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { problem: `"${raw}" is not an absolute URL` };
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    return { problem: `"${raw}" must use https (http only for 127.0.0.1 or localhost)` };
  }
  if (url.username !== '' || url.password !== '') return { problem: `"${raw}" holds credentials; remote documents are fetched without any` };
  if (url.search !== '' || url.hash !== '' || raw.includes('?') || raw.includes('#')) return { problem: `"${raw}" has a query or fragment; give an origin and a path` };
  return { prefix: url.href };
}

/**
 * True when `url` (absolute, without fragment) lies under one of the prefixes. A prefix that does not end in `/`
 * matches itself and what lies below it as a path segment, never a longer name (`…/common` is not `…/common-x`).
 */
export function remoteAllowed(url: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => url === p || (url.startsWith(p) && (p.endsWith('/') || url[p.length] === '/')));
}

/** What a GET of a remote document gave: its text, or why there is none. */
export type RemoteFetch = { text: string } | { problem: string };

/**
 * GETs one remote document within the policy's total timeout and size cap. Redirects are refused rather than
 * followed: the prefix check holds for the URL in the document, and a redirect could lead anywhere. No cookies,
 * credentials or proxies are involved; the body must be UTF-8 text.
 */
export async function fetchRemoteText(url: string, policy: Pick<RemoteRefPolicy, 'timeoutMs' | 'maxBytes'>): Promise<RemoteFetch> {
  const signal = AbortSignal.timeout(policy.timeoutMs);
  try {
    const res = await fetch(url, { redirect: 'manual', signal, headers: { accept: 'application/yaml, application/json;q=0.9, text/*;q=0.5' } });
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel().catch(() => {});
      const to = res.headers.get('location');
      return { problem: `GET ${url} answered ${res.status} redirecting${to ? ` to ${to}` : ''}; redirects are not followed` };
    }
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => {});
      return { problem: `GET ${url} answered HTTP ${res.status}` };
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > policy.maxBytes) {
      await res.body?.cancel().catch(() => {});
      return { problem: `GET ${url} is ${declared} bytes; the limit is ${policy.maxBytes}` };
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (res.body) {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > policy.maxBytes) {
          await reader.cancel().catch(() => {});
          return { problem: `GET ${url} sent more than ${policy.maxBytes} bytes` };
        }
        chunks.push(value);
      }
    }
    const bytes = Buffer.concat(chunks);
    if (bytes.includes(0)) return { problem: `GET ${url} sent a NUL byte: it is not a YAML or JSON document` };
    try {
      return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
    } catch {
      return { problem: `GET ${url} sent text that is not valid UTF-8` };
    }
  } catch (e) {
    if (signal.aborted) return { problem: `GET ${url} took longer than ${policy.timeoutMs} ms` };
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return { problem: `GET ${url} failed: ${cause?.code ?? cause?.message ?? (e as Error).message}` };
  }
}
