import { createHash, randomBytes } from 'node:crypto';

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';

function base32(bytes: Uint8Array, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[(bytes[i] ?? 0) & 31];
  return out;
}

/** A millisecond time as 10 characters that sort as the times do (until the year 10889). */
export function timeCode(ms: number): string {
  let time = '';
  for (let rest = Math.max(0, Math.floor(ms)), i = 0; i < 10; i++, rest = Math.floor(rest / 32)) {
    time = alphabet[rest % 32] + time;
  }
  return time;
}

/** The time a {@link timeCode} stands for. */
export function timeOfCode(code: string): number {
  let ms = 0;
  for (const character of code) ms = ms * 32 + alphabet.indexOf(character);
  return ms;
}

/** `length` characters of a hash of the parts: the same parts always give the same characters. */
export function hashCode(parts: readonly string[], length: number): string {
  return base32(createHash('sha256').update(parts.join('\u0000')).digest(), length);
}

/**
 * A new identifier with a readable prefix, e.g. `sub_3k9x...`: a millisecond timestamp (so ids sort by
 * creation) followed by 80 random bits.
 */
export function newId(prefix: string, now: number = Date.now()): string {
  return `${prefix}_${timeCode(now)}${base32(randomBytes(16), 16)}`;
}

/** A deterministic identifier derived from its parts: the same parts always give the same id. */
export function derivedId(prefix: string, ...parts: string[]): string {
  return `${prefix}_${hashCode(parts, 26)}`;
}
