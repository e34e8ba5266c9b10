import { describe, expect, it } from 'vitest';
import { problem, type TestAccount, useApiSandbox } from '../support/api-sandbox.ts';

const { newAccount } = useApiSandbox({ subscriptionsPerAccount: 60 });

/** The ids a list answer holds. */
const idsOf = (response: { json?: Record<string, unknown> }) =>
  ((response.json?.data ?? []) as { id: string }[]).map((item) => item.id);

/** Every page of a list, following next_cursor, with `between` run after each page. */
async function allPages(
  account: TestAccount,
  query: string,
  between: () => Promise<unknown> = async () => {},
) {
  const pages: string[][] = [];
  let cursor: string | null = null;
  do {
    const response = await account.call(
      'GET',
      `/v1/webhooks?${query}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
    );
    expect(response.status, JSON.stringify(response.json)).toBe(200);
    const body = response.json as { data: { id: string }[]; next_cursor: string | null };
    pages.push(body.data.map((item) => item.id));
    cursor = body.next_cursor;
    await between();
  } while (cursor !== null);
  return pages;
}

describe('GET /v1/webhooks', () => {
  it('lists newest first, 20 by default, up to 100, with next_cursor null on the last page', async () => {
    const account = await newAccount();
    const ids: string[] = [];
    for (let n = 0; n < 22; n++) ids.push((await account.createWebhook({ name: `w${n}` })).id);

    const first = await account.call('GET', '/v1/webhooks');
    const all = await account.call('GET', '/v1/webhooks?limit=100');

    expect(idsOf(first)).toEqual(ids.toReversed().slice(0, 20));
    expect(first.json?.next_cursor).toEqual(expect.any(String));
    expect(idsOf(all).length).toBe(22);
    expect(all.json?.next_cursor).toBeNull();
    expect(JSON.stringify(all.json)).not.toContain('whsec_');
  });

  it('pages over several pages without a gap or a repeat while others insert', async () => {
    const account = await newAccount();
    const before: string[] = [];
    for (let n = 0; n < 11; n++) before.push((await account.createWebhook({ name: `before ${n}` })).id);
    const inserted: string[] = [];

    const pages = await allPages(account, 'limit=3', async () => {
      inserted.push((await account.createWebhook({ name: 'meanwhile' })).id);
    });

    expect(pages.map((page) => page.length)).toEqual([3, 3, 3, 2]);
    expect(pages.flat()).toEqual(before.toReversed());
    expect(inserted).toHaveLength(4);
    // The new ones come first in a fresh listing.
    expect((await allPages(account, 'limit=100')).flat().slice(0, 4)).toEqual(inserted.toReversed());
  });

  it('filters by status and by event type, paging within the filter', async () => {
    const account = await newAccount();
    const orders = await account.createWebhook({ events: ['order.created'] });
    const allOrders = await account.createWebhook({ events: ['order.*'] });
    const shipments = await account.createWebhook({ events: ['shipment.created', 'draft.deleted'] });
    await account.call('PATCH', `/v1/webhooks/${allOrders.id}`, { status: 'paused' });

    expect(await allPages(account, 'status=paused')).toEqual([[allOrders.id]]);
    expect((await allPages(account, 'status=active')).flat()).toEqual([shipments.id, orders.id]);
    expect((await allPages(account, 'event_type=order.created&limit=1')).flat()).toEqual([
      allOrders.id,
      orders.id,
    ]);
    expect(await allPages(account, 'event_type=draft.deleted&status=active')).toEqual([[shipments.id]]);
    expect(await allPages(account, 'event_type=order.deleted&status=active')).toEqual([[]]);
  });

  it.each([
    ['limit=0', 'limit', 'must be a whole number from 1 to 100'],
    ['limit=101', 'limit', 'must be a whole number from 1 to 100'],
    ['limit=ten', 'limit', 'must be a whole number from 1 to 100'],
    ['limit=1&limit=2', 'limit', 'must be a whole number from 1 to 100'],
    ['cursor=not-a-cursor', 'cursor', 'is not a cursor this API gave'],
    [
      `cursor=${Buffer.from('{"after":"x"}').toString('base64url')}`,
      'cursor',
      'is not a cursor this API gave',
    ],
    ['status=deleted', 'status', 'must be active, paused or disabled'],
    ['event_type=order.*', 'event_type', 'must be an event type of the catalog'],
    ['event_type=webhook.test', 'event_type', 'must be an event type of the catalog'],
    ['sort=asc', 'sort', 'is not a known field'],
    // Names that every plain object has from Object.prototype are unknown parameters too.
    ['__proto__=1', '__proto__', 'is not a known field'],
    ['constructor=1', 'constructor', 'is not a known field'],
    ['toString=1', 'toString', 'is not a known field'],
    ['hasOwnProperty=1', 'hasOwnProperty', 'is not a known field'],
  ])('refuses ?%s with a 422 naming %s', async (query, field, message) => {
    const account = await newAccount();

    const response = await account.call('GET', `/v1/webhooks?${query}`);

    expect(response.status).toBe(422);
    expect(response.json).toEqual(problem('validation-failed', 422, { errors: [{ field, message }] }));
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])(
    'refuses ?%s=1 on a subscription’s deliveries with a 422, like any unknown query parameter',
    async (name) => {
      const { call, createWebhook } = await newAccount();
      const { id } = await createWebhook();

      const response = await call('GET', `/v1/webhooks/${id}/deliveries?${name}=1&limit=5`);

      expect(response.status).toBe(422);
      expect(response.contentType).toBe('application/problem+json');
      expect(response.json).toEqual(
        problem('validation-failed', 422, { errors: [{ field: name, message: 'is not a known field' }] }),
      );
    },
  );
});

describe('tenant isolation', () => {
  it('keeps every read and change of a subscription to its own account, answering 404 to others, both ways', async () => {
    const alice = await newAccount();
    const bob = await newAccount();
    const alices = await alice.createWebhook({ name: 'alice' });
    const bobs = await bob.createWebhook({ name: 'bob' });

    for (const [intruder, victim, id] of [
      [bob, alice, alices.id],
      [alice, bob, bobs.id],
    ] as const) {
      const answers = await Promise.all([
        intruder.call('GET', `/v1/webhooks/${id}`),
        intruder.call('PATCH', `/v1/webhooks/${id}`, {
          name: 'taken over',
          url: 'https://evil.example.com/',
        }),
        intruder.call('DELETE', `/v1/webhooks/${id}`),
        intruder.call('POST', `/v1/webhooks/${id}/rotate-secret`),
        intruder.call('POST', `/v1/webhooks/${id}/test`),
      ]);
      const listed = await intruder.call('GET', '/v1/webhooks?limit=100');
      const own = await victim.call('GET', `/v1/webhooks/${id}`);

      expect(answers.map((answer) => answer.status)).toEqual([404, 404, 404, 404, 404]);
      for (const answer of answers) expect(answer.json).toEqual(problem('not-found', 404));
      expect(idsOf(listed)).not.toContain(id);
      expect(own.json).toMatchObject({ id, version: 1 });
    }
  });

  it('does not let a cursor from one account page through another', async () => {
    const alice = await newAccount();
    const bob = await newAccount();
    const bobs = await bob.createWebhook();
    for (let n = 0; n < 3; n++) await alice.createWebhook();
    const page = await alice.call('GET', '/v1/webhooks?limit=1');

    const crossed = await bob.call('GET', `/v1/webhooks?cursor=${page.json?.next_cursor}`);

    // The cursor only says where to continue; the account is always the caller's.
    expect(crossed.status).toBe(200);
    expect(idsOf(crossed)).toEqual([bobs.id]);
  });
});
