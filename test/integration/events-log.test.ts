/**
 * The events log (issue 19, item 2) against the sandbox: events published on the bus for two accounts, read
 * back through `GET /v1/events` (the AccountEvents index) and `GET /v1/events/{id}`, with deliveries found by key.
 */
import { describe, expect, it } from 'vitest';
import { problem, type TestAccount, useApiSandbox } from '../support/api-sandbox.ts';
import { orderStatusUpdated } from '../support/clients.ts';
import { eventually } from '../support/eventually.ts';

const { newAccount, newReceiver, publish } = useApiSandbox();

interface EventSummary {
  id: string;
  event_type: string;
  resource_id: string | null;
  created_at: string;
  occurred_at: string | null;
}
interface EventList {
  data: EventSummary[];
  next_cursor: string | null;
}

async function list(account: TestAccount, query = ''): Promise<EventList> {
  const response = await account.call('GET', `/v1/events${query}`);
  expect(response.status, JSON.stringify(response.json)).toBe(200);
  return response.json as unknown as EventList;
}

/** Publishes one event for the account and waits until its log shows it (so the log's order is known). */
async function published(account: TestAccount, detail: object, type?: string, source?: string) {
  const before = (await list(account, '?limit=100')).data.length;
  await publish(detail, type, source);
  return eventually(async () => {
    const { data } = await list(account, '?limit=100');
    return data.length > before ? data[0] : undefined;
  }, 'the event in the log');
}

