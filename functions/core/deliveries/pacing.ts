import { createHash } from 'node:crypto';
import type { Subscription } from '../subscriptions/subscription.ts';
import type { DeliveryMessage } from './delivery-message.ts';

/**
 * An attempt due this close to now waits in the invocation (a short sleep); one due later waits in SQS, which
 * delays by whole seconds: it is sent again to arrive at its turn or up to a second after, and goes at once. A
 * longer sleep would hold a lane's slot (and its batch-mates' end) while it waits.
 */
export const sleepWithinMs = 100;

/**
 * A turn missed by more than this (the message came late: a restart, a backlog) is taken again, once, so that
 * late deliveries do not all go at once. Shorter lateness (SQS's whole-second delays, a busy poller) is not: a
 * new turn behind a backlog would spend a second turn on one delivery and halve the rate.
 */
export const retakeAfterMs = 2000;

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
  // A turn missed by more than a moment (the message came late: a restart, a backlog, a hand-back) is not
  // honoured, or every late delivery would go at once; its delivery takes a new one, once.
  const missed = message.slotAt !== undefined && message.slotAt < now - retakeAfterMs;
  const retake = missed && message.turnRetaken !== true && subscription.rateLimit !== undefined;
  // A turn already given under a rate limit keeps its time through a back-off: taking it again after the
  // back-off would spend two turns on one delivery (a receiver at its capacity answering 429 now and then cut
  // the delivered rate to about 60 %). The back-off moves the turns not given yet.
  const limited = subscription.rateLimit !== undefined;
  if (message.slotAt !== undefined && (limited || backOffUntil <= message.slotAt) && !retake)
    return message.slotAt;
  const from = Math.max(now, backOffUntil);
  if (subscription.rateLimit !== undefined) return ports.takeTurn(subscription, from);
  // No limit to space them: spread what the back-off held so they do not all come back at once.
  if (backOffUntil > now) return backOffUntil + Math.floor(shareOf(message.id) * backOffSpreadMs);
  return undefined;
}
