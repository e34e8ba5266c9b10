import { isUtf8 } from 'node:buffer';

/**
 * An `Authorization` header's credentials by scheme: `Bearer <token>`, or `Basic base64(user:password)`
 * (RFC 7617), or why the header is neither.
 */
export type AuthorizationCredentials =
  | { readonly scheme: 'bearer'; readonly token: string }
  | { readonly scheme: 'basic'; readonly user: string; readonly password: string }
  | { readonly scheme: 'malformed'; readonly reason: string };

/** The two forms the API takes, as refusals name them. */
export const authorizationForms =
  'Bearer <API key>, or Basic base64(<API user>:<API key>) where the API user is the key’s id (key_...)';

const malformed = (reason: string): AuthorizationCredentials => ({ scheme: 'malformed', reason });

// Auth schemes are case-insensitive (RFC 9110, section 11.1): `bearer` and `basic` are taken too.
const bearerPattern = /^Bearer\s+(\S+)\s*$/i;
const basicPattern = /^Basic(?:\s+(\S*))?\s*$/i;
const base64Pattern = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Reads an `Authorization` header. Basic credentials must be base64 of UTF-8 text with a colon: the user is
 * what comes before the first colon, the password all that follows (which may hold colons, RFC 7617).
 */
export function parseAuthorization(header: string): AuthorizationCredentials {
  const bearer = bearerPattern.exec(header);
  if (bearer?.[1] !== undefined) return { scheme: 'bearer', token: bearer[1] };
  const basic = basicPattern.exec(header);
  if (basic === null) return malformed(`The Authorization header must be ${authorizationForms}`);
  const encoded = basic[1] ?? '';
  const decoded = Buffer.from(encoded, 'base64');
  // Node.js decodes leniently (it skips what is not base64); encoding back tells a faithful decoding apart.
  if (!base64Pattern.test(encoded) || unpadded(decoded.toString('base64')) !== unpadded(encoded)) {
    return malformed('The Basic credentials must be base64 of <API user>:<API key>');
  }
  if (!isUtf8(decoded)) {
    return malformed('The Basic credentials must be base64 of UTF-8 text, <API user>:<API key>');
  }
  const pair = decoded.toString('utf8');
  const colon = pair.indexOf(':');
  if (colon < 0) {
    return malformed('The Basic credentials have no colon: send base64 of <API user>:<API key>');
  }
  return { scheme: 'basic', user: pair.slice(0, colon), password: pair.slice(colon + 1) };
}

const unpadded = (base64: string) => base64.replace(/=+$/, '');
