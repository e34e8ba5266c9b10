import type { Subscription } from '../subscriptions/subscription.ts';
import {
  SubscriptionInactiveError,
  SubscriptionNotFoundError,
} from '../subscriptions/subscription-errors.ts';
import { eventTimeOfDelivery, subscriptionOfDelivery } from './delivery-id.ts';
import type { AttemptTrigger, DeliveryMessage } from './delivery-message.ts';
import type { DeliveryRecord } from './delivery-record.ts';
import type { StoredEvent } from './event-store.ts';
import { type EventOrder, placeOf, type ResourcePosition, supersedes } from './resource-order.ts';

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

/**
 * Sending a delivery of an ordered subscription again would reorder its resource's deliveries: a newer event of
 * the resource (or another at the same place) was delivered to the subscription first.
 */
export class WouldReorderError extends Error {
  override name = 'WouldReorderError';
  constructor(message: string) {
    super(message);
  }

  /** The refusal of one delivery: what was delivered instead, in words. */
  static of(
    deliveryId: string,
    resource: string,
    newer: { readonly eventId?: string; readonly samePlace?: boolean },
  ): WouldReorderError {
    const which = newer.samePlace
      ? `Another event of resource ${resource} with the same occurred_at and sequence`
      : `A newer event of resource ${resource}`;
    return new WouldReorderError(
      `${which}${newer.eventId === undefined ? '' : ` (${newer.eventId})`} was delivered to this subscription; ` +
        `sending delivery ${deliveryId} now would reorder its deliveries`,
    );
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
  /** Where an ordered subscription's resource stands: the newest event of it delivered, if any. */
  readonly position: (subscriptionId: string, resource: string) => Promise<ResourcePosition | undefined>;
  /**
   * Queues attempts at once: those with `order` on the ordered lane in their resource's group (in the order
   * given), de-duplicated there by `deduplicationIdOf`; the others on the main lane.
   */
  readonly enqueue: (
    messages: readonly DeliveryMessage[],
    deduplicationIdOf: (message: DeliveryMessage) => string,
  ) => Promise<void>;
  readonly now: () => Date;
}

/** At most this many deliveries are recovered by one call; the answer says where to go on. */
export const recoverLimit = 1000;

async function activeSubscription(accountId: string, id: string, ports: ResendPorts): Promise<Subscription> {
  const subscription = await ports.subscription(accountId, id);
  if (subscription === undefined) throw new SubscriptionNotFoundError(id);
  if (subscription.status !== 'active') throw new SubscriptionInactiveError(id, subscription.status);
  return subscription;
}

/**
 * The event's place in its resource's order when the subscription orders its deliveries per resource: then it
 * goes to the ordered lane and is checked against its resource's position first. Undefined for an unordered
 * subscription, and for events without a place (test events, events kept before ordering existed).
 */
function orderOf(subscription: Subscription, event: StoredEvent): EventOrder | undefined {
  return subscription.ordering === 'resource' ? event.order : undefined;
}

function attemptOf(
  record: DeliveryRecord,
  event: StoredEvent,
  trigger: AttemptTrigger,
  order: EventOrder | undefined,
): DeliveryMessage {
  return {
    id: record.id,
    accountId: record.accountId,
    subscriptionId: record.subscriptionId,
    eventId: record.eventId,
    eventType: record.eventType,
    body: event.body,
    attempt: Math.max(1, record.scheduledAttempt),
    trigger,
    ...(order === undefined ? {} : { order }),
  };
}

/**
 * Why sending a delivery again would reorder its resource's deliveries, or undefined when it would not: it was
 * superseded already, or a newer event of its resource (or another at its place) was delivered.
 */
function reorderingOf(
  record: DeliveryRecord,
  order: EventOrder,
  position: ResourcePosition | undefined,
): WouldReorderError | undefined {
  if (position !== undefined && supersedes(position, order, record.eventId)) {
    const place = placeOf(order);
    const samePlace = position.occurredAtMs === place.occurredAtMs && position.sequence === place.sequence;
    return WouldReorderError.of(record.id, order.resource, { eventId: position.eventId, samePlace });
  }
  if (record.status === 'superseded') {
    return WouldReorderError.of(record.id, order.resource, {
      ...(record.supersededBy === undefined ? {} : { eventId: record.supersededBy }),
    });
  }
  return undefined;
}

/**
 * The ordered lane's de-duplication id of a client's retry or recovery: its own per request (the delivery, the
 * trigger and the request's time), so that it is not taken for the delivery's first message (whose id is the
 * delivery's) or an earlier request's, while the SDK's own retries of one send stay de-duplicated. Two requests
 * for the same delivery in the same millisecond ask the same thing, and queue one attempt.
 */
function requestDeduplication(at: Date): (message: DeliveryMessage) => string {
  return (message) => `${message.id}.${message.trigger}.${at.getTime()}`;
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
 * followed by scheduled retries. Its subscription must be active. For a subscription ordered per resource the
 * attempt goes to the ordered lane, behind its resource's queued deliveries, and is refused with
 * {@link WouldReorderError} when a newer event of the resource was delivered (or it was superseded).
 */
export async function retryDelivery(
  accountId: string,
  id: string,
  ports: ResendPorts,
): Promise<DeliveryRecord> {
  const record = await findDelivery(accountId, id, ports.record);
  const subscription = await activeSubscription(accountId, record.subscriptionId, ports);
  const [event] = await ports.events([record.eventId]);
  if (event === undefined) throw new EventExpiredError(id);
  const order = orderOf(subscription, event);
  if (order !== undefined) {
    const refusal = reorderingOf(record, order, await ports.position(subscription.id, order.resource));
    if (refusal !== undefined) throw refusal;
  }
  await ports.enqueue([attemptOf(record, event, 'manual', order)], requestDeduplication(ports.now()));
  return record;
}

/** How a recovery went: how many deliveries were queued again, and whether the window is done. */
export interface Recovery {
  readonly recovered: number;
  /** Deliveries whose events are no longer kept. */
  readonly expired: number;
  /**
   * Deliveries of an ordered subscription not queued because a newer event of their resource was delivered
   * (sending them would reorder its deliveries).
   */
  readonly superseded: number;
  /** Undefined when every failed delivery of the window was queued; else where the next call starts. */
  readonly continueSince?: Date;
}

/**
 * The message that resumes a stuck pending delivery where its schedule stopped: its next scheduled attempt,
 * under the turn token its record names, so it carries the delivery on as the lost message would have.
 */
function resumeOf(record: DeliveryRecord, event: StoredEvent): DeliveryMessage {
  return {
    ...attemptOf(record, event, record.scheduledAttempt === 0 ? 'event' : 'retry', undefined),
    attempt: record.scheduledAttempt + 1,
    ...(record.liveToken === undefined ? {} : { token: record.liveToken }),
  };
}

/**
 * Queues one more attempt of every failed delivery of a subscription whose event happened from `since` to
 * `until`, oldest first, at most {@link recoverLimit} per call; a pending delivery that is stuck (nothing carries
 * it on, see `stuckAfterMs`) resumes its schedule instead. For a subscription ordered per resource, a delivery
 * whose resource has had a newer event delivered is not queued (counted as `superseded`), the others go to the
 * ordered lane in their resources' order; when every delivery found was refused so, none is queued and the call
 * is refused with {@link WouldReorderError}.
 */
export async function recoverDeliveries(
  accountId: string,
  subscriptionId: string,
  since: Date,
  until: Date,
  ports: ResendPorts,
): Promise<Recovery> {
  const subscription = await activeSubscription(accountId, subscriptionId, ports);
  const requestedAt = ports.now();
  const found = await ports.recoverableBetween(subscriptionId, since, until, recoverLimit + 1);
  const batch = found.slice(0, recoverLimit);
  const events = new Map(
    (await ports.events(batch.map((record) => record.eventId))).map((e) => [e.eventId, e]),
  );
  // The positions of the resources of the failed deliveries that would go to the ordered lane, read at once.
  const resources = new Set(
    batch.flatMap((record) => {
      const event = events.get(record.eventId);
      const order = event === undefined ? undefined : orderOf(subscription, event);
      return order === undefined || record.status === 'pending' ? [] : [order.resource];
    }),
  );
  const positions = new Map(
    await Promise.all(
      [...resources].map(
        async (resource) => [resource, await ports.position(subscriptionId, resource)] as const,
      ),
    ),
  );
  let expired = 0;
  let superseded = 0;
  const unordered: DeliveryMessage[] = [];
  const ordered: { readonly message: DeliveryMessage; readonly order: EventOrder }[] = [];
  for (const record of batch) {
    const event = events.get(record.eventId);
    if (event === undefined) {
      expired++;
      continue;
    }
    const order = orderOf(subscription, event);
    if (order === undefined) {
      unordered.push(
        record.status === 'pending'
          ? resumeOf(record, event)
          : attemptOf(record, event, 'recover', undefined),
      );
      continue;
    }
    // A stuck pending delivery of an ordered subscription is left to the ordered lane: its message stays the
    // same message for the whole delivery (its waits are visibility timeouts, not new messages), so it is still
    // in its resource's group, and may simply wait behind an older event's retries for hours. A second message
    // would join the group behind newer events and could only be superseded or sent twice. Only a message that
    // was dead-lettered (the platform's fault, not the endpoint's) is gone: the DLQ's redrive brings it back.
    if (record.status === 'pending') continue;
    if (reorderingOf(record, order, positions.get(order.resource)) !== undefined) {
      superseded++;
      continue;
    }
    ordered.push({ message: attemptOf(record, event, 'recover', order), order });
  }
  // Delivery ids sort by when the bus took each event; a resource's order is by occurred_at and sequence,
  // which its FIFO group keeps in the order the messages are given.
  ordered.sort((a, b) => {
    const [first, second] = [placeOf(a.order), placeOf(b.order)];
    return first.occurredAtMs - second.occurredAtMs || first.sequence - second.sequence;
  });
  const messages = [...unordered, ...ordered.map((entry) => entry.message)];
  const next = found[recoverLimit];
  if (messages.length === 0 && superseded > 0 && expired === 0 && next === undefined) {
    const which =
      superseded === 1
        ? 'The failed delivery in this window is'
        : `Each of the ${superseded} failed deliveries in this window is`;
    throw new WouldReorderError(
      `${which} of a resource whose newer event was delivered to this subscription since; sending ` +
        `${superseded === 1 ? 'it' : 'them'} now would reorder its deliveries, so nothing was queued`,
    );
  }
  if (messages.length > 0) await ports.enqueue(messages, requestDeduplication(requestedAt));
  return {
    recovered: messages.length,
    expired,
    superseded,
    ...(next === undefined
      ? {}
      : { continueSince: new Date(eventTimeOfDelivery(next.id) ?? since.getTime()) }),
  };
}
