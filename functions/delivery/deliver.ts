import { createHash } from 'node:crypto';
import type { AttemptOutcome } from '#core/delivery/attempt.ts';
import type { DeliveryMessage } from '#core/delivery/delivery-message.ts';
import type { AttemptRecord, DeliveryRecord } from '#core/delivery/delivery-record.ts';
import type { AttemptWrite } from '#core/delivery/delivery-store.ts';
import {
  attemptsOf,
  nextRetryDelaySeconds,
  parseRetryAfter,
  type RetrySchedule,
} from '#core/delivery/retry-policy.ts';
import type { WebhookRequest } from '#core/delivery/webhook-sender.ts';
import { toXml, XmlPayloadError, xmlContentType } from '#core/delivery/xml-payload.ts';
import type { PlatformEvent } from '#core/events/platform-events.ts';
import { testEventType } from '#core/platform.ts';
import { webhookHeaders } from '#core/signing.ts';
import { type Subscription, signingSecrets } from '#core/subscriptions/subscription.ts';

/** A delivery lane: `main` waits briefly for each answer, `slow` the full timeout. */
export type Lane = 'main' | 'slow';

/** What to do with a delivery's message after an attempt (or instead of one). */
export type DeliveryDecision =
  /** Nothing more: delivered, dropped, a repeat, or a client's attempt that needs no follow-up. */
  | { readonly kind: 'done'; readonly summary: string; readonly outcome?: AttemptOutcome }
  /** The next scheduled attempt, after a wait, in a lane. */
  | {
      readonly kind: 'retry';
      readonly message: DeliveryMessage;
      readonly delaySeconds: number;
      readonly lane: Lane;
      readonly outcome: AttemptOutcome;
    }
  /** The same attempt again, at once, in the slow lane. */
  | {
      readonly kind: 'move';
      readonly message: DeliveryMessage;
      readonly reason: string;
      /** The attempt the main lane cut off, if it made one (a slow-marked subscription moves without trying). */
      readonly outcome?: AttemptOutcome;
    }
  /** The delivery ended without success: keep its message in the dead-letter queue. */
  | { readonly kind: 'failed'; readonly reason: string; readonly outcome?: AttemptOutcome };

/** How deliveries are made in this deployment and lane. */
export interface DeliverySettings {
  readonly lane: Lane;
  readonly schedule: RetrySchedule;
  /** How long the main lane waits for an answer before it moves the endpoint to the slow lane. */
  readonly mainLaneWaitMs: number;
  /** How long the slow lane waits: success is a 2xx within this. */
  readonly timeoutMs: number;
  /** A subscription failing without a success for this long is disabled. */
  readonly disableAfterMs: number;
  /** How long a delivery's record is kept. */
  readonly retentionSeconds: number;
  /**
   * Which deliveries that succeed at their first attempt get a record: every one (1), none (0), or that share
   * of them (chosen by their id, so a repeat is chosen alike). Deliveries with a failure are always recorded.
   */
  readonly successRecords: number;
}

/** Whether a delivery falls in the recorded share of first-attempt successes: the same answer for the same id. */
export function sampled(deliveryId: string, share: number): boolean {
  if (share >= 1) return true;
  if (share <= 0) return false;
  return (
    Number.parseInt(createHash('sha256').update(deliveryId).digest('hex').slice(0, 8), 16) / 0x1_0000_0000 <
    share
  );
}

/** What a delivery needs from the world. */
export interface DeliveryPorts {
  readonly subscription: (accountId: string, id: string) => Promise<Subscription | undefined>;
  readonly record: (subscriptionId: string, deliveryId: string) => Promise<DeliveryRecord | undefined>;
  readonly send: (request: WebhookRequest, timeoutMs: number) => Promise<AttemptOutcome>;
  /** Adds the attempt to the delivery's record; false when the record has this scheduled attempt already. */
  readonly recordAttempt: (write: AttemptWrite) => Promise<boolean>;
  readonly disable: (subscription: Subscription, reason: string) => Promise<boolean>;
  readonly markFailing: (subscription: Subscription) => Promise<boolean>;
  readonly markRecovered: (subscription: Subscription) => Promise<boolean>;
  readonly markSlow: (subscription: Subscription) => Promise<boolean>;
  readonly clearSlow: (subscription: Subscription) => Promise<boolean>;
  /** Puts one of the platform's own events on the bus, for operators' rules. */
  readonly publish: (event: PlatformEvent) => Promise<void>;
  readonly now: () => number;
}

const isSuccess = (outcome: AttemptOutcome) =>
  outcome.kind === 'response' && outcome.statusCode >= 200 && outcome.statusCode < 300;

function describeOutcome(outcome: AttemptOutcome): string {
  return outcome.kind === 'response' ? `HTTP ${outcome.statusCode}` : outcome.error;
}

