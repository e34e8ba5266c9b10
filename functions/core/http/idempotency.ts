import { createHash } from 'node:crypto';
import { problems } from './problem.ts';
import { openAnswerBody, sealAnswerBody } from './sealed-answer.ts';

/** How long an answer is given again for the same `Idempotency-Key`. */
export const idempotencyWindowSeconds = 24 * 3600;
/** How long a request holds its key before another request with it may take over (beyond the API's timeout). */
export const idempotencyLockSeconds = 60;

/** An HTTP answer as it is kept for replay. */
export interface StoredAnswer {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A key's record: which request first used it, and its answer once there is one. */
export interface IdempotencyRecord {
  readonly fingerprint: string;
  readonly answer?: StoredAnswer;
}

/** Where keys and their answers are kept, per account. */
export interface IdempotencyPorts {
  /**
   * Takes the key for a request unless a live record holds it: 'claimed', or the record that holds it. A
   * record expires after {@link idempotencyWindowSeconds}; a claim without an answer after
   * {@link idempotencyLockSeconds}.
   */
  readonly claim: (
    accountId: string,
    keyHash: string,
    fingerprint: string,
  ) => Promise<'claimed' | IdempotencyRecord>;
  readonly complete: (accountId: string, keyHash: string, answer: StoredAnswer) => Promise<void>;
  readonly release: (accountId: string, keyHash: string) => Promise<void>;
}

const validKey = /^[\x21-\x7e]{1,255}$/;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** What makes two requests the same: method, path and body bytes. */
export function requestFingerprint(method: string, path: string, body: string): string {
  return sha256(`${method} ${path}\n${body}`);
}

/**
 * Runs a POST at most once per `Idempotency-Key` within 24 hours: the same key with the same request gives the
 * first (successful) answer again, marked `idempotent-replayed: true` (its body kept sealed under the key); with another request it is a 422; while
 * the first request with it is still running, a 409. Only 2xx answers are kept, so a request that failed may
 * be retried with its key.
 */
export async function idempotent(
  accountId: string,
  key: string | undefined,
  fingerprint: string,
  run: () => Promise<StoredAnswer>,
  ports: IdempotencyPorts,
): Promise<StoredAnswer> {
  if (key === undefined) return run();
  if (!validKey.test(key)) {
    throw problems.validation([
      { field: 'idempotency-key', message: 'must be 1 to 255 printable ASCII characters without spaces' },
    ]);
  }
  const keyHash = sha256(key);
  const claimed = await ports.claim(accountId, keyHash, fingerprint);
  if (claimed !== 'claimed') {
    if (claimed.fingerprint !== fingerprint) {
      throw problems.validation([
        { field: 'idempotency-key', message: 'was already used with another request; use a new key' },
      ]);
    }
    if (claimed.answer === undefined) {
      throw problems.conflict(
        'idempotency-key-in-use',
        'A request with this Idempotency-Key is still being processed; retry in a few seconds',
      );
    }
    return {
      ...claimed.answer,
      body: openAnswerBody(claimed.answer.body, key, accountId),
      headers: { ...claimed.answer.headers, 'idempotent-replayed': 'true' },
    };
  }
  let answer: StoredAnswer;
  try {
    answer = await run();
  } catch (error) {
    await ports.release(accountId, keyHash);
    throw error;
  }
  // Kept sealed under the key: a create's or a rotation's answer shows a signing secret (sealed-answer.ts).
  if (answer.statusCode >= 200 && answer.statusCode < 300)
    await ports.complete(accountId, keyHash, {
      ...answer,
      body: sealAnswerBody(answer.body, key, accountId),
    });
  else await ports.release(accountId, keyHash);
  return answer;
}
