import { DeliveryNotFoundError } from '#core/deliveries/resend.ts';
import { problems } from '#core/http/problem.ts';
import { SubscriptionNotFoundError } from '#core/subscriptions/subscription-errors.ts';
import type { ApiRequest } from './api-request.ts';
import { subscriptionIdPattern } from './subscription-view.ts';

/** Delivery ids as the platform makes them (the webhook-id); anything else is not found without a lookup. */
export const deliveryIdPattern = /^msg_[0-9a-hjkmnp-tv-z]{48}$/;
const patterns = { subscription: subscriptionIdPattern, delivery: deliveryIdPattern };

const shown = (id: string) => (id.length > 64 ? `${id.slice(0, 64)}...` : id);

/** The path's `{id}` of a subscription, or a 404 for one that cannot be a subscription's. */
export function subscriptionIdParam(request: ApiRequest): string {
  const id = request.params.id ?? '';
  if (!patterns.subscription.test(id)) throw new SubscriptionNotFoundError(shown(id));
  return id;
}

/** The path's `{id}` of a delivery, or a 404 for one that cannot be a delivery's. */
export function deliveryIdParam(request: ApiRequest): string {
  const id = request.params.id ?? '';
  if (!patterns.delivery.test(id)) throw new DeliveryNotFoundError(shown(id));
  return id;
}

/** Event ids as the platform derives them (`eventIdOf`); anything else is not found without a lookup. */
export const eventIdPattern = /^evt_[0-9a-hjkmnp-tv-z]{26}$/;

/** The 404 for an event the account does not have (or that cannot be an event's id). */
export const eventNotFound = (id: string) => problems.notFound(`No event ${shown(id)} in your account`);

/** The path's `{id}` of an event, or a 404 for one that cannot be an event's. */
export function eventIdParam(request: ApiRequest): string {
  const id = request.params.id ?? '';
  if (!eventIdPattern.test(id)) throw eventNotFound(id);
  return id;
}
