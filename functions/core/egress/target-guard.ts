import { lookup } from 'node:dns/promises';
import { BlockList, isIP, SocketAddress } from 'node:net';

/** Which destinations are allowed beyond the public internet. */
export type TargetPolicy = 'public-only' | 'allow-private';

/**
 * Looks a host name up, answering with every IP address it has now; rejects when the name does not resolve.
 * The port through which URLs are checked against DNS when they are saved (`systemResolver` in production).
 */
export type HostResolver = (hostname: string) => Promise<readonly string[]>;

/**
 * The operating system's resolver (`getaddrinfo`, as connections use it): every address, in the resolver's
 * order. It does not bound the wait itself: `resolvedTargetProblem` gives up after `resolveTimeoutMs`.
 */
export const systemResolver: HostResolver = async (hostname) => {
  const answers = await lookup(hostname, { all: true, verbatim: true });
  return answers.map((answer) => answer.address);
};

/** The longest a save-time DNS check may take; a slower name is accepted and checked again when connecting. */
export const resolveTimeoutMs = 2000;

/** The longest subscription URL accepted. */
export const maxTargetUrlLength = 2048;

type Range = readonly [network: string, prefix: number];

/** What a refused address is, as the noun of "must not point at ..." and "resolves to ...". */
const privateOrReserved = 'a private or reserved address';
const linkLocalOrMetadata = 'a link-local or metadata address';
const notUnicast = 'a multicast, broadcast or unspecified address';

/**
 * Refused under every policy, the sandbox's included: these are never a receiver, and where they are
 * reachable they are the host's own services (instance metadata, credentials) or every host at once.
 */
const alwaysRefusedRanges: readonly { readonly kind: string; readonly v4: Range[]; readonly v6: Range[] }[] =
  [
    {
      kind: notUnicast,
      v4: [
        // "This network": 0.0.0.0 connects to the local host on Linux and macOS.
        ['0.0.0.0', 8],
        ['224.0.0.0', 4],
        ['255.255.255.255', 32],
      ],
      v6: [
        ['::', 128],
        ['ff00::', 8],
      ],
    },
    {
      kind: linkLocalOrMetadata,
      v4: [
        // EC2 instance metadata (169.254.169.254), ECS task metadata and credentials (169.254.170.2), EKS Pod
        // Identity, Amazon DNS and Time Sync all live in link-local space.
        ['169.254.0.0', 16],
        // The sandbox may run on another cloud's VM: Alibaba Cloud's metadata service and Azure's WireServer.
        ['100.100.100.200', 32],
        ['168.63.129.16', 32],
      ],
      v6: [
        ['fe80::', 10],
        // The Nitro instance services over IPv6: metadata fd00:ec2::254, DNS ::253, Time Sync ::123, EKS ::23.
        ['fd00:ec2::', 32],
      ],
    },
    {
      // Transition prefixes whose far end cannot be judged from the address (local-use NAT64 embeds the IPv4
      // address at a network-chosen place; 6to4 and Teredo go through relays) and that no receiver needs.
      kind: privateOrReserved,
      v4: [],
      v6: [
        ['64:ff9b:1::', 48],
        ['2001::', 32],
        ['2002::', 16],
      ],
    },
  ];