/** Every event of a query, following next_cursor page by page. */
async function everyPage(account: TestAccount, query: string): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let pages = 0;
  let cursor: string | null = null;
  do {
    const page: EventList = await list(
      account,
      `${query}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
    );
    ids.push(...page.data.map((event) => event.id));
    pages += 1;
    cursor = page.next_cursor;
  } while (cursor !== null);
  return { ids, pages };
}

describe('GET /v1/events and GET /v1/events/{id}', () => {
  it('lists each account’s events newest first, paged and filtered, never another account’s', async () => {
    const [a, b] = [await newAccount(), await newAccount()];
    const receivers = [await newReceiver(), await newReceiver()];
    for (const receiver of receivers) await a.createWebhook({ url: receiver.url, events: ['order.*'] });

    const first = await published(a, orderStatusUpdated(a.accountId, 'ord_1'));
    const second = await published(a, orderStatusUpdated(a.accountId, 'ord_2'));
    const shipment = await published(
      a,
      { ...orderStatusUpdated(a.accountId, 'shp_1'), data: { id: 'shp_1' } },
      'shipment.created',
      'shipping.shipments',
    );
    const third = await published(a, orderStatusUpdated(a.accountId, 'ord_3'));
    const theirs = await published(b, orderStatusUpdated(b.accountId, 'ord_2'));
    const ours = [third, shipment, second, first];

    expect((await list(a)).data).toEqual(ours);
    expect(first).toEqual({
      id: expect.stringMatching(/^evt_/),
      event_type: 'order.status_updated',
      resource_id: 'ord_1',
      created_at: expect.any(String),
      occurred_at: '2026-11-27T10:14:59.120Z',
    });
    expect((await list(b)).data).toEqual([theirs]);

    // Two a page: two full pages, then none left.
    const paged = await everyPage(a, '?limit=2');
    expect(paged).toEqual({ ids: ours.map((event) => event.id), pages: 2 });

    expect((await list(a, '?event_type=shipment.created')).data).toEqual([shipment]);
    expect((await list(a, '?resource_id=ord_2')).data).toEqual([second]);
    expect((await list(b, '?resource_id=ord_2')).data).toEqual([theirs]);
    expect((await list(a, '?resource_id=ord_9')).data).toEqual([]);
    // Filtered, one a page: each page holds the one match or is short, and the cursors reach the end.
    expect((await everyPage(a, '?limit=1&event_type=order.status_updated')).ids).toEqual(
      [third, second, first].map((event) => event.id),
    );

    // since is inclusive, until exclusive.
    const window = `?since=${second.created_at}&until=${third.created_at}`;
    expect((await list(a, window)).data).toEqual([shipment, second]);
    expect((await list(a, `?since=${third.created_at}`)).data).toEqual([third]);
    expect((await list(a, `?until=${second.created_at}`)).data).toEqual([first]);
    // Times past what the index's 13-digit keys hold count as the last they do (a 14th digit would sort as text).
    expect((await list(a, '?until=2300-01-01T00:00:00Z')).data).toEqual(ours);
    expect((await list(a, '?since=2300-01-01T00:00:00Z')).data).toEqual([]);
    expect((await list(a, '?since=1900-01-01T00:00:00Z&until=9999-12-31T23:59:59Z')).data).toEqual(ours);
    // A window on a cursor (two a page: it continues after the shipment): a window that starts after the
    // cursor's place is an empty last page, one that ends before it goes on from the window's end.
    const cursor = `&cursor=${encodeURIComponent((await list(a, '?limit=2')).next_cursor ?? '')}`;
    expect(await list(a, `?since=${third.created_at}${cursor}`)).toEqual({ data: [], next_cursor: null });
    expect((await list(a, `?since=${second.created_at}${cursor}`)).data).toEqual([second]);
    expect((await list(a, `?until=${second.created_at}${cursor}`)).data).toEqual([first]);
  });

  it('shows an event with its data and each of its deliveries, and hides it from other accounts', async () => {
    const [a, b] = [await newAccount(), await newAccount()];
    const receivers = [await newReceiver(), await newReceiver()];
    const webhooks = [];
    for (const receiver of receivers)
      webhooks.push(await a.createWebhook({ url: receiver.url, events: ['order.*'] }));

    const delivered = await published(a, { ...orderStatusUpdated(a.accountId, 'ord_7'), actor: 'Ada' });
    const unsubscribed = await published(
      a,
      { ...orderStatusUpdated(a.accountId, 'shp_7'), data: { id: 'shp_7' } },
      'shipment.created',
      'shipping.shipments',
    );
    const shown = await eventually(async () => {
      const response = await a.call('GET', `/v1/events/${delivered.id}`);
      const deliveries = (response.json?.deliveries ?? []) as { status: string }[];
      return deliveries.length === 2 && deliveries.every((one) => one.status === 'succeeded')
        ? response
        : undefined;
    }, 'both deliveries succeeded');

    expect(shown.json).toEqual({
      ...delivered,
      actor: 'Ada',
      data: { id: 'ord_7', order_number: '1042', status: 'Shipped' },
      deliveries: expect.any(Array),
    });
    const deliveries = shown.json?.deliveries as { webhook_id: string }[];
    expect(deliveries.map((one) => one.webhook_id).sort()).toEqual(webhooks.map((one) => one.id).sort());
    expect(deliveries[0]).toEqual({
      id: expect.stringMatching(/^msg_/),
      webhook_id: expect.any(String),
      status: 'succeeded',
      attempt_count: 1,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      last_attempt: { at: expect.any(String), status_code: 204, error: null, latency_ms: expect.any(Number) },
    });
    // Each is the delivery its receiver got.
    const ids = await Promise.all(
      receivers.map(async (receiver) => (await receiver.next()).headers['webhook-id']),
    );
    expect(deliveries.map((one) => (one as unknown as { id: string }).id).sort()).toEqual(ids.sort());

    const none = await a.call('GET', `/v1/events/${unsubscribed.id}`);
    expect(none.status).toBe(200);
    expect(none.json).toMatchObject({
      id: unsubscribed.id,
      resource_id: 'shp_7',
      actor: null,
      deliveries: [],
    });

    const hidden = await b.call('GET', `/v1/events/${delivered.id}`);
    const unknown = await b.call('GET', '/v1/events/evt_0000000000000000000000000a');
    for (const answer of [hidden, unknown]) expect(answer.json).toMatchObject(problem('not-found', 404));
    expect((await list(b)).data).toEqual([]);
  });

  it('refuses a window that ends before it starts, a wrong time, an unknown filter and a foreign cursor', async () => {
    const account = await newAccount();
    const expectRefused = async (query: string, field: string) => {
      const answer = await account.call('GET', `/v1/events${query}`);
      expect(answer.json).toMatchObject(problem('validation-failed', 422));
      expect(((answer.json?.errors ?? []) as { field: string }[]).map((error) => error.field)).toEqual([
        field,
      ]);
    };
    await expectRefused('?since=2026-12-07T10:00:00Z&until=2026-12-07T09:00:00Z', 'until');
    await expectRefused('?since=yesterday', 'since');
    await expectRefused('?until=2026-12-07T10:00:00', 'until');
    await expectRefused('?status=failed', 'status');
    await expectRefused('?event_type=order.eaten', 'event_type');
    // A delivery list's cursor carries no time: not a cursor of this list.
    await expectRefused(`?cursor=${Buffer.from('{"after":"msg_x"}').toString('base64url')}`, 'cursor');
  });
});

describe('GET /v1/webhooks/{id}/deliveries?since&until', () => {
  it('lists the deliveries of events the platform took from since (inclusive) to until (exclusive)', async () => {
    const account = await newAccount();
    const receiver = await newReceiver();
    const webhook = await account.createWebhook({ url: receiver.url, events: ['order.*'] });
    const events = [];
    for (const n of [1, 2, 3]) {
      events.push(await published(account, orderStatusUpdated(account.accountId, `ord_${n}`)));
      await receiver.next();
    }
    const [first, second, third] = events as [EventSummary, EventSummary, EventSummary];
    const deliveries = async (query: string) => {
      const answer = await account.call('GET', `/v1/webhooks/${webhook.id}/deliveries${query}`);
      expect(answer.status, JSON.stringify(answer.json)).toBe(200);
      return ((answer.json?.data ?? []) as { event_id: string }[]).map((delivery) => delivery.event_id);
    };
    await eventually(async () => ((await deliveries('')).length === 3 ? true : undefined), '3 records');

    expect(await deliveries(`?since=${second.created_at}`)).toEqual([third.id, second.id]);
    expect(await deliveries(`?until=${second.created_at}`)).toEqual([first.id]);
    expect(await deliveries(`?since=${first.created_at}&until=${third.created_at}&limit=1`)).toEqual([
      second.id,
    ]);
    // On a cursor after the newest: a window starting after it is empty, one ending before it goes on from there.
    const newest = await account.call('GET', `/v1/webhooks/${webhook.id}/deliveries?limit=1`);
    const cursor = `&cursor=${encodeURIComponent(String(newest.json?.next_cursor))}`;
    const afterThird = new Date(Date.parse(third.created_at) + 1).toISOString();
    const empty = await account.call(
      'GET',
      `/v1/webhooks/${webhook.id}/deliveries?since=${afterThird}${cursor}`,
    );
    expect([empty.status, empty.json]).toEqual([200, { data: [], next_cursor: null }]);
    expect(await deliveries(`?until=${second.created_at}${cursor}`)).toEqual([first.id]);
    const answer = await account.call(
      'GET',
      `/v1/webhooks/${webhook.id}/deliveries?since=${third.created_at}&until=${first.created_at}`,
    );
    expect(answer.json).toMatchObject({
      ...problem('validation-failed', 422),
      errors: [{ field: 'until', message: 'must not be before since' }],
    });
  });
});
