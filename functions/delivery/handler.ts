import { randomBytes } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import { documentClient } from '#core/aws/dynamodb.ts';
import { deadLetter, sendAll } from '#core/aws/queues.ts';
import { sqsConsumer } from '#core/aws/sqs-consumer.ts';
import { type DeliveryMessage, deliveryMessageSchema } from '#core/deliveries/delivery-message.ts';
import { attemptErrorKind, DeliveryMetrics } from '#core/deliveries/delivery-metrics.ts';
import { DeliveryStore } from '#core/deliveries/delivery-store.ts';
import { nextHop } from '#core/deliveries/retry-route.ts';
import { targetPolicyOf } from '#core/egress/target-guard.ts';
import { WebhookSender } from '#core/egress/webhook-sender.ts';
import { loadEnvironment } from '#core/environment.ts';
import { platformEventEntry } from '#core/events/platform-events.ts';
import { createLogger } from '#core/logger.ts';
import { defaults, functions } from '#core/platform.ts';
import type { Subscription } from '#core/subscriptions/subscription.ts';
import { SubscriptionHealthStore } from '#core/subscriptions/subscription-health.ts';
import {
  type DeliveryDecision,
  type DeliveryPorts,
  type DeliverySettings,
  deliver,
  type Lane,
  type Receipt,
} from '../core/deliveries/deliver.ts';

const env = loadEnvironment(functions.delivery.environment);
const logger = createLogger('delivery');
const metrics = new DeliveryMetrics(logger);
const sqs = new SQSClient({});
const eventBridge = new EventBridgeClient({});
const db = documentClient();
const subscriptions = new SubscriptionHealthStore(db, env.TABLE_NAME);
const deliveries = new DeliveryStore(db, env.TABLE_NAME);
const timeoutMs = env.DELIVERY_TIMEOUT_SECONDS * 1000;
const sender = new WebhookSender(targetPolicyOf(env), timeoutMs);

const settings: Omit<DeliverySettings, 'lane'> = {
  attemptReserveMs: defaults.attemptReserveMs,
  schedule: env.RETRY_SCHEDULE,
  mainLaneWaitMs: defaults.mainLaneWaitMs,
  timeoutMs,
  disableAfterMs: env.DISABLE_AFTER_SECONDS * 1000,
  retentionSeconds: env.DELIVERY_RETENTION_DAYS * 86_400,
  successRecords: env.SUCCESS_RECORDS,
};
const laneQueues: Record<Lane, string> = { main: env.DELIVERY_QUEUE_URL, slow: env.SLOW_DELIVERY_QUEUE_URL };
const slowQueueName = env.SLOW_DELIVERY_QUEUE_URL.slice(env.SLOW_DELIVERY_QUEUE_URL.lastIndexOf('/') + 1);

/** The lane a record came from: the queue named at the end of its source's ARN. */
const laneOf = (record: SQSRecord): Lane =>
  record.eventSourceARN.endsWith(`:${slowQueueName}`) ? 'slow' : 'main';

/**
 * What the records of one invocation share: each subscription's read, the changes of its health made so far
 * (a batch of one subscription's failures marks it failing once, not ten times), and the invocation's deadline.
 */
interface Batch {
  readonly read: Map<string, Promise<Subscription | undefined>>;
  readonly marked: Set<string>;
  readonly context: Context;
}

/** The ports of one batch: its records share each subscription's read and health changes. */
function portsFor({ read, marked, context }: Batch): DeliveryPorts {
  const now = () => new Date();
  /** A change of a subscription's health, made once per batch: a batch-mate that asks again is told it was made. */
  const once =
    (change: string, write: (subscription: Subscription) => Promise<boolean>) =>
    (subscription: Subscription): Promise<boolean> => {
      const key = `${change} ${subscription.id}`;
      if (marked.has(key)) return Promise.resolve(false);
      marked.add(key);
      return write(subscription);
    };
  return {
    subscription: (accountId, id) => {
      let subscription = read.get(id);
      if (subscription === undefined) {
        subscription = subscriptions.get(accountId, id);
        read.set(id, subscription);
      }
      return subscription;
    },
    record: (subscriptionId, id) => deliveries.get(subscriptionId, id),
    send: (request, timeoutMs) => sender.send(request, timeoutMs),
    recordAttempts: (write) => deliveries.recordAttempts(write),
    forward: (message, lane, delaySeconds) => {
      const hop = nextHop(message, Date.now() + delaySeconds * 1000, Date.now());
      return sendTo(
        hop.queue === 'lane' ? laneQueues[lane] : env.RETRY_QUEUE_URL,
        hop.message,
        hop.delaySeconds,
      );
    },
    deadLetter: (message, reason) => deadLetter(sqs, env.DELIVERY_DLQ_URL, JSON.stringify(message), reason),
    newToken: () => randomBytes(12).toString('base64url'),
    remainingMs: () => context.getRemainingTimeInMillis(),
    disable: (subscription, reason) =>
      once('disable', (s) => subscriptions.disable(s.accountId, s.id, reason))(subscription),
    markFailing: once('failing', (s) => subscriptions.markFailing(s.accountId, s.id, now())),
    markRecovered: once('recovered', (s) => subscriptions.markRecovered(s.accountId, s.id)),
    markSlow: once('slow', (s) => subscriptions.markSlow(s.accountId, s.id, now())),
    clearSlow: once('fast', (s) => subscriptions.clearSlow(s.accountId, s.id)),
    publish: async (event) => {
      // Best effort: the delivery and its record stand whatever the bus says; a lost event is logged.
      try {
        const result = await eventBridge.send(
          new PutEventsCommand({ Entries: [platformEventEntry(event, env.EVENT_BUS_NAME)] }),
        );
        if ((result.FailedEntryCount ?? 0) > 0)
          throw new Error(result.Entries?.[0]?.ErrorMessage ?? 'refused');
      } catch (error) {
        logger.error('A platform event could not be put on the bus', {
          type: event.type,
          error: error as Error,
        });
      }
    },
    now: Date.now,
  };
}

