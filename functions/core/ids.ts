import { createHash, randomBytes } from 'node:crypto';

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';

function base32(bytes: Uint8Array, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[(bytes[i] ?? 0) & 31];
  return out;
}

/**
 * A new identifier with a readable prefix, e.g. `sub_3k9x...`: a millisecond timestamp (so ids sort by
 * creation) followed by 80 random bits.
 */
export function newId(prefix: string, now: number = Date.now()): string {
  let time = '';
  for (let rest = now, i = 0; i < 10; i++, rest = Math.floor(rest / 32)) time = alphabet[rest % 32] + time;
  return `${prefix}_${time}${base32(randomBytes(16), 16)}`;
}

/** A deterministic identifier derived from its parts: the same parts always give the same id. */
export function derivedId(prefix: string, ...parts: string[]): string {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  return `${prefix}_${base32(digest, 26)}`;
}
