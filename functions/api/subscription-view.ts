import * as z from 'zod/mini';
import {
  maxRateLimit,
  minRateLimit,
  orderings,
  payloadFormats,
  previousSecretsAt,
  type Subscription,
  subscriptionStatuses,
} from '#core/subscriptions/subscription.ts';

const dateTime = z.iso.datetime();

/**
 * A subscription's circuit as clients see it: closed, or open since when and when its next probe is due. The
 * probe's token and wait stay inside.
 */
export const circuitViewSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('closed') }),
  z.object({ state: z.literal('open'), opened_at: dateTime, next_probe_at: dateTime }),
]);

export type CircuitView = z.infer<typeof circuitViewSchema>;

/** The lanes a subscription's deliveries go in: `slow` for an endpoint that answers slower than the main one waits. */
export const lanes = ['main', 'slow'] as const;

/** Subscription ids as `newId('sub')` makes them (Crockford's base32): in views and in paths. */
export const subscriptionIdPattern = /^sub_[0-9a-hjkmnp-tv-z]{26}$/;

/** A subscription as the API shows it: everything but the secrets (and a `jwt` one's key), in the API's snake_case. */
export const subscriptionViewSchema = z.object({
  id: z.string().check(z.regex(subscriptionIdPattern)),
  name: z.string(),
  description: z.nullable(z.string()),
  url: z.string(),
  events: z.array(z.string()),
  filter: z.nullable(z.record(z.string(), z.unknown())),
  status: z.enum(subscriptionStatuses),
  disabled_reason: z.nullable(z.string()),
  format: z.enum(payloadFormats),
  headers: z.record(z.string(), z.string()),
  metadata: z.record(z.string(), z.string()),
  previous_secret_expires_at: z.nullable(dateTime),
  rate_limit: z.nullable(z.number().check(z.int(), z.minimum(minRateLimit), z.maximum(maxRateLimit))),
  ordering: z.enum(orderings),
  /** Its id in the compatible API (`/api/public/v3/webhooks/{id}`); given to `jwt` subscriptions. */
  compatible_id: z.nullable(z.number().check(z.int(), z.positive())),
  // Kept by the delivery path, shown read-only:
  circuit: circuitViewSchema,
  lane: z.enum(lanes),
  slow_since: z.nullable(dateTime),
  back_off_until: z.nullable(dateTime),
  created_at: dateTime,
  updated_at: dateTime,
  version: z.number().check(z.int()),
});

export type SubscriptionView = z.infer<typeof subscriptionViewSchema>;

/** A subscription's circuit as clients see it. */
export function circuitView(subscription: Subscription): CircuitView {
  const { circuit } = subscription;
  return circuit === undefined
    ? { state: 'closed' }
    : { state: 'open', opened_at: circuit.openedAt, next_probe_at: circuit.probeAt };
}

/**
 * The view of a subscription at `now`. `previous_secret_expires_at` is when the last previous secret still
 * signing stops (until then webhooks carry more than one signature); null when none does. `back_off_until` is
 * shown while it lies ahead: a back-off that has passed holds nothing.
 */
export function subscriptionView(subscription: Subscription, now: Date): SubscriptionView {
  const lastExpiry = previousSecretsAt(subscription, now)
    .map((previous) => previous.expiresAt)
    .reduce<string | null>(
      (last, at) => (last === null || Date.parse(at) > Date.parse(last) ? at : last),
      null,
    );
  return {
    id: subscription.id,
    name: subscription.name,
    description: subscription.description ?? null,
    url: subscription.url,
    events: [...subscription.events],
    filter: subscription.filter === undefined ? null : JSON.parse(subscription.filter),
    status: subscription.status,
    disabled_reason: subscription.disabledReason ?? null,
    format: subscription.format,
    headers: { ...subscription.headers },
    metadata: { ...subscription.metadata },
    previous_secret_expires_at: lastExpiry,
    rate_limit: subscription.rateLimit ?? null,
    ordering: subscription.ordering ?? 'none',
    compatible_id: subscription.compatibleId ?? null,
    circuit: circuitView(subscription),
    lane: subscription.slowSince === undefined ? 'main' : 'slow',
    slow_since: subscription.slowSince ?? null,
    back_off_until:
      subscription.backOffUntil !== undefined && Date.parse(subscription.backOffUntil) > now.getTime()
        ? subscription.backOffUntil
        : null,
    created_at: subscription.createdAt,
    updated_at: subscription.updatedAt,
    version: subscription.version,
  };
}

/** The answer to a create or a rotation: the subscription and its signing secret, shown only then. */
export const subscriptionWithSecretSchema = z.extend(subscriptionViewSchema, {
  secret: z.string().check(z.regex(/^whsec_/)),
});