/** Refused only when the policy is public-only: networks of one's own, and ranges not routed on the internet. */
const privateRanges: { readonly v4: Range[]; readonly v6: Range[] } = {
  v4: [
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.0.2.0', 24],
    ['192.88.99.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['198.51.100.0', 24],
    ['203.0.113.0', 24],
    ['240.0.0.0', 4],
  ],
  v6: [
    ['::1', 128],
    // IPv4-compatible (deprecated) and IPv4-translated (SIIT) addresses: never a public destination.
    ['::', 96],
    ['::ffff:0:0:0', 96],
    ['100::', 64],
    ['2001::', 23],
    ['2001:db8::', 32],
    ['3fff::', 20],
    ['5f00::', 16],
    ['fc00::', 7],
    ['fec0::', 10],
  ],
};

/**
 * IPv6 forms that carry an IPv4 address in their last 32 bits and reach (or name) that address: IPv4-mapped,
 * IPv4-compatible, IPv4-translated and the NAT64 well-known prefix. Each is judged as its IPv4 address, so
 * `[::ffff:7f00:1]` is loopback and `[64:ff9b::a9fe:a9fe]` is metadata. A NAT64 address of a public IPv4
 * address stays allowed: that is how an IPv6-only subnet with DNS64 reaches an IPv4-only receiver.
 */
const embeddingPrefixes = ['::ffff:', '::', '::ffff:0:', '64:ff9b::'] as const;

function addRanges(list: BlockList, ranges: { readonly v4: Range[]; readonly v6: Range[] }): void {
  for (const [network, prefix] of ranges.v4) {
    list.addSubnet(network, prefix, 'ipv4');
    for (const embedding of embeddingPrefixes) list.addSubnet(embedding + network, 96 + prefix, 'ipv6');
  }
  for (const [network, prefix] of ranges.v6) list.addSubnet(network, prefix, 'ipv6');
}

/** The loopback address `::1` is also `::0.0.0.1` (IPv4-compatible, "this network"), so it is judged first. */
const ipv6Loopback = new BlockList();
ipv6Loopback.addAddress('::1', 'ipv6');

/** One list per kind, in order, to say why; and one list per policy to say whether, in one check. */
const kinds = [...alwaysRefusedRanges, { kind: privateOrReserved, ...privateRanges }].map((ranges) => {
  const list = new BlockList();
  addRanges(list, ranges);
  return { kind: ranges.kind, list };
});
const refusedEverywhere = new BlockList();
for (const ranges of alwaysRefusedRanges) addRanges(refusedEverywhere, ranges);
const refusedPublicOnly = new BlockList();
for (const ranges of [...alwaysRefusedRanges, privateRanges]) addRanges(refusedPublicOnly, ranges);

/** What kind of refused address this is under the policy, or undefined when a webhook may be sent to it. */
function refusedKind(address: string, policy: TargetPolicy): string | undefined {
  const family = isIP(address);
  if (family === 0) return privateOrReserved;
  let socketAddress: SocketAddress;
  try {
    // One parse for every check below; a zone id (`fe80::1%eth0`) is dropped and the address judged.
    socketAddress = new SocketAddress({ address, family: family === 4 ? 'ipv4' : 'ipv6' });
  } catch {
    return privateOrReserved;
  }
  if (family === 6 && ipv6Loopback.check(socketAddress)) {
    return policy === 'allow-private' ? undefined : privateOrReserved;
  }
  const refused = policy === 'allow-private' ? refusedEverywhere : refusedPublicOnly;
  if (!refused.check(socketAddress)) return undefined;
  return kinds.find(({ list }) => list.check(socketAddress))?.kind ?? privateOrReserved;
}

/**
 * Why a webhook may not be sent to this IP address under the policy (`must not point at ...`), or undefined
 * when it may. Under 'public-only' only public unicast addresses pass; under 'allow-private' (the sandbox)
 * loopback and private networks pass too, but link-local, metadata, multicast, broadcast and unspecified
 * addresses never do. An IPv6 address that embeds an IPv4 address is judged as that IPv4 address.
 * Anything that is not an IP address in standard notation is refused.
 */
export function addressProblem(address: string, policy: TargetPolicy): string | undefined {
  const kind = refusedKind(address, policy);
  return kind === undefined ? undefined : `must not point at ${kind}`;
}

/** True when a webhook may be sent to this IP address under the policy. */
export function isAllowedAddress(address: string, policy: TargetPolicy): boolean {
  return refusedKind(address, policy) === undefined;
}

/** Name suffixes that never leave one's own network: `localhost` (RFC 6761), mDNS, and private-use names. */
const localNames = /(^|\.)(localhost|local|localdomain|internal|home\.arpa)$/;

/**
 * True when the text holds a space or an ASCII control character. The URL parser silently drops or rewrites
 * these (tabs and line breaks anywhere, leading and trailing spaces and controls), as it reads `\` as `/`, so
 * a URL holding one is not what it seems: refused rather than repaired.
 */
function hasControlOrSpace(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** A lone UTF-16 surrogate, which the parser would replace with U+FFFD. */
const loneSurrogate = /[\ud800-\udfff]/u;
/** The scheme, then `//` and the first character of a host, literally (the parser also takes `https:host`). */
const schemeAndAuthority = /^[a-z][a-z\d+.-]*:\/\/[^/?#]/i;
/** What a label of a host name may hold as the parser writes it (lower case, IDNs in punycode). */
const hostLabel = /^[a-z\d_-]+$/;

/** Whatever stands between `scheme://` and the host: any `@` there is user info, even an empty one. */
function hasUserInfo(value: string): boolean {
  const authority = /^[a-z][a-z\d+.-]*:\/\/([^/?#]*)/i.exec(value)?.[1];
  return authority?.includes('@') ?? false;
}

/** Why a host name (not an IP address) is refused, or undefined; one trailing dot (a rooted name) is fine. */
function hostNameProblem(hostname: string): string | undefined {
  const labels = (hostname.endsWith('.') ? hostname.slice(0, -1) : hostname).split('.');
  if (labels.some((label) => label === '')) return 'must not have an empty label in its host name';
  if (labels.some((label) => !hostLabel.test(label))) {
    return 'must have a host name of letters, digits, -, _ and . only';
  }
  if (labels.some((label) => label.startsWith('-') || label.endsWith('-'))) {
    return 'must not have a host name label that starts or ends with -';
  }
  if (labels.some((label) => label.length > 63)) {
    return 'must not have a host name label longer than 63 characters';
  }
  if (hostname.length > 253) return 'must have a host name of at most 253 characters';
  return undefined;
}

/**
 * The URL as it is stored and sent: what the URL parser makes of it (`new URL(value).href`: scheme and host
 * in lower case, IDNs in punycode, the default port dropped, the path percent-encoded). Meant for a URL
 * `targetUrlProblem` accepts; anything the parser refuses is given back as it is.
 */
export function normalizedTargetUrl(value: string): string {
  try {
    return new URL(value).href;
  } catch {
    return value;
  }
}

/**
 * Why a subscription URL is refused, or undefined when it is acceptable, without DNS: absolute, `https`
 * (under 'allow-private' also `http`), written as the parser reads it (no spaces, control characters or
 * backslashes, no lone surrogates, `://` right after the scheme), at most 2048 characters as sent and once
 * normalised ({@link normalizedTargetUrl}), no credentials (not even an empty `@`), a host name of
 * non-empty letter-digit-hyphen labels or an IP address, not port 0, no literal address the policy refuses
 * (`addressProblem`) in any notation the URL parser accepts, and under 'public-only' a dotted public name
 * (not `localhost`, `*.localhost`, `.local`, `.internal`, ...). Names are checked against DNS by
 * `resolvedTargetProblem`, and again on every connection, since DNS answers change.
 */
export function targetUrlProblem(value: string, policy: TargetPolicy): string | undefined {
  if (value.length > maxTargetUrlLength) return `must be at most ${maxTargetUrlLength} characters`;
  if (hasControlOrSpace(value)) return 'must not contain spaces or control characters';
  if (value.includes('\\')) return 'must not contain backslashes';
  if (loneSurrogate.test(value)) return 'must be valid Unicode text';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (policy === 'public-only') {
    if (url.protocol !== 'https:') return 'must use https';
  } else if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return 'must use https or http';
  }
  if (!schemeAndAuthority.test(value)) return `must start with ${url.protocol}// and the host`;
  if (url.username !== '' || url.password !== '' || hasUserInfo(value)) return 'must not contain credentials';
  if (url.href.length > maxTargetUrlLength) {
    return `must be at most ${maxTargetUrlLength} characters once percent-encoded`;
  }
  if (url.port === '0') return 'must not use port 0';
  const host = literalAddressOf(url);
  if (host !== undefined) return addressProblem(host, policy);
  const nameProblem = hostNameProblem(url.hostname);
  if (nameProblem !== undefined) return nameProblem;
  if (policy === 'allow-private') return undefined;
  const name = url.hostname.replace(/\.$/, '');
  if (!name.includes('.') || localNames.test(name)) return 'must name a public host';
  return undefined;
}

/**
 * `targetUrlProblem`, then, for a name, what DNS answers now: refused when any address it resolves to is
 * refused (`resolves to a private or reserved address`). A name that does not resolve now (not found, no
 * data, any lookup error, or no answer within `timeoutMs`) is accepted: it is checked on every connection.
 */
export async function resolvedTargetProblem(
  value: string,
  policy: TargetPolicy,
  resolve: HostResolver,
  timeoutMs: number = resolveTimeoutMs,
): Promise<string | undefined> {
  const problem = targetUrlProblem(value, policy);
  if (problem !== undefined) return problem;
  const url = new URL(value);
  if (literalAddressOf(url) !== undefined) return undefined;
  let addresses: readonly string[] | undefined;
  try {
    addresses = await within(resolve(url.hostname), timeoutMs);
  } catch {
    return undefined;
  }
  for (const address of addresses ?? []) {
    const kind = refusedKind(address, policy);
    if (kind !== undefined) return `resolves to ${kind}`;
  }
  return undefined;
}

/** The IP address a URL names literally (without the brackets of IPv6), or undefined for a name. */
function literalAddressOf(url: URL): string | undefined {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return isIP(host) === 0 ? undefined : host;
}

/** The promise's value, or undefined when it takes longer than `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, ms, undefined);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Where webhooks may go: private and loopback addresses only where the deployment allows them (the sandbox). */
export function targetPolicyOf(env: { readonly ALLOW_PRIVATE_TARGETS: 'true' | 'false' }): TargetPolicy {
  return env.ALLOW_PRIVATE_TARGETS === 'true' ? 'allow-private' : 'public-only';
}
