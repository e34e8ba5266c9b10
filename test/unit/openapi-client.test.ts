import { readFileSync } from 'node:fs';
import { validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  loadOpenApi,
  type OpenApiClient,
  type OpenApiReference,
  UndocumentedAnswer,
  UndocumentedRequest,
} from '../support/openapi-client.ts';
import { type Receiver, type Reply, startReceiver } from '../support/receiver.ts';

const referenceDocument: unknown = JSON.parse(
  readFileSync(new URL('../fixtures/shipmondo/reference-openapi.json', import.meta.url), 'utf8'),
);
const webhook = {
  id: 17,
  name: 'Orders created',
  endpoint: 'https://shop.example/webhooks',
  active: true,
  action: 'create',
  resource_name: 'Orders',
  created_at: '2026-03-01T10:15:00.000+01:00',
  updated_at: '2026-03-01T10:15:00.000+01:00',
};
const json = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(body),
});
const paging = { 'x-per-page': '20', 'x-current-page': '1', 'x-total-count': '1', 'x-total-pages': '1' };

let server: Receiver;
let reference: OpenApiReference;
let client: OpenApiClient;
beforeAll(async () => {
  server = await startReceiver();
  reference = await loadOpenApi(referenceDocument);
  client = reference.client(`http://127.0.0.1:${server.port}`, { user: 'key_demo', password: 'secret' });
});
afterAll(() => server.close());
beforeEach(() => {
  server.received.length = 0;
});

/** The server's answer from now on, and the request it will have got. */
function serverAnswers(reply: Reply) {
  server.answerWith(() => reply);
}

describe("the reference's webhooks document (test/fixtures/shipmondo/reference-openapi.json)", () => {
  it('is valid Swagger 2.0 for @readme/openapi-parser', async () => {
    const result = await validate(structuredClone(referenceDocument) as Parameters<typeof validate>[0]);

    expect(result).toMatchObject({ valid: true, specification: 'Swagger' });
  });

  it('has the five webhook operations', () => {
    expect(reference.operationIds).toEqual([
      'webhooks_get',
      'webhook_create',
      'webhook_get',
      'webhook_update',
      'webhook_delete',
    ]);
  });
});

describe('the OpenAPI client: requests as the document describes them', () => {
  it('sends GET under the base path with the query, HTTP Basic credentials and accept JSON, and hands back the answer', async () => {
    serverAnswers(json(200, [webhook], paging));

    const answer = await client.call('webhooks_get', {
      query: { per_page: 20, active: true, name: 'Orders created' },
    });

    expect(answer).toEqual({ status: 200, headers: expect.objectContaining(paging), body: [webhook] });
    expect(server.received).toMatchObject([
      {
        method: 'GET',
        path: '/api/public/v3/webhooks?per_page=20&active=true&name=Orders+created',
        headers: { authorization: `Basic ${btoa('key_demo:secret')}`, accept: 'application/json' },
      },
    ]);
  });

  it('sends a JSON body with its content type, and puts path parameters into the path', async () => {
    serverAnswers(json(200, webhook));

    await client.call('webhook_update', { path: { id: 17 }, body: { name: 'Renamed', active: false } });

    expect(server.received).toMatchObject([
      {
        method: 'PUT',
        path: '/api/public/v3/webhooks/17',
        headers: { 'content-type': 'application/json' },
        body: '{"name":"Renamed","active":false}',
      },
    ]);
  });

  it('sends no Authorization header when it has no credentials', async () => {
    serverAnswers(json(401, { error: 'Invalid API User or API Key' }));

    const answer = await reference
      .client(`http://127.0.0.1:${server.port}`)
      .call('webhook_get', { path: { id: 1 } });

    expect(answer.status).toBe(401);
    expect(server.received[0]?.headers.authorization).toBeUndefined();
  });

  it.each([
    ['an operation the document does not have', 'webhooks_list', {}, 'no such operation'],
    ['an unknown query parameter', 'webhooks_get', { query: { limit: 5 } }, 'unknown query parameter limit'],
    ['a value above the maximum', 'webhooks_get', { query: { per_page: 51 } }, 'per_page must be <= 50'],
    ['a value of the wrong type', 'webhooks_get', { query: { active: 'yes' } }, 'active must be boolean'],
    [
      'a date-time that is not one',
      'webhooks_get',
      { query: { created_at_min: 'today' } },
      'must match format',
    ],
    ['a missing path parameter', 'webhook_get', {}, 'missing required path parameter id'],
    [
      'an unknown path parameter',
      'webhook_get',
      { path: { id: 1, slug: 'x' } },
      'unknown path parameter slug',
    ],
    ['a body the operation does not take', 'webhook_get', { path: { id: 1 }, body: {} }, 'does not take'],
    ['no body where one is required', 'webhook_update', { path: { id: 1 } }, 'no body'],
    [
      'a body without a required field',
      'webhook_create',
      {
        body: {
          name: 'n',
          endpoint: 'https://shop.example/webhooks',
          action: 'create',
          resource_name: 'Orders',
        },
      },
      "must have required property 'key'",
    ],
    [
      'a body with a value outside an enum',
      'webhook_create',
      { body: { name: 'n', endpoint: 'e', key: 'k', action: 'create', resource_name: 'Invoices' } },
      'resource_name must be equal to one of the allowed values',
    ],
  ])('refuses %s before sending anything', async (_, operationId, request, problem) => {
    serverAnswers(json(200, [webhook]));

    const call = client.call(operationId, request);

    await expect(call).rejects.toThrow(UndocumentedRequest);
    await expect(call).rejects.toThrow(problem);
    expect(server.received).toEqual([]);
  });

  it('sends what the document does not allow when told to, and still checks the answer', async () => {
    serverAnswers(json(422, { error: 'per_page: must be at most 50' }));

    const answer = await client.call(
      'webhooks_get',
      { query: { per_page: 51, limit: 5 } },
      { unchecked: true },
    );

    expect(answer).toMatchObject({ status: 422, body: { error: 'per_page: must be at most 50' } });
    expect(server.received[0]?.path).toBe('/api/public/v3/webhooks?per_page=51&limit=5');
  });
});

