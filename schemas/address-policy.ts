// Which network addresses a project's tools may call (docs/outbound.md §7). Pure and shared: `tengine validate`
// classifies IP-literal base URLs with it, and the runtime classifies every address it is about to connect to.

/**
 * What an address is, from the point of view of a gateway that must not be turned against its own network:
 * `public` (globally routable unicast), `private` (RFC 1918, CGNAT, unique local), `loopback`, `link_local`,
 * `metadata` (a cloud instance-metadata or platform endpoint), `unspecified` (0.0.0.0/8, ::, which reach the
 * local host), `multicast`, `broadcast`, `documentation` (example ranges), `reserved` (everything else that is
 * not a unicast destination: benchmarking, IETF protocol assignments, future use, deprecated forms).
 */
export type AddressClass = 'public' | 'private' | 'loopback' | 'link_local' | 'metadata' | 'unspecified' | 'multicast' | 'broadcast' | 'documentation' | 'reserved';

/**
 * Which classes a project may connect to: `unrestricted` for `environment: development` projects, `public` for
 * production ones, `public_or_private` for production projects with `allow_private_networks: true`.
 */
export type AddressPolicy = 'unrestricted' | 'public' | 'public_or_private';

/** Every address class, in the order the docs list them. */
export const ADDRESS_CLASSES: readonly AddressClass[] = ['public', 'private', 'loopback', 'link_local', 'metadata', 'unspecified', 'multicast', 'broadcast', 'documentation', 'reserved'];

/** How each class is named in diagnostics and tool errors. */
export const ADDRESS_CLASS_LABEL: Readonly<Record<AddressClass, string>> = {
  public: 'public',
  private: 'private-network',
  loopback: 'loopback',
  link_local: 'link-local',
  metadata: 'cloud metadata',
  unspecified: 'unspecified (0.0.0.0 or ::)',
  multicast: 'multicast',
  broadcast: 'broadcast',
  documentation: 'documentation-range',
  reserved: 'reserved',
};

const ALLOWED: Readonly<Record<AddressPolicy, ReadonlySet<AddressClass>>> = {
  unrestricted: new Set(ADDRESS_CLASSES),
  public: new Set(['public']),
  public_or_private: new Set(['public', 'private']),
};

/** The policy of a project: development projects call anything; production ones public addresses, plus private ones when opted in. */
export function addressPolicyFor(project: { environment?: 'production' | 'development' | undefined; allow_private_networks?: boolean | undefined }): AddressPolicy {
  if (project.environment === 'development') return 'unrestricted';
  return project.allow_private_networks === true ? 'public_or_private' : 'public';
}

/** True when `policy` lets a project connect to an address of class `cls`. */
export function isClassAllowed(cls: AddressClass, policy: AddressPolicy): boolean {
  return ALLOWED[policy].has(cls);
}

/**
 * Classifies an IP address written as Node and the WHATWG URL parser write them: dotted-decimal IPv4, or IPv6
 * text (with or without brackets, with an optional `%zone`, with an embedded dotted quad). Returns undefined for
 * anything else (a host name, a non-canonical spelling such as `0x7f.1`): callers treat that as "not an IP".
 */
export function classifyAddress(text: string): AddressClass | undefined {
  const bare = text.replace(/^\[(.*)\]$/, '$1');
  // A zone (`fe80::1%eth0`) picks the interface of a link-local IPv6 address; it does not change the class.
  const zoned = /^([^%]*)%[\w.-]+$/.exec(bare);
  if (zoned) {
    const v6 = parseIpv6(zoned[1]!);
    return v6 ? classifyIpv6(v6) : undefined;
  }
  const v4 = parseIpv4(bare);
  if (v4) return classifyIpv4(v4);
  const v6 = parseIpv6(bare);
  return v6 ? classifyIpv6(v6) : undefined;
}

