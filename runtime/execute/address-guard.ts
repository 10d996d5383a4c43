import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import type { buildConnector } from 'undici';
import { buildConnector as undiciConnector } from './undici-core.js';
import { ADDRESS_CLASS_LABEL, checkAddress, type AddressClass, type AddressPolicy } from '../../schemas/address-policy.js';

/** How a connection is resolved: node's `dns.lookup` signature (tests inject a resolver; DNS servers are not ours). */
export type UpstreamLookup = LookupFunction;

/** Error code of a refused upstream address; an error with it never left the runtime (nothing was sent). */
export const ADDRESS_BLOCKED_CODE = 'ERR_UPSTREAM_ADDRESS_BLOCKED';

/**
 * The upstream host is, or resolved to, an address the project's policy refuses. The message names the class
 * only: never the host's full resolution, which would let a caller map the runtime's internal network.
 */
export class UpstreamAddressBlockedError extends Error {
  /** Stable code, matched by the HTTP client's error classification. */
  readonly code = ADDRESS_BLOCKED_CODE;

  /** `addressClass` is undefined when the resolver answered something that is not an IP address. */
  constructor(
    readonly addressClass: AddressClass | undefined,
    policy: AddressPolicy,
  ) {
    const what = addressClass === undefined ? 'an address that cannot be classified' : `a ${ADDRESS_CLASS_LABEL[addressClass]} address`;
    const allowed = policy === 'public_or_private' ? 'public and private addresses only' : 'public addresses only (private ones with allow_private_networks: true)';
    super(`the upstream host is ${what}; this project may call ${allowed}`);
    this.name = 'UpstreamAddressBlockedError';
  }
}

/** What the guarded connector needs besides the policy. */
export interface GuardedConnectorOptions {
  /** TLS options passed through to every connection (a private CA for internal upstreams). */
  tls?: { ca?: string | Buffer | (string | Buffer)[]; rejectUnauthorized?: boolean };
  /** The resolver (default `dns.lookup`). */
  lookup?: UpstreamLookup;
}

/**
 * An undici connector that enforces an address policy where it cannot be raced: inside the connection itself.
 * Host names go through a lookup that checks every address the resolver returns and hands net.connect exactly
 * the addresses it checked, so a DNS answer that changes between a check and the connect (DNS rebinding) has
 * nothing to change; any refused address refuses the whole answer. IP-literal hosts, for which net.connect skips
 * the lookup, are checked before a socket is opened. Once connected, the socket's peer address is checked once
 * more (defence in depth, before any byte of the request is written).
 */
export function createGuardedConnector(policy: AddressPolicy, opts: GuardedConnectorOptions = {}): buildConnector.connector {
  const base = undiciConnector({ ...opts.tls, lookup: guardedLookup(policy, opts.lookup ?? (dnsLookup as UpstreamLookup)) } as buildConnector.BuildOptions);
  return (options, callback) => {
    if (isIP(options.hostname)) {
      const verdict = checkAddress(options.hostname, policy);
      if (!verdict.allowed) {
        // Asynchronously, as a failed connect would: undici does not expect its callback inside the call.
        process.nextTick(() => callback(new UpstreamAddressBlockedError(verdict.class, policy), null));
        return;
      }
    }
    base(options, (err, socket) => {
      if (err || !socket) return callback(err ?? new Error('no socket'), null);
      const verdict = checkAddress(socket.remoteAddress ?? '', policy);
      if (!verdict.allowed) {
        socket.destroy();
        return callback(new UpstreamAddressBlockedError(verdict.class, policy), null);
      }
      callback(null, socket);
    });
  };
}

/**
 * A `lookup` for net.connect that resolves with `resolve` and answers only when every address is allowed by
 * `policy`; net.connect then connects to exactly the addresses this function checked (and to no others).
 */
export function guardedLookup(policy: AddressPolicy, resolve: UpstreamLookup): UpstreamLookup {
  return (hostname, options, callback) => {
    // Always ask for every address: a name is only as safe as the worst address it resolves to.
    resolve(hostname, { ...options, all: true }, (err, answer) => {
      if (err) return callback(err, '', 0);
      const addresses: LookupAddress[] = Array.isArray(answer) ? answer : [{ address: answer, family: isIP(answer) }];
      if (addresses.length === 0) return callback(Object.assign(new Error('no address'), { code: 'ENOTFOUND' }), '', 0);
      for (const a of addresses) {
        const verdict = checkAddress(a.address, policy);
        if (!verdict.allowed) return callback(new UpstreamAddressBlockedError(verdict.class, policy), '', 0);
      }
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}
