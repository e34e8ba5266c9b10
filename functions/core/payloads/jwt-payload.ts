/*
 * The webhook body for subscriptions whose format is `jwt`, as the reference platform (Shipmondo) sends its own:
 * `{"data":"<JWT>"}`, the JWT signed HS256 with the webhook's key (header `{"alg":"HS256"}`), its claims the
 * webhook's name (`webhook`), the resource as it is now (`data`) and the endpoint (`url`), and five `SMD-*`
 * headers that say what it is about. Nothing else is claimed (no `iat`, no `exp`): the same delivery sent again
 * is the same body, and a retry days later still verifies.
 */
import { createHmac } from 'node:crypto';

/** What a webhook key is stored as before it is sealed: this prefix and the key's UTF-8 bytes in base64url. */
const jwtKeyPrefix = 'jwtkey_';

/**
 * A webhook key as the subscription holds it: any text a client gives (the reference takes keys of any length
 * and characters), in a form that cannot be mistaken for a sealed one (`kms:...`).
 */
export function encodeJwtKey(key: string): string {
  return jwtKeyPrefix + Buffer.from(key, 'utf8').toString('base64url');
}

/** The bytes a key signs with (its UTF-8 bytes, as JWT libraries take a text key). */
export function jwtKeyBytes(encoded: string): Buffer {
  if (!encoded.startsWith(jwtKeyPrefix)) throw new TypeError('A webhook key is stored as jwtkey_...');
  return Buffer.from(encoded.slice(jwtKeyPrefix.length), 'base64url');
}

/** The length in bytes of a key as a client gives it (RFC 7518 wants 32 for HS256). */
export const jwtKeyByteLength = (key: string) => Buffer.byteLength(key, 'utf8');

const header = Buffer.from('{"alg":"HS256"}').toString('base64url');

/**
 * What a JWT's HS256 signature covers: its header and `claims`, each base64url (`header.claims`). Needs no key,
 * so a reader that holds none (the API) rebuilds it and completes it with the signature an attempt recorded.
 */
function jwtSigningInput(claims: object): string {
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
}

/** The HS256 signature of a signing input with `key`: the JWT's third segment (43 base64url characters). */
export function jwtSignature(key: Buffer, signingInput: string): string {
  return createHmac('sha256', key).update(signingInput).digest('base64url');
}

/** The claims of a `jwt` webhook. */
export interface JwtClaims {
  /** The webhook's (subscription's) name. */
  readonly webhook: string;
  /** The resource as it is now: the event's `data`. */
  readonly data: unknown;
  /** The endpoint it is sent to. */
  readonly url: string;
}

/** The signing input of a `jwt` webhook's JWT: its claims in this order, and nothing else, as the reference sends them. */
export function jwtClaimsSigningInput(claims: JwtClaims): string {
  const { webhook, data, url } = claims;
  return jwtSigningInput({ webhook, data, url });
}

/** The body of a `jwt` webhook, `{"data":"<JWT>"}`, from its JWT's signing input and signature. */
export function jwtBodyOf(signingInput: string, signature: string): string {
  return JSON.stringify({ data: `${signingInput}.${signature}` });
}

/** What the five `SMD-*` headers of a `jwt` webhook say. */
export interface ShipmondoHeaderValues {
  /** The reference's resource name (`Orders`). */
  readonly resource: string;
  /** The reference's action (`create`). */
  readonly action: string;
  /** The resource's id; empty for a request about no resource (the verification at creation). */
  readonly resourceId: string;
  /** The webhook's (subscription's) compatible id. */
  readonly webhookId: string;
  /** Who acted, when the event says; empty otherwise. */
  readonly user: string;
}

/**
 * A header value for text a publisher chose (a resource id, who acted): as it is when it is printable ASCII,
 * else percent-encoded as UTF-8 (`Søren` is `S%C3%B8ren`), since HTTP header values carry no other text safely.
 */
export function headerSafe(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : encodeURIComponent(text);
}

/**
 * The `SMD-*` headers of a `jwt` webhook, named in the reference's case: header names ignore case, but a receiver
 * that looks them up in a map as sent (PHP's `getallheaders()` under Apache) finds them as documented.
 */
export function shipmondoHeaders(values: ShipmondoHeaderValues): Record<string, string> {
  return {
    'SMD-Resource-Type': values.resource,
    'SMD-Resource-Id': headerSafe(values.resourceId),
    'SMD-Webhook-Id': values.webhookId,
    'SMD-Action': values.action,
    'SMD-User': headerSafe(values.user),
  };
}
