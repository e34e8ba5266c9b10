import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { targetUrlProblem } from '#core/delivery/target-guard.ts';
import { contentFilterProblem } from '#core/subscriptions/content-filter.ts';
import { isEventSelector, subscriptionSchema } from '#core/subscriptions/subscription.ts';
import { subscriptionLimits } from '#core/subscriptions/subscription-input.ts';
import { subscriptionViewSchema } from '../../functions/api/subscription-view.ts';
import { type TestAccount, useApiSandbox } from '../support/api-sandbox.ts';

const { newAccount, dynamo } = useApiSandbox({ subscriptionsPerAccount: 10_000 });

/** Values a hostile client might put anywhere. */
const junk = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constant('__proto__'),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);

/** Mostly values that could be right, sometimes anything. */
const mostly = <T>(likely: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 8, arbitrary: likely }, { weight: 1, arbitrary: junk });

const url = fc.oneof(
  { weight: 6, arbitrary: fc.webUrl({ validSchemes: ['https', 'http'] }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'http://127.0.0.1:9/in',
      'http://localhost/in',
      'http://169.254.169.254/latest',
      'http://[::ffff:169.254.169.254]/',
      'http://[fe80::1]/',
      'http://0251.0376.0251.0376/',
      'http://2852039166/',
      'https://user@hooks.example.com/',
      'https://hooks.example.com:99999/',
      'javascript:alert(1)',
      'https://',
      '//hooks.example.com/in',
    ),
  },
  { weight: 1, arbitrary: junk },
);

const events = mostly(
  fc.array(
    fc.oneof(
      {
        weight: 8,
        arbitrary: fc.constantFrom('order.*', 'shipment.*', 'draft.*', 'order.created', 'shipment.delivered'),
      },
      { weight: 1, arbitrary: fc.constantFrom('order', '*', 'x.*', '', 'webhook.test') },
    ),
    { maxLength: 5 },
  ),
);

const filter = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      { data: { status: ['Shipped'] } },
      { data: { total: [{ numeric: ['>', 100] }] } },
      { data: { status: [{ prefix: 'Sh' }] } },
      { data: { status: 'Shipped' } },
      { data: { status: [{ nope: 1 }] } },
      {},
      [],
    ),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 1, arbitrary: junk },
);

const headerName = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('X-Team', 'Authorization', 'X-Api-Version') },
  {
    weight: 1,
    arbitrary: fc.constantFrom('webhook-id', 'Host', 'content-type', 'Connection', 'x team', 'X-\u00c4'),
  },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 10 }) },
);
const headers = mostly(
  fc.dictionary(headerName, mostly(fc.oneof(fc.string({ maxLength: 20 }), fc.constant('a\r\nb'))), {
    maxKeys: 22,
  }),
);
const metadata = mostly(
  fc.dictionary(fc.string({ maxLength: 70 }), mostly(fc.string({ maxLength: 20 })), { maxKeys: 22 }),
);

const fields = {
  name: mostly(fc.string({ maxLength: 210 })),
  description: mostly(fc.string({ maxLength: 1010 })),
  url,
  events,
  filter,
  format: mostly(fc.constantFrom('json', 'xml', 'JSON', '')),
  headers,
  metadata,
};

/**
 * A body with some of the fields (`required` ones mostly there), each valid or not, sometimes with a key the
 * API does not know, sometimes not an object at all.
 */
const body = (shape: Record<string, fc.Arbitrary<unknown>>, required: readonly string[]) =>
  fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .tuple(
          fc.record(Object.fromEntries(required.map((name) => [name, shape[name] as fc.Arbitrary<unknown>]))),
          fc.subarray(Object.keys(shape), { maxLength: 3 }),
          fc.record(shape, { requiredKeys: [] }),
        )
        .map(([base, picked, rest]) => ({
          ...base,
          ...Object.fromEntries(picked.filter((name) => name in rest).map((name) => [name, rest[name]])),
        })),
    },
    { weight: 1, arbitrary: fc.record({ ...shape, unknown_field: junk }, { requiredKeys: [] }) },
    { weight: 1, arbitrary: junk },
  );

/** Reads the stored item behind the API and checks it is a subscription the platform can deliver. */
async function storedRecordIsValid(account: TestAccount, id: string) {
  const { Item } = await dynamo().send(
    new GetItemCommand({
      TableName: 'webhooks',
      Key: { pk: { S: `ACCOUNT#${account.accountId}` }, sk: { S: `SUBSCRIPTION#${id}` } },
      ConsistentRead: true,
    }),
  );
  const stored = z.parse(subscriptionSchema, unmarshall(Item ?? {}));
  expect(stored.name.trim()).toBe(stored.name);
  expect(stored.name.length).toBeGreaterThan(0);
  expect(stored.name.length).toBeLessThanOrEqual(subscriptionLimits.nameLength);
  expect(targetUrlProblem(stored.url, 'allow-private')).toBeUndefined();
  expect(stored.events.length).toBeGreaterThan(0);
  for (const selector of stored.events) expect(isEventSelector(selector)).toBe(true);
  if (stored.filter !== undefined) expect(contentFilterProblem(JSON.parse(stored.filter))).toBeUndefined();
  expect(Object.keys(stored.headers).length).toBeLessThanOrEqual(subscriptionLimits.headers);
  expect(Object.keys(stored.metadata).length).toBeLessThanOrEqual(subscriptionLimits.metadataKeys);
  const read = await account.call('GET', `/v1/webhooks/${id}`);
  expect(read.status).toBe(200);
  z.parse(subscriptionViewSchema, read.json);
}

describe('fuzzing the subscription API with hostile bodies', () => {
  it('answers every create with a 201 or a 4xx problem, never a 5xx, and stores only valid subscriptions', async () => {
    const account = await newAccount();
    let created = 0;
    await fc.assert(
      fc.asyncProperty(body(fields, ['name', 'url', 'events']), async (input) => {
        const response = await account.call('POST', '/v1/webhooks', JSON.stringify(input));
        expect(response.status, JSON.stringify(response.json)).toBeLessThan(500);
        if (response.status === 201) {
          created++;
          await storedRecordIsValid(account, response.json?.id as string);
        } else {
          expect(response.status).toBeGreaterThanOrEqual(400);
          expect(response.contentType).toBe('application/problem+json');
        }
      }),
      { numRuns: 300 },
    );
    expect(created).toBeGreaterThan(0);
  }, 120_000);

  it('answers every update with a 200 or a 4xx problem, never a 5xx, and leaves a valid subscription', async () => {
    const account = await newAccount();
    const { id } = await account.createWebhook();
    let updated = 0;
    await fc.assert(
      fc.asyncProperty(
        body({ ...fields, status: mostly(fc.constantFrom('active', 'paused', 'disabled')) }, []),
        async (patch) => {
          const response = await account.call('PATCH', `/v1/webhooks/${id}`, JSON.stringify(patch));
          expect(response.status, JSON.stringify(response.json)).toBeLessThan(500);
          if (response.status === 200) updated++;
          else expect(response.contentType).toBe('application/problem+json');
          await storedRecordIsValid(account, id);
        },
      ),
      { numRuns: 300 },
    );
    expect(updated).toBeGreaterThan(0);
  }, 120_000);
});
