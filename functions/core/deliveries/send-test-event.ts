import { eventIdOf } from '../events/envelope.ts';
import { platformEventSource, testEventType } from '../platform.ts';
import type { Subscription } from '../subscriptions/subscription.ts';
import {
  SubscriptionInactiveError,
  SubscriptionNotFoundError,
} from '../subscriptions/subscription-errors.ts';
import { deliveryIdOf } from './delivery-id.ts';

/**
 * A test event as fan-out reads it from its queue: shaped as EventBridge delivers bus events, from the
 * platform's own source, naming the one subscription it is for.
 */
export interface TestBusEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': typeof testEventType;
  readonly source: typeof platformEventSource;
  readonly time: string;
  readonly resources: readonly string[];
  readonly detail: {
    readonly account_id: string;
    readonly id: string;
    readonly occurred_at: string;
    readonly subscription_id: string;
    readonly data: { readonly webhook_id: string; readonly message: string };
  };
}

/** What sending a test event needs from the world. */
export interface SendTestEventPorts {
  readonly get: (accountId: string, id: string) => Promise<Subscription | undefined>;
  /** Puts the event where fan-out picks it up. */
  readonly enqueue: (event: TestBusEvent) => Promise<void>;
  readonly newEventId: () => string;
  readonly now: () => Date;
}

/**
 * Sends a `webhook.test` event to one active subscription through the real fan-out and delivery path, and
 * answers with the id its delivery will have (its `webhook-id`).
 */
export async function sendTestEvent(
  accountId: string,
  id: string,
  ports: SendTestEventPorts,
): Promise<{ eventId: string; deliveryId: string }> {
  const subscription = await ports.get(accountId, id);
  if (subscription === undefined) throw new SubscriptionNotFoundError(id);
  if (subscription.status !== 'active') throw new SubscriptionInactiveError(id, subscription.status);
  const now = ports.now().toISOString();
  const event: TestBusEvent = {
    version: '0',
    id: ports.newEventId(),
    'detail-type': testEventType,
    source: platformEventSource,
    time: now,
    resources: [],
    detail: {
      account_id: accountId,
      id: subscription.id,
      occurred_at: now,
      subscription_id: subscription.id,
      data: { webhook_id: subscription.id, message: `A test event for ${subscription.name}` },
    },
  };
  await ports.enqueue(event);
  // The ids fan-out gives every event: from its content, and the time it is fanned out (the test's own).
  const eventId = eventIdOf(event);
  return { eventId, deliveryId: deliveryIdOf({ id: eventId, time: now }, subscription.id) };
}
