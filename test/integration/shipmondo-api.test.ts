/**
 * The Shipmondo-compatible API (/api/public/v3/webhooks) against a sandbox: the reference's requests, answers,
 * paging, filters and errors, on the same subscriptions as /v1, with loopback receivers taking the verification
 * request each creation sends.
 */
import { readFileSync } from 'node:fs';
import { compileErrors, validate } from '@readme/openapi-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { apiKeyId, newApiKey } from '#core/accounts/api-key-store.ts';
import { shipmondoActions, shipmondoResources } from '#core/events/shipmondo-actions.ts';
import { type TestAccount, useApiSandbox } from '../support/api-sandbox.ts';
import { disableBehindTheApi } from '../support/behind-the-api.ts';
import { api } from '../support/clients.ts';
import { type JwtReceiver, startJwtReceiver } from '../support/jwt-receiver.ts';
import { loadOpenApi, UndocumentedRequest } from '../support/openapi-client.ts';
import type { Receiver } from '../support/receiver.ts';

const limit = 8;
const { sandbox, newAccount, newReceiver, dynamo } = useApiSandbox({ subscriptionsPerAccount: limit });

type Webhook = {
  id: number;
  name: string;
  endpoint: string;
  active: boolean;
  action: string;
  resource_name: string;
  created_at: string;
  updated_at: string;
};

const base = '/api/public/v3';
const basic = (user: string, key: string) =>
  `Basic ${Buffer.from(`${user}:${key}`, 'utf8').toString('base64')}`;
const unauthorized = { error: 'Invalid API User or API Key' };
const notFound = { error: 'Resource not found' };

