import { deliveryIdOf } from './delivery-id.ts';
import type { DeliveryRecord } from './delivery-record.ts';
import type { StoredEvent } from './event-store.ts';

/** What reading one event of the log needs from the world. */
export interface EventLogPorts {
  /** The kept event (undefined when unknown or expired). */
  readonly event: (eventId: string) => Promise<StoredEvent | undefined>;
  /** The ids of the account's current subscriptions. */
  readonly subscriptionIds: (accountId: string) => Promise<readonly string[]>;
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
 * subscriptions give the candidates, and those with a record are the event's deliveries. So a deleted
 * subscription's deliveries are not shown, nor is a first-attempt success that was not sampled for a record
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
  const candidates = (await ports.subscriptionIds(accountId)).map((subscriptionId) => ({
    subscriptionId,
    id: deliveryIdOf({ id: event.eventId, time }, subscriptionId),
  }));
  const records = candidates.length === 0 ? [] : await ports.records(candidates);
  return {
    event,
    deliveries: [...records].sort((a, b) => b.subscriptionId.localeCompare(a.subscriptionId)),
  };
}
