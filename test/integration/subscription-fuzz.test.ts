import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { targetUrlProblem } from '#core/egress/target-guard.ts';
import { contentFilterProblem } from '#core/subscriptions/content-filter.ts';
import { isEventSelector, subscriptionSchema } from '#core/subscriptions/subscription.ts';
import { subscriptionLimits } from '#core/subscriptions/subscription-input.ts';
import { subscriptionViewSchema } from '../../functions/api/subscription-view.ts';
import { type TestAccount, useApiSandbox } from '../support/api-sandbox.ts';

const { newAccount, dynamo } = useApiSandbox({ subscriptionsPerAccount: 10_000 });

/** Single characters a hostile client likes: any code point, controls, line breaks and lone surrogates. */
const hostileCharacter = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '\u0000',
      '\t',
      '\n',
      '\r',
      '\u001b',
      '\u007f',
      '\u0085',
      '\ud800',
      '\udbff',
      '\udc00',
      '\udfff',
      '\\',
      ' ',
      '@',
    ),
  },
);
/** Text with hostile characters among ordinary ones. */
const hostileString = (maxLength: number) =>
  fc.string({ unit: fc.oneof(fc.string({ minLength: 1, maxLength: 1 }), hostileCharacter), maxLength });
/** Keys the AWS SDK's marshaller or JavaScript treat as special. */
const reservedKey = fc.constantFrom('constructor', '__proto__', 'prototype');
/** An object with such keys as `JSON.parse` makes it: own properties, `__proto__` included. */
const withReservedKeys = fc
  .subarray(['constructor', '__proto__', 'prototype'], { minLength: 1 })
  .map((keys) => JSON.parse(`{"a":"b",${keys.map((key) => `"${key}":"x"`).join(',')}}`) as object);

/** Values a hostile client might put anywhere. */
const junk = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  hostileString(20),
  fc.constant('__proto__'),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
  fc.dictionary(fc.oneof(reservedKey, hostileString(5)), hostileString(5), { maxKeys: 3 }),
  withReservedKeys,
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
      'https://hooks.example.com/in\t',
      'https://hooks.exa\nmple.com/in',
      ' https://hooks.example.com/in',
      'https://evil.example\\@127.0.0.1/',
      'https:hooks.example.com/in',
      'https:///hooks.example.com/in',
      'https://hooks..example.com/in',
      'https://*.example.com/in',
      'https://-hooks.example.com/in',
      'https://hooks.example.com:0/in',
      'https://@hooks.example.com/in',
      'HTTPS://Hooks.Example.COM:443/a/../in?q="x"',
      'https://bücher.example/wébhooks',
      `https://hooks.example.com/${'é'.repeat(400)}`,
      'https://hooks.example.com/\ud800',
    ),
  },
  {
    weight: 1,
    // A URL with one hostile character somewhere in it.
    arbitrary: fc
      .tuple(fc.webUrl({ validSchemes: ['https', 'http'] }), hostileCharacter, fc.nat())
      .map(([base, character, at]) => {
        const cut = at % (base.length + 1);
        return base.slice(0, cut) + character + base.slice(cut);
      }),
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
  { weight: 1, arbitrary: fc.oneof(reservedKey, hostileString(10)) },
);
const headers = mostly(
  fc.dictionary(
    headerName,
    mostly(fc.oneof(fc.string({ maxLength: 20 }), fc.constant('a\r\nb'), hostileString(20))),
    { maxKeys: 22 },
  ),
);
const metadataKey = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 70 }) },
  { weight: 1, arbitrary: fc.oneof(reservedKey, hostileString(10)) },
);
const metadata = mostly(
  fc.dictionary(metadataKey, mostly(fc.oneof(fc.string({ maxLength: 20 }), hostileString(20))), {
    maxKeys: 22,
  }),
);
/** Text fields: mostly plain, sometimes with hostile characters. */
const text = (maxLength: number) =>
  mostly(
    fc.oneof(
      { weight: 3, arbitrary: fc.string({ maxLength }) },
      { weight: 1, arbitrary: hostileString(Math.min(maxLength, 40)) },
    ),
  );

