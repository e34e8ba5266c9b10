import { type PreviousSecret, previousSecretsAt, type Subscription } from './subscription.ts';

/**
 * Signing secrets at rest: a subscription's secrets (the current one and those still signing after a rotation,
 * and the key a `jwt` subscription's JWTs are signed with) are stored sealed, as `kms:` + the base64 of a KMS ciphertext whose encryption context names their account
 * and subscription, so only a role that may decrypt under the key (the delivery functions) can read them, and a
 * ciphertext copied onto another subscription does not open there. Items written before secrets were sealed
 * hold them as they are shown (`whsec_...`): such a secret is read as it is, and sealed by the next write of
 * its item (design notes: Signing secrets at rest).
 */

/** The prefix of a sealed secret as stored; a plain one starts with `whsec_`. */
export const sealedSecretPrefix = 'kms:';

/** Whose secret it is: bound into its ciphertext, so it opens only on its own subscription. */
export interface SecretOwner {
  readonly accountId: string;
  readonly subscriptionId: string;
}

/** Seals a signing secret for storage (the API, which makes and rotates secrets, and may only encrypt). */
export interface SecretSealer {
  /** The sealed form (`kms:...`) of a plain secret (`whsec_...`). */
  seal(secret: string, owner: SecretOwner): Promise<string>;
}

/** Opens a stored signing secret (the delivery functions, which sign with it). */
export interface SecretOpener {
  /** The plain secret (`whsec_...`) of a sealed one; throws {@link SigningSecretError} when it cannot. */
  open(sealed: string, owner: SecretOwner): Promise<string>;
}

/**
 * A stored signing secret could not be read: its key is disabled or gone, the role may not use it, or the
 * ciphertext is not this subscription's. Deliveries that need it fail and come back (never sent unsigned).
 */
export class SigningSecretError extends Error {
  override name = 'SigningSecretError';
}

/** The `purpose` of a signing secret's encryption context, which the roles' KMS grants are conditional on. */
export const signingSecretPurpose = 'webhook-signing-secret';

/** The encryption context of a subscription's secrets: what CloudTrail shows of each Encrypt and Decrypt. */
export function secretContext(owner: SecretOwner): Record<string, string> {
  return {
    purpose: signingSecretPurpose,
    account_id: owner.accountId,
    subscription_id: owner.subscriptionId,
  };
}

/** True for a secret stored sealed, false for one stored as it is shown (an item written before sealing). */
export function isSealedSecret(stored: string): boolean {
  return stored.startsWith(sealedSecretPrefix);
}

const ownerOf = (subscription: Subscription): SecretOwner => ({
  accountId: subscription.accountId,
  subscriptionId: subscription.id,
});

/**
 * The subscription as it is stored: each of its secrets sealed (those already sealed kept as they are, so a
 * write that changes nothing else costs no KMS request).
 */
export async function sealSecrets(subscription: Subscription, sealer: SecretSealer): Promise<Subscription> {
  const owner = ownerOf(subscription);
  const sealed = (secret: string) => (isSealedSecret(secret) ? secret : sealer.seal(secret, owner));
  const [secret, jwtKey, ...previous] = await Promise.all([
    sealed(subscription.secret),
    subscription.jwtKey === undefined ? undefined : sealed(subscription.jwtKey),
    ...(subscription.previousSecrets ?? []).map((p) => sealed(p.secret)),
  ]);
  return {
    ...subscription,
    secret: secret ?? subscription.secret,
    ...(jwtKey === undefined ? {} : { jwtKey }),
    ...(subscription.previousSecrets === undefined
      ? {}
      : { previousSecrets: withSecrets(subscription.previousSecrets, previous) }),
  };
}

/**
 * The subscription with the secrets that sign at `now` opened (plain, as `webhookRequest` signs with them); the
 * previous secrets whose overlap has ended are left out, unread.
 */
export async function openSecrets(
  subscription: Subscription,
  opener: SecretOpener,
  now: Date,
): Promise<Subscription> {
  const owner = ownerOf(subscription);
  const opened = (secret: string) => (isSealedSecret(secret) ? opener.open(secret, owner) : secret);
  const stillSigning = previousSecretsAt(subscription, now);
  const [secret, jwtKey, ...previous] = await Promise.all([
    opened(subscription.secret),
    subscription.jwtKey === undefined ? undefined : opened(subscription.jwtKey),
    ...stillSigning.map((p) => opened(p.secret)),
  ]);
  return {
    ...subscription,
    secret: secret ?? subscription.secret,
    ...(jwtKey === undefined ? {} : { jwtKey }),
    ...(subscription.previousSecrets === undefined
      ? {}
      : { previousSecrets: withSecrets(stillSigning, previous) }),
  };
}

const withSecrets = (previous: readonly PreviousSecret[], secrets: readonly string[]): PreviousSecret[] =>
  previous.map((p, index) => ({ ...p, secret: secrets[index] ?? p.secret }));
