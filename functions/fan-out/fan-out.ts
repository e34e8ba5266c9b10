import * as z from 'zod/mini';
import { deliveryIdOf } from '#core/delivery/delivery-id.ts';
import type { DeliveryMessage } from '#core/delivery/delivery-message.ts';
import { type BusEvent, busEventSchema, isEventType } from '#core/events/catalog.ts';
import { envelopeOf } from '#core/events/envelope.ts';
import { eventDataProblems } from '#core/events/event-types.ts';
import { fieldErrors } from '#core/field-errors.ts';
import { platformEventSource, testEventType } from '#core/platform.ts';
import { passesContentFilter } from '#core/subscriptions/content-filter.ts';
import { type SubscriptionRouting, selectsEventType } from '#core/subscriptions/subscription.ts';

/**
 * The largest webhook body: 256 KiB, what receivers commonly accept and what fits, with its delivery's
 * bookkeeping, in one SQS message. EventBridge takes larger events (up to 1 MB); those are dead-lettered.
 */
export const maxWebhookBodyBytes = 256 * 1024;

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
  readonly enqueueDeliveries: (messages: readonly DeliveryMessage[]) => Promise<void>;
  /** Told about a stored content filter the matcher cannot evaluate; that subscription is left out. */
  readonly filterFailed: (subscription: SubscriptionRouting, error: Error) => void;
}

/**
 * One delivery per subscription of the event's account that is active, selects the event type and whose
 * content filter (if any) the webhook body passes; a test event goes to its one subscription, if active. The
 * delivery id depends only on the event and the subscription, so fanning the same event out again (after a
 * partial failure) gives receivers the same `webhook-id` to de-duplicate on. A filter that cannot be evaluated
 * excludes its own subscription only. Throws {@link InvalidEventError} for an event whose webhook body is too
 * large to deliver.
 */
export async function fanOut(event: FanOutEvent, ports: FanOutPorts): Promise<readonly DeliveryMessage[]> {
  const type = event['detail-type'];
  const envelope = envelopeOf(event);
  const body = JSON.stringify(envelope);
  const bodyBytes = Buffer.byteLength(body);
  if (bodyBytes > maxWebhookBodyBytes) {
    throw new InvalidEventError(
      `detail: the webhook body would be ${bodyBytes} bytes, more than the ${maxWebhookBodyBytes} a webhook carries`,
    );
  }
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
    .map((subscription) => ({
      id: deliveryIdOf(event.id, subscription.id),
      accountId: subscription.accountId,
      subscriptionId: subscription.id,
      eventType: type,
      body,
    }));
  if (deliveries.length > 0) await ports.enqueueDeliveries(deliveries);
  return deliveries;
}