/** Calls the compatible API as its clients do: HTTP Basic with the account's API user (the key's id) and key. */
function compatible(account: TestAccount) {
  const authorization = basic(apiKeyId(account.apiKey), account.apiKey);
  return (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    api(sandbox().endpoint, undefined, method, `${base}${path}`, body, { authorization, ...headers });
}

let receiver: Receiver;
let failing: Receiver;

/** A create body the API takes, with `fields` instead of its own. */
const createBody = (fields: Record<string, unknown> = {}) => ({
  name: 'Order status',
  endpoint: receiver.url,
  key: 'example_key_123',
  action: 'status_update',
  resource_name: 'Orders',
  ...fields,
});

beforeAll(async () => {
  receiver = await newReceiver(() => ({ status: 200 }));
  failing = await newReceiver(() => ({ status: 500, body: 'not ready' }));
});

/** A new account and a client for it, with a helper that creates a webhook and answers it. */
async function compatibleAccount() {
  const account = await newAccount();
  const call = compatible(account);
  async function create(fields: Record<string, unknown> = {}): Promise<Webhook> {
    const created = await call('POST', '/webhooks', createBody(fields));
    expect(created.status, JSON.stringify(created.json)).toBe(200);
    return (created.json as unknown as Webhook[])[0] as Webhook;
  }
  return { account, call, create };
}

/** The /v1 subscription a compatible webhook is. */
async function inV1(account: TestAccount, webhook: Webhook) {
  const listed = await account.call('GET', '/v1/webhooks?limit=100');
  const data = listed.json?.data as { compatible_id: number | null; id: string }[];
  return data.find((subscription) => subscription.compatible_id === webhook.id) as Record<string, unknown> & {
    id: string;
  };
}

describe('POST /api/public/v3/webhooks', () => {
  it('creates an active webhook once its endpoint took the verification request, answers an array, and shows it in /v1 too', async () => {
    const { account, call } = await compatibleAccount();
    const before = receiver.received.length;

    const created = await call('POST', '/webhooks', createBody());
    const [webhook] = created.json as unknown as Webhook[];
    const verification = receiver.received[before];
    const v1 = await inV1(account, webhook as Webhook);

    expect(created.status).toBe(200);
    expect(created.contentType).toBe('application/json');
    expect(created.json).toEqual([
      {
        id: expect.any(Number),
        name: 'Order status',
        endpoint: receiver.url,
        active: true,
        action: 'status_update',
        resource_name: 'Orders',
        created_at: expect.any(String),
        updated_at: expect.any(String),
      },
    ]);
    expect(Number.isInteger(webhook?.id) && (webhook?.id ?? 0) > 0).toBe(true);
    expect(verification?.headers).toMatchObject({
      'smd-webhook-id': String(webhook?.id),
      'smd-resource-type': 'Orders',
      'smd-action': 'status_update',
    });
    expect(v1).toMatchObject({
      name: 'Order status',
      url: receiver.url,
      events: ['order.status_updated'],
      format: 'jwt',
      status: 'active',
      compatible_id: webhook?.id,
    });
    expect(JSON.stringify([created.json, v1])).not.toContain('example_key_123');
  });

  it('gives each webhook its own integer id, and answers a repeated Idempotency-Key with the first answer', async () => {
    const { call, create } = await compatibleAccount();
    const first = await create({ name: 'First' });
    const headers = { 'idempotency-key': 'create-once' };
    const body = createBody({ name: 'Second', key: 'k', action: 'create', resource_name: 'Shipments' });

    const second = await call('POST', '/webhooks', body, headers);
    const replayed = await call('POST', '/webhooks', body, headers);
    const listed = await call('GET', '/webhooks');

    expect(second.status).toBe(200);
    expect((second.json as unknown as Webhook[])[0]?.id).toBeGreaterThan(first.id);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.json).toEqual(second.json);
    expect((listed.json as unknown as Webhook[]).map((webhook) => webhook.name)).toEqual(['Second', 'First']);
  });

  it('takes a webhook for every action of every resource, as the mapping names them', async () => {
    const { call, create } = await compatibleAccount();
    const pairs = shipmondoResources.flatMap((resource) =>
      Object.keys(shipmondoActions[resource]).map((action) => ({ resource, action })),
    );
    const made: Webhook[] = [];
    // The account's limit is below the number of pairs: each is made, checked and deleted in turn.
    for (const { resource, action } of pairs) {
      const webhook = await create({ name: `${resource} ${action}`, action, resource_name: resource });
      made.push(webhook);
      expect(await call('DELETE', `/webhooks/${webhook.id}`)).toMatchObject({ status: 200 });
    }

    expect(made.map(({ resource_name, action }) => [resource_name, action])).toEqual(
      pairs.map(({ resource, action }) => [resource, action]),
    );
  });

  it.each([
    [
      {},
      'name: is required; endpoint: is required; key: is required; action: is required; resource_name: is required',
    ],
    [
      { resource_name: 'Shipments', action: 'status_update' },
      'action: is not an action of Shipments; use one of create, cancel',
    ],
    [
      { resource_name: 'Invoices' },
      'resource_name: must be one of Orders, Shipments, Drafts, Shipment Monitor',
    ],
    [{ action: 'update' }, 'action: must be one of create, status_update'],
    [{ key: '' }, 'key: must not be empty'],
    [{ key: 'k'.repeat(1025) }, 'key: must be at most 1024 bytes'],
    [{ endpoint: 'ftp://hooks.example.com/in' }, 'endpoint: '],
    [{ name: '   ' }, 'name: must not be empty'],
  ])('refuses %j with 422 {"error"} naming the field', async (fields, message) => {
    const { call } = await compatibleAccount();
    const body = Object.keys(fields).length === 0 ? {} : createBody({ name: 'Wrong', ...fields });

    const refused = await call('POST', '/webhooks', body);

    expect(refused.status).toBe(422);
    expect(refused.contentType).toBe('application/json');
    expect(refused.json).toEqual({ error: expect.stringContaining(message) });
    expect((await call('GET', '/webhooks')).json).toEqual([]);
  });

  it('refuses a body that is not JSON, or not an object, with 422 {"error"}', async () => {
    const { call } = await compatibleAccount();

    const notJson = await call('POST', '/webhooks', '{"name":');
    const notObject = await call('POST', '/webhooks', '[]');
    const notTyped = await call('POST', '/webhooks', 'name=x', {
      'content-type': 'application/x-www-form-urlencoded',
    });

    expect([notJson, notObject, notTyped].map((answer) => [answer.status, answer.contentType])).toEqual([
      [422, 'application/json'],
      [422, 'application/json'],
      [422, 'application/json'],
    ]);
    expect(notJson.json).toEqual({ error: expect.stringMatching(/^body: /) });
    expect(notObject.json).toEqual({ error: 'body: must be a JSON object' });
    expect(notTyped.json).toEqual({ error: 'content-type: must be application/json' });
  });

  it('makes nothing when the endpoint does not take the verification request (422 naming the endpoint)', async () => {
    const { account, call } = await compatibleAccount();

    const refused = await call('POST', '/webhooks', createBody({ name: 'Not ready', endpoint: failing.url }));

    expect(refused.status).toBe(422);
    expect(refused.json).toEqual({
      error: expect.stringMatching(
        /^endpoint: did not take the verification request: the endpoint answered HTTP 500/,
      ),
    });
    expect((await call('GET', '/webhooks')).json).toEqual([]);
    expect((await account.call('GET', '/v1/webhooks')).json?.data).toEqual([]);
  });

  it('refuses a webhook beyond the account’s limit with 422 {"error"}', async () => {
    const { account, call, create } = await compatibleAccount();
    for (let n = 1; n < limit; n++) await account.createWebhook({ name: `v1 ${n}` });
    await create({ name: 'The last one' });

    const refused = await call(
      'POST',
      '/webhooks',
      createBody({ name: 'One too many', action: 'create', resource_name: 'Drafts' }),
    );

    expect(refused.status).toBe(422);
    expect(refused.json).toEqual({
      error: `An account may have at most ${limit} webhooks; delete one first`,
    });
  });
});

