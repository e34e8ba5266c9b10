import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { compileErrors, validate } from '@readme/openapi-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { catalogRoutes } from '../../functions/api/catalog-routes.ts';
import { type DeliveryRoutesDependencies, deliveryRoutes } from '../../functions/api/delivery-routes.ts';
import { type EventRoutesDependencies, eventRoutes } from '../../functions/api/event-routes.ts';
import { portalPageRoutes } from '../../functions/api/portal-page-routes.ts';
import { portalSessionRoutes } from '../../functions/api/portal-session-routes.ts';
import { rootRoutes } from '../../functions/api/root-routes.ts';
import { type WebhookRoutesDependencies, webhookRoutes } from '../../functions/api/webhook-routes.ts';
import { apiKeyId } from '../../functions/core/accounts/api-key-store.ts';
import type { PortalSessionPorts } from '../../functions/core/accounts/portal-session.ts';
import { documentClient } from '../../functions/core/aws/dynamodb.ts';
import { deliveryIdOf } from '../../functions/core/deliveries/delivery-id.ts';
import { EventStore } from '../../functions/core/deliveries/event-store.ts';
import { deliverySortKey, webhookPartition } from '../../functions/core/storage/table-keys.ts';
import { useApiSandbox } from '../support/api-sandbox.ts';
import { api } from '../support/clients.ts';
import { eventually } from '../support/eventually.ts';

const { sandbox, newAccount, newReceiver, dynamo } = useApiSandbox();

type Media = { schema: object; examples?: Record<string, { value: unknown }> };
type Response = { $ref?: string; headers?: Record<string, unknown>; content?: Record<string, Media> };
type Operation = {
  parameters?: { $ref?: string }[];
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, Response>;
};
type OpenApi = {
  paths: Record<string, Record<string, Operation>>;
  webhooks: Record<string, { post: { requestBody: { content: Record<string, { schema: object }> } } }>;
  components: {
    responses: Record<string, Response>;
    parameters: Record<string, { schema: Record<string, unknown> }>;
    schemas: Record<
      string,
      { properties?: Record<string, Record<string, unknown>> } & Record<string, unknown>
    >;
  };
};
let document: OpenApi;
let ajv: Ajv2020;

beforeAll(async () => {
  const response = await api(sandbox().endpoint, undefined, 'GET', '/v1/openapi.json');
  document = response.json as unknown as OpenApi;
  ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addFormat('date-time', (value: string) => z.safeParse(z.iso.datetime({ offset: true }), value).success);
  ajv.addSchema(document, 'openapi.json');
});

const methods = ['get', 'post', 'patch', 'delete', 'put'];

/** A response as documented, following a `$ref` to `components.responses`. */
function resolved(response: Response | undefined): Response | undefined {
  const name = response?.$ref?.replace('#/components/responses/', '');
  return name === undefined ? response : document.components.responses[name];
}

/** The schema an operation documents for a status and media type, to check a live answer against. */
function documentedSchema(path: string, method: string, status: number) {
  const operation = document.paths[path]?.[method];
  const response = resolved(operation?.responses[String(status)]);
  const media = status >= 400 ? 'application/problem+json' : 'application/json';
  const schema = response?.content?.[media]?.schema;
  if (schema === undefined) throw new Error(`${method} ${path} documents no ${status} ${media} body`);
  return schema;
}

/** Checks a live answer against what the document says it is. */
function expectDocumented(path: string, method: string, answer: { status: number; json?: unknown }) {
  const validator = ajv.compile(rebase(documentedSchema(path, method, answer.status)));
  expect(
    validator(answer.json),
    `${method} ${path} ${answer.status}: ${ajv.errorsText(validator.errors)}`,
  ).toBe(true);
}

/** Points the document's local `$ref`s at the document added to Ajv as `openapi.json`. */
function rebase(schema: object): object {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi.json#/components/'));
}

