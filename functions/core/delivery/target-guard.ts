import { BlockList, isIP } from 'node:net';

/**
 * Addresses webhooks are never sent to: private, loopback, link-local (cloud metadata lives there),
 * carrier-grade NAT, multicast, reserved and unspecified ranges, for IPv4 and IPv6.
 */
const blocked = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  // IPv4-compatible addresses (::a.b.c.d), the unspecified address and loopback.
  ['::', 96],
  ['::1', 128],
  // Translation and tunnelling prefixes that embed an IPv4 address: NAT64, local-use NAT64, Teredo, 6to4.
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['2001::', 32],
  ['2002::', 16],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  // Deprecated site-local addresses, and the IPv4-translated form (::ffff:0:a.b.c.d) of SIIT.
  ['fec0::', 10],
  ['::ffff:0:0:0', 96],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(network, prefix, 'ipv6');
}

/** Which destinations are allowed beyond the public internet. */
export type TargetPolicy = 'public-only' | 'allow-private';

/** True when a webhook may be sent to this IP address under the policy. */
export function isAllowedAddress(address: string, policy: TargetPolicy): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (policy === 'allow-private') return true;
  // BlockList judges an IPv4-mapped IPv6 address (::ffff:a.b.c.d) by the IPv4 rules.
  return !blocked.check(address, type);
}

/**
 * Why a subscription URL is refused, or undefined when it is acceptable: absolute http(s), no credentials,
 * and, unless private targets are allowed, not a literal private address nor a name for one (`localhost`).
 * Names are resolved and checked again when connecting, since DNS answers can change.
 */
export function targetUrlProblem(value: string, policy: TargetPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must use https or http';
  if (url.username !== '' || url.password !== '') return 'must not contain credentials';
  if (policy === 'allow-private') return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0) {
    return isAllowedAddress(host, policy) ? undefined : 'must not point at a private or reserved address';
  }
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost') || !name.includes('.')) {
    return 'must name a public host';
  }
  return undefined;
}
