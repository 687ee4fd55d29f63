import dns from 'node:dns';

/**
 * The guard for every outbound address a tenant gives us (alert URLs, connector hosts): a URL must
 * be https, and neither its host nor anything its name resolves to may be loopback, private,
 * link-local, CGNAT, a cloud metadata endpoint, or otherwise not a public unicast address.
 *
 * Names are resolved through `node:dns` (DNS over HTTPS in Workers). `fetch` and `connect()`
 * resolve the name again on their own, so a name whose answer changes between the check and the
 * connection (DNS rebinding) can still reach a refused address: the guard narrows the window, it
 * does not close it. Checking again at every attempt keeps a once-good name from staying trusted.
 */

export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'cgnat'
  | 'metadata'
  | 'unspecified'
  | 'multicast'
  | 'reserved';

/** `allowPrivate` (local development and tests) admits http, loopback and private addresses, nothing more. */
export type AddressPolicy = { allowPrivate: boolean };

/** Why an address was refused; `temporary` when its name could not be resolved (worth trying again later). */
export class AddressRefused extends Error {
  constructor(
    message: string,
    readonly temporary = false,
  ) {
    super(message);
  }
}

/** What the guard resolved: the host as normalised and the addresses it stands for. */
export type CheckedAddress = { host: string; addresses: string[] };

type Resolver = (host: string) => Promise<string[]>;

const ALLOWED_WHEN_PRIVATE = new Set<AddressClass>(['public', 'loopback', 'private']);
const DESCRIPTIONS: Record<Exclude<AddressClass, 'public'>, string> = {
  loopback: 'a loopback address',
  private: 'a private address',
  'link-local': 'a link-local address',
  cgnat: 'a carrier-grade NAT address',
  metadata: 'a cloud metadata address',
  unspecified: 'an unspecified address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
};
// Names that stand for the machine itself or a cloud's metadata service whatever DNS says.
const LOOPBACK_NAME = /(^|\.)localhost\.?$/i;
const METADATA_NAMES = new Set(['metadata', 'metadata.google.internal', 'metadata.goog']);

/** The escape hatch of the contract: `true` outside production only (environment validation refuses it there). */
export function privateAddressesAllowed(flag: string | undefined, appEnv: string): boolean {
  return flag === 'true' && appEnv !== 'production';
}

/** Checks a URL: https (http too when private addresses are allowed), and its host as `checkHost` does. */
export async function checkUrl(
  raw: string,
  policy: AddressPolicy,
  resolve: Resolver = resolveName,
): Promise<CheckedAddress> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AddressRefused('is not a valid URL');
  }
  const schemes = policy.allowPrivate ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) throw new AddressRefused('must use https');
  return checkHost(url.hostname, policy, resolve);
}

/** Checks a `host` and `port` pair (a database server, an SMTP relay): the same rules as a URL's host. */
export async function checkHostPort(
  host: string,
  port: number,
  policy: AddressPolicy,
  resolve: Resolver = resolveName,
): Promise<CheckedAddress> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new AddressRefused('has an invalid port');
  let hostname: string;
  try {
    // The URL parser normalises what a host may be written as (0x7f.1, 2130706433, [::ffff:7f00:1]).
    hostname = new URL(`http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}/`).hostname;
  } catch {
    throw new AddressRefused('is not a valid host');
  }
  return checkHost(hostname, policy, resolve);
}

async function checkHost(hostname: string, policy: AddressPolicy, resolve: Resolver): Promise<CheckedAddress> {
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (host === '') throw new AddressRefused('has no host');
  if (isIpLiteral(host)) {
    refuseUnless(classifyAddress(host), host, policy);
    return { host, addresses: [host] };
  }
  if (METADATA_NAMES.has(host.toLowerCase().replace(/\.$/, ''))) refuseUnless('metadata', host, policy);
  if (LOOPBACK_NAME.test(host)) {
    refuseUnless('loopback', host, policy);
    return { host, addresses: ['127.0.0.1'] };
  }
  const addresses = await resolve(host);
  for (const address of addresses) refuseUnless(classifyAddress(address), `${host} (${address})`, policy);
  return { host, addresses };
}

function refuseUnless(kind: AddressClass, what: string, policy: AddressPolicy): void {
  if (kind === 'public' || (policy.allowPrivate && ALLOWED_WHEN_PRIVATE.has(kind))) return;
  throw new AddressRefused(`points to ${DESCRIPTIONS[kind]}: ${what}`);
}

/** Every A and AAAA record of a name; refused (temporarily) when neither lookup answers. */
async function resolveName(host: string): Promise<string[]> {
  const [v4, v6] = await Promise.allSettled([dns.promises.resolve4(host), dns.promises.resolve6(host)]);
  const addresses = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
  if (addresses.length === 0) throw new AddressRefused(`has a name that could not be resolved: ${host}`, true);
  return addresses;
}