describe('GET /v1/openapi.json', () => {
  it('is an OpenAPI 3.1 document that a real validator accepts', async () => {
    const result = await validate(structuredClone(document) as never);

    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
    expect(result.warnings).toEqual([]);
    expect(document).toMatchObject({ openapi: '3.1.0' });
  });

  it('describes exactly the routes the API serves', () => {
    const unused = (() => {
      throw new Error('not called');
    }) as never;
    const deps = new Proxy(
      { targetPolicy: 'public-only' },
      { get: (target, key) => (key in target ? (target as never)[key] : unused) },
    );
    const served = [
      ...webhookRoutes(deps as unknown as WebhookRoutesDependencies),
      ...deliveryRoutes(deps as unknown as DeliveryRoutesDependencies),
      ...eventRoutes(deps as unknown as EventRoutesDependencies),
      ...portalSessionRoutes(deps as unknown as PortalSessionPorts),
      ...catalogRoutes(),
      ...portalPageRoutes(unused),
      ...rootRoutes(),
    ].map((route) => `${route.method} ${route.path}`);
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => methods.includes(key))
        .map((method) => `${method.toUpperCase()} ${path}`),
    );

    expect(documented.sort()).toEqual(served.sort());
  });

  it('tells the truth: live answers of every route and their errors match the documented schemas', async () => {
    const account = await newAccount();
    const receiver = await newReceiver();

    const created = await account.call('POST', '/v1/webhooks', {
      name: 'Documented',
      url: receiver.url,
      events: ['order.*'],
      filter: { data: { status: ['Shipped'] } },
      headers: { 'X-Team': 'ops' },
      metadata: { a: 'b' },
      rate_limit: 100,
    });
    const id = created.json?.id as string;
    const answers: [string, string, { status: number; json?: unknown }][] = [
      ['/v1/webhooks', 'post', created],
      ['/v1/webhooks', 'post', await account.call('POST', '/v1/webhooks', { name: '' })],
      ['/v1/webhooks', 'get', await account.call('GET', '/v1/webhooks?limit=1')],
      ['/v1/webhooks', 'get', await account.call('GET', '/v1/webhooks?limit=0')],
      ['/v1/webhooks', 'get', await api(sandbox().endpoint, undefined, 'GET', '/v1/webhooks')],
      ['/v1/webhooks/{id}', 'get', await account.call('GET', `/v1/webhooks/${id}`)],
      [
        '/v1/webhooks/{id}',
        'patch',
        await account.call('PATCH', `/v1/webhooks/${id}`, { description: 'now' }),
      ],
      [
        '/v1/webhooks/{id}',
        'patch',
        await account.call('PATCH', `/v1/webhooks/${id}`, { name: 'x' }, { 'if-match': '"1"' }),
      ],
      [
        '/v1/webhooks/{id}/rotate-secret',
        'post',
        await account.call('POST', `/v1/webhooks/${id}/rotate-secret`),
      ],
      ['/v1/webhooks/{id}/test', 'post', await account.call('POST', `/v1/webhooks/${id}/test`)],
      ['/v1/event-types', 'get', await account.call('GET', '/v1/event-types')],
      [
        '/v1/webhooks/{id}',
        'delete',
        await account.call('DELETE', '/v1/webhooks/sub_01m8re8jc558cthvp60cjb7yj5'),
      ],
      ['/v1/webhooks', 'get', await account.call('GET', '/v1/webhooks?colour=blue')],
      ['/v1/webhooks/{id}', 'get', await account.call('PUT', `/v1/webhooks/${id}`)],
      [
        '/v1/webhooks/{id}',
        'patch',
        await account.call('PATCH', `/v1/webhooks/${id}`, 'name=x', { 'content-type': 'text/plain' }),
      ],
      ['/v1/webhooks/{id}', 'patch', await account.call('PATCH', `/v1/webhooks/${id}`, '{"name":')],
      [
        '/v1/webhooks',
        'post',
        await account.call('POST', '/v1/webhooks', JSON.stringify({ name: 'x'.repeat(300 * 1024) })),
      ],
      ['/v1/webhooks/{id}/test', 'post', await account.call('POST', `/v1/webhooks/${id}/test`, 'null')],
    ];

    const tested = answers[9]?.[2].json as { delivery_id: string };
    const delivered = await eventually(async () => {
      const answer = await account.call('GET', `/v1/deliveries/${tested.delivery_id}`);
      return (answer.json as { status?: string } | undefined)?.status === 'succeeded' ? answer : undefined;
    }, 'the test event’s delivery');
    answers.push(
      ['/v1/deliveries/{id}', 'get', delivered],
      ['/v1/deliveries/{id}', 'get', await account.call('GET', '/v1/deliveries/msg_unknown')],
      ['/v1/webhooks/{id}/deliveries', 'get', await account.call('GET', `/v1/webhooks/${id}/deliveries`)],
      [
        '/v1/webhooks/{id}/deliveries',
        'get',
        await account.call('GET', `/v1/webhooks/${id}/deliveries?status=x`),
      ],
      [
        '/v1/deliveries/{id}/retry',
        'post',
        await account.call('POST', `/v1/deliveries/${tested.delivery_id}/retry`),
      ],
      [
        '/v1/webhooks/{id}/recover',
        'post',
        await account.call('POST', `/v1/webhooks/${id}/recover`, {
          since: new Date(Date.now() - 60_000).toISOString(),
        }),
      ],
      ['/v1/webhooks/{id}/recover', 'post', await account.call('POST', `/v1/webhooks/${id}/recover`, {})],
    );
    const session = await account.call('POST', '/v1/portal-sessions', { expires_in: 600 });
    const token = new URL(String(session.json?.url)).hash.replace('#token=', '');
    answers.push(
      ['/v1/portal-sessions', 'post', session],
      ['/v1/portal-sessions', 'post', await account.call('POST', '/v1/portal-sessions', { expires_in: 59 })],
      [
        '/v1/portal-sessions',
        'post',
        await api(sandbox().endpoint, token, 'POST', '/v1/portal-sessions', undefined, {
          'hookbridge-portal': '1',
        }),
      ],
      [
        '/v1/webhooks',
        'get',
        await api(sandbox().endpoint, token, 'GET', '/v1/webhooks', undefined, { 'hookbridge-portal': '1' }),
      ],
      ['/v1/webhooks', 'get', await api(sandbox().endpoint, token, 'GET', '/v1/webhooks')],
      ['/', 'get', await api(sandbox().endpoint, undefined, 'GET', '/')],
    );
    const events = await account.call('GET', '/v1/events?event_type=webhook.test&limit=1');
    const eventId = (events.json?.data as { id: string }[] | undefined)?.[0]?.id;
    answers.push(
      ['/v1/events', 'get', events],
      ['/v1/events/{id}', 'get', await account.call('GET', `/v1/events/${eventId}`)],
      ['/v1/events/{id}', 'get', await account.call('GET', '/v1/events/evt_unknown')],
      ['/v1/events', 'get', await account.call('GET', '/v1/events?since=yesterday')],
    );

    for (const [path, method, answer] of answers) expectDocumented(path, method, answer);
    expect(answers.map(([, , answer]) => answer.status)).toEqual([
      201, 422, 200, 422, 401, 200, 200, 412, 200, 202, 200, 404, 422, 405, 415, 400, 413, 422, 200, 404, 200,
      422, 202, 202, 422, 201, 422, 403, 200, 401, 200, 200, 200, 404, 422,
    ]);
  });

  it('documents 404 and 405 on every operation, and the headers answers carry', () => {
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item).filter(([key]) => methods.includes(key))) {
        expect(operation.responses['404'], `${method} ${path}`).toEqual({
          $ref: '#/components/responses/NotFound',
        });
        expect(operation.responses['405'], `${method} ${path}`).toEqual({
          $ref: '#/components/responses/MethodNotAllowed',
        });
      }
    }
    const { responses } = document.components;
    expect(Object.keys(responses.MethodNotAllowed?.headers ?? {})).toContain('Allow');
    expect(Object.keys(responses.Unauthorized?.headers ?? {})).toContain('WWW-Authenticate');
    expect(Object.keys(responses.PreconditionFailed?.headers ?? {})).toContain('ETag');
    const created = document.paths['/v1/webhooks']?.post?.responses['201'];
    expect(Object.keys(created?.headers ?? {})).toEqual(
      expect.arrayContaining(['Idempotent-Replayed', 'Cache-Control', 'ETag', 'Location']),
    );
  });

  it('states the limits the API enforces, so a generated client refuses what the API would', () => {
    const { parameters, schemas } = document.components;
    const create = schemas.CreateWebhook?.properties ?? {};
    const keyPattern = new RegExp(String(parameters.IdempotencyKey?.schema.pattern));
    const webhookIdPattern = parameters.WebhookId?.schema.pattern;

    expect(create.filter).toMatchObject({ minProperties: 1 });
    expect(create.headers).toMatchObject({
      maxProperties: 20,
      propertyNames: { maxLength: 64, pattern: expect.any(String) },
      additionalProperties: { maxLength: 1024, pattern: expect.any(String) },
    });
    expect(create.metadata).toMatchObject({
      maxProperties: 20,
      propertyNames: { minLength: 1, maxLength: 64 },
      additionalProperties: { maxLength: 512 },
    });
    expect(schemas.Webhook?.properties?.id).toMatchObject({ pattern: webhookIdPattern });
    expect(schemas.RotateSecret?.properties?.previous_secret_expires_in).toEqual({
      type: 'integer',
      minimum: 0,
      maximum: 604_800,
    });
    expect(schemas.UpdateWebhook?.properties?.headers).toMatchObject({
      anyOf: [{ maxProperties: 20, propertyNames: create.headers?.propertyNames }, { type: 'null' }],
    });
    expect(keyPattern.test('k'.repeat(255))).toBe(true);
    expect(keyPattern.test('k'.repeat(256))).toBe(false);
    expect(keyPattern.test('with space')).toBe(false);
    expect(document.paths['/v1/webhooks']?.get).toMatchObject({
      description: expect.stringContaining('Unknown query parameters are refused'),
    });
  });

  it.each([
    [{ headers: { 'bad name': 'x' } }, 'headers'],
    [{ headers: { 'X-A': 'a\r\nX-B: 1' } }, 'headers'],
    [{ headers: JSON.parse('{"constructor":"x"}') }, 'headers'],
    [{ metadata: Object.fromEntries(Array.from({ length: 21 }, (_, n) => [`k${n}`, 'v'])) }, 'metadata'],
    [{ metadata: { k: 'a\u0000' } }, 'metadata'],
    [{ metadata: JSON.parse('{"prototype":"x"}') }, 'metadata'],
    [{ filter: {} }, 'filter'],
    [{ name: 'tab\there' }, 'name'],
    [{ url: 'https://hooks.example.com/a b' }, 'url'],
    [{ url: 'https://evil.example\\@127.0.0.1/' }, 'url'],
    [{ url: 'https://@hooks.example.com/' }, 'url'],
    [{ url: 'https:hooks.example.com/' }, 'url'],
    [{ rate_limit: 0 }, 'rate_limit'],
    [{ rate_limit: 10_001 }, 'rate_limit'],
    [{ rate_limit: 1.5 }, 'rate_limit'],
    [{ rate_limit: '10' }, 'rate_limit'],
    [{ circuit: { state: 'closed' } }, 'circuit'],
    [{ ordering: 'fifo' }, 'ordering'],
    [{ ordering: null }, 'ordering'],
  ])('the document refuses %j as the API does (%s)', async (fields, field) => {
    const { call } = await newAccount();
    const body = { name: 'x', url: 'https://hooks.example.com/in', events: ['order.*'], ...fields };
    const validator = ajv.compile(rebase(document.components.schemas.CreateWebhook ?? {}));

    const answer = await call('POST', '/v1/webhooks', body);

    expect(validator(body)).toBe(false);
    expect(answer.status).toBe(422);
    expect(answer.json).toMatchObject({
      errors: [{ field: expect.stringMatching(new RegExp(`^${field}`)) }],
    });
  });

  it('documents the rate limit, the circuit and the lane, and an open circuit in the slow lane as the API shows it', async () => {
    const { schemas } = document.components;
    const webhook = schemas.Webhook?.properties ?? {};
    const account = await newAccount();
    const { id } = await account.createWebhook();
    const now = Date.now();
    await dynamo().send(
      new UpdateItemCommand({
        TableName: 'webhooks',
        Key: { pk: { S: `ACCOUNT#${account.accountId}` }, sk: { S: `SUBSCRIPTION#${id}` } },
        UpdateExpression: 'SET circuit = :circuit, slowSince = :slow, backOffUntil = :until',
        ExpressionAttributeValues: marshall({
          ':circuit': {
            openedAt: new Date(now).toISOString(),
            probeAt: new Date(now + 5000).toISOString(),
            probeDelaySeconds: 5,
            token: 'probe',
          },
          ':slow': new Date(now - 60_000).toISOString(),
          ':until': new Date(now + 60_000).toISOString(),
        }),
      }),
    );

    const read = await account.call('GET', `/v1/webhooks/${id}`);
    const listed = await account.call('GET', '/v1/webhooks');

    expect(schemas.CreateWebhook?.properties?.rate_limit).toMatchObject({
      anyOf: [{ type: 'integer', minimum: 1, maximum: 10_000 }, { type: 'null' }],
      description: expect.stringContaining(
        'Deliveries over the rate wait their turn; they are not failed and use no attempt. A 429 or 503 with Retry-After also holds the endpoint',
      ),
    });
    expect(schemas.UpdateWebhook?.properties?.rate_limit).toEqual(
      schemas.CreateWebhook?.properties?.rate_limit,
    );
    expect(webhook.circuit?.description).toEqual(
      expect.stringMatching(
        /5 failed attempts in a row.*connection errors, timeouts, 5xx and 408 \(a 429 asks for less.*stay `pending`, are not attempted and use no attempt.*One probe at a time.*first 5 s.*doubling.*5 minutes.*`webhook.circuit_opened` and `webhook.circuit_closed`/,
      ),
    );
    expect(webhook.lane).toMatchObject({ enum: ['main', 'slow'] });
    expect(JSON.stringify(webhook.circuit)).not.toContain('token');
    expect(schemas.Webhook?.required).toEqual(
      expect.arrayContaining(['rate_limit', 'circuit', 'lane', 'slow_since', 'back_off_until']),
    );
    expect(read.json).toMatchObject({
      circuit: { state: 'open', next_probe_at: new Date(now + 5000).toISOString() },
      lane: 'slow',
      back_off_until: new Date(now + 60_000).toISOString(),
    });
    expectDocumented('/v1/webhooks/{id}', 'get', read);
    expectDocumented('/v1/webhooks', 'get', listed);
  });

  it('documents ordering, the superseded status and the refusals that keep order, as the API answers them', async () => {
    const { schemas } = document.components;
    const account = await newAccount();
    const { id } = await account.createWebhook({ ordering: 'resource' });
    // A superseded delivery of it, as the ordered lane records one, beside its kept event.
    const db = documentClient(dynamo());
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    const occurredAt = new Date(Date.now() - 60_000).toISOString();
    const eventId = 'evt_01m8rg2w3x4y5z6a7b8c9d0e1a';
    await new EventStore(db, 'webhooks').claim({
      eventId,
      accountId: account.accountId,
      eventType: 'order.status_updated',
      body: '{}',
      fannedOutAt: Date.parse(occurredAt),
      order: { resource: 'order/ord_1', occurredAt },
      expiresAt,
    });
    const deliveryId = deliveryIdOf({ id: eventId, time: occurredAt }, id);
    await db.send(
      new PutCommand({
        TableName: 'webhooks',
        Item: {
          pk: webhookPartition(id),
          sk: deliverySortKey(deliveryId),
          id: deliveryId,
          accountId: account.accountId,
          subscriptionId: id,
          eventId,
          eventType: 'order.status_updated',
          status: 'superseded',
          supersededBy: 'evt_01m8rg2w3x4y5z6a7b8c9d0e1b',
          attemptCount: 0,
          scheduledAttempt: 0,
          attempts: [],
          createdAt: occurredAt,
          updatedAt: occurredAt,
          expiresAt,
        },
      }),
    );

    const read = await account.call('GET', `/v1/webhooks/${id}`);
    const delivery = await account.call('GET', `/v1/deliveries/${deliveryId}`);
    const superseded = await account.call('GET', `/v1/webhooks/${id}/deliveries?status=superseded`);
    const retry = await account.call('POST', `/v1/deliveries/${deliveryId}/retry`);

    for (const schema of ['CreateWebhook', 'UpdateWebhook', 'Webhook']) {
      expect(schemas[schema]?.properties?.ordering).toMatchObject({
        enum: ['none', 'resource'],
        description: expect.stringMatching(
          /`none` \(the default\).*per resource.*`occurred_at`, then by its `sequence`.*one at a time, oldest first.*`superseded`.*fails for good.*next one go on.*applies to events fanned out after it/,
        ),
      });
    }
    expect(schemas.Webhook?.required).toContain('ordering');
    expect(schemas.Delivery?.properties?.status).toMatchObject({
      enum: ['pending', 'succeeded', 'failed', 'superseded'],
    });
    expect(schemas.Delivery?.properties?.superseded_by).toMatchObject({ type: 'string' });
    expect(schemas.Recovery?.required).toContain('superseded');
    expect(read.json).toMatchObject({ ordering: 'resource' });
    expect(delivery.json).toMatchObject({
      status: 'superseded',
      superseded_by: 'evt_01m8rg2w3x4y5z6a7b8c9d0e1b',
    });
    expect(superseded.json).toMatchObject({ data: [{ id: deliveryId }] });
    expect(retry.json).toMatchObject({ type: 'urn:webhooks:problem:would-reorder', status: 409 });
    expectDocumented('/v1/webhooks/{id}', 'get', read);
    expectDocumented('/v1/deliveries/{id}', 'get', delivery);
    expectDocumented('/v1/webhooks/{id}/deliveries', 'get', superseded);
    expectDocumented('/v1/deliveries/{id}/retry', 'post', retry);
  });

  it('documents the jwt format, its write-only key, compatible_id and Basic beside Bearer, as the API answers a jwt subscription', async () => {
    const { schemas } = document.components;
    const { securitySchemes } = (document as unknown as { components: { securitySchemes: object } })
      .components;
    const { security } = document as unknown as { security: object[] };
    const account = await newAccount();
    const receiver = await newReceiver();
    const basic = `Basic ${Buffer.from(`${apiKeyId(account.apiKey)}:${account.apiKey}`).toString('base64')}`;

    const created = await api(
      sandbox().endpoint,
      undefined,
      'POST',
      '/v1/webhooks',
      {
        name: 'Reference form',
        url: receiver.url,
        events: ['order.created'],
        format: 'jwt',
        jwt_key: 'a-key-of-at-least-thirty-two-bytes-0042',
      },
      { authorization: basic },
    );
    const read = await account.call('GET', `/v1/webhooks/${created.json?.id}`);

    for (const schema of ['CreateWebhook', 'UpdateWebhook']) {
      expect(schemas[schema]?.properties?.format).toMatchObject({ enum: ['json', 'xml', 'jwt'] });
      expect(schemas[schema]?.properties?.jwt_key).toMatchObject({
        type: 'string',
        writeOnly: true,
        description: expect.stringMatching(/Write-only.*32 to 1024 bytes.*Required with `format: jwt`/),
      });
    }
    expect(schemas.Webhook?.properties?.jwt_key).toBeUndefined();
    expect(schemas.Webhook?.properties?.compatible_id).toMatchObject({
      anyOf: [{ type: 'integer' }, { type: 'null' }],
      description: expect.stringContaining('/api/public/v3/webhooks/{id}'),
    });
    expect(schemas.Webhook?.required).toContain('compatible_id');
    expect(securitySchemes).toMatchObject({
      apiKey: { type: 'http', scheme: 'bearer' },
      basicAuth: { type: 'http', scheme: 'basic' },
    });
    expect(security).toEqual(expect.arrayContaining([{ apiKey: [] }, { basicAuth: [] }]));
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(read.json).toMatchObject({ format: 'jwt', compatible_id: expect.any(Number) });
    expect(JSON.stringify(read.json)).not.toContain('thirty-two');
    expectDocumented('/v1/webhooks', 'post', created);
    expectDocumented('/v1/webhooks/{id}', 'get', read);
  });

  it('gives examples that match their own schemas, for create, update, list and test', () => {
    const operations = [
      ['/v1/webhooks', 'post', '201'],
      ['/v1/webhooks', 'get', '200'],
      ['/v1/webhooks/{id}', 'patch', '200'],
      ['/v1/webhooks/{id}/test', 'post', '202'],
    ] as const;
    for (const [path, method, status] of operations) {
      const operation = document.paths[path]?.[method];
      const media = [
        ...(method === 'get' ? [] : [operation?.requestBody?.content['application/json']]),
        operation?.responses[status]?.content?.['application/json'],
      ];
      for (const entry of media) {
        const examples = Object.values(entry?.examples ?? {});
        expect(examples.length, `${method} ${path}`).toBeGreaterThan(0);
        const validator = ajv.compile(rebase(entry?.schema ?? {}));
        for (const example of examples) {
          expect(validator(example.value), `${method} ${path}: ${ajv.errorsText(validator.errors)}`).toBe(
            true,
          );
        }
      }
    }
  });

  it('lists every problem type the code can answer in Problem.type, and a live problem validates against it', async () => {
    const kinds = new Set<string>();
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory()
          ? sources(join(dir, entry.name))
          : entry.name.endsWith('.ts')
            ? [join(dir, entry.name)]
            : [],
      );
    for (const file of sources('functions')) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/HttpProblem\(\s*\d{3},\s*'([a-z-]+)'/g))
        kinds.add(match[1] as string);
      for (const match of text.matchAll(/conflict\(\s*'([a-z-]+)'/g)) kinds.add(match[1] as string);
    }
    const documented = (document.components.schemas.Problem?.properties?.type?.enum ?? []) as string[];
    const validator = ajv.compile(rebase(document.components.schemas.Problem ?? {}));

    expect(kinds.size).toBeGreaterThanOrEqual(10);
    expect(documented).toEqual(
      expect.arrayContaining([...kinds].map((kind) => `urn:webhooks:problem:${kind}`)),
    );
    expect(validator({ type: 'urn:webhooks:problem:not-found', title: 't', status: 404, detail: 'd' })).toBe(
      true,
    );
    expect(validator({ type: 'urn:webhooks:problem:made-up', title: 't', status: 404, detail: 'd' })).toBe(
      false,
    );
  });

  it('documents the webhooks it sends: a test event matches its schema', async () => {
    const account = await newAccount();
    const receiver = await newReceiver();
    const { id } = await account.createWebhook({ url: receiver.url });

    await account.call('POST', `/v1/webhooks/${id}/test`);
    const request = await receiver.next();
    const schema = document.webhooks['webhook.test']?.post.requestBody.content['application/json']?.schema;
    const validator = ajv.compile(rebase(schema ?? {}));

    expect(validator(JSON.parse(request.body)), ajv.errorsText(validator.errors)).toBe(true);
    expect(Object.keys(document.webhooks)).toHaveLength(16);
  });
});