/** The attempt as its record keeps it. */
function attemptOf(
  outcome: AttemptOutcome,
  message: DeliveryMessage,
  at: Date,
  slowCut = false,
): AttemptRecord {
  const base = { at: at.toISOString(), trigger: message.trigger, latencyMs: outcome.latencyMs };
  if (outcome.kind === 'response') {
    return {
      ...base,
      statusCode: outcome.statusCode,
      ...(outcome.excerpt === '' ? {} : { excerpt: outcome.excerpt }),
      ...(isSuccess(outcome) ? {} : { error: 'http_status' as const }),
    };
  }
  return {
    ...base,
    error: slowCut ? 'slow_endpoint' : outcome.errorKind,
    errorDetail: slowCut ? 'No answer within the main lane’s wait; moved to the slow lane' : outcome.error,
  };
}

/** The request for one attempt: the body in the subscription's format, signed with its current secrets. */
export function webhookRequest(
  subscription: Subscription,
  message: DeliveryMessage,
  now: Date,
): WebhookRequest {
  const xml = subscription.format === 'xml';
  const body = xml ? toXml(JSON.parse(message.body)) : message.body;
  return {
    url: subscription.url,
    body,
    contentType: xml ? xmlContentType : 'application/json',
    headers: {
      ...subscription.headers,
      ...webhookHeaders(signingSecrets(subscription, now), {
        id: message.id,
        timestamp: Math.floor(now.getTime() / 1000),
        body,
      }),
    },
  };
}

/**
 * Makes one attempt of a delivery and decides what follows; its record gets every attempt, and the platform's
 * own events say when a delivery fails for good, a subscription recovers, or one is disabled.
 *
 * - A delivery of a deleted, paused or disabled subscription is dropped, as fan-out drops new events for it.
 * - A scheduled attempt the record already has (a message repeated after a crash) is not made again, nor one
 *   of a delivery that succeeded meanwhile (by a client's retry).
 * - The main lane waits briefly: an endpoint that has not answered by then is cut off, marked slow, and its
 *   deliveries go to the slow lane, which waits the full timeout, so a slow endpoint never holds the main lane.
 * - A 2xx succeeds; 410 Gone disables the subscription; anything else is retried on the schedule (honouring
 *   `Retry-After` on 429 and 503) until the last attempt fails, or the subscription has failed without a
 *   success for too long, which disables it. A client's attempt (retry, recover) is made once, never retried.
 */
