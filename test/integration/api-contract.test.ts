import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { documentClient } from '#core/aws/dynamodb.ts';
import { problem, useApiSandbox } from '../support/api-sandbox.ts';
import { api } from '../support/clients.ts';

const { sandbox, newAccount, dynamo } = useApiSandbox();
const hook = { name: 'Idempotent', url: 'https://hooks.example.com/in', events: ['order.*'] };

describe('Idempotency-Key', () => {
  it('gives the first answer again for the same key and body, and creates one subscription', async () => {
    const { call } = await newAccount();

    const first = await call('POST', '/v1/webhooks', hook, { 'idempotency-key': 'create-1' });
    const again = await call('POST', '/v1/webhooks', hook, { 'idempotency-key': 'create-1' });
    const listed = await call('GET', '/v1/webhooks');

    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.json).toEqual(first.json);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(listed.json?.data).toHaveLength(1);
  });

  it('replays a create with its rate limit as first answered, and refuses the key with another rate limit', async () => {
    const { call } = await newAccount();
    const limited = { ...hook, rate_limit: 40 };

    const first = await call('POST', '/v1/webhooks', limited, { 'idempotency-key': 'limited' });
    const again = await call('POST', '/v1/webhooks', limited, { 'idempotency-key': 'limited' });
    const otherLimit = await call(
      'POST',
      '/v1/webhooks',
      { ...hook, rate_limit: null },
      { 'idempotency-key': 'limited' },
    );
    const listed = await call('GET', '/v1/webhooks');

    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ rate_limit: 40, circuit: { state: 'closed' }, lane: 'main' });
    expect(again.json).toEqual(first.json);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(otherLimit.status).toBe(422);
    expect(otherLimit.json).toEqual(
      problem('validation-failed', 422, {
        errors: [
          { field: 'idempotency-key', message: 'was already used with another request; use a new key' },
        ],
      }),
    );
    expect(listed.json?.data).toEqual([expect.objectContaining({ id: first.json?.id, rate_limit: 40 })]);
  });

  it('refuses the same key with another body or another route with a 422, and runs neither', async () => {
    const { call, createWebhook } = await newAccount();
    const { id } = await createWebhook();
    await call('POST', '/v1/webhooks', hook, { 'idempotency-key': 'k' });

    const otherBody = await call(
      'POST',
      '/v1/webhooks',
      { ...hook, name: 'Other' },
      { 'idempotency-key': 'k' },
    );
    const otherRoute = await call('POST', `/v1/webhooks/${id}/rotate-secret`, hook, {
      'idempotency-key': 'k',
    });
    const listed = await call('GET', '/v1/webhooks');

    for (const refused of [otherBody, otherRoute]) {
      expect(refused.status).toBe(422);
      expect(refused.json).toEqual(
        problem('validation-failed', 422, {
          errors: [
            { field: 'idempotency-key', message: 'was already used with another request; use a new key' },
          ],
        }),
      );
    }
    expect(listed.json?.data).toHaveLength(2);
  });

  it('keeps keys per account, does not keep failures, and refuses keys that are not 1 to 255 visible characters', async () => {
    const alice = await newAccount();
    const bob = await newAccount();

    const alices = await alice.call('POST', '/v1/webhooks', hook, { 'idempotency-key': 'shared' });
    const bobs = await bob.call('POST', '/v1/webhooks', hook, { 'idempotency-key': 'shared' });
    const failed = await alice.call('POST', '/v1/webhooks', { name: 'x' }, { 'idempotency-key': 'retry-me' });
    const fixed = await alice.call('POST', '/v1/webhooks', { name: 'x' }, { 'idempotency-key': 'retry-me' });
    const tooLong = await alice.call('POST', '/v1/webhooks', hook, { 'idempotency-key': 'k'.repeat(256) });

    expect(bobs.json?.id).not.toBe(alices.json?.id);
    expect(failed.status).toBe(422);
    expect(fixed.headers.get('idempotent-replayed')).toBeNull();
    expect(tooLong.json).toEqual(
      problem('validation-failed', 422, {
        errors: [
          { field: 'idempotency-key', message: 'must be 1 to 255 printable ASCII characters without spaces' },
        ],
      }),
    );
  });

  it('answers 409 to a second request with the key while the first still runs, and the first wins', async () => {
    const { call } = await newAccount();

    const answers = await Promise.all(
      Array.from({ length: 6 }, () => call('POST', '/v1/webhooks', hook, { 'idempotency-key': 'race' })),
    );
    const listed = await call('GET', '/v1/webhooks');

    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 201).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((status) => status === 201 || status === 409)).toBe(true);
    for (const answer of answers.filter((candidate) => candidate.status === 409)) {
      expect(answer.json).toEqual(problem('idempotency-key-in-use', 409));
    }
    expect(listed.json?.data).toHaveLength(1);
  });

  it('keeps a create’s answer sealed under its Idempotency-Key: the table never shows the secret, the key gets it again', async () => {
    const { accountId, call } = await newAccount();
    const db = documentClient(dynamo());
    const key = '6f1c2d9e-5a47-4b8e-9d0f-3c2b1a0e9f87';
    const first = await call('POST', '/v1/webhooks', hook, { 'idempotency-key': key });
    const { Items: kept = [] } = await db.send(
      new QueryCommand({
        TableName: 'webhooks',
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `IDEMPOTENCY#${accountId}` },
      }),
    );
    const again = await call('POST', '/v1/webhooks', hook, { 'idempotency-key': key });

    expect(first.json?.secret).toMatch(/^whsec_/);
    expect(kept).toHaveLength(1);
    expect(String(kept[0]?.answer?.body)).toMatch(/^sealed:v1:/);
    expect(JSON.stringify(kept)).not.toContain(String(first.json?.secret).slice('whsec_'.length));
    expect(JSON.stringify(kept)).not.toContain(key);
    expect(again.json).toEqual(first.json);
  });

  it('keeps answers where only the API may read them, and still gives one answered before they moved there', async () => {
    const { accountId, call } = await newAccount();
    const db = documentClient(dynamo());
    const first = await call('POST', '/v1/webhooks', hook, { 'idempotency-key': 'before-the-move' });
    // Where the answer is kept: a partition of its own, not the account's, which fan-out may list.
    const { Items: kept = [] } = await db.send(
      new QueryCommand({
        TableName: 'webhooks',
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `IDEMPOTENCY#${accountId}` },
      }),
    );
    const [answer] = kept;
    // As the API kept it before: in the account's partition, its body as it was sent (before answers were sealed).
    await db.send(
      new PutCommand({
        TableName: 'webhooks',
        Item: {
          ...answer,
          pk: `ACCOUNT#${accountId}`,
          sk: `IDEMPOTENCY#${answer?.sk}`,
          answer: { ...answer?.answer, body: JSON.stringify(first.json) },
        },
      }),
    );
    await db.send(new DeleteCommand({ TableName: 'webhooks', Key: { pk: answer?.pk, sk: answer?.sk } }));

    const again = await call('POST', '/v1/webhooks', hook, { 'idempotency-key': 'before-the-move' });
    const listed = await call('GET', '/v1/webhooks');

    expect(kept).toHaveLength(1);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.json).toEqual(first.json);
    expect(listed.json?.data).toHaveLength(1);
  });
});

