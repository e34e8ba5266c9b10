import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { documentClient } from '#core/dynamodb.ts';
import { loadEnvironment } from '#core/environment.ts';
import { createLogger } from '#core/logger.ts';
import { functions } from '#core/platform.ts';
import { deadLetter, sendAll } from '#core/queues.ts';
import { sqsConsumer } from '#core/sqs-consumer.ts';
import type { SubscriptionRouting } from '#core/subscriptions/subscription.ts';
import { SubscriptionStore } from '#core/subscriptions/subscription-store.ts';
import { fanOut, InvalidEventError, parseBusEvent } from './fan-out.ts';

const env = loadEnvironment(functions.fanOut.environment);
const logger = createLogger('fan-out');
const sqs = new SQSClient({});
const subscriptions = new SubscriptionStore(documentClient(), env.TABLE_NAME);

const ports = {
  subscriptionsOf: (accountId: string) => subscriptions.listRouting(accountId),
  filterFailed: (subscription: SubscriptionRouting, error: Error) =>
    logger.error('Content filter could not be evaluated; subscription left out', {
      subscriptionId: subscription.id,
      error,
    }),
  enqueueDeliveries: (messages: readonly object[]) =>
    sendAll(
      sqs,
      env.DELIVERY_QUEUE_URL,
      messages.map((message) => JSON.stringify(message)),
    ),
};

async function processRecord(record: SQSRecord): Promise<void> {
  let event: ReturnType<typeof parseBusEvent>;
  let deliveries: Awaited<ReturnType<typeof fanOut>>;
  try {
    event = parseBusEvent(record.body);
    deliveries = await fanOut(event, ports);
  } catch (error) {
    if (error instanceof InvalidEventError) {
      logger.warn('Invalid event dead-lettered', { messageId: record.messageId, reason: error.message });
      await deadLetter(sqs, env.FAN_OUT_DLQ_URL, record.body, error.message);
      return;
    }
    logger.error('Fan-out failed; SQS will hand the event back after its visibility timeout', {
      messageId: record.messageId,
      error: error as Error,
    });
    throw error;
  }
  logger.info('Event fanned out', {
    eventId: event.id,
    type: event['detail-type'],
    accountId: event.detail.account_id,
    deliveries: deliveries.length,
  });
}

/** SQS consumer of the fan-out queue: a failed record is retried alone, never the whole batch. */
export const handler = sqsConsumer(processRecord);