/** Deliveries a second: near and past the bounds, fractions, null, and numbers written as text. */
const rateLimit = mostly(
  fc.oneof(
    fc.integer({ min: -2, max: 10_003 }),
    fc.constantFrom(0, 1, 10_000, 10_001, null, '10', 1.5, -0, Number.MAX_SAFE_INTEGER + 2),
    fc.double(),
  ),
);

const fields = {
  name: text(210),
  description: text(1010),
  url,
  events,
  filter,
  format: mostly(fc.constantFrom('json', 'xml', 'JSON', '')),
  headers,
  metadata,
  rate_limit: rateLimit,
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

/** Every string in a value (keys too), however deep. */
function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) => [key, ...stringsIn(item)]);
}

/** Well-formed Unicode survives a round trip through UTF-8; a lone surrogate comes back as U+FFFD. */
const isWellFormed = (value: string) => Buffer.from(value, 'utf8').toString('utf8') === value;

/** C0 and C1 control characters and DEL. */
const hasControlCharacter = (value: string) =>
  [...value].some((character) => {
    const code = character.codePointAt(0) ?? 0;
    return code < 0x20 || (code >= 0x7f && code <= 0x9f);
  });

/** Reads the stored item behind the API and checks it is a subscription the platform can deliver. */
async function storedRecordIsValid(account: TestAccount, id: string) {
  const { Item } = await dynamo().send(
    new GetItemCommand({
      TableName: 'webhooks',
      Key: { pk: { S: `ACCOUNT#${account.accountId}` }, sk: { S: `SUBSCRIPTION#${id}` } },
      ConsistentRead: true,
    }),
  );
  const item = unmarshall(Item ?? {});
  const stored = z.parse(subscriptionSchema, item);
  for (const value of stringsIn(item)) expect(isWellFormed(value), JSON.stringify(value)).toBe(true);
  for (const record of [item.headers, item.metadata]) {
    for (const key of ['constructor', '__proto__', 'prototype'])
      expect(Object.hasOwn(record, key)).toBe(false);
  }
  for (const value of [stored.name, ...Object.entries(stored.metadata).flat()]) {
    expect(hasControlCharacter(value), JSON.stringify(value)).toBe(false);
  }
  if (stored.description !== undefined) {
    expect(hasControlCharacter(stored.description.replace(/[\t\n]/g, ''))).toBe(false);
  }
  expect(stored.url).toBe(new URL(stored.url).href);
  expect(stored.name.trim()).toBe(stored.name);
  expect(stored.name.length).toBeGreaterThan(0);
  expect(stored.name.length).toBeLessThanOrEqual(subscriptionLimits.nameLength);
  expect(targetUrlProblem(stored.url, 'allow-private')).toBeUndefined();
  expect(stored.events.length).toBeGreaterThan(0);
  for (const selector of stored.events) expect(isEventSelector(selector)).toBe(true);
  if (stored.filter !== undefined) expect(contentFilterProblem(JSON.parse(stored.filter))).toBeUndefined();
  expect(Object.keys(stored.headers).length).toBeLessThanOrEqual(subscriptionLimits.headers);
  expect(Object.keys(stored.metadata).length).toBeLessThanOrEqual(subscriptionLimits.metadataKeys);
  if (stored.rateLimit !== undefined) {
    expect(Number.isSafeInteger(stored.rateLimit)).toBe(true);
    expect(stored.rateLimit).toBeGreaterThanOrEqual(1);
    expect(stored.rateLimit).toBeLessThanOrEqual(10_000);
  }
  const read = await account.call('GET', `/v1/webhooks/${id}`);
  expect(read.status).toBe(200);
  z.parse(subscriptionViewSchema, read.json);
  expect(read.json?.rate_limit).toBe(stored.rateLimit ?? null);
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
