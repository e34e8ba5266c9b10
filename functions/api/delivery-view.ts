import * as z from 'zod/mini';
import { attemptTriggers } from '#core/deliveries/delivery-message.ts';
import { type DeliveryRecord, deliveryStatuses } from '#core/deliveries/delivery-record.ts';
import type { RequestAsSent } from '#core/deliveries/request-as-sent.ts';
import { attemptErrorKinds } from '#core/egress/attempt.ts';
import { webhookTimestampOf } from '#core/payloads/webhook-request.ts';

const dateTime = z.iso.datetime();

/** One attempt as the API shows it. */
export const attemptViewSchema = z.object({
  at: dateTime,
  trigger: z
    .enum(attemptTriggers)
    .check(
      z.describe('event: the first; retry: scheduled; manual: POST .../retry; recover: POST .../recover'),
    ),
  status_code: z.nullable(z.number().check(z.int())),
  latency_ms: z.nullable(
    z.number().check(z.describe('Null when the outcome is unknown (error outcome_unknown)')),
  ),
  response_excerpt: z.nullable(z.string().check(z.describe('At most 1 KiB of what the endpoint answered'))),
  error: z.nullable(z.enum(attemptErrorKinds)),
  error_detail: z.nullable(z.string()),
  webhook_timestamp: z.nullable(
    z
      .number()
      .check(
        z.int(),
        z.describe(
          'The webhook-timestamp of this attempt’s request (Unix seconds), also when it never reached the endpoint (connection_refused, dns_failure, tls_error, a timeout before connecting); null when it made no request (blocked_address, outcome_unknown) or was made before requests were recorded',
        ),
      ),
  ),
  webhook_signature: z.nullable(
    z
      .string()
      .check(
        z.describe(
          'The webhook-signature of this attempt’s request: one `v1,<base64>` per signing secret, space-separated (two during a rotation’s overlap); null as for webhook_timestamp',
        ),
      ),
  ),
});

/** The request a delivery's latest attempt made, as its endpoint got it (or, not reached, as it was tried). */
export const requestViewSchema = z.object({
  method: z.literal('POST'),
  url: z.string(),
  headers: z
    .record(z.string(), z.string())
    .check(
      z.describe(
        'Every header it went out with: content-type, user-agent, the subscription’s own headers, the format’s (SMD-* for jwt) and webhook-id, webhook-timestamp, webhook-signature. Signing secrets and the JWT key are never shown; the subscription’s own headers are shown as you set them',
      ),
    ),
  body: z
    .string()
    .check(z.describe('The body exactly as signed: the JSON envelope, its XML form, or {"data":"<JWT>"}')),
  attempt_at: dateTime.check(z.describe('The attempt it is from (`at` in attempts)')),
  reached_endpoint: z
    .boolean()
    .check(
      z.describe(
        'false: that attempt never got a connection to write it on (connection_refused, dns_failure, tls_error, a timeout before connecting), so the endpoint never got it; this is the request it tried to send',
      ),
    ),
  exact: z
    .boolean()
    .check(
      z.describe(
        'true: byte for byte what was sent (it matches the digest its attempt recorded). false: the subscription (url, format, name or headers) or the platform’s version (its user-agent) changed since, so this is the request as it would be built now, with the signatures that were sent',
      ),
    ),
});

export type RequestView = z.infer<typeof requestViewSchema>;

/** A delivery as the API shows it: one event to one subscription, with every attempt. */
export const deliveryViewSchema = z.object({
  id: z.string().check(z.describe('The webhook-id the endpoint got, the same on every attempt')),
  webhook_id: z.string(),
  event_id: z.string(),
  event_type: z.string(),
  status: z
    .enum(deliveryStatuses)
    .check(
      z.describe(
        'pending: attempts remain (or it waits its turn); succeeded: a 2xx; failed: its attempts ran out (or its endpoint is gone); ' +
          'superseded: its subscription orders deliveries per resource, and a newer event of its resource was delivered first, so it was not sent',
      ),
    ),
  attempt_count: z.number().check(z.int()),
  next_attempt_at: z.nullable(dateTime),
  held_since: z.nullable(
    dateTime.check(
      z.describe(
        "Since when it waits, unattempted, for its endpoint's circuit to close (the subscription's `circuit`): " +
          'its next attempt comes when a probe gets an answer (`next_attempt_at` is null meanwhile); holding uses up ' +
          'none of its attempts',
      ),
    ),
  ),
  failure_reason: z.nullable(
    z
      .string()
      .check(z.describe('Why it failed when its last attempt does not say (e.g. its subscription paused)')),
  ),
  superseded_by: z.optional(
    z
      .string()
      .check(
        z.describe(
          'For a superseded delivery: the id of the newer event of its resource that was delivered first (`event_id` of that delivery)',
        ),
      ),
  ),
  created_at: dateTime,
  updated_at: dateTime,
  attempts: z.array(attemptViewSchema),
});

