import { isIP } from 'node:net';

/**
 * The `Host` check that, with the Origin check, defeats DNS rebinding: a page on `evil.example` whose name is made to
 * resolve to the runtime's address sends `Host: evil.example`, which is none of the names the runtime is reached by.
 * Applied to the credentialed surfaces (`/mcp`, `/api/`); health and public discovery documents answer any Host, so
 * load balancers and probes that use an IP keep working.
 */
export interface HostPolicy {
  /** True when a request with this `Host` header value (port included or not) may be served; undefined Host is allowed. */
  allows(host: string | undefined): boolean;
  /**
   * True when the runtime could not know its own names (every interface, no public URL): only IP-address and
   * loopback Hosts are served then, which boot reports once.
   */
  readonly namesUnknown: boolean;
}

/** Spellings of this machine's own loopback interface: any one of them stands for all (a development origin). */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'] as const;
/** Listen addresses meaning "every interface": the runtime cannot tell which names reach it. */
const WILDCARD = new Set(['0.0.0.0', '::', '[::]', '']);

/** What the host names are derived from. */
export interface HostPolicyInput {
  /** The runtime's public URL (configured, or derived from the listen address). */
  publicUrl: string;
  /** False when the public URL was derived from the listen address rather than configured. */
  publicUrlConfigured: boolean;
  /** `runtime.allowed_hosts`. */
  allowedHosts: readonly string[];
  /** The address the server listens on (`TENGINE_HOST`), when known. */
  listenHost?: string;
}

/**
 * Builds the policy: the public URL's host plus `runtime.allowed_hosts`, compared without port and case, with the
 * loopback spellings treated as one. When no public URL was configured and the server listens on every interface, its
 * names cannot be known: then any IP-address Host and the loopback names are served, and every other name refused.
 * That is still safe against DNS rebinding, which needs a name the attacker controls (a page can only send
 * `Host: 10.0.0.5` if it was itself loaded from 10.0.0.5), and keeps balancers and probes that use addresses working.
 */
export function createHostPolicy(input: HostPolicyInput): HostPolicy {
  const names = new Set<string>();
  for (const h of input.allowedHosts) names.add(normalizeHost(h));
  const namesUnknown = !input.publicUrlConfigured && input.listenHost !== undefined && WILDCARD.has(input.listenHost.trim().toLowerCase());
  if (namesUnknown) for (const n of LOOPBACK_NAMES) names.add(n);
  else names.add(normalizeHost(new URL(input.publicUrl).host));
  if ([...names].some(isLoopbackName)) for (const n of LOOPBACK_NAMES) names.add(n);
  return {
    namesUnknown,
    allows: (host) => {
      if (host === undefined || host === '') return true;
      const h = normalizeHost(host);
      return names.has(h) || (namesUnknown && isIpLiteral(h));
    },
  };
}

/** True for an IPv4 address or a bracketed IPv6 literal (a normalized host). */
function isIpLiteral(host: string): boolean {
  return isIP(host.startsWith('[') ? host.slice(1, -1) : host) !== 0;
}

/** A host (or `Host` header value) without port, lower-case, without a trailing dot; IPv6 literals keep brackets. */
export function normalizeHost(value: string): string {
  let h = value.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? h : h.slice(0, end + 1);
  }
  // A bare IPv6 literal (in allowed_hosts) has several colons and no port.
  if ((h.match(/:/g) ?? []).length > 1) return `[${h}]`;
  const colon = h.indexOf(':');
  if (colon >= 0) h = h.slice(0, colon);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/** True for a name of the loopback interface: `localhost`, `*.localhost`, 127.0.0.0/8 and `[::1]`. */
export function isLoopbackName(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}