describe('routes and errors', () => {
  // GET / is the API's index (test/integration/front-door.test.ts); other unknown paths are not found.
  it.each([
    ['GET', '/nothing-here'],
    ['GET', '/v1'],
    ['GET', '/v2/webhooks'],
    ['POST', '/v1/nothing-here'],
    ['GET', '/v1/webhooks/sub_0000/deliveries/x/y'],
    ['GET', `/v1/webhooks/${'a'.repeat(1100)}`],
    ['DELETE', `/v1/webhooks/sub_${'z'.repeat(1015)}`],
    ['GET', '/v1/webhooks/%E0%A4%A'],
    ['GET', '/v1/webhooks/%20'],
    ['GET', '/v1/webhooks/sub_01m8re8jc558cthvp60cjb7yj5'],
  ])('%s %s is a problem+json 404', async (method, path) => {
    const { call } = await newAccount();

    const response = await call(method, path);

    expect(response.status).toBe(404);
    expect(response.contentType).toBe('application/problem+json');
    expect(response.json).toEqual(problem('not-found', 404));
  });

  it.each([
    ['PUT', '/v1/webhooks', 'POST, GET'],
    ['DELETE', '/v1/webhooks', 'POST, GET'],
    ['POST', '/v1/webhooks/sub_01m8re8jc558cthvp60cjb7yj5', 'GET, PATCH, DELETE'],
    ['GET', '/v1/webhooks/sub_01m8re8jc558cthvp60cjb7yj5/rotate-secret', 'POST'],
    ['HEAD', '/v1/event-types', 'GET'],
    ['PROPFIND', '/v1/webhooks', 'POST, GET'],
  ])('%s %s is a problem+json 405 with Allow: %s', async (method, path, allow) => {
    const { call } = await newAccount();

    const response = await call(method, path);

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe(allow);
    if (method !== 'HEAD') expect(response.json).toEqual(problem('method-not-allowed', 405));
  });

  it('answers 401 without a valid key on every route but the API’s own description', async () => {
    const endpoint = sandbox().endpoint;

    const missing = await api(endpoint, undefined, 'GET', '/v1/webhooks');
    const wrong = await api(endpoint, 'whk_not-a-key', 'POST', '/v1/webhooks', hook);
    const malformed = await api(endpoint, undefined, 'GET', '/v1/webhooks', undefined, {
      authorization: 'Basic x',
    });
    const catalog = await api(endpoint, undefined, 'GET', '/v1/event-types');
    const openapi = await api(endpoint, undefined, 'GET', '/v1/openapi.json');

    for (const refused of [missing, wrong, malformed]) {
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer');
      expect(refused.json).toEqual(
        problem('unauthorized', 401, { errors: [{ field: 'authorization', message: expect.any(String) }] }),
      );
    }
    expect(catalog.status).toBe(200);
    expect(openapi.status).toBe(200);
  });

  it('answers 415 for a body that is not JSON and 400 for broken JSON, even on GET-less routes', async () => {
    const { apiKey, call, createWebhook } = await newAccount();
    const { id } = await createWebhook();

    const text = await call('PATCH', `/v1/webhooks/${id}`, 'name=x', { 'content-type': 'text/plain' });
    const broken = await call('POST', `/v1/webhooks/${id}/rotate-secret`, '{"previous_secret_expires_in":');
    // fetch cannot send a body with GET; undici's request can, as hostile clients do.
    const getWithBody = await request(`${sandbox().endpoint}/v1/webhooks/${id}`, {
      method: 'GET',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: '{"ignored":true}',
    });

    expect(text.status).toBe(415);
    expect(broken.status).toBe(400);
    expect(getWithBody.statusCode).toBe(200);
    expect(await getWithBody.body.json()).toMatchObject({ id });
  });
});

