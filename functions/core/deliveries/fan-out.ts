import * as z from 'zod/mini';
import { deliveryIdOf } from '#core/deliveries/delivery-id.ts';
import type { DeliveryMessage } from '#core/deliveries/delivery-message.ts';
import { type BusEvent, busEventSchema, isEventType } from '#core/events/catalog.ts';
import { envelopeOf, eventIdOf } from '#core/events/envelope.ts';
import { eventDataProblems } from '#core/events/event-types.ts';
import { fieldErrors } from '#core/field-errors.ts';
import { nestsDeeperThan } from '#core/json-depth.ts';
import { platformEventSource, testEventType } from '#core/platform.ts';
import { passesContentFilter } from '#core/subscriptions/content-filter.ts';
import { type SubscriptionRouting, selectsEventType } from '#core/subscriptions/subscription.ts';
import { type EventOrder, resourceOfEvent } from './resource-order.ts';

/** The largest SQS message (1 MiB, since 2025), which carries a delivery with its webhook body. */
export const maxQueueMessageBytes = 1024 * 1024;

/**
 * The most a webhook body may take in its delivery's message, written as a JSON string (quotes and controls
 * escaped): an SQS message, less what the delivery's bookkeeping takes beside it (ids, the attempt, a turn, a
 * token, and a dead-letter copy's reason, at most 1 KB). EventBridge takes events up to 1 MB, so about as large
 * a webhook body goes out; the event's kept copy is compressed (event-store.ts).
 */
export const maxWebhookBodyBytes = maxQueueMessageBytes - 4 * 1024;

/**
 * How deeply a bus event may nest: far beyond any real resource, far below what overflows the stack of the
 * parser, the schemas and the pattern matcher (an event nested deeper is poison, not a passing failure).
 */
export const maxEventDepth = 100;

/** A bus event that can never be fanned out: not JSON, not an event, or a type outside the catalog. */
export class InvalidEventError extends Error {
  override name = 'InvalidEventError';
}

/** A test event (`POST /v1/webhooks/{id}/test`): from the platform itself, for one subscription. */
const testEventSchema = z.object({
  source: z.literal(platformEventSource),
  'detail-type': z.literal(testEventType),
  detail: z.object({ subscription_id: z.string().check(z.minLength(1)) }),
});

/** A bus event to fan out; a test event names the one subscription it is for. */
export type FanOutEvent = BusEvent & { readonly forSubscription?: string };

const describeErrors = (errors: readonly { field: string; message: string }[]) =>
  errors.map((error) => `${error.field}: ${error.message}`).join('; ');

/**
 * Reads a fan-out queue message (an EventBridge event as a rule delivers it, or a test event the API sent)
 * or says why it cannot: not JSON, not an event, a type outside the catalog, or data that does not fit its
 * type's schema.
 */
export function parseBusEvent(body: string): FanOutEvent {
  if (nestsDeeperThan(body, maxEventDepth)) {
    throw new InvalidEventError(`body nests arrays and objects deeper than ${maxEventDepth} levels`);
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidEventError('body is not JSON');
  }
  const result = z.safeParse(busEventSchema, json);
  if (!result.success) throw new InvalidEventError(describeErrors(fieldErrors(result.error, json)));
  const event = result.data;
  const test = z.safeParse(testEventSchema, json);
  const type = event['detail-type'];
  if (!test.success && !isEventType(type)) {
    throw new InvalidEventError(`detail-type: ${type} is not in the event catalog`);
  }
  const problems = eventDataProblems(type, event.detail).map((error) => ({
    ...error,
    field: `detail.${error.field}`,
  }));
  if (problems.length > 0) throw new InvalidEventError(describeErrors(problems));
  return test.success ? { ...event, forSubscription: test.data.detail.subscription_id } : event;
}

