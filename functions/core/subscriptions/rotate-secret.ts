import {
  changeSubscription,
  nextVersion,
  type SubscriptionRecords,
  type VersionPrecondition,
} from './change-subscription.ts';
import { type PreviousSecret, previousSecretsAt, type Subscription } from './subscription.ts';
import { PreviousSecretLimitError } from './subscription-errors.ts';

/** How long the previous secret keeps signing after a rotation unless the client says otherwise: 24 hours. */
export const defaultPreviousSecretSeconds = 24 * 3600;

/**
 * How many previous secrets may sign at once beside the current one (as Svix allows): a rotation that would
 * keep more is refused until the oldest overlap ends, so every webhook carries at most six signatures.
 */
export const maxPreviousSecrets = 5;

/** What rotating a secret needs from the world. */
export interface RotateSecretPorts extends SubscriptionRecords {
  readonly newSecret: () => string;
  readonly now: () => Date;
}

/**
 * Gives the subscription a new signing secret. The one it replaces keeps signing beside it for
 * `previousSecretSeconds`, and so does every earlier one for the rest of its own overlap, so a receiver still
 * holding any of them can verify while it switches; 0 ends them all at once (a leaked secret). The write is
 * conditional on the version read (optimistic concurrency), so concurrent rotations apply one after another:
 * the secret answered is the one stored, and the one it replaced is the one that was current. Throws
 * {@link PreviousSecretLimitError} when {@link maxPreviousSecrets} are still signing.
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
      const { previousSecrets: _previous, ...rest } = current;
      if (previousSecretSeconds === 0) return nextVersion({ ...rest, secret }, now);
      const stillSigning = previousSecretsAt(current, now);
      if (stillSigning.length >= maxPreviousSecrets) {
        throw new PreviousSecretLimitError(maxPreviousSecrets, firstToExpire(stillSigning));
      }
      const replaced: PreviousSecret = {
        secret: current.secret,
        expiresAt: new Date(now.getTime() + previousSecretSeconds * 1000).toISOString(),
      };
      return nextVersion({ ...rest, secret, previousSecrets: [replaced, ...stillSigning] }, now);
    },
    ports,
  );
  return { subscription, secret };
}

/** When the first of these secrets stops signing. */
function firstToExpire(secrets: readonly PreviousSecret[]): string {
  return secrets
    .map((previous) => previous.expiresAt)
    .reduce((first, at) => (Date.parse(at) < Date.parse(first) ? at : first));
}
