import type { SQSClient } from '@aws-sdk/client-sqs';
import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';

/** SQS takes at most ten messages, and 1 MiB of bodies, per batch call. */
export const batchLimits = { entries: 10, bytes: 1024 * 1024 } as const;

/** A message to send: its body, and optionally its fair-queue group and a delay. */
export interface OutgoingMessage {
  readonly body: string;
  /** The message group (a tenant of a fair queue): here, the subscription. */
  readonly groupId?: string;
  /** Seconds before it can be received, up to 900 (never on a FIFO queue: only the queue's delay applies). */
  readonly delaySeconds?: number;
  /** On a FIFO queue: what SQS de-duplicates it by for five minutes. */
  readonly deduplicationId?: string;
}

/** Splits messages into batches SQS accepts: at most ten each, and at most 1 MiB of bodies together. */
export function batchesOf<T extends string | OutgoingMessage>(messages: readonly T[]): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const message of messages) {
    const bytes = Buffer.byteLength(typeof message === 'string' ? message : message.body);
    if (current.length === batchLimits.entries || (current.length > 0 && size + bytes > batchLimits.bytes)) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(message);
    size += bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export class QueueSendError extends Error {
  override name = 'QueueSendError';
}

/**
 * Batch calls in flight at once: a fan-out to 1,000 subscriptions is 100 calls, which one after another (about
 * 10 ms each on AWS) would take a second, and at 10,000 outlive the function's timeout.
 */
export const sendConcurrency = 16;

/**
 * Sends every message, in as few batch calls as SQS allows, up to `concurrency` of them at once (1 keeps their
 * order, as a FIFO group needs); throws if any could not be sent, naming how many.
 */
export async function sendAll(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly (string | OutgoingMessage)[],
  concurrency: number = sendConcurrency,
): Promise<void> {
  const failures: string[] = [];
  const batches = batchesOf(messages);
  let next = 0;
  const sendNext = async (): Promise<void> => {
    for (let chunk = batches[next++]; chunk !== undefined; chunk = batches[next++]) {
      const result = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((message, index) => {
            const { body, groupId, delaySeconds, deduplicationId } =
              typeof message === 'string' ? { body: message } : message;
            return {
              Id: String(index),
              MessageBody: body,
              ...(groupId === undefined ? {} : { MessageGroupId: groupId }),
              ...(delaySeconds === undefined ? {} : { DelaySeconds: delaySeconds }),
              ...(deduplicationId === undefined ? {} : { MessageDeduplicationId: deduplicationId }),
            };
          }),
        }),
      );
      for (const failed of result.Failed ?? []) failures.push(`${failed.Code}: ${failed.Message}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, sendNext));
  if (failures.length > 0) {
    throw new QueueSendError(`${failures.length} of ${messages.length} messages not sent (${failures[0]})`);
  }
}

/**
 * The longest dead-letter reason, in UTF-8 bytes: SQS counts the attribute (its name, type and value) in the
 * message's 1 MiB, so a dead letter takes at most 1,012 bytes beside the body it keeps.
 */
export const maxReasonBytes = 1000;

/**
 * A character SQS refuses in a message body or string attribute: anything outside #x9 | #xA | #xD |
 * #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF, lone surrogates included (AWS answers InvalidMessageContents).
 */
const refusedBySqs = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/**
 * A reason SQS accepts as a string attribute: each character it refuses written as a JSON-style escape
 * (`\udc00`, `\u0000`), so the reason still names what was wrong, cut at {@link maxReasonBytes} between
 * characters (never inside a surrogate pair or an escape).
 */
export function sqsSafeReason(reason: string): string {
  let safe = '';
  let bytes = 0;
  // A string's iterator yields code points: a pair whole, a lone surrogate on its own.
  for (const char of reason) {
    const piece = refusedBySqs.test(char)
      ? `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`
      : char;
    bytes += Buffer.byteLength(piece);
    if (bytes > maxReasonBytes) break;
    safe += piece;
  }
  return safe;
}

/**
 * Sends a message that cannot be processed to a dead-letter queue, with the reason beside it (made
 * {@link sqsSafeReason}), so that a poison message is kept for inspection instead of blocking or being retried
 * in vain. Throws if SQS refuses it.
 */
export async function deadLetter(
  sqs: SQSClient,
  dlqUrl: string,
  body: string,
  reason: string,
): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: dlqUrl,
      MessageBody: body,
      MessageAttributes: { reason: { DataType: 'String', StringValue: sqsSafeReason(reason) } },
    }),
  );
}
