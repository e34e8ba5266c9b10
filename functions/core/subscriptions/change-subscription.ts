import type { DeliveryKeptField, Subscription } from './subscription.ts';
import {
  ConcurrentChangeError,
  SubscriptionNotFoundError,
  VersionMismatchError,
} from './subscription-errors.ts';

/** Reading and conditionally replacing one stored subscription. */
export interface SubscriptionRecords {
  readonly get: (accountId: string, id: string) => Promise<Subscription | undefined>;
  /**
   * Writes what a client sets of `next` if the stored one is still at `expectedVersion`, and removes the fields
   * named in `reset` of those the delivery path keeps (the others are left as stored); false (nothing written)
   * otherwise.
   */
  readonly replace: (
    next: Subscription,
    expectedVersion: number,
    reset: readonly DeliveryKeptField[],
  ) => Promise<boolean>;
}

/**
 * A change that also clears some of what the delivery path keeps (a re-enabled subscription starts afresh):
 * `next` holds none of the `reset` fields, and the write removes them whatever the delivery path wrote since
 * they were read.
 */
export interface ChangeWithReset {
  readonly next: Subscription;
  readonly reset: readonly DeliveryKeptField[];
}

/**
 * The versions a client allows a change on (its `If-Match`); undefined allows any. A change whose
 * precondition fails throws {@link VersionMismatchError} and writes nothing.
 */
export type VersionPrecondition = (version: number) => boolean;

/**
 * How often a change without `If-Match` is tried when other writers get there first: a client that sends no
 * `If-Match` expects the last writer to win, so it takes many writers at once to give up (409).
 */
export const unconditionalAttempts = 10;

/**
 * Waits a random while before the next try: up to 4 ms before the second, 8 before the third, doubling to at
 * most 512 ms ("full jitter"), so that writers who collided spread out instead of colliding again in step;
 * twenty writers at once all get through within the ten tries, also where a read and a write take hundreds of
 * milliseconds (a loaded sandbox: with a 64 ms cap, one of twenty ran out of tries there).
 */
export function backOff(attempt: number): Promise<void> {
  const ms = Math.random() * 2 ** Math.min(attempt + 1, 9);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Reads the subscription, checks the client's precondition, computes the change and writes it only if nobody
 * changed the subscription meanwhile (optimistic concurrency on `version`). A change that returns the current
 * subscription itself writes nothing. With a precondition, a concurrent change is a
 * {@link VersionMismatchError} (412); without one the change is applied again to what is there now, up to
 * {@link unconditionalAttempts} times with a short random pause between, then a {@link ConcurrentChangeError}.
 */
export async function changeSubscription(
  accountId: string,
  id: string,
  precondition: VersionPrecondition | undefined,
  change: (current: Subscription) => Promise<Subscription | ChangeWithReset> | Subscription | ChangeWithReset,
  records: SubscriptionRecords,
): Promise<Subscription> {
  for (let attempt = 0; attempt < unconditionalAttempts; attempt++) {
    if (attempt > 0) await backOff(attempt);
    const current = await records.get(accountId, id);
    if (current === undefined) throw new SubscriptionNotFoundError(id);
    if (precondition !== undefined && !precondition(current.version)) {
      throw new VersionMismatchError(current.version);
    }
    const changed = await change(current);
    const { next, reset } = 'reset' in changed ? changed : { next: changed, reset: [] };
    if (next === current) return current;
    if (await records.replace(next, current.version, reset)) return next;
    // Changed meanwhile. With If-Match the client named the version it saw, which is now gone.
    if (precondition !== undefined) {
      const now = await records.get(accountId, id);
      if (now === undefined) throw new SubscriptionNotFoundError(id);
      throw new VersionMismatchError(now.version);
    }
  }
  throw new ConcurrentChangeError(id);
}

/** The subscription after a change at `now`: the next version. */
export function nextVersion(subscription: Subscription, now: Date): Subscription {
  return { ...subscription, version: subscription.version + 1, updatedAt: now.toISOString() };
}
