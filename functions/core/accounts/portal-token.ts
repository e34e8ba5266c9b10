import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod/mini';

/** Every portal token starts with this, so it is told apart from an API key (`whk_`) at a glance. */
export const portalTokenPrefix = 'whp_';

/** How long a portal session may last, in seconds: 1 hour unless asked otherwise, 1 minute to 24 hours. */
export const portalSessionSeconds = { default: 3600, min: 60, max: 86_400 } as const;

/** Longer than any token this module makes (an account id of 128 characters gives about 270). */
const maxTokenLength = 1024;

/** What a portal token says: whose it is, and until when. */
export interface PortalTokenClaims {
  readonly accountId: string;
  /** When the token stops working. */
  readonly expiresAt: Date;
}

/** Why a portal token was refused. */
export type PortalTokenRefusal = 'malformed' | 'forged' | 'expired';

/** The outcome of checking a portal token. */
export type PortalTokenCheck =
  | { readonly valid: true; readonly claims: PortalTokenClaims }
  | { readonly valid: false; readonly reason: PortalTokenRefusal };

const payloadSchema = z.object({
  v: z.literal(1),
  /** The account. */
  a: z.string().check(z.minLength(1), z.maxLength(256)),
  /** Expiry, epoch seconds. */
  e: z.number().check(z.int(), z.positive()),
});

/** Signatures cover a label as well as the payload, so this key's MACs mean nothing in another context. */
const mac = (key: Uint8Array, payload: string) =>
  createHmac('sha256', key).update(`hookbridge-portal-token.v1.${payload}`).digest();

/** Whether a bearer credential is (meant to be) a portal token rather than an API key. */
export function isPortalToken(credential: string): boolean {
  return credential.startsWith(portalTokenPrefix);
}

/**
 * A portal token: `whp_` + base64url(JSON claims) + `.` + base64url(HMAC-SHA256). The claims are readable
 * (the portal reads the expiry from them to say why a link stopped working) but cannot be changed without
 * the key. Tokens are not stored anywhere: they are checked by their signature and expiry alone.
 */
export function signPortalToken(claims: PortalTokenClaims, key: Uint8Array): string {
  const payload = Buffer.from(
    JSON.stringify({ v: 1, a: claims.accountId, e: Math.floor(claims.expiresAt.getTime() / 1000) }),
  ).toString('base64url');
  return `${portalTokenPrefix}${payload}.${mac(key, payload).toString('base64url')}`;
}

/**
 * Checks a portal token's form, signature (in constant time) and expiry, in that order: a token whose
 * signature does not hold is `forged` whatever its claims say, and only a genuine one can be `expired`.
 */
export function verifyPortalToken(token: string, key: Uint8Array, now: Date): PortalTokenCheck {
  const match = /^whp_([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (token.length > maxTokenLength || match === null) return { valid: false, reason: 'malformed' };
  const [, payload = '', signature = ''] = match;
  const expected = mac(key, payload);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { valid: false, reason: 'forged' };
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { valid: false, reason: 'malformed' };
  }
  const claims = z.safeParse(payloadSchema, decoded);
  if (!claims.success) return { valid: false, reason: 'malformed' };
  const expiresAt = new Date(claims.data.e * 1000);
  if (expiresAt.getTime() <= now.getTime()) return { valid: false, reason: 'expired' };
  return { valid: true, claims: { accountId: claims.data.a, expiresAt } };
}