/** Sends a message to a lane, in its subscription's message group (so fair queues tell tenants apart). */
async function sendTo(queueUrl: string, message: DeliveryMessage, delaySeconds = 0): Promise<void> {
  await sendAll(sqs, queueUrl, [
    {
      body: JSON.stringify(message),
      groupId: message.subscriptionId,
      ...(delaySeconds > 0 ? { delaySeconds } : {}),
    },
  ]);
}

function parseMessage(body: string): DeliveryMessage | undefined {
  try {
    const parsed = z.safeParse(deliveryMessageSchema, JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Counts what a decision says happened: the attempt made (if any), a failed delivery, a move. */
function observe(decision: DeliveryDecision, lane: Lane): void {
  if (decision.outcome !== undefined) {
    const cutOff = decision.kind === 'move';
    metrics.attempt(lane, decision.outcome.latencyMs, attemptErrorKind(decision.outcome, cutOff));
  }
  if (decision.kind === 'failed') metrics.deliveryFailed(lane);
  if (decision.kind === 'move') metrics.movedToSlowLane(lane);
}

/** How SQS handed the record out: its receive count and first receipt. */
function receiptOf(record: SQSRecord): Receipt {
  const count = Number.parseInt(record.attributes.ApproximateReceiveCount, 10);
  const first = Number.parseInt(record.attributes.ApproximateFirstReceiveTimestamp, 10);
  return {
    count: Number.isFinite(count) && count > 0 ? count : 1,
    firstReceivedAt: Number.isFinite(first) ? first : Date.now(),
  };
}

async function processRecord(record: SQSRecord, batch: Batch) {
  const message = parseMessage(record.body);
  if (message === undefined) {
    // Said once SQS took it: a refused send throws, and SQS hands the message back.
    await deadLetter(sqs, env.DELIVERY_DLQ_URL, record.body, 'not a delivery message');
    logger.warn('Invalid delivery message dead-lettered', { messageId: record.messageId });
    return;
  }
  const lane = laneOf(record);
  const receipt = receiptOf(record);
  const context = {
    deliveryId: message.id,
    subscriptionId: message.subscriptionId,
    // The attempt of the retry schedule (a client's retry or recover repeats the last); the API numbers every attempt.
    scheduledAttempt: message.attempt,
    trigger: message.trigger,
    lane,
    receiveCount: receipt.count,
  };
  const decision = await deliver(message, portsFor(batch), { ...settings, lane }, receipt).catch(
    (error: unknown) => {
      logger.error('Delivery could not be completed; SQS hands it back after its visibility timeout', {
        ...context,
        error: error as Error,
      });
      throw error;
    },
  );

  observe(decision, lane);
  switch (decision.kind) {
    case 'done':
      logger.info(decision.summary.startsWith('delivered') ? 'Webhook delivered' : 'Delivery done', {
        ...context,
        summary: decision.summary,
        outcome: decision.outcome,
      });
      return;
    case 'move':
      logger.info('Delivery moved to the slow lane', { ...context, reason: decision.reason });
      return;
    case 'retry':
      logger.info('Delivery attempt failed; retry scheduled', {
        ...context,
        delaySeconds: decision.delaySeconds,
        outcome: decision.outcome,
      });
      return;
    case 'failed':
      logger.warn('Delivery failed for good', {
        ...context,
        reason: decision.reason,
        outcome: decision.outcome,
      });
      return;
  }
}

const consume = sqsConsumer(
  processRecord,
  (context): Batch => ({ read: new Map(), marked: new Set(), context }),
);

/**
 * SQS consumer of both delivery lanes (the function is deployed twice, with the lanes' timeouts; a record's
 * queue tells its lane). Each attempt is recorded; a retry is a new message, delayed
 * for its wait (through the retry queue for waits over 15 minutes), so waiting retries are never in flight and
 * a throttled or crashed invocation uses up no attempt: the message comes back with the same attempt number
 * and makes it again (see {@link deliver} for what keeps that safe at every crash point).
 * After each batch its metrics go out (embedded metric format, one flush per invocation; none when nothing was
 * attempted).
 */
export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  try {
    return await consume(event, context);
  } finally {
    metrics.publish();
  }
};
