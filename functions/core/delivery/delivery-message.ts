import * as z from 'zod/mini';

/** Why an attempt is made: the event itself, a scheduled retry, or a client's retry, recovery or test. */
export const attemptTriggers = ['event', 'retry', 'manual', 'recover'] as const;
export type AttemptTrigger = (typeof attemptTriggers)[number];

/**
 * A message on a delivery queue: one event for one subscription, and which scheduled attempt it is. `id` is
 * the `webhook-id`, the same on every attempt, and `body` the JSON webhook body, fixed when the event was
 * fanned out. The attempt is counted here and in the delivery's record, never by SQS's receive count, so a
 * crash or a throttled invocation cannot use attempts up.
 */
export const deliveryMessageSchema = z.object({
  id: z.string().check(z.minLength(1)),
  accountId: z.string().check(z.minLength(1)),
  subscriptionId: z.string().check(z.minLength(1)),
  eventId: z.string().check(z.minLength(1)),
  eventType: z.string().check(z.minLength(1)),
  body: z.string(),
  /** Which scheduled attempt this is (1 for the first); a manual one repeats the last. */
  attempt: z._default(z.number().check(z.int(), z.minimum(1)), 1),
  trigger: z._default(z.enum(attemptTriggers), 'event'),
  /** For a retry still waiting: when its attempt is due (epoch ms). */
  dueAt: z.optional(z.number()),
});

export type DeliveryMessage = z.output<typeof deliveryMessageSchema>;
