import * as z from 'zod/mini';
import { actionsOf, shipmondoActionOf, shipmondoResources } from '#core/events/shipmondo-actions.ts';
import type { Subscription } from '#core/subscriptions/subscription.ts';

/** Every action name of the reference platform, each once, in the reference's order of resources. */
export const shipmondoActionNames = [...new Set(shipmondoResources.flatMap(actionsOf))];

const dateTime = z.iso.datetime();

/**
 * A webhook as the compatible API (`/api/public/v3/webhooks`) shows it: the reference platform's eight fields,
 * never the key. `id` is the subscription's compatible id, `endpoint` its URL, `active` whether its status is
 * `active` (a paused or disabled one is not).
 */
export const shipmondoWebhookSchema = z.object({
  id: z.number().check(z.int(), z.positive(), z.describe('The webhook\u2019s id: a positive integer')),
  name: z.string(),
  endpoint: z.string().check(z.describe('Where its webhooks are sent')),
  active: z
    .boolean()
    .check(z.describe('Whether it receives webhooks (false: paused, or disabled after failures)')),
  action: z.enum(shipmondoActionNames),
  resource_name: z.enum(shipmondoResources),
  created_at: dateTime,
  updated_at: dateTime,
});

export type ShipmondoWebhook = z.infer<typeof shipmondoWebhookSchema>;

/**
 * The subscription as the compatible API shows it, or undefined when that API does not show it: only a `jwt`
 * subscription with a compatible id that selects exactly one event type, one the reference platform names.
 * A `/v1` subscription of several types, of a whole resource (`order.*`) or in another format is left out.
 */
export function shipmondoWebhookOf(subscription: Subscription): ShipmondoWebhook | undefined {
  const [only, ...others] = subscription.events;
  if (subscription.format !== 'jwt' || subscription.compatibleId === undefined) return undefined;
  if (only === undefined || others.length > 0) return undefined;
  const named = shipmondoActionOf(only);
  if (named === undefined) return undefined;
  return {
    id: subscription.compatibleId,
    name: subscription.name,
    endpoint: subscription.url,
    active: subscription.status === 'active',
    action: named.action,
    resource_name: named.resource,
    created_at: subscription.createdAt,
    updated_at: subscription.updatedAt,
  };
}
