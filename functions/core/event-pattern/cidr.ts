/** An inclusive range of IP addresses, as bytes (4 for IPv4, 16 for IPv6). */
export interface IpRange {
  readonly low: Uint8Array;
  readonly high: Uint8Array;
}

/** A `cidr` value that AWS refuses; the message is AWS's. */
export class InvalidCidrError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidCidrError';
  }
}

const IPV4_SHAPE = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
// Hex digits and colons, at least one colon. Written as two linear tests: the single expression
// `^[0-9a-fA-F:]*:[0-9a-fA-F:]*$` backtracks quadratically on a long run of colons (an event's value).
const IPV6_CHARACTERS = /^[0-9a-fA-F:]*$/;
const isIpv6Shape = (value: string) => value.includes(':') && IPV6_CHARACTERS.test(value);
const MASK_BITS = /^[+-]?[0-9]+$/;

/** True when the string has the shape of an IPv4 or IPv6 literal (the only strings AWS treats as IPs). */
export function looksLikeIp(value: string): boolean {
  return IPV4_SHAPE.test(value) || isIpv6Shape(value);
}

/**
 * The bytes of an IP literal, or `undefined` when the string is not one. IPv4-mapped IPv6 addresses
 * (`::ffff:a00:1`) become their IPv4 address, as Java's address parser (which AWS uses) does.
 */
export function parseIp(value: string): Uint8Array | undefined {
  if (IPV4_SHAPE.test(value)) return parseIpv4(value);
  if (isIpv6Shape(value)) return parseIpv6(value);
  return undefined;
}

function parseIpv4(value: string): Uint8Array | undefined {
  const parts = value.split('.');
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i] as string;
    if (part.length > 3) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    bytes[i] = n;
  }
  return bytes;
}

function parseIpv6(value: string): Uint8Array | undefined {
  const halves = value.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? (halves[0] as string).split(':') : [];
  const tail = halves.length === 2 && halves[1] ? (halves[1] as string).split(':') : [];
  const groups = halves.length === 2 ? head.length + tail.length : head.length;
  if (halves.length === 1 ? groups !== 8 : groups > 7) return undefined;
  const words = [...head, ...new Array<string>(8 - groups).fill('0'), ...tail];
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const word = words[i] as string;
    if (word.length === 0 || word.length > 4) return undefined;
    const n = Number.parseInt(word, 16);
    bytes[i * 2] = n >> 8;
    bytes[i * 2 + 1] = n & 0xff;
  }
  const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}

/**
 * Compiles a `cidr` value. Mirrors AWS: exactly one `/`, integer mask bits, IPv4 masks up to /31 and IPv6
 * masks up to /127, and the range runs from the address as written to that address with its host bits set.
 */
export function parseCidr(cidr: string): IpRange {
  const slashed = cidr.split('/');
  while (slashed.length > 0 && slashed[slashed.length - 1] === '') slashed.pop();
  if (slashed.length !== 2) throw new InvalidCidrError("Malformed CIDR, one '/' required");
  const [address, maskText] = slashed as [string, string];
  if (!MASK_BITS.test(maskText) || Math.abs(Number(maskText)) > 2147483647) {
    throw new InvalidCidrError('Malformed CIDR, mask bits must be an integer');
  }
  const maskBits = Number(maskText);
  if (maskBits < 0) throw new InvalidCidrError('Malformed CIDR, mask bits must not be negative');
  if (!looksLikeIp(address)) throw new InvalidCidrError(`Nonstandard IP address: ${address}`);
  const low = parseIp(address);
  if (!low) throw new InvalidCidrError(`Invalid IP address: ${address}`);
  if (low.length === 4 && maskBits > 31) throw new InvalidCidrError('IPv4 mask bits must be < 32');
  if (low.length === 16 && maskBits > 127) throw new InvalidCidrError('IPv6 mask bits must be < 128');
  const high = low.slice();
  let hostBits = low.length * 8 - maskBits;
  for (let i = high.length - 1; i >= 0 && hostBits > 0; i--, hostBits -= 8) {
    high[i] = (high[i] as number) | (hostBits >= 8 ? 0xff : (1 << hostBits) - 1);
  }
  return { low, high };
}

/** A key for an address's bytes, equal for two notations of one address (`::1` and `0:0:0:0:0:0:0:1`). */
export function ipKey(ip: Uint8Array): string {
  return ip.join('.');
}

/** True when `ip` lies in `range` (both of the same family). */
export function inRange(ip: Uint8Array, range: IpRange): boolean {
  if (ip.length !== range.low.length) return false;
  return compareBytes(ip, range.low) >= 0 && compareBytes(ip, range.high) <= 0;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}