describe('bodies: media types, encodings and what counts as none', () => {
  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'application/json;charset=UTF-8',
    'application/json; charset="utf-8"',
    'application/merge-patch+json',
  ])('reads a body sent as %s', async (contentType) => {
    const { call, createWebhook } = await newAccount();
    const { id } = await createWebhook();

    const response = await call('PATCH', `/v1/webhooks/${id}`, '{"name":"Renamed"}', {
      'content-type': contentType,
    });

    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ name: 'Renamed' });
  });

  it.each([
    ['text/plain', 'content-type', 'must be application/json'],
    ['application/json; charset=iso-8859-1', 'content-type', 'must name charset utf-8 or none'],
    ['application/json; charset=utf-16', 'content-type', 'must name charset utf-8 or none'],
    ['application/json; charset=utf8', 'content-type', 'must name charset utf-8 or none'],
    ['application/json; charset=', 'content-type', 'must name charset utf-8 or none'],
  ])('answers 415 for a body sent as %s, and changes nothing', async (contentType, field, message) => {
    const { call, createWebhook } = await newAccount();
    const { id } = await createWebhook();

    const response = await call('PATCH', `/v1/webhooks/${id}`, '{"name":"Renamed"}', {
      'content-type': contentType,
    });

    expect(response.status).toBe(415);
    expect(response.json).toEqual(problem('unsupported-media-type', 415, { errors: [{ field, message }] }));
    expect((await call('GET', `/v1/webhooks/${id}`)).json).toMatchObject({ version: 1 });
  });

  it.each(['gzip', 'br', 'deflate', 'identity, gzip', 'x-custom'])(
    'answers 415 for a body with Content-Encoding: %s, as it is never decompressed',
    async (encoding) => {
      const { call } = await newAccount();

      const response = await call('POST', '/v1/webhooks', hook, { 'content-encoding': encoding });

      expect(response.status).toBe(415);
      expect(response.json).toEqual(
        problem('unsupported-media-type', 415, {
          errors: [{ field: 'content-encoding', message: 'must be identity (bodies are not decompressed)' }],
        }),
      );
      expect((await call('GET', '/v1/webhooks')).json?.data).toEqual([]);
    },
  );

  it('reads a body with Content-Encoding: identity', async () => {
    const { call } = await newAccount();

    const response = await call('POST', '/v1/webhooks', hook, { 'content-encoding': 'Identity' });

    expect(response.status).toBe(201);
  });

  /** Sends raw bytes as a JSON body, as a client with a broken encoder does. */
  const sendBytes = (apiKey: string, method: 'POST' | 'PATCH', path: string, body: Buffer) =>
    request(`${sandbox().endpoint}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json; charset=utf-8' },
      body,
    });
  const json = (...parts: (string | number[])[]) =>
    Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))));
  const notUtf8 = {
    'a byte that starts no character (0xff)': [0xff],
    'a sequence cut short (0xc3 then a quote)': [0xc3],
    'an overlong encoding of / (0xc0 0xaf)': [0xc0, 0xaf],
    'an encoded surrogate (0xed 0xa0 0x80)': [0xed, 0xa0, 0x80],
    'Latin-1 text (0xfc for ü)': [0x66, 0xfc, 0x72],
  };

  it.each(Object.entries(notUtf8))(
    'answers 400 problem+json naming the body for one that is not UTF-8, %s, and stores nothing',
    async (_kind, bytes) => {
      const { apiKey, call, createWebhook } = await newAccount();
      const { id } = await createWebhook();

      const created = await sendBytes(
        apiKey,
        'POST',
        '/v1/webhooks',
        json('{"name":"Orders ', bytes, '","url":"https://hooks.example.com/in","events":["order.*"]}'),
      );
      const patched = await sendBytes(apiKey, 'PATCH', `/v1/webhooks/${id}`, json('{"name":"', bytes, '"}'));

      for (const answer of [created, patched]) {
        expect(answer.statusCode).toBe(400);
        expect(answer.headers['content-type']).toBe('application/problem+json');
        expect(await answer.body.json()).toEqual(
          problem('malformed-body', 400, {
            errors: [{ field: 'body', message: expect.stringContaining('not valid UTF-8') }],
          }),
        );
      }
      const list = await call('GET', '/v1/webhooks');
      expect(list.json?.data).toHaveLength(1);
      expect((await call('GET', `/v1/webhooks/${id}`)).json).toMatchObject({
        name: 'Order updates',
        version: 1,
      });
    },
  );

  it('stores text in UTF-8 beyond ASCII as it was sent', async () => {
    const { apiKey, call } = await newAccount();
    const name = 'Bestellungen für Zürich 📦 注文';

    const created = await sendBytes(
      apiKey,
      'POST',
      '/v1/webhooks',
      json(`{"name":"${name}","url":"https://hooks.example.com/in","events":["order.*"]}`),
    );
    const { id } = (await created.body.json()) as { id: string };

    expect(created.statusCode).toBe(201);
    expect((await call('GET', `/v1/webhooks/${id}`)).json).toMatchObject({ name });
  });

  it.each(['', ' ', '\n', ' \r\n\t '])('takes a body of %j as none, on every route', async (body) => {
    const { call, createWebhook } = await newAccount();
    const { id } = await createWebhook();

    const created = await call('POST', '/v1/webhooks', body);
    const rotated = await call('POST', `/v1/webhooks/${id}/rotate-secret`, body);
    const tested = await call('POST', `/v1/webhooks/${id}/test`, body);

    expect(created.json).toEqual(
      problem('validation-failed', 422, { errors: [{ field: 'body', message: 'must be a JSON object' }] }),
    );
    expect(rotated.status).toBe(200);
    expect(tested.status).toBe(202);
  });

  it.each(['rotate-secret', 'test'])(
    'refuses null as the body of POST .../%s: only no body means {}',
    async (action) => {
      const { call, createWebhook } = await newAccount();
      const { id } = await createWebhook();

      const response = await call('POST', `/v1/webhooks/${id}/${action}`, 'null');

      expect(response.status).toBe(422);
      expect(response.json).toEqual(
        problem('validation-failed', 422, { errors: [{ field: 'body', message: 'must be a JSON object' }] }),
      );
      expect((await call('GET', `/v1/webhooks/${id}`)).json).toMatchObject({ version: 1 });
    },
  );
});

describe('Cache-Control', () => {
  it('marks every answer no-store, above all those that carry a secret', async () => {
    const { call, createWebhook } = await newAccount();
    const { id } = await createWebhook();

    const answers = await Promise.all([
      call('POST', '/v1/webhooks', hook),
      call('POST', '/v1/webhooks', hook, { 'idempotency-key': 'cache-1' }),
      call('POST', `/v1/webhooks/${id}/rotate-secret`),
      call('GET', `/v1/webhooks/${id}`),
      call('GET', '/v1/webhooks'),
      call('PATCH', `/v1/webhooks/${id}`, { name: 'x' }),
      call('POST', `/v1/webhooks/${id}/test`),
      call('GET', '/v1/openapi.json'),
      call('GET', '/v1/nowhere'),
      call('PUT', '/v1/webhooks'),
      call('PROPFIND', '/v1/webhooks'),
      call('GET', '/v1/webhooks/%E0%A4%A'),
      api(sandbox().endpoint, undefined, 'GET', '/v1/webhooks'),
    ]);
    const replayed = await call('POST', '/v1/webhooks', hook, { 'idempotency-key': 'cache-1' });
    const deleted = await call('DELETE', `/v1/webhooks/${id}`);

    for (const answer of [...answers, replayed, deleted]) {
      expect(answer.headers.get('cache-control'), String(answer.status)).toBe('no-store');
    }
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
  });
});

describe('GET /v1/event-types', () => {
  it('lists every catalog type with its description, JSON Schema and an example', async () => {
    const { call } = await newAccount();

    const response = await call('GET', '/v1/event-types');
    const types = response.json?.data as {
      type: string;
      description: string;
      schema: object;
      example: object;
    }[];

    expect(types.map((entry) => entry.type)).toEqual([
      'order.created',
      'order.status_updated',
      'order.fulfillment_created',
      'order.shipment_created',
      'order.payment_captured',
      'order.payment_voided',
      'order.payment_refunded',
      'order.deleted',
      'shipment.created',
      'shipment.cancelled',
      'shipment.tracking_updated',
      'shipment.delivered',
      'draft.created',
      'draft.shipment_created',
      'draft.deleted',
    ]);
    for (const entry of types) {
      expect(entry.description.length).toBeGreaterThan(10);
      expect(entry.schema).toMatchObject({ type: 'object', properties: { type: { const: entry.type } } });
      expect(entry.example).toMatchObject({ id: expect.stringMatching(/^evt_/), type: entry.type });
    }
    expect(response.json?.next_cursor).toBeNull();
  });
});