describe('GET /api/public/v3/webhooks', () => {
  it('pages newest first with the X-* headers; per_page defaults to 20, a page beyond the end is empty', async () => {
    const { call, create } = await compatibleAccount();
    const made: Webhook[] = [];
    for (const name of ['w1', 'w2', 'w3', 'w4', 'w5']) made.push(await create({ name }));
    const names = (answer: { json?: unknown }) =>
      (answer.json as unknown as Webhook[]).map((webhook) => webhook.name);
    const paging = (answer: { headers: Headers }) =>
      ['x-per-page', 'x-current-page', 'x-total-count', 'x-total-pages'].map((name) =>
        answer.headers.get(name),
      );

    const all = await call('GET', '/webhooks');
    const first = await call('GET', '/webhooks?per_page=2');
    const last = await call('GET', '/webhooks?per_page=2&page=3');
    const beyond = await call('GET', '/webhooks?per_page=2&page=4&colour=blue');

    expect(names(all)).toEqual(['w5', 'w4', 'w3', 'w2', 'w1']);
    expect(all.json).toEqual([...made].reverse());
    expect(paging(all)).toEqual(['20', '1', '5', '1']);
    expect(names(first)).toEqual(['w5', 'w4']);
    expect(paging(first)).toEqual(['2', '1', '5', '3']);
    expect(names(last)).toEqual(['w1']);
    expect(paging(last)).toEqual(['2', '3', '5', '3']);
    expect(beyond.status).toBe(200);
    expect(beyond.json).toEqual([]);
    expect(paging(beyond)).toEqual(['2', '4', '5', '3']);
  });

  it.each([
    ['per_page=0', 'per_page: must be a whole number from 1 to 50'],
    ['per_page=51', 'per_page: must be a whole number from 1 to 50'],
    ['per_page=abc', 'per_page: must be a whole number from 1 to 50'],
    ['page=0', 'page: must be a whole number of at least 1'],
    ['active=yes', 'active: must be true or false'],
    ['id=x', 'id: must be a whole number of at least 1'],
    ['created_at_min=yesterday', 'created_at_min: must be an ISO 8601 date-time'],
    ['updated_at_max=2026-13-01', 'updated_at_max: must be an ISO 8601 date-time'],
  ])('refuses %s with 422 {"error"} naming the parameter', async (query, message) => {
    const { call } = await compatibleAccount();

    const refused = await call('GET', `/webhooks?${query}`);

    expect(refused.status).toBe(422);
    expect(refused.json).toEqual({ error: expect.stringContaining(message) });
  });

  it('filters by id, name, active, and created and updated times (a date alone is its midnight UTC)', async () => {
    const { call, create } = await compatibleAccount();
    const first = await create({ name: 'Orders A' });
    const second = await create({ name: 'Orders B' });
    const third = await create({ name: 'Orders B', action: 'create' });
    const paused = await call('PUT', `/webhooks/${first.id}`, { active: false });
    const changedAt = (paused.json as Webhook).updated_at;
    const ids = async (query: string) => {
      const answer = await call('GET', `/webhooks?${query}`);
      expect(answer.status, JSON.stringify(answer.json)).toBe(200);
      return (answer.json as unknown as Webhook[]).map((webhook) => webhook.id);
    };
    const today = changedAt.slice(0, 10);
    const tomorrow = new Date(Date.parse(today) + 86_400_000).toISOString().slice(0, 10);

    expect(await ids(`id=${second.id}`)).toEqual([second.id]);
    expect(await ids('id=999999999')).toEqual([]);
    expect(await ids('name=Orders%20B')).toEqual([third.id, second.id]);
    expect(await ids('name=Orders')).toEqual([]);
    expect(await ids('active=false')).toEqual([first.id]);
    expect(await ids('active=true')).toEqual([third.id, second.id]);
    expect(await ids(`created_at_min=${encodeURIComponent(second.created_at)}`)).toEqual([
      third.id,
      second.id,
    ]);
    expect(await ids(`created_at_max=${encodeURIComponent(second.created_at)}`)).toEqual([
      second.id,
      first.id,
    ]);
    expect(await ids(`created_at_min=${today}`)).toEqual([third.id, second.id, first.id]);
    expect(await ids(`created_at_max=${today}`)).toEqual([]);
    expect(await ids(`created_at_max=${tomorrow}`)).toEqual([third.id, second.id, first.id]);
    expect(await ids(`updated_at_min=${encodeURIComponent(changedAt)}`)).toEqual([first.id]);
    expect(
      await ids(`updated_at_max=${encodeURIComponent(third.updated_at)}&updated_at_min=${today}`),
    ).toEqual([third.id, second.id]);
    expect(await ids(`created_at_min=${tomorrow}`)).toEqual([]);
  });

  it('takes active as clients send it: true and false in any case, 1 and 0 (PHP), True and False (Python)', async () => {
    const { call, create } = await compatibleAccount();
    const paused = await create({ name: 'Paused' });
    const active = await create({ name: 'Active' });
    await call('PUT', `/webhooks/${paused.id}`, { active: false });
    const ids = async (value: string) => {
      const answer = await call('GET', `/webhooks?active=${value}`);
      expect(answer.status, JSON.stringify(answer.json)).toBe(200);
      return (answer.json as unknown as Webhook[]).map((webhook) => webhook.id);
    };

    for (const value of ['true', 'True', 'TRUE', '1']) expect(await ids(value)).toEqual([active.id]);
    for (const value of ['false', 'False', 'FALSE', '0']) expect(await ids(value)).toEqual([paused.id]);
    for (const value of ['yes', '2', '', 'truex', '01']) {
      expect(await call('GET', `/webhooks?active=${value}`)).toMatchObject({
        status: 422,
        json: { error: expect.stringMatching(/^active: must be true or false/) },
      });
    }
  });

  it('takes times as PHP and Python write them: +hhmm offsets (DATE_ISO8601) and no offset, which is UTC (isoformat)', async () => {
    const { call, create } = await compatibleAccount();
    const webhook = await create();
    const ids = async (query: string) => {
      const answer = await call('GET', `/webhooks?${query}`);
      expect(answer.status, JSON.stringify(answer.json)).toBe(200);
      return (answer.json as unknown as Webhook[]).map(({ id }) => id);
    };
    /** `at` plus `ms` as wall-clock time `minutes` east of UTC, written with that offset (`+hhmm` or `+hh:mm`). */
    const written = (at: string, ms: number, minutes: number, separator = '') => {
      const wall = new Date(Date.parse(at) + ms + minutes * 60_000).toISOString().slice(0, 23);
      const hours = String(Math.trunc(Math.abs(minutes) / 60)).padStart(2, '0');
      const rest = String(Math.abs(minutes) % 60).padStart(2, '0');
      return encodeURIComponent(`${wall}${minutes < 0 ? '-' : '+'}${hours}${separator}${rest}`);
    };
    /** `at` plus `ms` in UTC without an offset, with microseconds as Python's isoformat writes them. */
    const naive = (at: string, ms: number) =>
      `${new Date(Date.parse(at) + ms).toISOString().slice(0, 23)}000`;

    expect(await ids(`created_at_min=${naive(webhook.created_at, 0)}`)).toEqual([webhook.id]);
    expect(await ids(`created_at_min=${naive(webhook.created_at, 1)}`)).toEqual([]);
    expect(await ids(`created_at_max=${naive(webhook.created_at, -1).slice(0, 19)}`)).toEqual([]);
    expect(await ids(`created_at_min=${written(webhook.created_at, 0, 120)}`)).toEqual([webhook.id]);
    expect(await ids(`created_at_min=${written(webhook.created_at, 1, 120)}`)).toEqual([]);
    expect(await ids(`updated_at_max=${written(webhook.updated_at, 0, -90)}`)).toEqual([webhook.id]);
    expect(await ids(`updated_at_max=${written(webhook.updated_at, -1, -90, ':')}`)).toEqual([]);
    // A `+` typed raw in a URL (curl, a browser's address bar) arrives as a space, and is still the offset.
    const raw = decodeURIComponent(written(webhook.created_at, 0, 120, ':'));
    expect(raw).toContain('+02:00');
    expect(await ids(`created_at_min=${raw}`)).toEqual([webhook.id]);
    expect(await ids(`created_at_min=${decodeURIComponent(written(webhook.created_at, 1, 120))}`)).toEqual(
      [],
    );
    for (const nonsense of [
      '2026-12-07T25:00:00',
      '2026-12-07T23:00:00%2B2500',
      '2026-12-07T23:00:00%2B02',
    ]) {
      expect(await call('GET', `/webhooks?updated_at_min=${nonsense}`)).toMatchObject({
        status: 422,
        json: { error: expect.stringMatching(/^updated_at_min: must be an ISO 8601 date-time/) },
      });
    }
  });

  it('refuses a filter given twice or as a list (id[]=2, PHP’s id[0]=2) with 422 naming it; a comma in one value is that value', async () => {
    const { call, create } = await compatibleAccount();
    const webhook = await create({ name: 'Orders, B' });
    const refused = async (query: string) => {
      const answer = await call('GET', `/webhooks?${query}`);
      expect(answer.status, query).toBe(422);
      return (answer.json as { error: string }).error;
    };

    expect(await refused(`id=${webhook.id}&id=${webhook.id + 1}`)).toBe('id: give it once (it came 2 times)');
    expect(await refused('per_page=5&page=1&per_page=10')).toBe('per_page: give it once (it came 2 times)');
    expect(await refused(`id[]=${webhook.id}`)).toBe(
      'id: give one value (id=...); a list (id[]=...) is not taken',
    );
    expect(await refused(`id%5B0%5D=${webhook.id}&id%5B1%5D=2&active[]=1`)).toBe(
      'id: give one value (id=...); a list (id[0]=...) is not taken; active: give one value (active=...); a list (active[]=...) is not taken',
    );
    expect(
      await call('GET', '/webhooks?name=Orders%2C%20B&colour[]=red&colour=blue&colour=green'),
    ).toMatchObject({
      status: 200,
      json: [webhook],
    });
  });

  it('lists only jwt webhooks of one exact event type: not /v1 subscriptions of several types, a whole resource, or json', async () => {
    const { account, call, create } = await compatibleAccount();
    const jwtKey = 'a-key-of-at-least-thirty-two-bytes-for-v1';
    const several = await account.createWebhook({
      url: receiver.url,
      events: ['order.created', 'order.deleted'],
      format: 'jwt',
      jwt_key: jwtKey,
    });
    const wholeResource = await account.createWebhook({
      url: receiver.url,
      events: ['order.*'],
      format: 'jwt',
      jwt_key: jwtKey,
    });
    await account.createWebhook({ events: ['order.created'] });
    const one = await account.createWebhook({
      name: 'From v1',
      url: receiver.url,
      events: ['shipment.delivered'],
      format: 'jwt',
      jwt_key: jwtKey,
    });
    const made = await create();

    const listed = await call('GET', '/webhooks');

    expect(listed.json).toEqual([
      made,
      expect.objectContaining({
        id: one.compatible_id,
        name: 'From v1',
        action: 'delivered',
        resource_name: 'Shipment Monitor',
      }),
    ]);
    expect(listed.headers.get('x-total-count')).toBe('2');
    for (const hidden of [several, wholeResource]) {
      expect(typeof hidden.compatible_id).toBe('number');
      expect(await call('GET', `/webhooks/${hidden.compatible_id}`)).toMatchObject({
        status: 404,
        json: notFound,
      });
    }
  });
});

