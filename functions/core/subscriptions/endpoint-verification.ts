import { type AttemptOutcome, describeOutcome, isSuccess } from '../egress/attempt.ts';
import type { WebhookRequest } from '../egress/webhook-sender.ts';
import { requestOf, webhookBody, webhookRequest, webhookTimestampOf } from '../payloads/webhook-request.ts';
import { isSealedSecret } from './secret-box.ts';
import type { Subscription } from './subscription.ts';

/** How long an endpoint has to answer the verification request (the reference asks for an answer in seconds). */
export const verificationTimeoutMs = 5_000;

/**
 * The request the reference platform sends a `jwt` webhook's endpoint when the webhook is made, which must be
 * answered 2xx for it to be made: a webhook like any other, in its format (its `SMD-*` headers name the
 * subscription's resource and action, `SMD-Resource-Id` is empty, the JWT's `data` is `{}`) and signed as every
 * webhook is. A stored subscription that a change makes `jwt` (or gives a new key) holds its signing secrets
 * sealed, which the API may not open: its request carries the JWT, signed with the key the change gives, and the
 * `webhook-id` and `webhook-timestamp` headers, but no `webhook-signature`.
 */
export function verificationRequest(subscription: Subscription, now: Date): WebhookRequest {
  const content = { id: `msg_verification_${subscription.id}`, eventType: '', body: '{"data":{}}' };
  if (!isSealedSecret(subscription.secret)) return webhookRequest(subscription, content, now);
  return requestOf(subscription, webhookBody(subscription, content), {
    'webhook-id': content.id,
    'webhook-timestamp': String(webhookTimestampOf(now)),
  });
}

/**
 * Sends `subscription`'s endpoint the verification request; why it was not taken (said so that it follows the
 * field's name: "url did not take..."), or undefined when it was answered 2xx in time. `send` goes through the
 * address guard, as every delivery does.
 */
export async function verificationProblem(
  subscription: Subscription,
  send: (request: WebhookRequest, timeoutMs: number) => Promise<AttemptOutcome>,
  now: Date,
): Promise<string | undefined> {
  const outcome = await send(verificationRequest(subscription, now), verificationTimeoutMs);
  if (isSuccess(outcome)) return undefined;
  const said =
    outcome.kind === 'response'
      ? `answered ${describeOutcome(outcome)}`
      : `could not be reached (${describeOutcome(outcome)})`;
  return `did not take the verification request: the endpoint ${said}; it must answer 200 (any 2xx) within ${verificationTimeoutMs / 1000} s`;
}