/** Whether `address` may be connected to under `policy`, and its class (undefined when it is not an IP address). */
export function checkAddress(address: string, policy: AddressPolicy): { allowed: boolean; class: AddressClass | undefined } {
  const cls = classifyAddress(address);
  // Something that is not an address cannot be vouched for: only an unrestricted policy lets it through.
  return { allowed: cls === undefined ? policy === 'unrestricted' : isClassAllowed(cls, policy), class: cls };
}

// ---- IPv4 -------------------------------------------------------------------------------------------------

type V4 = readonly [number, number, number, number];

/**
 * Single addresses that serve instance credentials or platform configuration. Most sit in 169.254/16 (link-local
 * anyway) and are listed so the error names them; the others would otherwise pass as private or public.
 */
const METADATA_V4 = new Set([
  '169.254.169.254', // AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle Cloud, Hetzner... instance metadata
  '169.254.170.2', // AWS ECS task metadata and container credentials
  '169.254.170.23', // AWS EKS Pod Identity agent (credentials)
  '169.254.0.23', // Tencent Cloud metadata
  '100.100.100.200', // Alibaba Cloud metadata: inside 100.64/10, which allow_private_networks would otherwise open
  '168.63.129.16', // Azure WireServer (VM agent configuration and certificates): a public address on the platform
  '192.0.0.192', // Oracle Cloud Classic metadata
]);

/** [first octets, prefix length, class]; the first match wins, so more specific ranges come first. */
const V4_RANGES: readonly (readonly [V4, number, AddressClass])[] = [
  [[0, 0, 0, 0], 8, 'unspecified'], // "this network": 0.0.0.0 connects to the local host on Linux
  [[127, 0, 0, 0], 8, 'loopback'],
  [[169, 254, 0, 0], 16, 'link_local'],
  [[10, 0, 0, 0], 8, 'private'],
  [[172, 16, 0, 0], 12, 'private'],
  [[192, 168, 0, 0], 16, 'private'],
  [[100, 64, 0, 0], 10, 'private'], // RFC 6598 shared address space (carrier-grade NAT, some cloud VPCs)
  [[192, 0, 0, 0], 24, 'reserved'], // IETF protocol assignments
  [[192, 0, 2, 0], 24, 'documentation'],
  [[198, 51, 100, 0], 24, 'documentation'],
  [[203, 0, 113, 0], 24, 'documentation'],
  [[198, 18, 0, 0], 15, 'reserved'], // benchmarking
  [[192, 88, 99, 0], 24, 'reserved'], // deprecated 6to4 relay anycast
  [[255, 255, 255, 255], 32, 'broadcast'],
  [[224, 0, 0, 0], 4, 'multicast'],
  [[240, 0, 0, 0], 4, 'reserved'],
];

function parseIpv4(text: string): V4 | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map((p) => (p.length > 1 && p.startsWith('0') ? NaN : Number(p)));
  return parts.every((n) => n <= 255) ? (parts as unknown as V4) : undefined;
}

function toNumber(a: V4): number {
  return ((a[0] << 24) >>> 0) + (a[1] << 16) + (a[2] << 8) + a[3];
}

function classifyIpv4(a: V4): AddressClass {
  if (METADATA_V4.has(a.join('.'))) return 'metadata';
  const n = toNumber(a);
  for (const [net, len, cls] of V4_RANGES) {
    const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
    if (((n & mask) >>> 0) === toNumber(net)) return cls;
  }
  return 'public';
}

// ---- IPv6 -------------------------------------------------------------------------------------------------

/** Eight 16-bit groups. */
type V6 = readonly number[];

const METADATA_V6 = new Set([
  'fd00:ec2:0:0:0:0:0:254', // AWS instance metadata over IPv6 (Nitro)
  'fd20:ce:0:0:0:0:0:254', // Google Cloud metadata server for IPv6-only instances
  'fe80:0:0:0:0:0:a9fe:a9fe', // OpenStack metadata over IPv6 (link-local anyway)
]);

