import type { Subscription } from './subscription.ts';
import {
  ConcurrentChangeError,
  SubscriptionNotFoundError,
  VersionMismatchError,
} from './subscription-errors.ts';

/** Reading and conditionally replacing one stored subscription. */
export interface SubscriptionRecords {
  readonly get: (accountId: string, id: string) => Promise<Subscription | undefined>;
  /** Writes `next` if the stored one is still at `expectedVersion`; false (nothing written) otherwise. */
  readonly replace: (next: Subscription, expectedVersion: number) => Promise<boolean>;
}

/**
 * The versions a client allows a change on (its `If-Match`); undefined allows any. A change whose
 * precondition fails throws {@link VersionMismatchError} and writes nothing.
 */
export type VersionPrecondition = (version: number) => boolean;

/** How often a change without `If-Match` is re-applied when other writers get there first. */
const attempts = 3;

/**
 * Reads the subscription, checks the client's precondition, computes the change and writes it only if nobody
 * changed the subscription meanwhile (optimistic concurrency on `version`). A change that returns the current
 * subscription itself writes nothing.
 */
export async function changeSubscription(
  accountId: string,
  id: string,
  precondition: VersionPrecondition | undefined,
  change: (current: Subscription) => Promise<Subscription> | Subscription,
  records: SubscriptionRecords,
): Promise<Subscription> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const current = await records.get(accountId, id);
    if (current === undefined) throw new SubscriptionNotFoundError(id);
    if (precondition !== undefined && !precondition(current.version)) {
      throw new VersionMismatchError(current.version);
    }
    const next = await change(current);
    if (next === current) return current;
    if (await records.replace(next, current.version)) return next;
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