describe('the OpenAPI client: answers checked against the document', () => {
  it.each<[string, string, Reply, string]>([
    [
      'a list item missing a field',
      'webhooks_get',
      json(200, [{ ...webhook, endpoint: undefined }]),
      'endpoint',
    ],
    [
      'an id that is not an integer',
      'webhook_get',
      json(200, { ...webhook, id: '17' }),
      'id must be integer',
    ],
    [
      'a time that is not a date-time',
      'webhook_get',
      json(200, { ...webhook, created_at: 'yesterday' }),
      'format',
    ],
    [
      'an action outside the enum',
      'webhook_get',
      json(200, { ...webhook, action: 'order.created' }),
      'allowed',
    ],
    [
      'an object where the create answers an array',
      'webhook_create',
      json(200, webhook),
      'body must be array',
    ],
    [
      'an error body without error',
      'webhook_get',
      json(404, { message: 'Not Found' }),
      "required property 'error'",
    ],
    ['a status the operation does not declare', 'webhook_get', json(500, { error: 'boom' }), 'status 500'],
    ['a success status other than the declared one', 'webhook_create', json(201, [webhook]), 'status 201'],
    ['a wrong method answer', 'webhook_delete', { status: 405 }, 'status 405'],
    [
      'a problem+json error',
      'webhook_get',
      {
        status: 404,
        headers: { 'content-type': 'application/problem+json' },
        body: '{"error":"Resource not found"}',
      },
      'content-type application/problem+json',
    ],
    [
      'a JSON content type with a body that is not JSON',
      'webhook_get',
      { status: 404, headers: { 'content-type': 'application/json' }, body: 'Not Found' },
      'not JSON',
    ],
    [
      'a paging header that is not an integer',
      'webhooks_get',
      json(200, [webhook], { ...paging, 'x-total-count': 'many' }),
      'header x-total-count must be integer',
    ],
  ])('refuses %s', async (_, operationId, reply, problem) => {
    serverAnswers(reply);
    const request = operationId === 'webhooks_get' ? {} : { path: { id: 17 } };
    const create = {
      body: { name: 'n', endpoint: 'e', key: 'k', action: 'create', resource_name: 'Orders' },
    };

    const call = client.call(operationId, operationId === 'webhook_create' ? create : request);

    await expect(call).rejects.toThrow(UndocumentedAnswer);
    await expect(call).rejects.toThrow(problem);
  });

  it('accepts the declared answers: an array from the create, the documented error bodies', async () => {
    serverAnswers(json(200, [webhook]));
    const create = {
      body: { name: 'n', endpoint: 'e', key: 'k', action: 'create', resource_name: 'Orders' },
    };
    expect((await client.call('webhook_create', create)).body).toEqual([webhook]);

    serverAnswers(json(404, { error: 'Resource not found' }));
    expect(await client.call('webhook_get', { path: { id: 9 } })).toMatchObject({ status: 404 });

    serverAnswers(json(401, { error: 'Invalid API User or API Key' }));
    expect(await client.call('webhook_delete', { path: { id: 9 } })).toMatchObject({ status: 401 });
  });
});

describe('the OpenAPI client with an OpenAPI 3.1 document', () => {
  const document = {
    openapi: '3.1.0',
    info: { title: 'Tiny', version: '1' },
    servers: [{ url: 'https://api.example/base/v1' }],
    components: { securitySchemes: { basic: { type: 'http', scheme: 'basic' } } },
    security: [{ basic: [] }],
    paths: {
      '/things/{id}': {
        get: {
          operationId: 'thing_get',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
          responses: {
            '2XX': {
              description: 'A thing',
              content: {
                'application/json': {
                  schema: { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } },
                },
              },
            },
          },
        },
      },
      '/openapi.json': {
        get: { operationId: 'document', security: [], responses: { '200': { description: 'x' } } },
      },
    },
  };

  it('uses the first server URL as the base path, a status range, and no credentials where security is empty', async () => {
    const tiny = (await loadOpenApi(document)).client(`http://127.0.0.1:${server.port}`, {
      user: 'u',
      password: 'p',
    });

    serverAnswers(json(201, { id: 3 }));
    expect(await tiny.call('thing_get', { path: { id: 3 } })).toMatchObject({ status: 201, body: { id: 3 } });
    serverAnswers(json(202, { id: 'three' }));
    await expect(tiny.call('thing_get', { path: { id: 3 } })).rejects.toThrow('body/id must be integer');
    serverAnswers(json(200, {}));
    await tiny.call('document');

    expect(server.received.map(({ path, headers }) => [path, headers.authorization])).toEqual([
      ['/base/v1/things/3', `Basic ${btoa('u:p')}`],
      ['/base/v1/things/3', `Basic ${btoa('u:p')}`],
      ['/base/v1/openapi.json', undefined],
    ]);
  });

  it('refuses a document that is not valid OpenAPI', async () => {
    await expect(loadOpenApi({ ...document, paths: { things: {} } })).rejects.toThrow('not valid');
  });
});
