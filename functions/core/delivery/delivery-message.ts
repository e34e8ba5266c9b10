import * as z from 'zod/mini';

/**
 * A message on the delivery queue: one event for one subscription. `id` is the `webhook-id`, the same on
 * every attempt, and `body` the exact bytes that are signed and sent, fixed when the event was fanned out.
 */
export const deliveryMessageSchema = z.object({
  id: z.string().check(z.minLength(1)),
  accountId: z.string().check(z.minLength(1)),
  subscriptionId: z.string().check(z.minLength(1)),
  eventType: z.string().check(z.minLength(1)),
  body: z.string(),
});

export type DeliveryMessage = z.infer<typeof deliveryMessageSchema>;
