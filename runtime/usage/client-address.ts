import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { Context } from 'hono';

/**
 * How the runtime finds the address of a request's client: the connection's peer, unless the peer is one of the
 * operator's trusted proxies (`runtime.trusted_proxies`), in which case the proxies' header says who is behind them.
 */
export interface ClientAddressPolicy {
  /** The trusted proxies; undefined when none are configured (forwarding headers are then never read). */
  trusted: BlockList | undefined;
  /** The header the trusted proxies write: `x-forwarded-for` or RFC 7239 `forwarded`. */
  header: 'x-forwarded-for' | 'forwarded';
}

/** An address in canonical form and its family. */
export interface ParsedAddress {
  address: string;
  family: 'ipv4' | 'ipv6';
}

/**
 * Compiles `runtime.trusted_proxies` (addresses and CIDR ranges) once per bundle; undefined when an entry is not an
 * address or range (`tengine validate` reports it as TNG251, so only a bundle built without it gets here).
 */
export function compileClientAddressPolicy(entries: readonly string[] | undefined, header: ClientAddressPolicy['header'] | undefined): ClientAddressPolicy | undefined {
  const list = entries ?? [];
  if (list.length === 0) return { trusted: undefined, header: header ?? 'x-forwarded-for' };
  const trusted = new BlockList();
  for (const entry of list) {
    const range = parseCidr(entry);
    if (!range) return undefined;
    trusted.addSubnet(range.address, range.prefix, range.family);
  }
  return { trusted, header: header ?? 'x-forwarded-for' };
}

/** An address or CIDR range (`10.0.0.0/8`, `2001:db8::/32`, `192.0.2.7`); undefined when it is neither. */
export function parseCidr(entry: string): (ParsedAddress & { prefix: number }) | undefined {
  const slash = entry.indexOf('/');
  const parsed = parseAddress(slash < 0 ? entry : entry.slice(0, slash), false);
  if (!parsed) return undefined;
  const max = parsed.family === 'ipv4' ? 32 : 128;
  if (slash < 0) return { ...parsed, prefix: max };
  const text = entry.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(text) || Number(text) > max) return undefined;
  return { ...parsed, prefix: Number(text) };
}

/**
 * Parses one address as a peer or a forwarding hop spells it: bare, bracketed IPv6 (`[2001:db8::1]:443`), IPv4 with
 * a port (`192.0.2.1:8080`), quoted (RFC 7239), with an IPv6 zone. An IPv4-mapped IPv6 address is its IPv4 address,
 * so a dual-stack listener counts an IPv4 client as the same client a v4 listener would.
 */
export function parseAddress(raw: string, allowPort = true): ParsedAddress | undefined {
  let s = raw.trim();
  if (s.length > 2 && s.startsWith('"') && s.endsWith('"')) s = s.slice(1, -1);
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0 || (!allowPort && end !== s.length - 1)) return undefined;
    s = s.slice(1, end);
  } else if (allowPort && s.indexOf(':') > 0 && s.indexOf(':') === s.lastIndexOf(':')) {
    s = s.slice(0, s.indexOf(':'));
  }
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const v = isIP(s);
  if (v === 4) return { address: s, family: 'ipv4' };
  if (v !== 6) return undefined;
  const lower = s.toLowerCase();
  const groups = expandIPv6(lower);
  if (groups.slice(0, 5).every((g) => g === '0000') && groups[5] === 'ffff') {
    const hi = parseInt(groups[6]!, 16);
    const lo = parseInt(groups[7]!, 16);
    return { address: `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, family: 'ipv4' };
  }
  return { address: lower, family: 'ipv6' };
}

/**
 * The client address of a request. Without trusted proxies, or when the peer is not one, it is the peer: forwarding
 * headers are then the client's own text. From a trusted proxy it is the right-most hop of the proxies' header that
 * is not itself a trusted proxy (every hop to its right was written by a proxy we trust; anything to its left was
 * written by the client). A hop that is not an address (`unknown`, an obfuscated `_name`) stops the walk at the
 * nearest trusted proxy. Undefined only when the peer is unknown.
 */
export function clientAddress(peer: string | undefined, header: string | undefined, policy: ClientAddressPolicy): ParsedAddress | undefined {
  const from = peer === undefined ? undefined : parseAddress(peer, false);
  if (!from || !policy.trusted || !policy.trusted.check(from.address, from.family)) return from;
  const hops = header === undefined ? [] : policy.header === 'forwarded' ? forwardedFor(header) : header.split(',');
  let nearest = from;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = parseAddress(hops[i]!);
    if (!hop) return nearest;
    if (!policy.trusted.check(hop.address, hop.family)) return hop;
    nearest = hop;
  }
  return nearest;
}

/**
 * The client address of a Hono request served by the Node adapter (its `incoming` message carries the socket);
 * undefined when the request came without one (a test calling the app in process).
 */
export function addressOf(c: Context, policy: ClientAddressPolicy): ParsedAddress | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return clientAddress(incoming?.socket?.remoteAddress, policy.trusted ? c.req.header(policy.header) : undefined, policy);
}

/** The `for=` values of an RFC 7239 `Forwarded` header, first hop first (elements without one are skipped). */
export function forwardedFor(header: string): string[] {
  const out: string[] = [];
  for (const element of splitOutsideQuotes(header, ',')) {
    for (const pair of splitOutsideQuotes(element, ';')) {
      const eq = pair.indexOf('=');
      if (eq > 0 && pair.slice(0, eq).trim().toLowerCase() === 'for') out.push(pair.slice(eq + 1).trim());
    }
  }
  return out;
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === '\\' && quoted) i++;
    else if (ch === separator && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/**
 * What one client is counted as: an IPv4 address, or the /64 network of an IPv6 address (one subscriber usually
 * holds a whole /64, and could otherwise take a fresh address for every request).
 */
export function limitSubject(a: ParsedAddress): string {
  return a.family === 'ipv4' ? a.address : `${expandIPv6(a.address).slice(0, 4).join(':')}::/64`;
}

/** The eight groups of an IPv6 address, four hex digits each (an embedded IPv4 tail becomes the last two). */
export function expandIPv6(address: string): string[] {
  let s = address;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    s = `${s.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = s.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const middle = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].map((g) => g.padStart(4, '0'));
}
