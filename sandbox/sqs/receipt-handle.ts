/**
 * Receipt handles: opaque to clients, new on every receive, and naming the queue and message they were issued
 * for so that a handle can be checked without a lookup table (and still works after a restart).
 */
import { randomBytes } from 'node:crypto';

/** What a receipt handle refers to. */
export interface ReceiptHandleParts {
  readonly queue: string;
  readonly messageId: string;
}

const PREFIX = 'sbx1';

/** A fresh receipt handle for one receive of `messageId` from `queue`. */
export function newReceiptHandle(queue: string, messageId: string): string {
  const nonce = randomBytes(24).toString('base64url');
  return Buffer.from(`${PREFIX}:${queue}:${messageId}:${nonce}`, 'utf8').toString('base64url');
}

/** The queue and message a handle was issued for, or `undefined` if it is not one of ours. */
export function parseReceiptHandle(handle: string): ReceiptHandleParts | undefined {
  if (!/^[A-Za-z0-9_-]{1,1024}$/.test(handle)) return undefined;
  const parts = Buffer.from(handle, 'base64url').toString('utf8').split(':');
  if (parts.length !== 4 || parts[0] !== PREFIX) return undefined;
  const [, queue, messageId] = parts;
  if (queue === undefined || messageId === undefined || queue === '' || messageId === '') return undefined;
  return { queue, messageId };
}
