import * as z from 'zod/mini';

/**
 * The event catalog: every event type publishers may put on the bus, by resource, as the shipping platform
 * names them. Event type = `<resource>.<action>`.
 */
export const eventCatalog = {
  order: [
    'created',
    'status_updated',
    'fulfillment_created',
    'shipment_created',
    'payment_captured',
    'payment_voided',
    'payment_refunded',
    'deleted',
  ],
  shipment: ['created', 'cancelled', 'tracking_updated', 'delivered'],
  draft: ['created', 'shipment_created', 'deleted'],
} as const;

export type Resource = keyof typeof eventCatalog;

/** A type in the catalog, e.g. `order.status_updated`. */
export type EventType = { [R in Resource]: `${R}.${(typeof eventCatalog)[R][number]}` }[Resource];

/** Every event type, e.g. `order.status_updated`. */
export const eventTypes: readonly string[] = Object.entries(eventCatalog).flatMap(([resource, actions]) =>
  actions.map((action) => `${resource}.${action}`),
);

const knownTypes = new Set(eventTypes);

/** True for a type in the catalog. */
export function isEventType(type: string): type is EventType {
  return knownTypes.has(type);
}

/** The resource of an event type: `order.created` -> `order`. */
export function resourceOf(type: string): string {
  return type.slice(0, type.indexOf('.'));
}

/**
 * A resource's state: a JSON object, the publisher's to define (each type's schema checks its fields).
 * Checked, not copied: zod's object schemas build a new object by assignment, which turns an own `__proto__`
 * key (JSON.parse keeps it as one) into the copy's prototype, so a publisher's `"__proto__": {...}` left the
 * webhook and a filter on it never matched. Kept as parsed, it is delivered like any other key.
 */
const resourceState = z.custom<Record<string, unknown>>(
  (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  { error: (issue) => (issue.input === undefined ? 'is required' : 'must be an object') },
);

/**
 * The `detail` of a bus event: the account it belongs to, the resource's id, when it happened, the current
 * state, for changes the previous values, and who acted.
 */
export const eventDetailSchema = z.object({
  account_id: z.string().check(z.minLength(1), z.maxLength(128)),
  id: z.string().check(z.minLength(1), z.maxLength(256)),
  occurred_at: z.iso.datetime({ offset: true }),
  /**
   * Breaks ties between events of one resource with the same `occurred_at`: higher is newer (absent counts as
   * 0). Ordered subscriptions order a resource's events by `occurred_at`, then by this.
   */
  sequence: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(Number.MAX_SAFE_INTEGER))),
  data: resourceState,
  previous: z.optional(resourceState),
  /**
   * Who acted (a user's name or id, as the publisher knows them), when the publisher says: webhooks carry it as
   * `actor`, and `jwt` ones in their `SMD-User` header.
   */
  actor: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
});

export type EventDetail = z.infer<typeof eventDetailSchema>;

/** The parts of an EventBridge event (as a rule delivers it to SQS) that the platform reads. */
export const busEventSchema = z.object({
  id: z.string().check(z.minLength(1)),
  'detail-type': z.string().check(z.minLength(1)),
  source: z.string(),
  time: z.string(),
  detail: eventDetailSchema,
});

export type BusEvent = z.infer<typeof busEventSchema>;
