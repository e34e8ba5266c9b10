import {
  changeSubscription,
  nextVersion,
  type SubscriptionRecords,
  type VersionPrecondition,
} from './change-subscription.ts';
import type { Subscription } from './subscription.ts';

/** How long the previous secret keeps signing after a rotation unless the client says otherwise: 24 hours. */
export const defaultPreviousSecretSeconds = 24 * 3600;

/** What rotating a secret needs from the world. */
export interface RotateSecretPorts extends SubscriptionRecords {
  readonly newSecret: () => string;
  readonly now: () => Date;
}

/**
 * Gives the subscription a new signing secret. The one it replaces keeps signing beside it for
 * `previousSecretSeconds` (0 ends it at once), so receivers can switch without missing a webhook; a secret
 * from an earlier rotation is dropped.
 */
export async function rotateSecret(
  accountId: string,
  id: string,
  previousSecretSeconds: number = defaultPreviousSecretSeconds,
  precondition: VersionPrecondition | undefined,
  ports: RotateSecretPorts,
): Promise<{ subscription: Subscription; secret: string }> {
  const secret = ports.newSecret();
  const subscription = await changeSubscription(
    accountId,
    id,
    precondition,
    (current) => {
      const now = ports.now();
      const { previousSecret: _secret, previousSecretExpiresAt: _expiry, ...rest } = current;
      const overlap =
        previousSecretSeconds > 0
          ? {
              previousSecret: current.secret,
              previousSecretExpiresAt: new Date(now.getTime() + previousSecretSeconds * 1000).toISOString(),
            }
          : {};
      return nextVersion({ ...rest, secret, ...overlap }, now);
    },
    ports,
  );
  return { subscription, secret };
}
