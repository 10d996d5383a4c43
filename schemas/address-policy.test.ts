import { describe, expect, it } from 'vitest';
import { ADDRESS_CLASSES, addressPolicyFor, checkAddress, classifyAddress, isClassAllowed, type AddressClass, type AddressPolicy } from './address-policy.js';

/** Addresses and spellings per class; IPv6 ones are written as DNS, sockets and URL hosts write them. */
const TABLE: Record<AddressClass, string[]> = {
  public: ['8.8.8.8', '1.1.1.1', '93.184.215.14', '172.32.0.1', '172.15.255.255', '100.128.0.1', '192.169.0.1', '2606:4700:4700::1111', '2a00:1450:4001:82b::200e', '64:ff9b::808:808', '64:ff9b::8.8.8.8', '2002:808:808::1', '::ffff:8.8.8.8', '[2606:4700::1]'],
  private: ['10.0.0.1', '10.255.255.255', '172.16.0.1', '172.31.255.254', '192.168.1.1', '100.64.0.1', '100.127.255.254', 'fc00::1', 'fd12:3456:789a::1', '::ffff:10.1.2.3', '::ffff:a01:203', '64:ff9b::a00:1', '2002:c0a8:101::1', '[fd00::2]'],
  loopback: ['127.0.0.1', '127.255.255.254', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1', '[::1]', '::ffff:127.0.0.1', '::ffff:7f00:1', '0:0:0:0:0:ffff:7f00:1', '64:ff9b::7f00:1', '64:ff9b::127.0.0.1', '2002:7f00:1::', '::127.0.0.1', '::7f00:1', '::ffff:0:127.0.0.1'],
  link_local: ['169.254.0.1', '169.254.255.254', 'fe80::1', 'fe80::1%eth0', 'febf::1', '::ffff:169.254.1.1', '64:ff9b::a9fe:101'],
  metadata: ['169.254.169.254', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '0:0:0:0:0:ffff:a9fe:a9fe', '64:ff9b::a9fe:a9fe', '2002:a9fe:a9fe::', '::169.254.169.254', '169.254.170.2', '169.254.170.23', '169.254.0.23', '100.100.100.200', '::ffff:100.100.100.200', '168.63.129.16', '192.0.0.192', 'fd00:ec2::254', 'fd20:ce::254', 'fe80::a9fe:a9fe'],
  unspecified: ['0.0.0.0', '0.1.2.3', '::', '0:0:0:0:0:0:0:0', '[::]', '::ffff:0.0.0.0', '::ffff:0:0'],
  multicast: ['224.0.0.1', '239.255.255.250', 'ff02::1', 'ff05::1:3', '::ffff:224.0.0.1'],
  broadcast: ['255.255.255.255', '::ffff:255.255.255.255'],
  documentation: ['192.0.2.1', '198.51.100.7', '203.0.113.200', '2001:db8::1', '3fff::1', '::ffff:192.0.2.1'],
  reserved: ['240.0.0.1', '250.1.2.3', '198.18.0.1', '198.19.255.255', '192.0.0.8', '192.88.99.1', '100::1', '2001::1', '2001:0:4136:e378:8000:63bf:3fff:fdd2', '2001:2::1', 'fec0::1', '4000::1', '5f00::1', '64:ff9b:1::1', '::8.8.8.8', '::ffff:0:808:808'],
};

const NOT_ADDRESSES = ['localhost', 'example.com', '0x7f000001', '2130706433', '0177.0.0.1', '127.1', '01.2.3.4', '256.1.1.1', '1.2.3', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', '::ffff:127.0.0.256', 'fe80::1%', '127.0.0.1%eth0', '', '[::1'];

describe('classifyAddress: one class per address, whatever the spelling', () => {
  for (const cls of ADDRESS_CLASSES) {
    it.each(TABLE[cls])(`%s is ${cls}`, (address) => {
      expect(classifyAddress(address)).toBe(cls);
    });
  }

  it.each(NOT_ADDRESSES)('%s is not an IP address in canonical form (undefined)', (text) => {
    expect(classifyAddress(text)).toBeUndefined();
  });

  it('WHATWG URL normalizes numeric spellings of 127.0.0.1 before anything sees the host', () => {
    for (const spelling of ['0x7f000001', '2130706433', '0177.0.0.1', '127.1', '0x7f.1', '0x7F.0.0.01']) {
      const host = new URL(`https://${spelling}:8443`).hostname;
      expect(host).toBe('127.0.0.1');
      expect(classifyAddress(host)).toBe('loopback');
    }
    expect(new URL('https://[0:0:0:0:0:ffff:127.0.0.1]').hostname).toBe('[::ffff:7f00:1]');
    expect(classifyAddress(new URL('https://[::ffff:169.254.169.254]').hostname)).toBe('metadata');
  });
});

describe('address policy', () => {
  const policies: Record<string, AddressPolicy> = {
    development: addressPolicyFor({ environment: 'development' }),
    'development with allow_private_networks': addressPolicyFor({ environment: 'development', allow_private_networks: true }),
    production: addressPolicyFor({ environment: 'production' }),
    'production (default environment)': addressPolicyFor({}),
    'production with allow_private_networks': addressPolicyFor({ environment: 'production', allow_private_networks: true }),
  };

  it('maps projects to policies', () => {
    expect(policies).toEqual({
      development: 'unrestricted',
      'development with allow_private_networks': 'unrestricted',
      production: 'public',
      'production (default environment)': 'public',
      'production with allow_private_networks': 'public_or_private',
    });
  });

  it('development projects may call anything; production public only; private only when opted in; never loopback, link-local, metadata or unspecified in production', () => {
    const allowed = (p: AddressPolicy) => ADDRESS_CLASSES.filter((c) => isClassAllowed(c, p));
    expect(allowed('unrestricted')).toEqual(ADDRESS_CLASSES);
    expect(allowed('public')).toEqual(['public']);
    expect(allowed('public_or_private')).toEqual(['public', 'private']);
  });

  it('checkAddress: something that is not an IP address passes only an unrestricted policy', () => {
    expect(checkAddress('example.com', 'public')).toEqual({ allowed: false, class: undefined });
    expect(checkAddress('', 'public_or_private')).toEqual({ allowed: false, class: undefined });
    expect(checkAddress('example.com', 'unrestricted')).toEqual({ allowed: true, class: undefined });
    expect(checkAddress('::ffff:10.0.0.1', 'public_or_private')).toEqual({ allowed: true, class: 'private' });
    expect(checkAddress('100.100.100.200', 'public_or_private')).toEqual({ allowed: false, class: 'metadata' });
  });
});
