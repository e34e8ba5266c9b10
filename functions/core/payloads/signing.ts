import { createHmac, randomBytes } from 'node:crypto';

const secretPrefix = 'whsec_';

/** A new signing secret in the Standard Webhooks format: `whsec_` + base64 of 32 random bytes. */
export function newSigningSecret(): string {
  return secretPrefix + randomBytes(32).toString('base64');
}

function secretKey(secret: string): Buffer {
  if (!secret.startsWith(secretPrefix)) throw new TypeError('A signing secret starts with whsec_');
  return Buffer.from(secret.slice(secretPrefix.length), 'base64');
}

/** What a signature covers: the message id, the Unix timestamp in seconds and the exact body bytes. */
export interface SignedContent {
  readonly id: string;
  readonly timestamp: number;
  readonly body: string;
}

function signOne(secret: string, content: SignedContent): string {
  const mac = createHmac('sha256', secretKey(secret))
    .update(`${content.id}.${content.timestamp}.${content.body}`)
    .digest('base64');
  return `v1,${mac}`;
}

/**
 * The `webhook-signature` header value per Standard Webhooks: one `v1,<base64 HMAC-SHA256>` per secret,
 * space-separated, so that during a rotation receivers holding either secret can verify.
 */
export function signatureHeader(secrets: readonly string[], content: SignedContent): string {
  if (secrets.length === 0) throw new TypeError('At least one signing secret is needed');
  return secrets.map((secret) => signOne(secret, content)).join(' ');
}

/** The three Standard Webhooks headers of a message, given its signature (made now, or as an attempt recorded it). */
export function standardHeaders(
  content: Omit<SignedContent, 'body'>,
  signature: string,
): Record<string, string> {
  return {
    'webhook-id': content.id,
    'webhook-timestamp': String(content.timestamp),
    'webhook-signature': signature,
  };
}

/** The three Standard Webhooks headers for one attempt. */
export function webhookHeaders(secrets: readonly string[], content: SignedContent): Record<string, string> {
  return standardHeaders(content, signatureHeader(secrets, content));
}
