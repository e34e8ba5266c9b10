/**
 * What the public API answers the portal, as its own view schemas read it: the portal's model tests start from
 * these, so an answer they use is one the API could give.
 */
import { type DeliveryView, deliveryViewSchema } from '../../functions/api/delivery-view.ts';
import { type SubscriptionView, subscriptionViewSchema } from '../../functions/api/subscription-view.ts';

type Attempt = DeliveryView['attempts'][number];

/** A subscription as `GET /v1/webhooks/{id}` shows it: an active JSON one unless told otherwise. */
export function subscriptionView(change: Partial<SubscriptionView> = {}): SubscriptionView {
  return subscriptionViewSchema.parse({
    id: 'sub_01jdw3k5v8q2m4n6p8r0s2t4v6',
    name: 'Orders to the warehouse',
    description: null,
    url: 'https://example.com/webhooks',
    events: ['order.created'],
    filter: null,
    status: 'active',
    disabled_reason: null,
    format: 'json',
    headers: {},
    metadata: {},
    previous_secret_expires_at: null,
    rate_limit: null,
    ordering: 'none',
    compatible_id: null,
    circuit: { state: 'closed' },
    lane: 'main',
    slow_since: null,
    back_off_until: null,
    created_at: '2026-11-27T09:00:00.000Z',
    updated_at: '2026-11-27T09:00:00.000Z',
    version: 1,
    ...change,
  });
}

/** An attempt as a delivery lists it: a 200 answered in 12 ms unless told otherwise. */
export function attemptView(change: Partial<Attempt> = {}): Attempt {
  return {
    at: '2026-11-27T10:00:00.000Z',
    trigger: 'event',
    status_code: 200,
    latency_ms: 12,
    response_excerpt: 'ok',
    error: null,
    error_detail: null,
    webhook_timestamp: 1_795_773_600,
    webhook_signature: 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
    ...change,
  };
}

/** A delivery as `GET /v1/webhooks/{id}/deliveries` lists it: succeeded at its first attempt unless told otherwise. */
export function deliveryView(change: Partial<DeliveryView> = {}): DeliveryView {
  return deliveryViewSchema.parse({
    id: 'msg_01jdw3k5v8q2m4n6p8r0s2t4v6',
    webhook_id: 'sub_01jdw3k5v8q2m4n6p8r0s2t4v6',
    event_id: 'evt_01jdw3k5v8q2m4n6p8r0s2t4v6',
    event_type: 'order.created',
    status: 'succeeded',
    attempt_count: 1,
    next_attempt_at: null,
    held_since: null,
    failure_reason: null,
    created_at: '2026-11-27T10:00:00.000Z',
    updated_at: '2026-11-27T10:00:00.000Z',
    attempts: [attemptView()],
    ...change,
  });
}
