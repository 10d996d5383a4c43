import { describe, expect, it } from 'vitest';
import { clientAddress, compileClientAddressPolicy, expandIPv6, forwardedFor, limitSubject, parseAddress, parseCidr } from './client-address.js';

const none = compileClientAddressPolicy(undefined, undefined)!;
const behind = (cidrs: string[], header?: 'x-forwarded-for' | 'forwarded') => compileClientAddressPolicy(cidrs, header)!;

describe('parseAddress', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1', 'ipv4'],
    ['192.0.2.1:8080', '192.0.2.1', 'ipv4'],
    ['"192.0.2.1:8080"', '192.0.2.1', 'ipv4'],
    ['[2001:DB8::1]:443', '2001:db8::1', 'ipv6'],
    ['"[2001:db8::1]"', '2001:db8::1', 'ipv6'],
    ['fe80::1%eth0', 'fe80::1', 'ipv6'],
    // A dual-stack listener reports IPv4 clients as IPv4-mapped IPv6: the same client as on a v4 listener.
    ['::ffff:192.0.2.9', '192.0.2.9', 'ipv4'],
    ['0:0:0:0:0:ffff:c000:0209', '192.0.2.9', 'ipv4'],
  ])('%s is %s', (raw, address, family) => {
    expect(parseAddress(raw)).toEqual({ address, family });
  });

  it.each(['unknown', '_hidden', '', 'example.com', '999.1.1.1', '[::1'])('%j is not an address', (raw) => {
    expect(parseAddress(raw)).toBeUndefined();
  });
});

describe('parseCidr', () => {
  it('takes ranges and single addresses, refuses prefixes beyond the family', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ address: '10.0.0.0', family: 'ipv4', prefix: 8 });
    expect(parseCidr('2001:db8::/32')).toEqual({ address: '2001:db8::', family: 'ipv6', prefix: 32 });
    expect(parseCidr('192.0.2.7')).toMatchObject({ prefix: 32 });
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('10.0.0.0/x')).toBeUndefined();
    expect(parseCidr('10.0.0.0:80/8')).toBeUndefined();
    expect(compileClientAddressPolicy(['10.0.0.0/8', 'nonsense'], undefined)).toBeUndefined();
  });
});

describe('clientAddress: the right-most hop that is not a trusted proxy', () => {
  it('without trusted proxies a forwarding header is ignored (the client wrote it)', () => {
    expect(clientAddress('203.0.113.5', '198.51.100.1', none)?.address).toBe('203.0.113.5');
  });

  it('from a peer that is not a trusted proxy, the header is ignored too', () => {
    expect(clientAddress('203.0.113.5', '198.51.100.1', behind(['10.0.0.0/8']))?.address).toBe('203.0.113.5');
  });

  it('behind trusted proxies: a spoofed left-most entry is skipped, the first untrusted hop from the right wins', () => {
    const policy = behind(['10.0.0.0/8']);
    expect(clientAddress('10.0.0.2', '1.2.3.4, 198.51.100.7, 10.0.0.9', policy)?.address).toBe('198.51.100.7');
    expect(clientAddress('10.0.0.2', '198.51.100.7', policy)?.address).toBe('198.51.100.7');
  });

  it('a hop that is not an address stops at the nearest trusted proxy; all trusted: the left-most', () => {
    const policy = behind(['10.0.0.0/8']);
    expect(clientAddress('10.0.0.2', '198.51.100.7, unknown, 10.0.0.9', policy)?.address).toBe('10.0.0.9');
    expect(clientAddress('10.0.0.2', '10.0.0.4, 10.0.0.3', policy)?.address).toBe('10.0.0.4');
    expect(clientAddress('10.0.0.2', undefined, policy)?.address).toBe('10.0.0.2');
  });

  it('RFC 7239 Forwarded: the for= parameters, quoted IPv6 with port, other parameters ignored', () => {
    expect(forwardedFor('for=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8:cafe::17]:4711"')).toEqual(['192.0.2.60', '"[2001:db8:cafe::17]:4711"']);
    const policy = behind(['10.0.0.0/8'], 'forwarded');
    expect(clientAddress('10.0.0.2', 'for=1.2.3.4, For="[2001:db8:cafe::17]:4711";proto=https', policy)?.address).toBe('2001:db8:cafe::17');
  });

  it('an unknown peer has no address', () => {
    expect(clientAddress(undefined, '1.2.3.4', behind(['0.0.0.0/0']))).toBeUndefined();
  });
});

describe('limitSubject', () => {
  it('IPv4 per address, IPv6 per /64', () => {
    expect(limitSubject({ address: '192.0.2.1', family: 'ipv4' })).toBe('192.0.2.1');
    const a = limitSubject(parseAddress('2001:db8:1:2:aaaa::1')!);
    const b = limitSubject(parseAddress('2001:db8:1:2:bbbb:cccc:dddd:eeee')!);
    const c = limitSubject(parseAddress('2001:db8:1:3::1')!);
    expect(a).toBe('2001:0db8:0001:0002::/64');
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  it('expands every spelling of an IPv6 address to eight groups', () => {
    expect(expandIPv6('::1')).toEqual(['0000', '0000', '0000', '0000', '0000', '0000', '0000', '0001']);
    expect(expandIPv6('2001:db8::')).toEqual(['2001', '0db8', '0000', '0000', '0000', '0000', '0000', '0000']);
    expect(expandIPv6('64:ff9b::192.0.2.33')).toEqual(['0064', 'ff9b', '0000', '0000', '0000', '0000', 'c000', '0221']);
  });
});