describe('/api/public/v3/webhooks/{id}', () => {
  it('answers a webhook by its id, and 404 {"error"} for an unknown id, one that is not an integer, and an unknown path', async () => {
    const { call, create } = await compatibleAccount();
    const webhook = await create();

    const read = await call('GET', `/webhooks/${webhook.id}`);
    const misses = await Promise.all(
      [
        '/webhooks/999999999',
        '/webhooks/abc',
        '/webhooks/0',
        '/webhooks/1.5',
        '/webhooks/-1',
        '/nothing',
        '',
      ].map((path) => call('GET', path)),
    );

    expect(read).toMatchObject({ status: 200, contentType: 'application/json', json: webhook });
    for (const miss of misses) {
      expect([miss.status, miss.contentType, miss.json]).toEqual([404, 'application/json', notFound]);
    }
  });

  it('treats repeated slashes as one, as SDKs that join a base ending in / with /webhooks write paths (/v1 does not)', async () => {
    const { account, call, create } = await compatibleAccount();
    const webhook = await create();

    const created = await call('POST', '//webhooks', createBody({ name: 'Doubled' }));
    const [doubled] = created.json as unknown as Webhook[];
    const listed = await call('GET', '//webhooks');
    const read = await call('GET', `//webhooks//${webhook.id}`);
    const updated = await call('PUT', `///webhooks/${webhook.id}`, { name: 'Renamed' });
    const deleted = await call('DELETE', `//webhooks/${doubled?.id}`);
    const unknown = await call('GET', '//nothing');
    const document = await api(sandbox().endpoint, undefined, 'GET', `${base}//openapi.json`);
    const v1 = await account.call('GET', '/v1//webhooks');

    expect(created.status).toBe(200);
    expect(listed).toMatchObject({ status: 200, json: [doubled, webhook] });
    expect(read).toMatchObject({ status: 200, json: webhook });
    expect(updated).toMatchObject({ status: 200, json: { id: webhook.id, name: 'Renamed' } });
    expect(deleted).toMatchObject({ status: 200, json: doubled });
    expect(unknown).toMatchObject({ status: 404, json: notFound });
    expect(document).toMatchObject({ status: 200, json: { openapi: '3.1.0' } });
    expect([v1.status, v1.contentType]).toEqual([404, 'application/problem+json']);
  });

  it('answers a method the path does not have with 405 {"error"} and Allow', async () => {
    const { call, create } = await compatibleAccount();
    const webhook = await create();

    const patched = await call('PATCH', `/webhooks/${webhook.id}`, { name: 'x' });
    const put = await call('PUT', '/webhooks', { name: 'x' });

    expect(patched).toMatchObject({
      status: 405,
      contentType: 'application/json',
      json: { error: expect.any(String) },
    });
    expect(patched.headers.get('allow')).toBe('GET, PUT, DELETE');
    expect(put.headers.get('allow')).toBe('GET, POST');
  });

  it('changes the name, pauses with active false and re-enables with active true', async () => {
    const { account, call, create } = await compatibleAccount();
    const webhook = await create();

    const renamed = await call('PUT', `/webhooks/${webhook.id}`, { name: 'Renamed' });
    const paused = await call('PUT', `/webhooks/${webhook.id}`, { active: false });
    const pausedInV1 = await inV1(account, webhook);
    const resumed = await call('PUT', `/webhooks/${webhook.id}`, { active: true });
    const resumedInV1 = await inV1(account, webhook);

    expect(renamed).toMatchObject({
      status: 200,
      json: { ...webhook, name: 'Renamed', updated_at: expect.any(String) },
    });
    expect(Date.parse((renamed.json as Webhook).updated_at)).toBeGreaterThanOrEqual(
      Date.parse(webhook.updated_at),
    );
    expect(paused.json).toMatchObject({ id: webhook.id, name: 'Renamed', active: false });
    expect(pausedInV1).toMatchObject({ status: 'paused' });
    expect(resumed.json).toMatchObject({ id: webhook.id, active: true });
    expect(resumedInV1).toMatchObject({ status: 'active' });
  });

  it('takes a PUT without a body (as clients generated from a document that declares none send it) as {}: nothing changes', async () => {
    const { call, create } = await compatibleAccount();
    const webhook = await create();

    const bare = await call('PUT', `/webhooks/${webhook.id}`);
    const empty = await call('PUT', `/webhooks/${webhook.id}`, '', { 'content-type': 'application/json' });
    const unknown = await call('PUT', '/webhooks/999999999');

    expect(bare).toMatchObject({ status: 200, contentType: 'application/json', json: webhook });
    expect(empty).toMatchObject({ status: 200, json: webhook });
    expect(unknown).toMatchObject({ status: 404, json: notFound });
  });

  it('shows a webhook the platform disabled as inactive, and active true re-enables it', async () => {
    const { account, call, create } = await compatibleAccount();
    const webhook = await create();
    const { id } = await inV1(account, webhook);
    await disableBehindTheApi(dynamo(), account.accountId, id, 'The endpoint failed for 5 days');

    const disabled = await call('GET', `/webhooks/${webhook.id}`);
    const enabled = await call('PUT', `/webhooks/${webhook.id}`, { active: true });

    expect(disabled.json).toMatchObject({ active: false });
    expect(enabled.json).toMatchObject({ active: true });
    expect(await inV1(account, webhook)).toMatchObject({ status: 'active', disabled_reason: null });
  });

  it('accepts endpoint, action and resource_name as they are, and refuses to change them or the key (422 {"error"})', async () => {
    const { call, create } = await compatibleAccount();
    const webhook = await create();

    const same = await call('PUT', `/webhooks/${webhook.id}`, { ...webhook, name: 'Same endpoint' });
    const endpoint = await call('PUT', `/webhooks/${webhook.id}`, { endpoint: `${receiver.url}/elsewhere` });
    const action = await call('PUT', `/webhooks/${webhook.id}`, { action: 'create' });
    const key = await call('PUT', `/webhooks/${webhook.id}`, { name: 'New key', key: 'another_key' });
    const active = await call('PUT', `/webhooks/${webhook.id}`, { active: 'yes' });
    const after = await call('GET', `/webhooks/${webhook.id}`);

    expect(same).toMatchObject({ status: 200, json: { name: 'Same endpoint', endpoint: receiver.url } });
    expect(endpoint).toMatchObject({
      status: 422,
      contentType: 'application/json',
      json: { error: expect.stringMatching(/^endpoint: cannot be changed/) },
    });
    expect(action).toMatchObject({
      status: 422,
      json: { error: expect.stringMatching(/^action: cannot be changed/) },
    });
    expect(key).toMatchObject({
      status: 422,
      json: { error: expect.stringMatching(/^key: cannot be changed/) },
    });
    expect(active).toMatchObject({ status: 422, json: { error: 'active: must be a boolean' } });
    expect(after.json).toEqual(same.json);
  });

  it('deletes a webhook, answering it as it was; then it is not found, here or in /v1', async () => {
    const { account, call, create } = await compatibleAccount();
    const webhook = await create();
    const { id } = await inV1(account, webhook);

    const deleted = await call('DELETE', `/webhooks/${webhook.id}`);
    const again = await call('DELETE', `/webhooks/${webhook.id}`);
    const read = await call('GET', `/webhooks/${webhook.id}`);

    expect(deleted).toMatchObject({ status: 200, json: webhook });
    expect(again).toMatchObject({ status: 404, json: notFound });
    expect(read).toMatchObject({ status: 404, json: notFound });
    expect((await account.call('GET', `/v1/webhooks/${id}`)).status).toBe(404);
  });

  it('does not find another account’s webhook', async () => {
    const owner = await compatibleAccount();
    const other = await compatibleAccount();
    const webhook = await owner.create();

    const answers = [
      await other.call('GET', `/webhooks/${webhook.id}`),
      await other.call('PUT', `/webhooks/${webhook.id}`, { name: 'Mine now' }),
      await other.call('DELETE', `/webhooks/${webhook.id}`),
    ];

    for (const answer of answers) expect(answer).toMatchObject({ status: 404, json: notFound });
    expect((await other.call('GET', '/webhooks')).json).toEqual([]);
    expect((await owner.call('GET', `/webhooks/${webhook.id}`)).json).toEqual(webhook);
  });
});

