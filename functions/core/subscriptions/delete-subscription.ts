import { backOff, unconditionalAttempts, type VersionPrecondition } from './change-subscription.ts';
import type { Subscription } from './subscription.ts';
import {
  ConcurrentChangeError,
  SubscriptionNotFoundError,
  VersionMismatchError,
} from './subscription-errors.ts';

/** What deleting a subscription needs from the world. */
export interface DeleteSubscriptionPorts {
  readonly get: (accountId: string, id: string) => Promise<Subscription | undefined>;
  /** Deletes it if it is still at `expectedVersion`; false (nothing deleted) otherwise. */
  readonly remove: (accountId: string, id: string, expectedVersion: number) => Promise<boolean>;
}

/**
 * Deletes a subscription. Deliveries still waiting for it are dropped when they come up (the delivery function
 * finds no subscription), not failed: nobody is told of a failure the integrator asked for. Like a change,
 * it gives 412 when `If-Match` names another version, and without `If-Match` tries again (up to
 * {@link unconditionalAttempts} times) while other requests keep changing it.
 */
export async function deleteSubscription(
  accountId: string,
  id: string,
  precondition: VersionPrecondition | undefined,
  ports: DeleteSubscriptionPorts,
): Promise<void> {
  for (let attempt = 0; attempt < unconditionalAttempts; attempt++) {
    if (attempt > 0) await backOff(attempt);
    const current = await ports.get(accountId, id);
    if (current === undefined) throw new SubscriptionNotFoundError(id);
    if (precondition !== undefined && !precondition(current.version)) {
      throw new VersionMismatchError(current.version);
    }
    if (await ports.remove(accountId, id, current.version)) return;
  }
  throw new ConcurrentChangeError(id);
}
