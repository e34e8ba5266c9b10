import { testEventType } from '../platform.ts';
import { type SubscriptionRouting, selectsEventType } from '../subscriptions/subscription.ts';
import { deliveryIdOf } from './delivery-id.ts';
import type { DeliveryRecord } from './delivery-record.ts';
import type { StoredEvent } from './event-store.ts';

/** What reading one event of the log needs from the world. */
export interface EventLogPorts {
  /** The kept event (undefined when unknown or expired). */
  readonly event: (eventId: string) => Promise<StoredEvent | undefined>;
  /** The account's current subscriptions: their ids and the event types they select. */
  readonly subscriptions: (
    accountId: string,
  ) => Promise<readonly Pick<SubscriptionRouting, 'id' | 'events'>[]>;
  /** The records of these deliveries that exist. */
  readonly records: (
    deliveries: readonly { subscriptionId: string; id: string }[],
  ) => Promise<readonly DeliveryRecord[]>;
}

/** An event of the log with its deliveries, newest subscription first. */
export interface LoggedEvent {
  readonly event: StoredEvent;
  readonly deliveries: readonly DeliveryRecord[];
}

/**
 * One of the account's events with its deliveries, or undefined for an unknown or expired event or another
 * account's (the caller cannot tell these apart). A delivery's id follows from the event and the subscription
 * (`deliveryIdOf`), so its record is read by key, with no index of deliveries by event: the account's current
 * subscriptions that select the event's type (a test event: the one it was sent to) give the candidates, and
 * those with a record are the event's deliveries. So a deleted subscription's deliveries are not shown, nor one
 * whose subscription no longer selects the type, nor a first-attempt success that was not sampled for a record
 * (`SUCCESS_RECORDS` below 1).
 */
export async function eventWithDeliveries(
  accountId: string,
  eventId: string,
  ports: EventLogPorts,
): Promise<LoggedEvent | undefined> {
  const event = await ports.event(eventId);
  if (event === undefined || event.accountId !== accountId) return undefined;
  const time = new Date(event.fannedOutAt).toISOString();
  const receives = receiverOf(event);
  const candidates = (await ports.subscriptions(accountId))
    .filter(receives)
    .map(({ id: subscriptionId }) => ({
      subscriptionId,
      id: deliveryIdOf({ id: event.eventId, time }, subscriptionId),
    }));
  const records = candidates.length === 0 ? [] : await ports.records(candidates);
  return {
    event,
    deliveries: [...records].sort((a, b) => b.subscriptionId.localeCompare(a.subscriptionId)),
  };
}

/**
 * Which subscriptions may have a delivery of the event: those selecting its type, as fan-out chose them (their
 * content filters are left to the lookup: a record exists or not). A test event goes to the one subscription its
 * body names (`data.webhook_id`, as send-test-event.ts writes it); a body that does not say leaves every one.
 */
function receiverOf(
  event: StoredEvent,
): (subscription: Pick<SubscriptionRouting, 'id' | 'events'>) => boolean {
  if (event.eventType !== testEventType)
    return (subscription) => selectsEventType(subscription, event.eventType);
  const target = testEventTarget(event.body);
  return target === undefined ? () => true : (subscription) => subscription.id === target;
}

/** The subscription a test event's body names, if it names one. */
function testEventTarget(body: string): string | undefined {
  try {
    const target = (JSON.parse(body) as { data?: { webhook_id?: unknown } }).data?.webhook_id;
    return typeof target === 'string' ? target : undefined;
  } catch {
    return undefined;
  }
}