describe('authentication', () => {
  it('refuses a wrong pair, a missing header and a portal token with 401 {"error"} and a Basic challenge', async () => {
    const account = await newAccount();
    const key = account.apiKey;
    const session = await account.call('POST', '/v1/portal-sessions', { expires_in: 600 });
    const token = new URL(String(session.json?.url)).hash.replace('#token=', '');
    const as = (headers: Record<string, string>) =>
      api(sandbox().endpoint, undefined, 'GET', `${base}/webhooks`, undefined, headers);

    const refused = [
      await as({ authorization: basic(apiKeyId(newApiKey()), key) }),
      await as({ authorization: basic(apiKeyId(key), newApiKey()) }),
      await as({ authorization: basic(apiKeyId(key), '') }),
      await as({ authorization: 'Basic not-base64!' }),
      await as({}),
      await as({ authorization: `Bearer ${token}`, 'hookbridge-portal': '1' }),
      await api(sandbox().endpoint, undefined, 'POST', `${base}/webhooks`, { name: 'x' }),
    ];

    for (const answer of refused) {
      expect([answer.status, answer.contentType, answer.json]).toEqual([
        401,
        'application/json',
        unauthorized,
      ]);
      expect(answer.headers.get('www-authenticate')).toBe('Basic realm="Hookbridge"');
    }
  });

  it('takes the API key as Bearer too', async () => {
    const { account, create } = await compatibleAccount();
    const webhook = await create();

    const listed = await api(sandbox().endpoint, account.apiKey, 'GET', `${base}/webhooks`);

    expect(listed).toMatchObject({ status: 200, json: [webhook] });
  });
});

