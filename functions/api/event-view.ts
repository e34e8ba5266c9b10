import * as z from 'zod/mini';
import type { DeliveryRecord } from '#core/deliveries/delivery-record.ts';
import type { EventSummaryRecord } from '#core/deliveries/event-log-store.ts';
import type { StoredEvent } from '#core/deliveries/event-store.ts';
import { attemptViewSchema, deliveryView, deliveryViewSchema } from './delivery-view.ts';

const dateTime = z.iso.datetime();

/** An event as the events log lists it. */
export const eventSummaryViewSchema = z.object({
  id: z.string().check(z.describe("The event's own id (evt_...): the webhook envelope's `id`")),
  event_type: z.string(),
  resource_id: z.nullable(
    z
      .string()
      .check(z.describe("The publisher's resource id (`detail.id`, e.g. ord_1042); null for a test event")),
  ),
  created_at: dateTime.check(z.describe('When the platform took the event (its deliveries’ time)')),
  occurred_at: z.nullable(dateTime.check(z.describe('When it happened, as the publisher said'))),
});

/** A delivery as an event shows it: its state and its last attempt. */
export const deliverySummaryViewSchema = z.object({
  ...z.pick(deliveryViewSchema, {
    id: true,
    webhook_id: true,
    status: true,
    attempt_count: true,
    created_at: true,
    updated_at: true,
  }).shape,
  last_attempt: z.nullable(
    z.pick(attemptViewSchema, { at: true, status_code: true, error: true, latency_ms: true }),
  ),
});

/** One event of the log: its body's data, who acted, and its deliveries. */
export const eventViewSchema = z.object({
  ...eventSummaryViewSchema.shape,
  actor: z.nullable(z.string().check(z.describe('Who acted, when the publisher said'))),
  data: z.record(
    z.string(),
    z.unknown().check(z.describe("The resource's state, as the webhook envelope's `data` has it")),
  ),
  deliveries: z
    .array(deliverySummaryViewSchema)
    .check(
      z.describe(
        'Its deliveries to the subscriptions the account has now (a deleted subscription’s are not shown), those with a record: a first attempt that succeeded is not recorded when the deployment samples successes (SUCCESS_RECORDS below 1)',
      ),
    ),
});

export type EventSummaryView = z.infer<typeof eventSummaryViewSchema>;
export type EventView = z.infer<typeof eventViewSchema>;

const timeOf = (ms: number) => new Date(ms).toISOString();

/** The view of an event of the log, in the API's snake_case. */
export function eventSummaryView(event: EventSummaryRecord): EventSummaryView {
  return {
    id: event.eventId,
    event_type: event.eventType,
    resource_id: event.resourceId ?? null,
    created_at: timeOf(event.fannedOutAt),
    occurred_at: event.occurredAt ?? null,
  };
}

/** The webhook envelope's parts an event's view shows (the kept body is the JSON envelope). */
const envelopePartsSchema = z.object({
  data: z.record(z.string(), z.unknown()),
  actor: z.optional(z.string()),
});

/** The view of one event with its deliveries. */
export function eventView(event: StoredEvent, deliveries: readonly DeliveryRecord[]): EventView {
  const envelope = z.parse(envelopePartsSchema, JSON.parse(event.body));
  return {
    ...eventSummaryView(event),
    actor: envelope.actor ?? null,
    data: envelope.data,
    deliveries: deliveries.map((record) => {
      // The delivery as its own view shows it, cut to what an event's page lists.
      const { id, webhook_id, status, attempt_count, created_at, updated_at, attempts } =
        deliveryView(record);
      const last = attempts.at(-1);
      return {
        id,
        webhook_id,
        status,
        attempt_count,
        created_at,
        updated_at,
        last_attempt:
          last === undefined
            ? null
            : { at: last.at, status_code: last.status_code, error: last.error, latency_ms: last.latency_ms },
      };
    }),
  };
}