function parseIpv6(text: string): V6 | undefined {
  if (!/^[0-9A-Fa-f:.]{2,45}$/.test(text)) return undefined;
  let head = text;
  let tail: number[] = [];
  // An embedded dotted quad (::ffff:127.0.0.1) fills the last two groups.
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (!v4) return undefined;
    tail = [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]];
    head = text.slice(0, lastColon + 1);
    // `::ffff:` keeps its trailing `::`; a single trailing colon after a group (`1:2:...:6:`) is dropped.
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  if (!left || !right) return undefined;
  const given = left.length + right.length + tail.length;
  if (halves.length === 2) {
    if (given > 7) return undefined;
    return [...left, ...new Array<number>(8 - given).fill(0), ...right, ...tail];
  }
  return given === 8 ? [...left, ...tail] : undefined;
}

/** True when the first `len` bits of `a` equal those of `prefix` (given as groups, missing ones are 0). */
function inPrefix(a: V6, prefix: readonly number[], len: number): boolean {
  for (let i = 0; i < 8 && len > 0; i++, len -= 16) {
    const bits = Math.min(16, len);
    const mask = (0xffff << (16 - bits)) & 0xffff;
    if ((a[i]! & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

function embeddedV4(hi: number, lo: number): V4 {
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff];
}

/**
 * The class of an IPv6 address. Forms that carry an IPv4 address are classified by it, so that no spelling of
 * 127.0.0.1 or 169.254.169.254 passes: IPv4-mapped (::ffff:0:0/96, which the kernel connects to over IPv4),
 * NAT64 (64:ff9b::/96, reaches the embedded address through the translator; public ones stay public so
 * IPv6-only networks with DNS64 work) and 6to4 (2002::/16). The deprecated IPv4-compatible (::/96) and
 * IPv4-translated (::ffff:0:0:0/96) forms have no legitimate use as a destination: they take the embedded
 * address's class when that is not public, else `reserved`.
 */
function classifyIpv6(a: V6): AddressClass {
  if (a.every((g) => g === 0)) return 'unspecified';
  if (a.slice(0, 7).every((g) => g === 0) && a[7] === 1) return 'loopback';
  if (METADATA_V6.has(a.map((g) => g.toString(16)).join(':'))) return 'metadata';
  if (inPrefix(a, [0, 0, 0, 0, 0, 0xffff], 96)) return classifyIpv4(embeddedV4(a[6]!, a[7]!));
  if (inPrefix(a, [0x64, 0xff9b], 96)) return classifyIpv4(embeddedV4(a[6]!, a[7]!));
  if (inPrefix(a, [0x2002], 16)) return classifyIpv4(embeddedV4(a[1]!, a[2]!));
  if (inPrefix(a, [], 96) || inPrefix(a, [0, 0, 0, 0, 0xffff, 0], 96)) {
    const inner = classifyIpv4(embeddedV4(a[6]!, a[7]!));
    return inner === 'public' ? 'reserved' : inner;
  }
  for (const [prefix, len, cls] of V6_RANGES) if (inPrefix(a, prefix, len)) return cls;
  return 'reserved';
}

/** [prefix groups, length, class], checked after the special forms above; the first match wins. */
const V6_RANGES: readonly (readonly [readonly number[], number, AddressClass])[] = [
  [[0xfe80], 10, 'link_local'],
  [[0xfc00], 7, 'private'], // unique local addresses
  [[0xff00], 8, 'multicast'],
  [[0x2001, 0x0db8], 32, 'documentation'],
  [[0x3fff], 20, 'documentation'], // RFC 9637
  [[0x0064, 0xff9b, 0x0001], 48, 'reserved'], // local-use NAT64 (RFC 8215): the embedded address's position varies
  [[0x0100], 64, 'reserved'], // discard-only
  [[0x2001], 23, 'reserved'], // IETF protocol assignments (Teredo, benchmarking, ORCHID)
  [[0xfec0], 10, 'reserved'], // deprecated site-local
  [[0x2000], 3, 'public'], // global unicast
];
