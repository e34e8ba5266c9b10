import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import { deliveryMessageSchema } from '#core/delivery/delivery-message.ts';
import { WebhookSender } from '#core/delivery/webhook-sender.ts';
import { documentClient } from '#core/dynamodb.ts';
import { loadEnvironment, targetPolicyOf } from '#core/environment.ts';
import { createLogger } from '#core/logger.ts';
import { functions } from '#core/platform.ts';
import { deadLetter } from '#core/queues.ts';
import { sqsConsumer } from '#core/sqs-consumer.ts';
import { SubscriptionStore } from '#core/subscriptions/subscription-store.ts';
import { type DeliveryPorts, deliver } from './deliver.ts';

const env = loadEnvironment(functions.delivery.environment);
const logger = createLogger('delivery');
const sqs = new SQSClient({});
const subscriptions = new SubscriptionStore(documentClient(), env.TABLE_NAME);
const sender = new WebhookSender(targetPolicyOf(env));

const ports: DeliveryPorts = {
  subscription: (accountId, id) => subscriptions.get(accountId, id),
  send: (request) => sender.send(request),
  disable: (subscription, reason) =>
    subscriptions.setStatus(subscription.accountId, subscription.id, 'disabled', reason),
  now: Date.now,
};

/** Marks a record failed so that SQS hands it back after the wait its visibility was set to. */
class RetryScheduled extends Error {
  override name = 'RetryScheduled';
}

async function processRecord(record: SQSRecord): Promise<void> {
  const parsed = z.safeParse(deliveryMessageSchema, safeJson(record.body));
  if (!parsed.success) {
    logger.warn('Invalid delivery message dead-lettered', { messageId: record.messageId });
    await deadLetter(sqs, env.DELIVERY_DLQ_URL, record.body, 'not a delivery message');
    return;
  }
  const message = parsed.data;
  const attempt = Number(record.attributes.ApproximateReceiveCount);
  const decision = await deliver(message, attempt, ports).catch((error: unknown) => {
    logger.error('Delivery could not be attempted; SQS will hand it back after its visibility timeout', {
      deliveryId: message.id,
      attempt,
      error: error as Error,
    });
    throw error;
  });
  const context = { deliveryId: message.id, subscriptionId: message.subscriptionId, attempt };

  switch (decision.kind) {
    case 'delivered':
      logger.info('Webhook delivered', { ...context, outcome: decision.outcome });
      return;
    case 'skipped':
      logger.info('Delivery skipped', { ...context, reason: decision.reason });
      return;
    case 'failed':
      logger.warn('Delivery failed for good', { ...context, reason: decision.reason });
      await deadLetter(sqs, env.DELIVERY_DLQ_URL, record.body, decision.reason);
      return;
    case 'retry':
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: env.DELIVERY_QUEUE_URL,
          ReceiptHandle: record.receiptHandle,
          VisibilityTimeout: decision.delaySeconds,
        }),
      );
      logger.info('Delivery attempt failed; retry scheduled', { ...context, ...decision });
      throw new RetryScheduled(`retry in ${decision.delaySeconds} s`);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * SQS consumer of the delivery queue. A failed attempt leaves its message on the queue, invisible for the
 * retry wait, so the wait costs nothing and survives any crash; the attempt number is SQS's receive count.
 */
export const handler = sqsConsumer(processRecord);
