import type { SQSClient } from '@aws-sdk/client-sqs';
import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';

/** SQS takes at most ten messages per batch call. */
const batchLimit = 10;

export class QueueSendError extends Error {
  override name = 'QueueSendError';
}

/** Sends every body, ten per call; throws if any could not be sent, naming how many. */
export async function sendAll(sqs: SQSClient, queueUrl: string, bodies: readonly string[]): Promise<void> {
  const failures: string[] = [];
  for (let start = 0; start < bodies.length; start += batchLimit) {
    const chunk = bodies.slice(start, start + batchLimit);
    const result = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((body, index) => ({ Id: String(index), MessageBody: body })),
      }),
    );
    for (const failed of result.Failed ?? []) failures.push(`${failed.Code}: ${failed.Message}`);
  }
  if (failures.length > 0) {
    throw new QueueSendError(`${failures.length} of ${bodies.length} messages not sent (${failures[0]})`);
  }
}

/**
 * Sends a message that cannot be processed to a dead-letter queue, with the reason beside it, so that a
 * poison message is kept for inspection instead of blocking or being retried in vain.
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
      MessageAttributes: { reason: { DataType: 'String', StringValue: reason.slice(0, 1000) } },
    }),
  );
}