describe('GET /api/public/v3/openapi.json', () => {
  it('is served without credentials: a valid OpenAPI document with the mapping of resources and actions', async () => {
    const answer = await api(sandbox().endpoint, undefined, 'GET', `${base}/openapi.json`);
    const document = answer.json as { info: { description: string } };

    const result = await validate(structuredClone(document) as never);

    expect(answer.status).toBe(200);
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
    expect(result.warnings).toEqual([]);
    for (const resource of shipmondoResources) {
      for (const [action, type] of Object.entries(shipmondoActions[resource])) {
        expect(document.info.description).toContain(`| ${resource} | ${action} | \`${type}\` |`);
      }
    }
  });

  it('declares the filters as the list takes them: times with +hhmm, without an offset or a date alone; active as 1, 0 or either word in any case', async () => {
    const answer = await api(sandbox().endpoint, undefined, 'GET', `${base}/openapi.json`);
    const document = answer.json as {
      info: { description: string };
      paths: { '/webhooks': { get: { parameters: { name: string; schema: object }[] } } };
    };
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    ajv.addFormat(
      'date-time',
      (value: string) => z.safeParse(z.iso.datetime({ offset: true }), value).success,
    );
    ajv.addFormat('date', (value: string) => z.safeParse(z.iso.date(), value).success);
    const takes = (name: string) => {
      const parameter = document.paths['/webhooks'].get.parameters.find((p) => p.name === name);
      const check = ajv.compile(parameter?.schema ?? false);
      return (value: unknown) => check(value);
    };
    const times = [
      '2026-11-27T10:15:00Z',
      '2026-11-27T12:15:00.305+02:00',
      '2026-11-27T12:15:00+0200',
      '2026-11-27T10:15:00.123456',
      '2026-11-27',
      'yesterday',
      '2026-11-27T10:15:00 02:00',
    ];

    for (const name of ['created_at_min', 'created_at_max', 'updated_at_min', 'updated_at_max']) {
      expect(times.map(takes(name)), name).toEqual([true, true, true, true, true, false, false]);
    }
    expect([true, false, 1, 0, 'True', 'FALSE', '1', 'yes', 2].map(takes('active'))).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      false,
      false,
    ]);
    expect(document.info.description).toContain(
      '`Drafts` is the resource name of draft shipments: the reference’s developer pages do not name it, and the `resource_name` enum of its own OpenAPI document does.',
    );
  });
});

