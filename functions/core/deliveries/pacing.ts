import { createHash } from 'node:crypto';
import type { Subscription } from '../subscriptions/subscription.ts';
import type { DeliveryMessage } from './delivery-message.ts';

/**
 * An attempt due within this long waits in the invocation (a sleep); one due later waits in SQS, which delays by
 * whole seconds: it is sent again delayed by the whole seconds before its turn, so it arrives up to a second
 * early and sleeps the rest. So turns are kept to the poller's latency (milliseconds), not to SQS's whole
 * seconds: arriving up to a second late instead bunched a second's turns together, and a receiver that takes
 * exactly its limit in any second answered 429 to the bunches (benchmark). The cost: a limited delivery over
 * its rate holds its lane's slot for half a second on average (its batch-mates go on meanwhile).
 */
export const sleepWithinMs = 1000;

/**
 * A turn missed by more than this (the message came late: a restart, a backlog) is taken again, once, so that
 * late deliveries do not all go at once: those within it do, so after a restart up to this long's turns (and the
 * current second's) can arrive together. A delivery on time arrives within the poller's milliseconds of its turn
 * (it waits in SQS for the whole seconds before it and sleeps the rest), so a second of grace retakes only real
 * lateness; a new turn for a delivery merely a moment late would spend two turns on it and lower the rate.
 */
export const retakeAfterMs = 1000;

/** Deliveries held back by an endpoint's `Retry-After` (and no rate limit) come back spread over this long. */
const backOffSpreadMs = 5000;

/** Where a delivery's turn under its subscription's rate limit comes from. */
export interface PacingPorts {
  /** Takes the next turn (epoch ms) under the subscription's rate limit, not before `from`. */
  readonly takeTurn: (subscription: Subscription, from: number) => Promise<number>;
}

/**
 * A share from 0 to 1 of a delivery's id: the same for every copy of its message (which share of successes is
 * recorded, where in a back-off's spread it comes back).
 */
export function shareOf(deliveryId: string): number {
  return (
    Number.parseInt(createHash('sha256').update(deliveryId).digest('hex').slice(0, 8), 16) / 0x1_0000_0000
  );
}

/**
 * When an attempt may be sent (epoch ms), or undefined for now: after the time the endpoint asked to be left
 * alone until (`Retry-After` on a 429 or 503), and at its turn under the subscription's rate limit. A message
 * that waited for its turn carries it (`slotAt`) and takes no other, unless the endpoint asked for more time
 * meanwhile. Without a limit and a back-off this costs nothing.
 */
export async function turnOf(
  subscription: Subscription,
  message: DeliveryMessage,
  ports: PacingPorts,
  now: number,
): Promise<number | undefined> {
  const backOffUntil = subscription.backOffUntil === undefined ? 0 : Date.parse(subscription.backOffUntil);
  const limited = subscription.rateLimit !== undefined;
  // A turn missed by more than a moment (the message came late: a restart, a backlog) is not honoured, or every
  // late delivery would go at once; its delivery takes a new one, once.
  const missed = message.slotAt !== undefined && message.slotAt < now - retakeAfterMs;
  const retake = missed && message.turnRetaken !== true && limited;
  // A turn already given under a rate limit keeps its time through a back-off: taking it again after the
  // back-off would spend two turns on one delivery (a receiver at its capacity answering 429 now and then cut
  // the delivered rate to about 60 %). The back-off moves the turns not given yet.
  if (message.slotAt !== undefined && (limited || backOffUntil <= message.slotAt) && !retake)
    return message.slotAt;
  const from = Math.max(now, backOffUntil);
  if (limited) return ports.takeTurn(subscription, from);
  // No limit to space them: spread what the back-off held so they do not all come back at once.
  if (backOffUntil > now) return backOffUntil + Math.floor(shareOf(message.id) * backOffSpreadMs);
  return undefined;
}
