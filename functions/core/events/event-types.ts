import * as z from 'zod/mini';
import { type FieldError, fieldErrors } from '../field-errors.ts';
import type { EventType } from './catalog.ts';
import type { WebhookEnvelope } from './envelope.ts';
import * as examples from './examples.ts';
import { described, identifier, record, text, timestamp } from './fields.ts';
import {
  draftBeforeSchema,
  draftSchema,
  draftWithShipmentSchema,
  orderBeforeSchema,
  orderSchema,
  orderStatusBeforeSchema,
  orderWithStatusSchema,
  shipmentBeforeSchema,
  shipmentSchema,
} from './resources.ts';

/** Every type a webhook body may have: the catalog's, plus the platform's own test event. */
export type WebhookEventType = EventType | 'webhook.test';

/** A resource's state (or part of it), as it appears in `data` and `previous`. */
type State = Record<string, unknown>;

/** An example event of one type: the webhook body a receiver would get, less its `type`. */
export interface EventExample {
  /** The event's id (`evt_...`). */
  readonly id: string;
  readonly occurred_at: string;
  readonly data: State;
  readonly previous?: State;
}

/** One event type: what it means, the shape of its `data` and `previous`, and an example. */
export interface EventTypeDefinition {
  readonly type: WebhookEventType;
  /** One sentence for the docs. */
  readonly description: string;
  /** The resource's state after the event. */
  readonly data: z.ZodMiniType<State>;
  /**
   * For changes: the fields that changed, with their values before. Optional (`z.optional`) unless every event
   * of the type has it. Absent for types that are not changes; a `previous` sent anyway is passed on unchecked.
   */
  readonly previous?: z.ZodMiniType<State | undefined>;
  readonly example: EventExample;
}

const changedOrder = z.optional(orderBeforeSchema);
const changedShipment = z.optional(shipmentBeforeSchema);
const changedDraft = z.optional(draftBeforeSchema);