/** What fan-out needs from the world. */
export interface FanOutPorts {
  readonly subscriptionsOf: (accountId: string) => Promise<readonly SubscriptionRouting[]>;
  /**
   * Keeps the event's webhook body (for retries and recovery) the first time, and answers when fan-out first
   * took it, whether that fan-out completed (then this is a repeat, to be dropped), and whether one took it
   * before (`again`: one that stopped half-way may have queued some of its deliveries).
   */
  readonly claimEvent: (event: {
    eventId: string;
    accountId: string;
    eventType: string;
    body: string;
    fannedOutAt: number;
    /** The publisher's resource id, which the events log filters by (none for a test event). */
    resourceId?: string;
    /** When it happened, as the publisher said. */
    occurredAt: string;
    /** Its place in its resource's order (none for a test event). */
    order?: EventOrder;
  }) => Promise<{ fannedOutAt: number; done: boolean; again?: boolean }>;
  readonly enqueueDeliveries: (messages: readonly DeliveryMessage[]) => Promise<void>;
  /** Notes that every delivery of the event is queued. */
  readonly markFannedOut: (eventId: string) => Promise<void>;
  /** A test event's delivery is on record from the start, so its sender can look it up at once. */
  readonly recordPending: (message: DeliveryMessage) => Promise<void>;
  /** Told about a stored content filter the matcher cannot evaluate; that subscription is left out. */
  readonly filterFailed: (subscription: SubscriptionRouting, error: Error) => void;
  readonly now: () => number;
}

/**
 * One delivery per subscription of the event's account that is active, selects the event type and whose
 * content filter (if any) the webhook body passes; a test event goes to its one subscription, if active. The
 * delivery id depends only on the event and the subscription, so fanning the same event out again (after a
 * partial failure) gives receivers the same `webhook-id` to de-duplicate on, and an event seen before (a
 * duplicate from the bus) is dropped. A filter that cannot be evaluated excludes its own subscription only.
 * A subscription with `ordering: "resource"` gets the event with its place in its resource's order, so its
 * delivery goes to the ordered lane (a test event is never ordered: it belongs to no resource).
 * Throws {@link InvalidEventError} for an event whose webhook body is too large to deliver.
 */
export async function fanOut(event: FanOutEvent, ports: FanOutPorts): Promise<readonly DeliveryMessage[]> {
  const type = event['detail-type'];
  const envelope = envelopeOf(event);
  const body = JSON.stringify(envelope);
  // As its delivery's message carries it: a JSON string, its quotes and controls escaped.
  const bodyBytes = Buffer.byteLength(JSON.stringify(body));
  if (bodyBytes > maxWebhookBodyBytes) {
    throw new InvalidEventError(
      `detail: the webhook body would take ${bodyBytes} bytes in its delivery's message, more than the ${maxWebhookBodyBytes} a webhook carries`,
    );
  }
  const eventId = eventIdOf(event);
  // A test event's time is the API's, which answered with its delivery's id.
  const fannedOutAt = event.forSubscription === undefined ? ports.now() : Date.parse(event.time);
  const { id: resourceId, occurred_at: occurredAt, sequence } = event.detail;
  const order: EventOrder | undefined =
    event.forSubscription === undefined
      ? {
          resource: resourceOfEvent(type, resourceId),
          occurredAt,
          ...(sequence === undefined ? {} : { sequence }),
        }
      : undefined;
  const claim = await ports.claimEvent({
    eventId,
    accountId: event.detail.account_id,
    eventType: type,
    body,
    fannedOutAt,
    occurredAt,
    ...(event.forSubscription === undefined ? { resourceId } : {}),
    ...(order === undefined ? {} : { order }),
  });
  if (claim.done) return [];
  const time = new Date(claim.fannedOutAt).toISOString();
  const subscriptions = await ports.subscriptionsOf(event.detail.account_id);
  const passesFilter = (subscription: SubscriptionRouting) => {
    try {
      return passesContentFilter(subscription.filter, envelope);
    } catch (error) {
      ports.filterFailed(subscription, error as Error);
      return false;
    }
  };
  const receives = (subscription: SubscriptionRouting) =>
    event.forSubscription === undefined
      ? selectsEventType(subscription, type) && passesFilter(subscription)
      : subscription.id === event.forSubscription;
  const deliveries = subscriptions
    .filter((subscription) => subscription.status === 'active' && receives(subscription))
    .map(
      (subscription): DeliveryMessage => ({
        id: deliveryIdOf({ id: eventId, time }, subscription.id),
        accountId: subscription.accountId,
        subscriptionId: subscription.id,
        eventId,
        eventType: type,
        body,
        attempt: 1,
        trigger: 'event',
        ...(claim.again === true ? { fannedOutAgain: true as const } : {}),
        ...(order !== undefined && subscription.ordering === 'resource' ? { order } : {}),
      }),
    );
  if (event.forSubscription !== undefined) await Promise.all(deliveries.map(ports.recordPending));
  if (deliveries.length > 0) await ports.enqueueDeliveries(deliveries);
  // Only now: a fan-out that failed half-way is done again in full, not dropped.
  await ports.markFannedOut(eventId);
  return deliveries;
}
