import * as z from 'zod/mini';
import { type AttemptOutcome, attemptErrorKinds, isSuccess } from '../egress/attempt.ts';
import type { RequestProof } from '../payloads/webhook-request.ts';
import { type AttemptTrigger, attemptTriggers } from './delivery-message.ts';

/**
 * `pending` while attempts remain, `succeeded` after a 2xx, `failed` when they ran out (or the endpoint is gone),
 * `superseded` when an ordered subscription was delivered a newer event of the resource first: then it is not
 * sent (design notes: Ordered delivery).
 */
export const deliveryStatuses = ['pending', 'succeeded', 'failed', 'superseded'] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

/** One attempt as recorded. */
export const attemptSchema = z.object({
  at: z.string(),
  trigger: z.enum(attemptTriggers),
  statusCode: z.optional(z.number()),
  /** Undefined when the outcome is unknown (the receipt that made it stopped before recording it). */
  latencyMs: z.optional(z.number()),
  /** At most 1 KiB of what the endpoint answered. */
  excerpt: z.optional(z.string()),
  error: z.optional(z.enum(attemptErrorKinds)),
  errorDetail: z.optional(z.string()),
  /**
   * The `webhook-signature` the request carried (its `webhook-timestamp` is `at`'s second): with `jwtSignature`,
   * what only the signing lanes could make of it; the API rebuilds the rest (design notes: The request as sent).
   * Absent when no request left (the address guard refused it; an outcome unknown) and on older attempts.
   */
  signature: z.optional(z.string()),
  /** A `jwt` request's JWT signature (its third segment). */
  jwtSignature: z.optional(z.string()),
  /** A digest of the whole request (`requestDigest`): a rebuilt request with another was not the one sent. */
  requestDigest: z.optional(z.string()),
  /**
   * `false` when the request was signed but never written to a connection (DNS failure, refused, TLS error, no
   * connection in time): the endpoint never got it. Absent when it was written, and on older attempts.
   */
  requestWritten: z.optional(z.literal(false)),
});

export type AttemptRecord = z.infer<typeof attemptSchema>;

/**
 * What an attempt records of the request it made: nothing when the address guard stopped it before any was
 * tried; `requestWritten: false` when it was tried but never written (an error with no `answerMs`), so the view
 * does not present it as what the endpoint got.
 */
export function sentRequestOf(
  outcome: AttemptOutcome,
  proof: RequestProof,
): Pick<AttemptRecord, 'signature' | 'jwtSignature' | 'requestDigest' | 'requestWritten'> {
  if (outcome.kind === 'error' && outcome.errorKind === 'blocked_address') return {};
  return {
    signature: proof.signature,
    ...(proof.jwtSignature === undefined ? {} : { jwtSignature: proof.jwtSignature }),
    requestDigest: proof.digest,
    ...(outcome.kind === 'error' && outcome.answerMs === undefined ? { requestWritten: false as const } : {}),
  };
}

/**
 * An attempt as its delivery's record keeps it, by the lanes, ordered delivery and a circuit's probe alike;
 * `slowCut` when the main lane gave up waiting and handed the delivery to the slow lane.
 */
export function attemptOf(
  outcome: AttemptOutcome,
  message: { readonly trigger: AttemptTrigger },
  at: Date,
  proof: RequestProof,
  slowCut = false,
): AttemptRecord {
  const base = {
    at: at.toISOString(),
    trigger: message.trigger,
    latencyMs: outcome.latencyMs,
    ...sentRequestOf(outcome, proof),
  };
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

/** A delivery of one event to one subscription, with every attempt; its id is the `webhook-id`. */
export const deliveryRecordSchema = z.object({
  id: z.string(),
  accountId: z.string(),
  subscriptionId: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  status: z.enum(deliveryStatuses),
  /** Attempts made, of any trigger. */
  attemptCount: z.number(),
  /** The last scheduled attempt made (1 for the first), so that a repeated message is not attempted twice. */
  scheduledAttempt: z.number(),
  nextAttemptAt: z.optional(z.string()),
  /**
   * The token of the one message that may make the next scheduled attempt (see `DeliveryMessage.token`);
   * undefined before the first attempt is recorded and after the delivery ended.
   */
  liveToken: z.optional(z.string()),
  /**
   * Since when the delivery is held, unattempted, because its subscription's circuit is open; its next attempt
   * comes when a probe gets an answer (`nextAttemptAt` is the probe that was due when it was held).
   */
  heldSince: z.optional(z.string()),
  /** Why a delivery ended without success when its last attempt does not say (e.g. its subscription paused). */
  failureReason: z.optional(z.string()),
  /** For `superseded`: the newer event of the resource that was delivered first. */
  supersededBy: z.optional(z.string()),
  /**
   * Ordered deliveries only: the receive of its message (SQS's count) that wrote the record last, so that a later
   * receive tells which receives in between stopped without recording their attempt.
   */
  receipts: z.optional(z.number()),
  /** The SQS message id of that receive. */
  receivedBy: z.optional(z.string()),
  /** Ordered deliveries only: the turn its rate limit gave it, while it waits for it. */
  slotAt: z.optional(z.number()),
  /** Ordered deliveries only: that turn was taken again once (a late return): the next late one is kept. */
  turnRetaken: z.optional(z.literal(true)),
  attempts: z.array(attemptSchema),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** TTL (epoch seconds); DynamoDB deletes late, so readers filter it. */
  expiresAt: z.number(),
});

export type DeliveryRecord = z.infer<typeof deliveryRecordSchema>;
