import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * A stored idempotent answer's body, sealed under the request's own `Idempotency-Key`: the answer to a create or
 * a rotation shows the new signing secret, and is kept for a day to be given again. Sealed with AES-256-GCM under
 * a key derived from the `Idempotency-Key` (HKDF-SHA-256, the account as salt), which only the client holds (the
 * table keeps a SHA-256 of it, a different derivation), the body opens only when that client asks again: no role
 * reading the table, the API's included, can read the secret in it. The protection is as strong as the key is
 * hard to guess: a random one (a UUID, as the Idempotency-Key draft asks) is; "create-1" is not.
 */

/** The prefix of a sealed body as stored; a body stored before answers were sealed has none. */
const sealedPrefix = 'sealed:v1:';
const ivBytes = 12;
const tagBytes = 16;

function answerKey(idempotencyKey: string, accountId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', idempotencyKey, accountId, 'hookbridge idempotent answer body', 32));
}

/** The body as it is stored: sealed under the request's `Idempotency-Key` and account. */
export function sealAnswerBody(body: string, idempotencyKey: string, accountId: string): string {
  const iv = randomBytes(ivBytes);
  const cipher = createCipheriv('aes-256-gcm', answerKey(idempotencyKey, accountId), iv);
  const sealed = Buffer.concat([cipher.update(body, 'utf8'), cipher.final()]);
  return sealedPrefix + Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64');
}

/**
 * The body of a stored answer, opened with the `Idempotency-Key` that asks for it again (the same key, since the
 * record is found by its hash); a body stored before sealing is given as it is. Throws if it does not open.
 */
export function openAnswerBody(stored: string, idempotencyKey: string, accountId: string): string {
  if (!stored.startsWith(sealedPrefix)) return stored;
  const bytes = Buffer.from(stored.slice(sealedPrefix.length), 'base64');
  const decipher = createDecipheriv(
    'aes-256-gcm',
    answerKey(idempotencyKey, accountId),
    bytes.subarray(0, ivBytes),
  );
  decipher.setAuthTag(bytes.subarray(ivBytes, ivBytes + tagBytes));
  return Buffer.concat([decipher.update(bytes.subarray(ivBytes + tagBytes)), decipher.final()]).toString(
    'utf8',
  );
}