describe('clients that know only an OpenAPI document', () => {
  let jwtReceiver: JwtReceiver;
  beforeAll(async () => {
    jwtReceiver = await startJwtReceiver();
  });
  afterAll(async () => {
    await jwtReceiver.close();
  });

  /** Creates, lists with paging and filters, updates and deletes through a client made from `document` only. */
  async function walkThrough(document: unknown) {
    const account = await newAccount();
    const reference = await loadOpenApi(document);
    const client = reference.client(sandbox().endpoint, {
      user: apiKeyId(account.apiKey),
      password: account.apiKey,
    });
    const key = 'example_key_123';
    jwtReceiver.useKey(key);
    const body = (name: string, action: string) => ({
      name,
      endpoint: jwtReceiver.url,
      key,
      action,
      resource_name: 'Orders',
    });

    const [first] = (await client.call<Webhook[]>('webhook_create', { body: body('First', 'create') })).body;
    const [second] = (
      await client.call<Webhook[]>('webhook_create', { body: body('Second', 'status_update') })
    ).body;
    const page = await client.call<Webhook[]>('webhooks_get', { query: { per_page: 1, page: 2 } });
    const filtered = await client.call<Webhook[]>('webhooks_get', {
      query: { name: 'Second', active: true },
    });
    const updated = await client.call<Webhook>('webhook_update', {
      path: { id: Number(first?.id) },
      body: { name: 'First, paused', active: false },
    });
    const read = await client.call<Webhook>('webhook_get', { path: { id: Number(first?.id) } });
    const refused = await client.call(
      'webhook_update',
      { path: { id: Number(first?.id) }, body: { endpoint: 'https://elsewhere.example.com/in' } },
      { unchecked: true },
    );
    const deleted = await client.call<Webhook>('webhook_delete', { path: { id: Number(second?.id) } });
    const gone = await client.call('webhook_get', { path: { id: Number(second?.id) } });
    const wrong = await reference
      .client(sandbox().endpoint, { user: apiKeyId(account.apiKey), password: newApiKey() })
      .call('webhooks_get');

    expect(jwtReceiver.messages.slice(-2).map((message) => message.verified)).toEqual([true, true]);
    expect(page.body).toEqual([first]);
    expect(page.headers).toMatchObject({ 'x-total-count': '2', 'x-total-pages': '2', 'x-current-page': '2' });
    expect(filtered.body).toEqual([second]);
    expect(updated.body).toMatchObject({ id: first?.id, name: 'First, paused', active: false });
    expect(read.body).toEqual(updated.body);
    expect(refused).toMatchObject({ status: 422, body: { error: expect.stringMatching(/^endpoint: /) } });
    expect(deleted.body).toEqual(second);
    expect(gone).toMatchObject({ status: 404, body: notFound });
    expect(wrong).toMatchObject({ status: 401, body: unauthorized });
  }

  it('the reference platform’s document: create, list with paging and filters, update name and active, delete', async () => {
    await walkThrough(JSON.parse(readFileSync('test/fixtures/shipmondo/reference-openapi.json', 'utf8')));
  });

  it('the document the compatible API serves, which its answers match', async () => {
    await walkThrough((await api(sandbox().endpoint, undefined, 'GET', `${base}/openapi.json`)).json);
  });

  it('the document the compatible API serves lets its clients send a date alone, times as PHP and Python write them, active as 1 or True, and a PUT without a body', async () => {
    const { account, create } = await compatibleAccount();
    const webhook = await create();
    const reference = await loadOpenApi(
      (await api(sandbox().endpoint, undefined, 'GET', `${base}/openapi.json`)).json,
    );
    const client = reference.client(sandbox().endpoint, {
      user: apiKeyId(account.apiKey),
      password: account.apiKey,
    });
    const listed = async (query: Record<string, string | number | boolean>) =>
      (await client.call<Webhook[]>('webhooks_get', { query })).body;

    expect(await listed({ created_at_min: webhook.created_at.slice(0, 10), active: 1 })).toEqual([webhook]);
    expect(await listed({ created_at_min: webhook.created_at.slice(0, 19), active: 'True' })).toEqual([
      webhook,
    ]);
    expect(await listed({ updated_at_max: '2026-01-01T00:00:00+0200', active: true })).toEqual([]);
    expect(await listed({ active: 0 })).toEqual([]);
    await expect(listed({ active: 'yes' })).rejects.toThrow(UndocumentedRequest);
    expect((await client.call('webhook_update', { path: { id: webhook.id } })).body).toEqual(webhook);
  });
});