/** The catalog's event types, one entry each, in the catalog's order. */
export const eventTypeDefinitions: readonly EventTypeDefinition[] = [
  {
    type: 'order.created',
    description: 'An order was placed or imported into the shipping platform; `data` is the new order.',
    data: orderSchema,
    example: {
      id: 'evt_01m8e71ts07jzxh5cbdrd06z1m',
      occurred_at: '2026-11-27T09:58:12Z',
      data: examples.orderPlaced,
    },
  },
  {
    type: 'order.status_updated',
    description:
      "An order's status changed, e.g. from Initiated to Shipped; `previous.status` holds the old one.",
    data: orderWithStatusSchema,
    previous: orderStatusBeforeSchema,
    example: {
      id: 'evt_01m8e89t2gs8zx5g3tasxyfp7a',
      occurred_at: '2026-11-27T10:20:02Z',
      data: examples.orderShipped,
      previous: { status: 'Initiated' },
    },
  },
  {
    type: 'order.fulfillment_created',
    description:
      "Some of an order's line items were picked and packed as a new fulfillment, the last of `data.fulfillments`.",
    data: orderSchema,
    previous: changedOrder,
    example: {
      id: 'evt_01m8e7w0nga8w3pq8acxnnqac6',
      occurred_at: '2026-11-27T10:12:30Z',
      data: examples.orderFulfilled,
      previous: { fulfillment_status: 'unfulfilled', fulfillments: [] },
    },
  },
  {
    type: 'order.shipment_created',
    description:
      'A shipment was created for an order, the last of `data.shipments`; a `shipment.created` event carries the whole shipment.',
    data: orderSchema,
    previous: changedOrder,
    example: {
      id: 'evt_01m8e89s38z6vf48yfpegjvthg',
      occurred_at: '2026-11-27T10:20:01Z',
      data: examples.orderWithShipment,
      previous: { fulfillments: examples.orderFulfilled.fulfillments, shipments: [] },
    },
  },
  {
    type: 'order.payment_captured',
    description:
      "An order's authorized payment was captured; `data.totals.paid` says how much has been collected.",
    data: orderSchema,
    previous: changedOrder,
    example: {
      id: 'evt_01m8e7a0g0q9dx2pgsr12rfg13',
      occurred_at: '2026-11-27T10:02:40Z',
      data: examples.orderPaid,
      previous: {
        payment_status: examples.orderPlaced.payment_status,
        totals: examples.orderPlaced.totals,
        payments: examples.orderPlaced.payments,
      },
    },
  },
  {
    type: 'order.payment_voided',
    description:
      "An order's authorized payment was voided before it was captured, so the buyer is not charged.",
    data: orderSchema,
    previous: changedOrder,
    example: {
      id: 'evt_01m8hgr180m9d8t0k9rx7wmm14',
      occurred_at: '2026-11-28T16:45:20Z',
      data: examples.orderVoided,
      previous: {
        payment_status: examples.orderCancelled.payment_status,
        payments: examples.orderCancelled.payments,
      },
    },
  },
  {
    type: 'order.payment_refunded',
    description:
      "Some or all of an order's captured payment was refunded; `data.totals.refunded` says how much in all.",
    data: orderSchema,
    previous: changedOrder,
    example: {
      id: 'evt_01m8txzxt0qetj5mejx813jgzx',
      occurred_at: '2026-12-02T08:30:00Z',
      data: examples.orderRefunded,
      previous: {
        payment_status: 'paid',
        totals: examples.orderShipped.totals,
        payments: examples.orderShipped.payments,
      },
    },
  },
  {
    type: 'order.deleted',
    description: 'An order was deleted; `data` is its last known state, and no later event will name it.',
    data: orderSchema,
    example: {
      id: 'evt_01m8hhjwm0vn5170e2abvgnhex',
      occurred_at: '2026-11-28T17:00:00Z',
      data: examples.orderVoided,
    },
  },
  {
    type: 'shipment.created',
    description:
      "A shipment's label was bought; `data` has the carrier, the service and the tracking number.",
    data: shipmentSchema,
    example: {
      id: 'evt_01m8e89p5ggf8hgamsb77qge0n',
      occurred_at: '2026-11-27T10:19:58Z',
      data: examples.shipmentLabelled,
    },
  },
  {
    type: 'shipment.cancelled',
    description: 'A shipment was cancelled and its label voided, so the carrier will not carry it.',
    data: shipmentSchema,
    previous: changedShipment,
    example: {
      id: 'evt_01m8hgedm86ahzh4479v47yxqa',
      occurred_at: '2026-11-28T16:40:05Z',
      data: examples.shipmentCancelled,
      previous: { status: 'LabelCreated' },
    },
  },
  {
    type: 'shipment.tracking_updated',
    description:
      'The carrier reported progress on a shipment: a new entry in `data.tracking_events` (newest first), maybe a new `data.status`.',
    data: shipmentSchema,
    previous: changedShipment,
    example: {
      id: 'evt_01m8f517ygkmjg5nef75hy6zm1',
      occurred_at: '2026-11-27T18:42:10Z',
      data: examples.shipmentInTransit,
      previous: {
        status: examples.shipmentLabelled.status,
        estimated_delivery_at: examples.shipmentLabelled.estimated_delivery_at,
        tracking_events: examples.shipmentLabelled.tracking_events,
      },
    },
  },
  {
    type: 'shipment.delivered',
    description: 'The carrier delivered a shipment; `data.delivered_at` says when.',
    data: shipmentSchema,
    previous: changedShipment,
    example: {
      id: 'evt_01m8ksvv8r5ffx05zh3ne2sj6y',
      occurred_at: '2026-11-29T14:03:11Z',
      data: examples.shipmentDelivered,
      previous: {
        status: examples.shipmentOutForDelivery.status,
        tracking_events: examples.shipmentOutForDelivery.tracking_events,
      },
    },
  },
  {
    type: 'draft.created',
    description: 'A draft shipment was created: a shipment being prepared, with no label bought yet.',
    data: draftSchema,
    example: {
      id: 'evt_01m8e7ec4r19ashs72n5sbj67k',
      occurred_at: '2026-11-27T10:05:03Z',
      data: examples.draftOpen,
    },
  },
  {
    type: 'draft.shipment_created',
    description: 'A shipment was created from a draft shipment; `data.shipment_id` names it.',
    data: draftWithShipmentSchema,
    previous: changedDraft,
    example: {
      id: 'evt_01m8e89n68cn9sfadpq55ckwxy',
      occurred_at: '2026-11-27T10:19:57Z',
      data: examples.draftConverted,
      previous: { status: 'Open' },
    },
  },
  {
    type: 'draft.deleted',
    description: 'A draft shipment was deleted; `data` is its last known state.',
    data: draftSchema,
    example: {
      id: 'evt_01m8gxm64rmx16h5btwcmj31wa',
      occurred_at: '2026-11-28T11:11:11Z',
      data: examples.draftAbandoned,
    },
  },
];

/**
 * The event `POST /v1/webhooks/{id}/test` sends. Not in the catalog: no subscription can select it, it goes
 * only to the subscription it was sent for.
 */
export const testEventDefinition: EventTypeDefinition = {
  type: 'webhook.test',
  description:
    'A test event, sent only when asked for with `POST /v1/webhooks/{id}/test`; no resource changed.',
  data: record(
    {
      webhook_id: identifier('The subscription the test was sent to, e.g. `sub_01m8ee0vg0k3d7w9s2q4x6z8pr`.'),
      message: text("A note for whoever reads the receiver's logs."),
    },
    'What the test was for.',
  ),
  example: {
    id: 'evt_01m8ee0vg0ah0k8fpwftzwgrsb',
    occurred_at: '2026-11-27T12:00:00Z',
    data: { webhook_id: 'sub_01m8ee0vg0k3d7w9s2q4x6z8pr', message: 'A test event for Order sync' },
  },
};

const definitions = new Map<string, EventTypeDefinition>(
  [...eventTypeDefinitions, testEventDefinition].map((definition) => [definition.type, definition]),
);

/** The definition of a catalog type or of `webhook.test`; undefined for anything else. */
export function eventTypeDefinition(type: string): EventTypeDefinition | undefined {
  return definitions.get(type);
}

