import { describe, expect, it } from 'vitest';
import { EventLogStore } from '#core/deliveries/event-log-store.ts';
import { EventStore, type StoredEvent } from '#core/deliveries/event-store.ts';
import { accountEventsSortKey } from '#core/storage/table-keys.ts';
import { useLocalTable } from '../support/local-table.ts';

/**
 * The events log's store (issue 19, item 2) on the sandbox's DynamoDB: events kept by fan-out's claim are listed
 * through the AccountEvents index, the time window as a key range, newest first.
 */
const table = useLocalTable();
const base = Date.parse('2026-12-07T10:00:00.000Z');

const eventAt = (accountId: string, n: number, fields: Partial<StoredEvent> = {}): StoredEvent => ({
  eventId: `evt_${accountId}${String(n).padStart(4, '0')}`,
  accountId,
  eventType: 'order.status_updated',
  body: '{}',
  fannedOutAt: base + n * 1000,
  resourceId: `ord_${n}`,
  occurredAt: new Date(base + n * 1000 - 5).toISOString(),
  expiresAt: Math.floor(Date.now() / 1000) + 3600,
  ...fields,
});

async function keep(events: readonly StoredEvent[]) {
  const store = new EventStore(table(), 'webhooks');
  for (const event of events) await store.claim(event);
}

describe('the events log’s sort key', () => {
  it('sorts as the times do: 13 digits of milliseconds, then the id', () => {
    expect(accountEventsSortKey(base, 'evt_a')).toBe('1796637600000#evt_a');
    expect(accountEventsSortKey(5, 'evt_a')).toBe('0000000000005#evt_a');
    const keys = [9, 10, 1_000, base].map((ms) => accountEventsSortKey(ms, 'evt_a'));
    expect([...keys].sort()).toEqual(keys);
    // A window's end (`<ms>#`) sorts before every id of its millisecond: until is exclusive.
    expect(accountEventsSortKey(base, '') < accountEventsSortKey(base, 'evt_0')).toBe(true);
  });
});

describe('the events log store', () => {
  it('lists an account’s events newest first, from since (inclusive) to until (exclusive), unexpired only', async () => {
    await keep([
      ...[1, 2, 3, 4].map((n) => eventAt('accta', n)),
      eventAt('accta', 5, { expiresAt: Math.floor(Date.now() / 1000) - 1 }),
      eventAt('acctb', 3),
    ]);
    const store = new EventLogStore(table(), 'webhooks');
    const ids = async (query: Parameters<EventLogStore['page']>[1]) =>
      (await store.page('accta', query)).items.map((event) => event.eventId);

    expect(await ids({ limit: 10 })).toEqual([
      'evt_accta0004',
      'evt_accta0003',
      'evt_accta0002',
      'evt_accta0001',
    ]);
    expect(await ids({ limit: 10, since: new Date(base + 2000), until: new Date(base + 4000) })).toEqual([
      'evt_accta0003',
      'evt_accta0002',
    ]);
    expect((await store.page('accta', { limit: 1, since: new Date(base + 4000) })).items).toEqual([
      {
        eventId: 'evt_accta0004',
        eventType: 'order.status_updated',
        resourceId: 'ord_4',
        fannedOutAt: base + 4000,
        occurredAt: new Date(base + 3995).toISOString(),
      },
    ]);
    const first = await store.page('accta', { limit: 2 });
    expect(first.next).toEqual({ at: base + 3000, eventId: 'evt_accta0003' });
    expect(await ids({ limit: 2, ...(first.next === undefined ? {} : { after: first.next }) })).toEqual([
      'evt_accta0002',
      'evt_accta0001',
    ]);
  });

  it('comes back short under a rare filter, with a cursor to where it stopped reading, and reaches the match', async () => {
    await keep(
      Array.from({ length: 30 }, (_, n) =>
        eventAt('acctc', n, n === 0 ? { eventType: 'order.deleted' } : {}),
      ),
    );
    const store = new EventLogStore(table(), 'webhooks', 10);

    const pages = [];
    let after: { at: number; eventId: string } | undefined;
    do {
      const page = await store.page('acctc', {
        limit: 5,
        eventType: 'order.deleted',
        ...(after === undefined ? {} : { after }),
      });
      pages.push(page.items.map((event) => event.eventId));
      after = page.next;
    } while (after !== undefined && pages.length < 10);

    expect(pages).toEqual([[], [], ['evt_acctc0000']]);
  });
});
