import type { DeliveryMessage } from '#core/delivery/delivery-message.ts';
import { maxAttempts, nextRetryDelaySeconds, parseRetryAfter } from '#core/delivery/retry-policy.ts';
import type { AttemptOutcome, WebhookRequest } from '#core/delivery/webhook-sender.ts';
import { webhookHeaders } from '#core/signing.ts';
import { type Subscription, signingSecrets } from '#core/subscriptions/subscription.ts';

/** What to do with a delivery after an attempt (or instead of one). */
export type DeliveryDecision =
  | { readonly kind: 'delivered'; readonly outcome: AttemptOutcome }
  | { readonly kind: 'skipped'; readonly reason: string }
  | { readonly kind: 'retry'; readonly delaySeconds: number; readonly outcome: AttemptOutcome }
  | { readonly kind: 'failed'; readonly reason: string; readonly outcome?: AttemptOutcome };

/** What a delivery needs from the world. */
export interface DeliveryPorts {
  readonly subscription: (accountId: string, id: string) => Promise<Subscription | undefined>;
  readonly send: (request: WebhookRequest) => Promise<AttemptOutcome>;
  readonly disable: (subscription: Subscription, reason: string) => Promise<void>;
  readonly now: () => number;
}

function describeOutcome(outcome: AttemptOutcome): string {
  return outcome.kind === 'response' ? `HTTP ${outcome.statusCode}` : outcome.error;
}

/**
 * Makes attempt number `attempt` (1-based) of a delivery: signs the stored body with the subscription's
 * current secrets, posts it, and decides what follows. A 2xx is delivered; 410 Gone disables the subscription;
 * anything else is retried on the schedule (honouring `Retry-After` on 429/503) until the last attempt fails.
 * Deliveries of a deleted, paused or disabled subscription are dropped, as fan-out drops new events for them.
 */
export async function deliver(
  message: DeliveryMessage,
  attempt: number,
  ports: DeliveryPorts,
): Promise<DeliveryDecision> {
  if (attempt > maxAttempts) {
    // Received past the last attempt (dead-lettering it failed, or receives were lost to crashes): finish
    // without another POST.
    return { kind: 'failed', reason: `Receive ${attempt} is past the last attempt (${maxAttempts})` };
  }
  const subscription = await ports.subscription(message.accountId, message.subscriptionId);
  if (subscription === undefined) return { kind: 'skipped', reason: 'subscription deleted' };
  if (subscription.status !== 'active') {
    // As fan-out does for new events: a subscription that is not active gets nothing (and raises no alarm).
    return { kind: 'skipped', reason: `subscription ${subscription.status}` };
  }

  const timestamp = Math.floor(ports.now() / 1000);
  const outcome = await ports.send({
    url: subscription.url,
    body: message.body,
    headers: {
      ...subscription.headers,
      ...webhookHeaders(signingSecrets(subscription, new Date(ports.now())), {
        id: message.id,
        timestamp,
        body: message.body,
      }),
    },
  });

  if (outcome.kind === 'response' && outcome.statusCode >= 200 && outcome.statusCode < 300) {
    return { kind: 'delivered', outcome };
  }
  if (outcome.kind === 'response' && outcome.statusCode === 410) {
    const reason = 'The endpoint answered 410 Gone';
    await ports.disable(subscription, reason);
    return { kind: 'failed', reason, outcome };
  }
  const honoursRetryAfter =
    outcome.kind === 'response' && (outcome.statusCode === 429 || outcome.statusCode === 503);
  const retryAfter = honoursRetryAfter ? parseRetryAfter(outcome.retryAfter, ports.now()) : undefined;
  const delaySeconds = nextRetryDelaySeconds(attempt, retryAfter);
  if (delaySeconds === undefined) {
    const reason = `Attempt ${attempt} of ${maxAttempts} failed: ${describeOutcome(outcome)}`;
    return { kind: 'failed', reason, outcome };
  }
  return { kind: 'retry', delaySeconds, outcome };
}