export async function deliver(
  message: DeliveryMessage,
  ports: DeliveryPorts,
  settings: DeliverySettings,
): Promise<DeliveryDecision> {
  const subscription = await ports.subscription(message.accountId, message.subscriptionId);
  if (subscription === undefined) return { kind: 'done', summary: 'dropped: subscription deleted' };
  if (subscription.status !== 'active')
    return { kind: 'done', summary: `dropped: subscription ${subscription.status}` };
  const scheduled = message.trigger === 'event' || message.trigger === 'retry';
  if (scheduled && message.attempt > 1) {
    const record = await ports.record(subscription.id, message.id);
    if (record?.status === 'succeeded') return { kind: 'done', summary: 'dropped: delivered meanwhile' };
    if (record !== undefined && record.scheduledAttempt >= message.attempt) {
      return { kind: 'done', summary: `dropped: attempt ${message.attempt} was made already` };
    }
  }
  if (settings.lane === 'main' && subscription.slowSince !== undefined) {
    return { kind: 'move', message, reason: 'the endpoint is slow' };
  }

  const startedAt = new Date(ports.now());
  const wait =
    settings.lane === 'main' ? Math.min(settings.mainLaneWaitMs, settings.timeoutMs) : settings.timeoutMs;
  let request: WebhookRequest;
  try {
    request = webhookRequest(subscription, message, startedAt);
  } catch (error) {
    // A body that has no XML form never will: keep it in the dead-letter queue, do not retry it.
    if (error instanceof XmlPayloadError) return { kind: 'failed', reason: `No XML form: ${error.message}` };
    throw error;
  }
  const outcome = await ports.send(request, wait);
  const now = new Date(ports.now());
  const record = (
    attempt: AttemptRecord,
    change: Pick<AttemptWrite, 'status' | 'nextAttemptAt'>,
    ofSchedule: boolean = scheduled,
  ) =>
    ports.recordAttempt({
      id: message.id,
      accountId: message.accountId,
      subscriptionId: message.subscriptionId,
      eventId: message.eventId,
      eventType: message.eventType,
      attempt,
      ...(ofSchedule ? { scheduledAttempt: message.attempt } : {}),
      ...change,
      now,
      expiresAt: Math.floor(now.getTime() / 1000) + settings.retentionSeconds,
    });

  if (outcome.kind === 'error' && outcome.errorKind === 'timeout' && wait < settings.timeoutMs) {
    // Cut off by the main lane's wait: not an attempt of the schedule, but the endpoint saw a request.
    await record(attemptOf(outcome, message, startedAt, true), {}, false);
    await ports.markSlow(subscription);
    return { kind: 'move', message, reason: `no answer within ${wait} ms`, outcome };
  }

  const attempt = attemptOf(outcome, message, startedAt);
  if (isSuccess(outcome)) {
    // A test event's sender looks its delivery up, which is on record from the start: always kept.
    const unrecorded =
      scheduled &&
      message.attempt === 1 &&
      message.eventType !== testEventType &&
      !sampled(message.id, settings.successRecords);
    const recorded = unrecorded || (await record(attempt, { status: 'succeeded' }));
    const quick = outcome.latencyMs < settings.mainLaneWaitMs;
    if (settings.lane === 'slow' && quick && subscription.slowSince !== undefined)
      await ports.clearSlow(subscription);
    if (subscription.failingSince !== undefined && (await ports.markRecovered(subscription))) {
      await ports.publish({
        type: 'delivery.recovered',
        detail: {
          account_id: subscription.accountId,
          webhook_id: subscription.id,
          delivery_id: message.id,
          event_id: message.eventId,
          failing_since: subscription.failingSince,
          recovered_at: now.toISOString(),
        },
      });
    }
    return {
      kind: 'done',
      summary: recorded ? 'delivered' : 'delivered again (a repeated message)',
      outcome,
    };
  }

  if (outcome.kind === 'response' && outcome.statusCode === 410) {
    const reason = 'The endpoint answered 410 Gone';
    await record(attempt, { status: 'failed' });
    await disable(subscription, reason, ports, now);
    return { kind: 'done', summary: `failed: ${reason}`, outcome };
  }

  if (!scheduled) {
    await record(attempt, {});
    await noteFailure(subscription, ports, settings, now);
    return {
      kind: 'done',
      summary: `failed: ${describeOutcome(outcome)} (a client's attempt is not retried)`,
      outcome,
    };
  }

  const honoursRetryAfter =
    outcome.kind === 'response' && (outcome.statusCode === 429 || outcome.statusCode === 503);
  const retryAfter = honoursRetryAfter ? parseRetryAfter(outcome.retryAfter, now.getTime()) : undefined;
  const delaySeconds = nextRetryDelaySeconds(settings.schedule, message.attempt, retryAfter);
  const disabled = await noteFailure(subscription, ports, settings, now);
  if (delaySeconds === undefined || disabled !== undefined) {
    const reason =
      disabled ??
      `Attempt ${message.attempt} of ${attemptsOf(settings.schedule)} failed: ${describeOutcome(outcome)}`;
    if (!(await record(attempt, { status: 'failed' }))) {
      return { kind: 'done', summary: 'dropped: a repeated message', outcome };
    }
    await ports.publish({
      type: 'delivery.failed',
      detail: {
        account_id: subscription.accountId,
        webhook_id: subscription.id,
        delivery_id: message.id,
        event_id: message.eventId,
        event_type: message.eventType,
        attempts: message.attempt,
        reason,
        failed_at: now.toISOString(),
      },
    });
    return { kind: 'failed', reason, outcome };
  }
  const nextAttemptAt = new Date(now.getTime() + delaySeconds * 1000).toISOString();
  if (!(await record(attempt, { status: 'pending', nextAttemptAt }))) {
    return { kind: 'done', summary: 'dropped: a repeated message', outcome };
  }
  return {
    kind: 'retry',
    message: { ...message, attempt: message.attempt + 1, trigger: 'retry' },
    delaySeconds,
    lane: settings.lane,
    outcome,
  };
}

/**
 * Notes a failed attempt on the subscription: the first one starts its failure streak; one after the streak
 * lasted too long disables it. Answers the reason when it disabled it.
 */
async function noteFailure(
  subscription: Subscription,
  ports: DeliveryPorts,
  settings: DeliverySettings,
  now: Date,
): Promise<string | undefined> {
  if (subscription.failingSince === undefined) {
    await ports.markFailing(subscription);
    return undefined;
  }
  if (now.getTime() - Date.parse(subscription.failingSince) < settings.disableAfterMs) return undefined;
  const reason = `No successful delivery since ${subscription.failingSince}, for longer than ${describeDuration(settings.disableAfterMs)}`;
  await disable(subscription, reason, ports, now);
  return reason;
}

async function disable(
  subscription: Subscription,
  reason: string,
  ports: DeliveryPorts,
  now: Date,
): Promise<void> {
  if (!(await ports.disable(subscription, reason))) return;
  await ports.publish({
    type: 'webhook.disabled',
    detail: {
      account_id: subscription.accountId,
      webhook_id: subscription.id,
      reason,
      disabled_at: now.toISOString(),
    },
  });
}

function describeDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds % 86_400 === 0) return `${seconds / 86_400} days`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hours`;
  return `${seconds} seconds`;
}
