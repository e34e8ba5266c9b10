import { derivedId } from '../ids.ts';

/**
 * The id of the delivery of one event to one subscription, which is also its `webhook-id`: derived from the
 * two, so fanning the same event out again gives receivers the same id to de-duplicate on.
 */
export function deliveryIdOf(eventId: string, subscriptionId: string): string {
  return derivedId('msg', eventId, subscriptionId);
}
