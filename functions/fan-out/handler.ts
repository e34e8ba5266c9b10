import { randomUUID } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { BatchGathering } from '#core/aws/batch-gathering.ts';
import { enqueueDeliveries } from '#core/aws/delivery-queues.ts';
import { documentClient } from '#core/aws/dynamodb.ts';
import { deadLetter } from '#core/aws/queues.ts';
import { sqsConsumer } from '#core/aws/sqs-consumer.ts';
import type { DeliveryMessage } from '#core/deliveries/delivery-message.ts';
import { DeliveryStore } from '#core/deliveries/delivery-store.ts';
import { EventStore, EventTooLargeToKeepError } from '#core/deliveries/event-store.ts';
import { loadEnvironment } from '#core/environment.ts';
import { createLogger } from '#core/logger.ts';
import { functions } from '#core/platform.ts';
import type { SubscriptionRouting } from '#core/subscriptions/subscription.ts';
import { SubscriptionRoutingStore } from '#core/subscriptions/subscription-routing.ts';
import { type FanOutPorts, fanOut, InvalidEventError, parseBusEvent } from '../core/deliveries/fan-out.ts';

const env = loadEnvironment(functions.fanOut.environment);
const logger = createLogger('fan-out');
const sqs = new SQSClient({});
const db = documentClient();
const subscriptions = new SubscriptionRoutingStore(db, env.TABLE_NAME);
const events = new EventStore(db, env.TABLE_NAME);
const deliveries = new DeliveryStore(db, env.TABLE_NAME);
const retentionSeconds = env.DELIVERY_RETENTION_DAYS * 86_400;
const expiry = () => Math.floor(Date.now() / 1000) + retentionSeconds;

/** Keeps the event the first time, claimed by the fan-out batch `fanOutBatch` (whose marker will name it). */
const claimEvent = (event: Parameters<FanOutPorts['claimEvent']>[0], fanOutBatch: string) =>
  events.claim({ ...event, fanOutBatch, expiresAt: expiry() }).catch((error: unknown) => {
    // A body that no item can keep could never be retried or recovered: the event is poison, with its reason.
    if (error instanceof EventTooLargeToKeepError) throw new InvalidEventError(error.message);
    throw error;
  });

const ports: Omit<FanOutPorts, 'claimEvent' | 'enqueueDeliveries' | 'markFannedOut'> = {
  subscriptionsOf: (accountId) => subscriptions.listRouting(accountId),
  now: Date.now,
  filterFailed: (subscription: SubscriptionRouting, error: Error) =>
    logger.error('Content filter could not be evaluated; subscription left out', {
      subscriptionId: subscription.id,
      error,
    }),
  recordPending: (message: DeliveryMessage) => {
    const now = new Date().toISOString();
    return deliveries.createPending({
      id: message.id,
      accountId: message.accountId,
      subscriptionId: message.subscriptionId,
      eventId: message.eventId,
      eventType: message.eventType,
      createdAt: now,
      updatedAt: now,
      expiresAt: expiry(),
    });
  },
};

/**
 * Moves an event fan-out can never process to the fan-out DLQ, with the reason. Said only once SQS took it: a
 * refused send throws, so SQS hands the event back (and redrives it to the DLQ after its receive count).
 */
async function deadLetterInvalid(record: SQSRecord, invalid: InvalidEventError): Promise<void> {
  try {
    await deadLetter(sqs, env.FAN_OUT_DLQ_URL, record.body, invalid.message);
  } catch (error) {
    logger.error(
      'Invalid event could not be dead-lettered; SQS will hand it back after its visibility timeout',
      {
        messageId: record.messageId,
        reason: invalid.message,
        error: error as Error,
      },
    );
    throw error;
  }
  logger.warn('Invalid event dead-lettered', { messageId: record.messageId, reason: invalid.message });
}

/**
 * What the records of one fan-out invocation share: the deliveries of all its events, queued together (a
 * subscription's travel in packs), and one marker for the events whose every delivery is queued.
 */
interface FanOutBatch {
  readonly id: string;
  readonly deliveries: BatchGathering<DeliveryMessage>;
  readonly fannedOut: BatchGathering<string>;
  /** The events claimed by a record of this batch so far: a twin in the same batch is a repeat. */
  readonly claimed: Set<string>;
}

const newFanOutBatch = (_context: unknown, batch: SQSEvent): FanOutBatch => {
  const id = randomUUID();
  const urls = { main: env.DELIVERY_QUEUE_URL, ordered: env.ORDERED_DELIVERY_QUEUE_URL };
  return {
    id,
    deliveries: new BatchGathering(batch.Records.length, (messages) =>
      enqueueDeliveries(sqs, urls, messages),
    ),
    fannedOut: new BatchGathering(batch.Records.length, (eventIds) =>
      events.markFannedOut(id, eventIds, expiry()),
    ),
    claimed: new Set(),
  };
};

async function processRecord(record: SQSRecord, batch: FanOutBatch): Promise<void> {
  let event: ReturnType<typeof parseBusEvent>;
  let queued: Awaited<ReturnType<typeof fanOut>>;
  // Whether the event was fanned out before (a batch retried after a timeout, a twin): fanOut queues nothing
  // for it, which must not read as an event that matched no subscription.
  let repeat = false;
  // The platform's id of the event, as fanOut derived it (hashing its whole detail) and claimed it.
  let eventId = '';
  const deliveries = batch.deliveries.place();
  const fannedOut = batch.fannedOut.place();
  try {
    event = parseBusEvent(record.body);
    queued = await fanOut(event, {
      ...ports,
      claimEvent: async (claimed) => {
        eventId = claimed.eventId;
        // The same event twice in one batch (a publisher's retry, the bus's at-least-once): the first record
        // carries it, and SQS hands that one back if it fails; the twin is a repeat, whose deliveries would
        // otherwise share a pack with the first's and go out twice.
        if (batch.claimed.has(claimed.eventId)) {
          repeat = true;
          return { fannedOutAt: claimed.fannedOutAt, done: true };
        }
        batch.claimed.add(claimed.eventId);
        const claim = await claimEvent(claimed, batch.id);
        repeat = claim.done;
        return claim;
      },
      enqueueDeliveries: deliveries.add,
      markFannedOut: (eventId) => {
        // Past its deliveries' queueing (an event for no subscription queues none): the others need not wait.
        deliveries.leave();
        return fannedOut.add([eventId]);
      },
    });
  } catch (error) {
    if (error instanceof InvalidEventError) {
      await deadLetterInvalid(record, error);
      return;
    }
    logger.error('Fan-out failed; SQS will hand the event back after its visibility timeout', {
      messageId: record.messageId,
      error: error as Error,
    });
    throw error;
  } finally {
    deliveries.leave();
    fannedOut.leave();
  }
  logger.info(repeat ? 'Event already fanned out' : 'Event fanned out', {
    // The platform's id (`evt_…`, as GET /v1/events/{id} takes it), and EventBridge's for tracing the bus.
    eventId,
    busEventId: event.id,
    type: event['detail-type'],
    accountId: event.detail.account_id,
    ...(repeat ? { repeat: true } : { deliveries: queued.length }),
  });
}

/**
 * SQS consumer of the fan-out queue: the batch's events are fanned out side by side and their deliveries queued
 * together; a record that fails is handed back alone, but a failed send of the gathered deliveries (or of the
 * batch's marker) hands back every record that added to it.
 */
export const handler = sqsConsumer(processRecord, newFanOutBatch);
