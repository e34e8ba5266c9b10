import { DeliveryNotFoundError, EventExpiredError, WouldReorderError } from '#core/deliveries/resend.ts';
import { HttpProblem, problems } from '#core/http/problem.ts';
import {
  ConcurrentChangeError,
  InvalidSubscriptionError,
  PreviousSecretLimitError,
  SubscriptionInactiveError,
  SubscriptionLimitError,
  SubscriptionNotFoundError,
  VersionMismatchError,
} from '#core/subscriptions/subscription-errors.ts';
import { etagOf } from './versions.ts';

/** The problem a use case's error is for the client, or undefined for an error that is ours (a 500). */
export function problemOf(error: unknown): HttpProblem | undefined {
  if (error instanceof HttpProblem) return error;
  if (error instanceof SubscriptionNotFoundError || error instanceof DeliveryNotFoundError) {
    return problems.notFound(error.message);
  }
  if (error instanceof EventExpiredError) return problems.conflict('event-expired', error.message);
  if (error instanceof WouldReorderError) return problems.conflict('would-reorder', error.message);
  if (error instanceof VersionMismatchError) {
    return problems.preconditionFailed(error.message, etagOf(error.currentVersion));
  }
  if (error instanceof InvalidSubscriptionError) return problems.validation(error.errors);
  if (error instanceof SubscriptionLimitError || error instanceof PreviousSecretLimitError) {
    return problems.conflict('limit-reached', error.message);
  }
  if (error instanceof SubscriptionInactiveError) return problems.conflict('webhook-inactive', error.message);
  if (error instanceof ConcurrentChangeError) return problems.conflict('concurrent-change', error.message);
  return undefined;
}
