import * as z from 'zod/mini';
import {
  payloadFormats,
  previousSecretsAt,
  type Subscription,
  subscriptionStatuses,
} from '#core/subscriptions/subscription.ts';

const dateTime = z.iso.datetime();

/** Subscription ids as `newId('sub')` makes them (Crockford's base32): in views and in paths. */
export const subscriptionIdPattern = /^sub_[0-9a-hjkmnp-tv-z]{26}$/;

/** A subscription as the API shows it: everything but the secrets, in the API's snake_case. */
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
  created_at: dateTime,
  updated_at: dateTime,
  version: z.number().check(z.int()),
});

export type SubscriptionView = z.infer<typeof subscriptionViewSchema>;

/**
 * The view of a subscription at `now`. `previous_secret_expires_at` is when the last previous secret still
 * signing stops (until then webhooks carry more than one signature); null when none does.
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
    created_at: subscription.createdAt,
    updated_at: subscription.updatedAt,
    version: subscription.version,
  };
}

/** The answer to a create or a rotation: the subscription and its signing secret, shown only then. */
export const subscriptionWithSecretSchema = z.extend(subscriptionViewSchema, {
  secret: z.string().check(z.regex(/^whsec_/)),
});
