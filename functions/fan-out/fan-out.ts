import * as z from 'zod/mini';
import type { DeliveryMessage } from '#core/delivery/delivery-message.ts';
import { type BusEvent, busEventSchema, isEventType } from '#core/events/catalog.ts';
import { envelopeOf } from '#core/events/envelope.ts';
import { fieldErrors } from '#core/field-errors.ts';
import { derivedId } from '#core/ids.ts';
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

/** Reads a fan-out queue message (an EventBridge event as a rule delivers it) or says why it cannot. */
export function parseBusEvent(body: string): BusEvent {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidEventError('body is not JSON');
  }
  const result = z.safeParse(busEventSchema, json);
  if (!result.success) {
    const reasons = fieldErrors(result.error, json).map((error) => `${error.field}: ${error.message}`);
    throw new InvalidEventError(reasons.join('; '));
  }
  if (!isEventType(result.data['detail-type'])) {
    throw new InvalidEventError(`detail-type: ${result.data['detail-type']} is not in the event catalog`);
  }
  return result.data;
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
 * content filter (if any) the webhook body passes. The delivery id depends only on the event and the
 * subscription, so fanning the same event out again (after a partial failure) gives receivers the same
 * `webhook-id` to de-duplicate on. A filter that cannot be evaluated excludes its own subscription only.
 * Throws {@link InvalidEventError} for an event whose webhook body is too large to deliver.
 */
export async function fanOut(event: BusEvent, ports: FanOutPorts): Promise<readonly DeliveryMessage[]> {
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
  const deliveries = subscriptions
    .filter(
      (subscription) =>
        subscription.status === 'active' &&
        selectsEventType(subscription, type) &&
        passesFilter(subscription),
    )
    .map((subscription) => ({
      id: derivedId('msg', event.id, subscription.id),
      accountId: subscription.accountId,
      subscriptionId: subscription.id,
      eventType: type,
      body,
    }));
  if (deliveries.length > 0) await ports.enqueueDeliveries(deliveries);
  return deliveries;
}
