import * as z from 'zod/mini';
import { eventOrderSchema } from './resource-order.ts';

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
  /**
   * The delivery's turn token: a scheduled retry may make its attempt only while the delivery's record names
   * this token (its `liveToken`). A follow-up is sent before the record names it, so a crash in between leaves
   * an orphan that is dropped on arrival, while the message that made the attempt comes back and makes it
   * again. The first attempt has none (the record has none yet either).
   */
  token: z.optional(z.string().check(z.minLength(1))),
  /**
   * Earlier receipts of this attempt, on messages this one replaces (a hand-back or a move to the slow
   * lane), that stopped before recording it: each may have sent a request whose outcome is unknown.
   */
  interrupted: z.optional(z.number().check(z.int(), z.minimum(0))),
  /**
   * Queued by a fan-out that ran again after one that stopped half-way (a crash, a timeout): the earlier one
   * may have queued this delivery too, so its record is read before the first attempt.
   */
  fannedOutAgain: z.optional(z.literal(true)),
  /** How often this message came back because its delivery's record did not name its token yet. */
  waits: z.optional(z.number().check(z.int(), z.minimum(0))),
  /**
   * The time (epoch ms) its subscription's rate limit gave this attempt: it waited for it in SQS and is sent on
   * arrival, without taking another turn.
   */
  slotAt: z.optional(z.number()),
  /**
   * Its turn was taken again once, because it came too late for the first (a restart, a backlog): a second late
   * arrival is sent anyway, so no delivery waits for ever behind a busy limit.
   */
  turnRetaken: z.optional(z.literal(true)),
  /**
   * Sent again by the release of an open circuit's held deliveries: a release that ran twice may have sent it
   * twice, so its record is read before the attempt (as for `fannedOutAgain`).
   */
  released: z.optional(z.literal(true)),
  /**
   * For a subscription with `ordering: "resource"`: the event's place in its resource's order. Such a message
   * goes to the ordered lane (a FIFO queue, one message group per subscription and resource) and stays the same
   * message for the whole delivery: its attempts, turns and waits are on its record, not on new messages.
   */
  order: z.optional(eventOrderSchema),
});

export type DeliveryMessage = z.output<typeof deliveryMessageSchema>;

/**
 * A message about a subscription's circuit, on the delivery lanes beside deliveries:
 * - `probe`: test the endpoint of an open circuit with its oldest held delivery; only the probe whose token the
 *   circuit names may (one probe at a time).
 * - `release`: send the held deliveries on, oldest first, a page at a time (`after`: the last one sent).
 */
export const circuitMessageSchema = z.object({
  circuit: z.enum(['probe', 'release']),
  accountId: z.string().check(z.minLength(1)),
  subscriptionId: z.string().check(z.minLength(1)),
  token: z.optional(z.string().check(z.minLength(1))),
  after: z.optional(z.string().check(z.minLength(1))),
});

export type CircuitMessage = z.output<typeof circuitMessageSchema>;