function isIpLiteral(host: string): boolean {
  return parseIPv4(host) !== null || host.includes(':');
}

/** What kind of address an IPv4 or IPv6 literal is. Anything unparsable counts as reserved. */
export function classifyAddress(address: string): AddressClass {
  const v4 = parseIPv4(address);
  if (v4 !== null) return classifyIPv4(v4);
  const v6 = parseIPv6(address);
  return v6 === null ? 'reserved' : classifyIPv6(v6);
}

type Range = [base: number, bits: number, kind: AddressClass];

const ip4 = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
// Most specific first: the metadata endpoints sit inside link-local and CGNAT.
const IPV4_RANGES: Range[] = [
  [ip4(169, 254, 169, 254), 32, 'metadata'],
  [ip4(100, 100, 100, 200), 32, 'metadata'],
  [ip4(0, 0, 0, 0), 8, 'unspecified'],
  [ip4(10, 0, 0, 0), 8, 'private'],
  [ip4(100, 64, 0, 0), 10, 'cgnat'],
  [ip4(127, 0, 0, 0), 8, 'loopback'],
  [ip4(169, 254, 0, 0), 16, 'link-local'],
  [ip4(172, 16, 0, 0), 12, 'private'],
  [ip4(192, 0, 0, 0), 24, 'reserved'],
  [ip4(192, 0, 2, 0), 24, 'reserved'],
  [ip4(192, 168, 0, 0), 16, 'private'],
  [ip4(198, 18, 0, 0), 15, 'reserved'],
  [ip4(198, 51, 100, 0), 24, 'reserved'],
  [ip4(203, 0, 113, 0), 24, 'reserved'],
  [ip4(224, 0, 0, 0), 4, 'multicast'],
  [ip4(240, 0, 0, 0), 4, 'reserved'],
];

function classifyIPv4(address: number): AddressClass {
  for (const [base, bits, kind] of IPV4_RANGES) {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if ((address & mask) >>> 0 === base) return kind;
  }
  return 'public';
}

function classifyIPv6(groups: number[]): AddressClass {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  const embedded = ((g6 << 16) | g7) >>> 0;
  const leadingZeros = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (leadingZeros && g5 === 0 && g6 === 0) return g7 === 0 ? 'unspecified' : g7 === 1 ? 'loopback' : 'reserved';
  // IPv4-mapped, IPv4-compatible and NAT64 addresses reach the IPv4 address they carry.
  if (leadingZeros && (g5 === 0xffff || g5 === 0)) return classifyIPv4(embedded);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return classifyIPv4(embedded);
  if (g0 === 0x2002) return classifyIPv4(((g1 << 16) | g2) >>> 0);
  if (g0 === 0xfd00 && g1 === 0x0ec2 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0 && g6 === 0 && g7 === 0x254)
    return 'metadata';
  if ((g0 & 0xfe00) === 0xfc00) return 'private';
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local';
  if ((g0 & 0xffc0) === 0xfec0) return 'private';
  if ((g0 & 0xff00) === 0xff00) return 'multicast';
  if (g0 === 0x2001 && g1 === 0x0db8) return 'reserved';
  if (g0 === 0x0100 && g1 === 0 && g2 === 0 && g3 === 0) return 'reserved';
  return 'public';
}

/** Dotted-quad IPv4 (the URL parser has already normalised other spellings), as an unsigned integer. */
function parseIPv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255)) return null;
  return ip4(...(parts.map(Number) as [number, number, number, number]));
}

/** An IPv6 literal as its eight 16-bit groups (`::` and a trailing dotted IPv4 expanded); null when malformed. */
function parseIPv6(text: string): number[] | null {
  let address = text.toLowerCase().split('%')[0]!;
  const tail: number[] = [];
  const lastColon = address.lastIndexOf(':');
  if (lastColon === -1) return null;
  if (address.slice(lastColon + 1).includes('.')) {
    const v4 = parseIPv4(address.slice(lastColon + 1));
    if (v4 === null) return null;
    tail.push(v4 >>> 16, v4 & 0xffff);
    address = address.slice(0, lastColon + 1);
    if (!address.endsWith('::')) address = address.slice(0, -1);
  }
  const halves = address.split('::');
  if (halves.length > 2) return null;
  const words = (part: string) => (part === '' ? [] : part.split(':'));
  const left = words(halves[0]!);
  const right = halves.length === 2 ? words(halves[1]!) : [];
  if (![...left, ...right].every((word) => /^[0-9a-f]{1,4}$/.test(word))) return null;
  const missing = 8 - tail.length - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const numbers = (list: string[]) => list.map((word) => Number.parseInt(word, 16));
  return [
    ...numbers(left),
    ...new Array<number>(halves.length === 2 ? missing : 0).fill(0),
    ...numbers(right),
    ...tail,
  ];
}
