import type { FieldError } from '../field-errors.ts';

/** No subscription with that id in the caller's account (another account's is the same: not found). */
export class SubscriptionNotFoundError extends Error {
  override name = 'SubscriptionNotFoundError';
  constructor(readonly id: string) {
    super(`No webhook ${id}`);
  }
}

/** The client's `If-Match` names another version than the stored one; nothing was changed. */
export class VersionMismatchError extends Error {
  override name = 'VersionMismatchError';
  constructor(readonly currentVersion: number) {
    super(`The webhook is at version ${currentVersion}, not the one If-Match names`);
  }
}

/** Other writers kept changing the subscription while this change was being applied. */
export class ConcurrentChangeError extends Error {
  override name = 'ConcurrentChangeError';
  constructor(readonly id: string) {
    super(`Webhook ${id} was changed by other requests meanwhile; try again`);
  }
}

/** The account already has as many subscriptions as it may. */
export class SubscriptionLimitError extends Error {
  override name = 'SubscriptionLimitError';
  constructor(readonly limit: number) {
    super(`An account may have at most ${limit} webhooks; delete one first`);
  }
}

/** Input that passed the schema but not a check that needs the world (e.g. the URL's DNS answer). */
export class InvalidSubscriptionError extends Error {
  override name = 'InvalidSubscriptionError';
  constructor(readonly errors: readonly FieldError[]) {
    super(errors.map((error) => `${error.field}: ${error.message}`).join('; '));
  }
}

/** The subscription is not active, so it cannot receive (e.g. a test event). */
export class SubscriptionInactiveError extends Error {
  override name = 'SubscriptionInactiveError';
  constructor(
    readonly id: string,
    readonly status: string,
  ) {
    super(`Webhook ${id} is ${status}; set its status to active first`);
  }
}

/** A rotation would leave more previous secrets signing than allowed; nothing was changed. */
export class PreviousSecretLimitError extends Error {
  override name = 'PreviousSecretLimitError';
  constructor(
    readonly limit: number,
    /** When the first of the previous secrets stops signing, so that a rotation is possible again. */
    readonly nextExpiry: string,
  ) {
    super(
      `The webhook already has ${limit} previous secrets signing beside the current one; the first stops at ${nextExpiry}. Rotate after then, or with previous_secret_expires_in 0 to end them all now`,
    );
  }
}
