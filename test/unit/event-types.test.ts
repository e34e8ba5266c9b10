import { readFileSync } from 'node:fs';
import { dereference, validate as validateOpenApi } from '@readme/openapi-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it, vi } from 'vitest';
import * as z from 'zod/mini';
import { busEventSchema, type EventType, eventTypes, isEventType, resourceOf } from '#core/events/catalog.ts';
import { envelopeOf } from '#core/events/envelope.ts';
import {
  eventDataProblems,
  eventTypeDefinition,
  eventTypeDefinitions,
  eventTypeDocuments,
  testEventDefinition,
  testEventTypeDocument,
  webhookPayloadSchema,
} from '#core/events/event-types.ts';

// Counts JSON Schema conversions, to see that none happens when the module loads.
const conversions = vi.hoisted(() => ({ count: 0 }));
vi.mock('zod/mini', async (importOriginal) => {
  const actual = await importOriginal<typeof import('zod/mini')>();
  return {
    ...actual,
    toJSONSchema: ((...args: Parameters<typeof actual.toJSONSchema>) => {
      conversions.count++;
      return actual.toJSONSchema(...args);
    }) as typeof actual.toJSONSchema,
  };
});

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../fixtures/events/${name}`, import.meta.url), 'utf8'));

const allDefinitions = [...eventTypeDefinitions, testEventDefinition];
const sources = { order: 'shipping.orders', shipment: 'shipping.shipments', draft: 'shipping.drafts' };

function documentOf(type: string) {
  const document = eventTypeDocuments().find((candidate) => candidate.type === type);
  if (document === undefined) throw new Error(`no document for ${type}`);
  return document;
}

/** A catalog type, as the type parameter of `webhookPayloadSchema` wants it. */
function catalogType(type: string): EventType {
  if (!isEventType(type)) throw new Error(`${type} is not in the catalog`);
  return type;
}

function newAjv() {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  // What zod's iso.datetime({ offset: true }) accepts is what RFC 3339 `date-time` means.
  ajv.addFormat('date-time', (value: string) => z.safeParse(z.iso.datetime({ offset: true }), value).success);
  return ajv;
}

describe('event type table', () => {
  it('builds no JSON Schema when it loads, each one once when first asked for, then serves the same', async () => {
    vi.resetModules();
    const before = conversions.count;
    const fresh = await import('#core/events/event-types.ts');
    expect(conversions.count).toBe(before);

    const documents = fresh.eventTypeDocuments();
    expect(conversions.count).toBe(before + eventTypes.length);
    expect(fresh.eventTypeDocuments()).toBe(documents);
    expect(conversions.count).toBe(before + eventTypes.length);
  });

  it('has one entry per catalog type, in the catalog order, and nothing else', () => {
    expect(eventTypeDefinitions.map((definition) => definition.type)).toEqual(eventTypes);
    expect(eventTypes).toHaveLength(15);
  });

  it('keeps webhook.test out of the catalog, so no subscription can select it', () => {
    expect(testEventDefinition.type).toBe('webhook.test');
    expect(isEventType('webhook.test')).toBe(false);
    expect(eventTypes).not.toContain('webhook.test');
    expect(eventTypeDocuments().map((document) => document.type)).not.toContain('webhook.test');
    expect(eventTypeDefinition('webhook.test')).toBe(testEventDefinition);
    expect(eventTypeDefinition('order.refunded')).toBeUndefined();
  });

  it.each(allDefinitions.map((definition) => [definition.type, definition] as const))(
    '%s has a one-sentence description and an example that fits its payload schema',
    (type, definition) => {
      expect(definition.description).toMatch(/^[A-Z`][^\n]{20,160}\.$/);
      expect(definition.description).not.toMatch(/\.\s+[A-Z]/);
      const example = type === 'webhook.test' ? testEventTypeDocument().example : documentOf(type).example;

      expect(z.safeParse(webhookPayloadSchema(type), example)).toEqual({ success: true, data: example });
      expect(example.id).toMatch(/^evt_[0-9a-z]{26}$/);
      expect(example.type).toBe(type);
    },
  );

  it('gives every example its own event id', () => {
    const ids = allDefinitions.map((definition) => definition.example.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('fixtures: bus events as a rule delivers them to SQS', () => {
  it.each(eventTypes)('%s.json is a valid bus event whose data and previous fit the type', (type) => {
    const event = fixture(`${type}.json`);
    const parsed = z.safeParse(busEventSchema, event);
    if (!parsed.success) throw parsed.error;
    const { detail } = parsed.data;
    const definition = eventTypeDefinition(type);

    expect(event).toMatchObject({
      version: '0',
      'detail-type': type,
      source: sources[resourceOf(type) as keyof typeof sources],
      account: '000000000000',
      region: 'us-east-1',
      resources: [],
    });
    expect(parsed.data.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parsed.data.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(detail.account_id).toBe('demo');
    expect(detail.id).toBe(detail.data.id);
    expect(eventDataProblems(type, detail)).toEqual([]);
    expect(detail.occurred_at).toBe(definition?.example.occurred_at);
    expect(detail.data).toEqual(definition?.example.data);
    expect(detail.previous).toEqual(definition?.example.previous);
  });

  it.each(eventTypes)('the webhook body fan-out makes of %s.json fits its payload schema', (type) => {
    const envelope = envelopeOf(z.parse(busEventSchema, fixture(`${type}.json`)));

    expect(z.safeParse(webhookPayloadSchema(catalogType(envelope.type)), envelope).success).toBe(true);
  });

  it.each([
    ['order-status-updated.json', 'order.status_updated'],
    ['shipment-created.json', 'shipment.created'],
  ])('the older fixture %s fits %s too', (name, type) => {
    const event = z.parse(busEventSchema, fixture(name));

    expect(event['detail-type']).toBe(type);
    expect(eventDataProblems(type, event.detail)).toEqual([]);
  });
});

describe('eventDataProblems', () => {
  const order = { id: 'ord_1', status: 'Shipped' };

  it.each([
    [
      'a number for a string',
      'order.status_updated',
      { data: { ...order, status: 3 }, previous: { status: 'Initiated' } },
      [{ field: 'data.status', message: 'must be a string' }],
    ],
    [
      'no resource id',
      'shipment.created',
      { data: { carrier: 'UPS' } },
      [{ field: 'data.id', message: 'is required' }],
    ],
    [
      'an empty id',
      'draft.created',
      { data: { id: '' } },
      [{ field: 'data.id', message: 'must not be empty' }],
    ],
    [
      'an id that is too long',
      'order.created',
      { data: { id: 'o'.repeat(257) } },
      [{ field: 'data.id', message: 'must be at most 256 characters' }],
    ],
    [
      'data that is not an object',
      'order.created',
      { data: 'ord_1' },
      [{ field: 'data', message: 'must be an object' }],
    ],
    [
      'amounts as numbers or with a comma',
      'order.payment_captured',
      { data: { ...order, totals: { paid: 32.39, total: '32,39' } } },
      [
        { field: 'data.totals.total', message: 'must be a decimal number as a string, e.g. "12.50"' },
        { field: 'data.totals.paid', message: 'must be a string' },
      ],
    ],
    [
      'a fractional or negative quantity',
      'order.created',
      { data: { ...order, line_items: [{ quantity: 1.5 }, { quantity: -1 }] } },
      [
        { field: 'data.line_items.0.quantity', message: 'must be a whole number' },
        { field: 'data.line_items.1.quantity', message: 'must be zero or more' },
      ],
    ],
    [
      'codes in the wrong case and an unknown unit',
      'shipment.created',
      {
        data: {
          id: 'shp_1',
          rate: { amount: '8.42', currency: 'usd' },
          ship_to: { country: 'us' },
          packages: [{ weight: { value: 2, unit: 'stone' } }],
        },
      },
      [
        { field: 'data.ship_to.country', message: 'must be a two-letter ISO 3166-1 country code, e.g. US' },
        { field: 'data.packages.0.weight.unit', message: 'must be one of g, kg, oz, lb' },
        { field: 'data.rate.currency', message: 'must be a three-letter ISO 4217 currency code, e.g. USD' },
      ],
    ],
    [
      'a tracking event time that is not a date-time',
      'shipment.tracking_updated',
      { data: { id: 'shp_1', tracking_events: [{ occurred_at: 'yesterday' }] } },
      [
        {
          field: 'data.tracking_events.0.occurred_at',
          message: 'must be a valid ISO 8601 date-time with an offset (e.g. 2026-11-27T10:15:00Z)',
        },
      ],
    ],
    [
      'a status change without the old status',
      'order.status_updated',
      { data: order, previous: { payment_status: 'paid' } },
      [{ field: 'previous.status', message: 'is required' }],
    ],
    [
      'a status change without previous',
      'order.status_updated',
      { data: order },
      [{ field: 'previous', message: 'is required' }],
    ],
    [
      'a status change without the new status',
      'order.status_updated',
      { data: { id: 'ord_1' }, previous: { status: 'Initiated' } },
      [{ field: 'data.status', message: 'is required' }],
    ],
    [
      "a draft's shipment without its id",
      'draft.shipment_created',
      { data: { id: 'dft_1' } },
      [{ field: 'data.shipment_id', message: 'is required' }],
    ],
    [
      'a wrong type in previous',
      'shipment.delivered',
      { data: { id: 'shp_1' }, previous: { status: ['InTransit'] } },
      [{ field: 'previous.status', message: 'must be a string' }],
    ],
    [
      'a test event without its subscription',
      'webhook.test',
      { data: { message: 'hi' } },
      [{ field: 'data.webhook_id', message: 'is required' }],
    ],
    [
      'a type that is not known',
      'order.refunded',
      { data: order },
      [{ field: 'type', message: 'is not a known event type' }],
    ],
  ])('reports %s by field path', (_, type, detail, problems) => {
    expect(eventDataProblems(type, detail)).toEqual(problems);
  });

  it('accepts fields the schemas do not know, at any depth, and fan-out passes them on', () => {
    const detail = {
      data: {
        id: 'ord_1',
        gift_note: 'Happy birthday',
        shipping_address: { city: 'Springfield', what3words: 'filled.count.soap' },
        line_items: [{ sku: 'MUG-BLUE', quantity: 1, engraving: 'A.L.' }],
      },
    };

    expect(eventDataProblems('order.created', detail)).toEqual([]);
    expect(eventDataProblems('order.created', { ...detail, previous: { anything: true } })).toEqual([]);
    const payload = { id: 'evt_1', type: 'order.created', occurred_at: '2026-11-27T10:15:00Z', ...detail };
    expect(z.parse(webhookPayloadSchema('order.created'), payload)).toEqual(payload);
    expect(newAjv().validate(documentOf('order.created').schema, payload)).toBe(true);
  });
});

describe('eventTypeDocuments: the catalog as JSON Schema', () => {
  it('lists every catalog type with its description, frozen, so no caller can change what others get', () => {
    const documents = eventTypeDocuments();

    expect(documents.map((document) => document.type)).toEqual(eventTypes);
    for (const document of documents) {
      expect(document.description).toBe(eventTypeDefinition(document.type)?.description);
      expect(document.schema.description).toBe(document.description);
      expect(Object.isFrozen(document.schema)).toBe(true);
      expect(Object.isFrozen(document.example.data)).toBe(true);
    }
  });

  it.each([...eventTypes, 'webhook.test'])(
    '%s: a valid, self-contained 2020-12 schema that accepts its example and refuses a wrong one',
    (type) => {
      const { schema, example } = type === 'webhook.test' ? testEventTypeDocument() : documentOf(type);
      const ajv = newAjv();
      const text = JSON.stringify(schema);

      expect(ajv.validateSchema(schema)).toBe(true);
      expect(text).not.toContain('$ref');
      expect(text).not.toContain('$defs');
      expect(schema).not.toHaveProperty('$schema');
      const check = ajv.compile(schema);
      expect(check(example)).toBe(true);
      expect(check({ ...example, type: 'order.nope' })).toBe(false);
      expect(check({ ...example, occurred_at: '27/11/2026' })).toBe(false);
      expect(check({ ...example, data: { ...example.data, id: 42 } })).toBe(type === 'webhook.test');
      const { data: _, ...withoutData } = example;
      expect(check(withoutData)).toBe(false);
      expect(schema).toMatchObject({
        type: 'object',
        required: [
          'id',
          'type',
          'occurred_at',
          'data',
          ...(type === 'order.status_updated' ? ['previous'] : []),
        ],
        additionalProperties: {},
        properties: { type: { const: type }, occurred_at: { type: 'string', format: 'date-time' } },
      });
    },
  );

  it('says the resources only require their id, allow more fields, and type amounts as decimal strings', () => {
    const data = documentOf('order.created').schema.properties as Record<string, Record<string, unknown>>;
    const order = data.data as { required: string[]; additionalProperties: unknown; properties: object };
    const totals = (order.properties as Record<string, { properties: Record<string, unknown> }>).totals;

    expect(order.required).toEqual(['id']);
    expect(order.additionalProperties).toEqual({});
    expect(totals?.properties.total).toMatchObject({
      type: 'string',
      pattern: '^-?\\d{1,15}(\\.\\d{1,6})?$',
    });
  });

  it.each([...eventTypes, 'webhook.test'])('%s: every property, at any depth, has a description', (type) => {
    const { schema } = type === 'webhook.test' ? testEventTypeDocument() : documentOf(type);
    const undescribed: string[] = [];
    const walk = (node: unknown, path: string) => {
      if (node === null || typeof node !== 'object') return;
      const { properties, items } = node as { properties?: Record<string, unknown>; items?: unknown };
      for (const [name, property] of Object.entries(properties ?? {})) {
        const description = (property as { description?: unknown }).description;
        if (typeof description !== 'string' || description.length < 3) undescribed.push(`${path}${name}`);
        walk(property, `${path}${name}.`);
      }
      walk(items, `${path}0.`);
    };
    walk(schema, '');

    expect(undescribed).toEqual([]);
    expect(JSON.stringify(schema).match(/"description"/g)?.length).toBeGreaterThan(4);
  });

  it('embeds, as is, in an OpenAPI 3.1 document (webhooks and components) that the OpenAPI parser accepts', async () => {
    const webhooks = Object.fromEntries(
      [...eventTypeDocuments(), testEventTypeDocument()].map((document) => [
        document.type,
        {
          post: {
            summary: document.description,
            requestBody: {
              required: true,
              content: { 'application/json': { schema: document.schema, example: document.example } },
            },
            responses: { '200': { description: 'Received.' } },
          },
        },
      ]),
    );
    const api = {
      openapi: '3.1.0',
      info: { title: 'Hookbridge events', version: '1' },
      webhooks,
      components: {
        schemas: Object.fromEntries(eventTypeDocuments().map((document) => [document.type, document.schema])),
      },
    };

    const result = await validateOpenApi(structuredClone(api));
    const resolved = await dereference(structuredClone(api));

    expect(result).toMatchObject({ valid: true });
    // Nothing for an OpenAPI tool to resolve: the schemas mean the same inside the document as outside it.
    expect(resolved).toEqual(api);
  });
});
