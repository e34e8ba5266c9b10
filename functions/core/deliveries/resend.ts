import type { Subscription } from '../subscriptions/subscription.ts';
import {
  SubscriptionInactiveError,
  SubscriptionNotFoundError,
} from '../subscriptions/subscription-errors.ts';
import { eventTimeOfDelivery, subscriptionOfDelivery } from './delivery-id.ts';
import type { AttemptTrigger, DeliveryMessage } from './delivery-message.ts';
import type { DeliveryRecord } from './delivery-record.ts';
import type { StoredEvent } from './event-store.ts';

/** No delivery with that id in the caller's account (or its record expired). */
export class DeliveryNotFoundError extends Error {
  override name = 'DeliveryNotFoundError';
  constructor(readonly id: string) {
    super(`No delivery ${id}`);
  }
}

/** The event a delivery carried is no longer kept, so it cannot be sent again. */
export class EventExpiredError extends Error {
  override name = 'EventExpiredError';
  constructor(readonly deliveryId: string) {
    super(`The event of delivery ${deliveryId} is no longer kept, so it cannot be sent again`);
  }
}

/** What sending deliveries again needs from the world. */
export interface ResendPorts {
  readonly subscription: (accountId: string, id: string) => Promise<Subscription | undefined>;
  readonly record: (subscriptionId: string, deliveryId: string) => Promise<DeliveryRecord | undefined>;
  /** Failed deliveries, and pending ones stuck (no message carries them on), oldest first. */
  readonly recoverableBetween: (
    subscriptionId: string,
    since: Date,
    until: Date,
    limit: number,
  ) => Promise<readonly DeliveryRecord[]>;
  readonly events: (eventIds: readonly string[]) => Promise<readonly StoredEvent[]>;
  /** Queues attempts on the main lane, at once. */
  readonly enqueue: (messages: readonly DeliveryMessage[]) => Promise<void>;
}

/** At most this many deliveries are recovered by one call; the answer says where to go on. */
export const recoverLimit = 1000;

async function activeSubscription(accountId: string, id: string, ports: ResendPorts): Promise<Subscription> {
  const subscription = await ports.subscription(accountId, id);
  if (subscription === undefined) throw new SubscriptionNotFoundError(id);
  if (subscription.status !== 'active') throw new SubscriptionInactiveError(id, subscription.status);
  return subscription;
}

function attemptOf(record: DeliveryRecord, event: StoredEvent, trigger: AttemptTrigger): DeliveryMessage {
  return {
    id: record.id,
    accountId: record.accountId,
    subscriptionId: record.subscriptionId,
    eventId: record.eventId,
    eventType: record.eventType,
    body: event.body,
    attempt: Math.max(1, record.scheduledAttempt),
    trigger,
  };
}

/** A delivery of the caller's account, found by its id alone (the id names its subscription). */
export async function findDelivery(
  accountId: string,
  id: string,
  record: ResendPorts['record'],
): Promise<DeliveryRecord> {
  const subscriptionId = subscriptionOfDelivery(id);
  const found = subscriptionId === undefined ? undefined : await record(subscriptionId, id);
  if (found === undefined || found.accountId !== accountId) throw new DeliveryNotFoundError(id);
  return found;
}

/**
 * Queues one more attempt of a delivery, now, whatever its status: recorded as a manual attempt, never
 * followed by scheduled retries. Its subscription must be active.
 */
export async function retryDelivery(
  accountId: string,
  id: string,
  ports: ResendPorts,
): Promise<DeliveryRecord> {
  const record = await findDelivery(accountId, id, ports.record);
  await activeSubscription(accountId, record.subscriptionId, ports);
  const [event] = await ports.events([record.eventId]);
  if (event === undefined) throw new EventExpiredError(id);
  await ports.enqueue([attemptOf(record, event, 'manual')]);
  return record;
}

/** How a recovery went: how many deliveries were queued again, and whether the window is done. */
export interface Recovery {
  readonly recovered: number;
  /** Deliveries whose events are no longer kept. */
  readonly expired: number;
  /** Undefined when every failed delivery of the window was queued; else where the next call starts. */
  readonly continueSince?: Date;
}

/**
 * The message that resumes a stuck pending delivery where its schedule stopped: its next scheduled attempt,
 * under the turn token its record names, so it carries the delivery on as the lost message would have.
 */
function resumeOf(record: DeliveryRecord, event: StoredEvent): DeliveryMessage {
  return {
    ...attemptOf(record, event, record.scheduledAttempt === 0 ? 'event' : 'retry'),
    attempt: record.scheduledAttempt + 1,
    ...(record.liveToken === undefined ? {} : { token: record.liveToken }),
  };
}

/**
 * Queues one more attempt of every failed delivery of a subscription whose event happened from `since` to
 * `until`, oldest first, at most {@link recoverLimit} per call; a pending delivery that is stuck (nothing carries
 * it on, see `stuckAfterMs`) resumes its schedule instead.
 */
export async function recoverDeliveries(
  accountId: string,
  subscriptionId: string,
  since: Date,
  until: Date,
  ports: ResendPorts,
): Promise<Recovery> {
  await activeSubscription(accountId, subscriptionId, ports);
  const failed = await ports.recoverableBetween(subscriptionId, since, until, recoverLimit + 1);
  const batch = failed.slice(0, recoverLimit);
  const events = new Map(
    (await ports.events(batch.map((record) => record.eventId))).map((e) => [e.eventId, e]),
  );
  const messages = batch.flatMap((record) => {
    const event = events.get(record.eventId);
    if (event === undefined) return [];
    return [record.status === 'pending' ? resumeOf(record, event) : attemptOf(record, event, 'recover')];
  });
  if (messages.length > 0) await ports.enqueue(messages);
  const next = failed[recoverLimit];
  return {
    recovered: messages.length,
    expired: batch.length - messages.length,
    ...(next === undefined
      ? {}
      : { continueSince: new Date(eventTimeOfDelivery(next.id) ?? since.getTime()) }),
  };
}