function definitionOf(type: WebhookEventType): EventTypeDefinition {
  const definition = definitions.get(type);
  if (definition === undefined) throw new Error(`${type} is not an event type`);
  return definition;
}

/** The value for `key` in `cache`, built the first time it is asked for. */
function cached<T>(cache: Map<string, T>, key: string, build: () => T): T {
  let value = cache.get(key);
  if (value === undefined) {
    value = build();
    cache.set(key, value);
  }
  return value;
}

const payloadSchemas = new Map<string, z.ZodMiniType<WebhookEnvelope>>();

/**
 * The zod schema of the body a receiver gets for an event of `type`: `{ id, type, occurred_at, sequence?,
 * data, previous?, actor? }`. Loose, like the resources: the platform may add envelope fields, and receivers should ignore
 * what they do not know. Built the first time it is asked for.
 */
export function webhookPayloadSchema(type: WebhookEventType): z.ZodMiniType<WebhookEnvelope> {
  return cached(payloadSchemas, type, () => {
    const definition = definitionOf(type);
    // `previous` is in the shape only for changes, which zod cannot see in the type: hence the cast.
    return described(
      z.looseObject({
        id: identifier(
          "The event's id (`evt_...`): the same for every subscription that receives it and across retries.",
        ),
        type: described(z.literal(definition.type), 'The event type.'),
        occurred_at: timestamp('When it happened, as the publisher reported it.'),
        sequence: z.optional(
          described(
            z.number().check(z.int(), z.minimum(0)),
            "The publisher's tie-breaker among its resource's events with the same `occurred_at`, when it gave one: higher is newer. Subscriptions ordered per resource take a resource's events by `occurred_at`, then by this (absent counts as 0).",
          ),
        ),
        data: definition.data,
        ...(definition.previous === undefined ? {} : { previous: definition.previous }),
        actor: z.optional(
          described(
            z.string().check(z.minLength(1), z.maxLength(256)),
            'Who acted (a user’s name or id, as the publisher knows them), when the publisher said. Webhooks of the `jwt` format carry it in their `SMD-User` header instead.',
          ),
        ),
      }),
      definition.description,
    ) as z.ZodMiniType<WebhookEnvelope>;
  });
}

const dataSchemas = new Map<string, z.ZodMiniType>();

/**
 * What is wrong with a bus event's `data` and `previous` for its type, each named by its path (`data.status:
 * must be a string`); empty when they fit. Knows the catalog's types and `webhook.test`; any other type is one
 * problem, on `type`.
 */
export function eventDataProblems(
  type: string,
  detail: { readonly data: unknown; readonly previous?: unknown },
): readonly FieldError[] {
  const definition = definitions.get(type);
  if (definition === undefined) return [{ field: 'type', message: 'is not a known event type' }];
  const schema = cached(dataSchemas, type, () =>
    z.looseObject({
      data: definition.data,
      ...(definition.previous === undefined ? {} : { previous: definition.previous }),
    }),
  );
  const input = { data: detail.data, previous: detail.previous };
  const result = z.safeParse(schema, input);
  return result.success ? [] : fieldErrors(result.error, input);
}

/** A JSON Schema (draft 2020-12), as plain JSON. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** One event type as `GET /v1/event-types` lists it. */
export interface EventTypeDocument {
  readonly type: WebhookEventType;
  readonly description: string;
  /**
   * The JSON Schema (draft 2020-12) of the webhook body. Self-contained (no `$ref`) and without a `$schema`
   * keyword, so it can be embedded as is in an OpenAPI 3.1 document, whose schemas are 2020-12 already.
   */
  readonly schema: JsonSchema;
  /** A whole webhook body of this type. */
  readonly example: WebhookEnvelope;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function documentOf(definition: EventTypeDefinition): EventTypeDocument {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(webhookPayloadSchema(definition.type), {
    target: 'draft-2020-12',
    unrepresentable: 'throw',
    cycles: 'throw',
    reused: 'inline',
    // `format: date-time` (RFC 3339, offset required) already says what zod's long pattern checks.
    override: ({ jsonSchema }) => {
      if (jsonSchema.format === 'date-time') delete jsonSchema.pattern;
    },
  });
  const { id, occurred_at, data, previous } = definition.example;
  return deepFreeze({
    type: definition.type,
    description: definition.description,
    schema,
    example: {
      id,
      type: definition.type,
      occurred_at,
      data,
      ...(previous === undefined ? {} : { previous }),
    },
  });
}

let documents: readonly EventTypeDocument[] | undefined;

/**
 * The catalog for `GET /v1/event-types`: each type's description, the JSON Schema of its webhook body and an
 * example body. Built the first time it is asked for (not at cold start), then shared: the result is frozen.
 */
export function eventTypeDocuments(): readonly EventTypeDocument[] {
  documents ??= Object.freeze(eventTypeDefinitions.map(documentOf));
  return documents;
}

let testDocument: EventTypeDocument | undefined;

/** The same document for `webhook.test`, which the catalog does not list. */
export function testEventTypeDocument(): EventTypeDocument {
  testDocument ??= documentOf(testEventDefinition);
  return testDocument;
}
