import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import { sendAll } from '#core/aws/queues.ts';
import { sqsConsumer } from '#core/aws/sqs-consumer.ts';
import { deliveryMessageSchema } from '#core/deliveries/delivery-message.ts';
import { nextHop } from '#core/deliveries/retry-route.ts';
import { loadEnvironment } from '#core/environment.ts';
import { createLogger } from '#core/logger.ts';
import { functions } from '#core/platform.ts';

const env = loadEnvironment(functions.retryRelay.environment);
const logger = createLogger('retry-relay');
const sqs = new SQSClient({});

/** A waiting retry: a delivery message that says when its attempt is due. */
const waitingSchema = z.extend(deliveryMessageSchema, { dueAt: z.number() });

async function processRecord(record: SQSRecord): Promise<void> {
  let message: z.output<typeof waitingSchema>;
  try {
    message = z.parse(waitingSchema, JSON.parse(record.body));
  } catch {
    // Nothing can ever be done with it; the queue's redrive keeps it in the DLQ for inspection.
    logger.error('Not a waiting retry; left for the dead-letter queue', { messageId: record.messageId });
    throw new Error('not a waiting retry');
  }
  const hop = nextHop(message, message.dueAt, Date.now());
  // Due within 15 minutes: to the main lane, which moves it on to the slow lane if its endpoint is slow.
  await sendAll(sqs, hop.queue === 'lane' ? env.DELIVERY_QUEUE_URL : env.RETRY_QUEUE_URL, [
    { body: JSON.stringify(hop.message), groupId: message.subscriptionId, delaySeconds: hop.delaySeconds },
  ]);
}

/**
 * Consumer of the retry queue, where retries wait that are due in more than SQS's 15-minute delay: each
 * message comes back every 15 minutes until its attempt is due within 15 minutes, then moves to the main lane
 * delayed by what is left of its wait.
 */
export const handler = sqsConsumer(processRecord);