export type DeliveryView = z.infer<typeof deliveryViewSchema>;

/** One delivery as `GET /v1/deliveries/{id}` shows it: with the request its latest attempt sent. */
export const deliveryDetailViewSchema = z.object({
  ...deliveryViewSchema.shape,
  request: z.nullable(
    requestViewSchema.check(
      z.describe(
        'The request of the latest attempt that made one: what the endpoint got, or, when `reached_endpoint` is false, what was tried. Null when none did yet (no attempt, or only blocked_address or outcome_unknown ones), or its event (kept 30 days) or subscription is gone',
      ),
    ),
  ),
});

/** The view of a delivery record, in the API's snake_case. */
export function deliveryView(record: DeliveryRecord): DeliveryView {
  return {
    id: record.id,
    webhook_id: record.subscriptionId,
    event_id: record.eventId,
    event_type: record.eventType,
    status: record.status,
    attempt_count: record.attemptCount,
    // A held delivery's next attempt comes with its circuit's next probe, which the subscription shows.
    next_attempt_at: record.heldSince === undefined ? (record.nextAttemptAt ?? null) : null,
    held_since: record.heldSince ?? null,
    failure_reason: record.failureReason ?? null,
    ...(record.supersededBy === undefined ? {} : { superseded_by: record.supersededBy }),
    created_at: record.createdAt,
    updated_at: record.updatedAt,
    attempts: record.attempts.map((attempt) => ({
      at: attempt.at,
      trigger: attempt.trigger,
      status_code: attempt.statusCode ?? null,
      latency_ms: attempt.latencyMs ?? null,
      response_excerpt: attempt.excerpt ?? null,
      error: attempt.error ?? null,
      error_detail: attempt.errorDetail ?? null,
      webhook_timestamp: attempt.signature === undefined ? null : webhookTimestampOf(new Date(attempt.at)),
      webhook_signature: attempt.signature ?? null,
    })),
  };
}

/** The view of one delivery with the request its latest attempt sent. */
export function deliveryDetailView(
  record: DeliveryRecord,
  request: RequestAsSent | undefined,
): z.infer<typeof deliveryDetailViewSchema> {
  return {
    ...deliveryView(record),
    request:
      request === undefined
        ? null
        : {
            method: request.method,
            url: request.url,
            headers: { ...request.headers },
            body: request.body,
            attempt_at: request.attemptAt,
            reached_endpoint: request.reachedEndpoint,
            exact: request.exact,
          },
  };
}

/** The answer to `POST /v1/deliveries/{id}/retry`. */
export const retryAcceptedSchema = z.object({
  delivery_id: z.string(),
  status: z.literal('queued'),
});

/** The answer to `POST /v1/webhooks/{id}/recover`. */
export const recoveryViewSchema = z.object({
  recovered: z
    .number()
    .check(
      z.int(),
      z.describe('Failed deliveries queued for one more attempt, and stuck pending ones resumed'),
    ),
  expired: z.number().check(z.int(), z.describe('Failed deliveries whose events are no longer kept')),
  superseded: z
    .number()
    .check(
      z.int(),
      z.describe(
        'Failed deliveries of a subscription ordered per resource that were not queued: a newer event of their resource was delivered since, and sending them would reorder its deliveries',
      ),
    ),
  next_since: z.nullable(
    dateTime.check(
      z.describe('More failed deliveries remain: call again with this as since; null when done'),
    ),
  ),
});

/** The body of `POST /v1/webhooks/{id}/recover`. */
export const recoverBodySchema = z.strictObject({
  since: z.iso.datetime({ offset: true }),
  until: z.optional(z.iso.datetime({ offset: true })),
});
