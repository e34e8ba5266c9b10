import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DeliveryMessage } from '#core/deliveries/delivery-message.ts';
import { eventIdOf } from '#core/events/envelope.ts';
import type { Subscription } from '#core/subscriptions/subscription.ts';
import { fanOut, InvalidEventError, parseBusEvent } from '../../functions/core/deliveries/fan-out.ts';
import { aSubscription } from '../support/subscriptions.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/events/${name}`, import.meta.url), 'utf8');
const orderEvent = fixture('order-status-updated.json');

function subscription(id: string, overrides: Partial<Subscription> = {}): Subscription {
  return aSubscription({
    id,
    accountId: 'acct_7Qm2',
    name: id,
    events: ['order.status_updated'],
    ...overrides,
  });
}

/** Fans an event out to these subscriptions; `seen` are the event ids fanned out before. */
async function fanOutTo(
  subscriptions: Subscription[],
  body = orderEvent,
  seen = new Set<string>(),
  /** Event ids a fan-out took before without completing (it stopped half-way). */
  claimed = new Set<string>(),
) {
  const enqueued: DeliveryMessage[] = [];
  const asked: string[] = [];
  const filterFailures: string[] = [];
  const stored: string[] = [];
  const pending: string[] = [];
  const result = await fanOut(parseBusEvent(body), {
    subscriptionsOf: async (accountId) => {
      asked.push(accountId);
      return subscriptions;
    },
    claimEvent: async (event) => {
      const again = claimed.has(event.eventId);
      claimed.add(event.eventId);
      return { fannedOutAt: event.fannedOutAt, done: seen.has(event.eventId), again };
    },
    now: () => Date.parse('2026-11-27T10:15:00.123Z'),
    enqueueDeliveries: async (messages) => {
      enqueued.push(...messages);
    },
    markFannedOut: async (eventId) => {
      stored.push(eventId);
      seen.add(eventId);
    },
    recordPending: async (message) => {
      pending.push(message.id);
    },
    filterFailed: (subscription) => {
      filterFailures.push(subscription.id);
    },
  });
  return { result, enqueued, asked, filterFailures, stored, pending };
}

describe('parseBusEvent', () => {
  it('reads an EventBridge event as a rule delivers it', () => {
    const event = parseBusEvent(orderEvent);

    expect(event['detail-type']).toBe('order.status_updated');
    expect(event.detail.previous).toEqual({ status: 'Initiated' });
  });

  it.each([
    ['not JSON', '{', 'body is not JSON'],
    [
      'no account',
      JSON.stringify({
        ...JSON.parse(orderEvent),
        detail: { ...JSON.parse(orderEvent).detail, account_id: undefined },
      }),
      'detail.account_id: is required',
    ],
    [
      'a bad timestamp',
      JSON.stringify({
        ...JSON.parse(orderEvent),
        detail: { ...JSON.parse(orderEvent).detail, occurred_at: 'yesterday' },
      }),
      'detail.occurred_at: must be a valid ISO 8601 date-time with an offset (e.g. 2026-11-27T10:15:00Z)',
    ],
    [
      'a type outside the catalog',
      JSON.stringify({ ...JSON.parse(orderEvent), 'detail-type': 'order.teleported' }),
      'order.teleported is not in the event catalog',
    ],
    [
      'data that is not an object',
      JSON.stringify({ ...JSON.parse(orderEvent), detail: { ...JSON.parse(orderEvent).detail, data: [1] } }),
      'detail.data: must be an object',
    ],
    [
      'no data',
      JSON.stringify({
        ...JSON.parse(orderEvent),
        detail: { ...JSON.parse(orderEvent).detail, data: undefined },
      }),
      'detail.data: is required',
    ],
  ])('refuses an event with %s', (_, body, reason) => {
    expect(() => parseBusEvent(body)).toThrow(InvalidEventError);
    expect(() => parseBusEvent(body)).toThrow(reason);
  });
});

describe('fanOut', () => {
  it('makes one delivery per active subscription that selects the type, with the envelope as body', async () => {
    const { enqueued, asked } = await fanOutTo([
      subscription('sub_exact'),
      subscription('sub_wildcard', { events: ['order.*'] }),
      subscription('sub_other_type', { events: ['order.created', 'shipment.*'] }),
      subscription('sub_paused', { status: 'paused' }),
      subscription('sub_disabled', { status: 'disabled' }),
    ]);

    expect(asked).toEqual(['acct_7Qm2']);
    expect(enqueued.map((delivery) => delivery.subscriptionId)).toEqual(['sub_exact', 'sub_wildcard']);
    expect(enqueued[1]?.body).toBe(enqueued[0]?.body);
    expect(JSON.parse(enqueued[0]?.body ?? '')).toEqual({
      // The event's own id, derived from EventBridge's: the same for each subscription and on every repeat.
      id: eventIdOf(parseBusEvent(orderEvent)),
      type: 'order.status_updated',
      occurred_at: '2026-11-27T10:14:59.120Z',
      data: JSON.parse(orderEvent).detail.data,
      previous: { status: 'Initiated' },
    });
  });

  it('leaves previous out of the envelope when the event has none', async () => {
    const { enqueued } = await fanOutTo(
      [subscription('sub_1', { events: ['shipment.created'] })],
      fixture('shipment-created.json'),
    );

    expect(Object.keys(JSON.parse(enqueued[0]?.body ?? '{}'))).toEqual(['id', 'type', 'occurred_at', 'data']);
  });

  it('gives the same delivery ids when the same event is fanned out again', async () => {
    const first = await fanOutTo([subscription('sub_a'), subscription('sub_b')]);
    const again = await fanOutTo([subscription('sub_a'), subscription('sub_b')]);

    expect(again.enqueued.map((d) => d.id)).toEqual(first.enqueued.map((d) => d.id));
    expect(new Set(first.enqueued.map((d) => d.id)).size).toBe(2);
  });

  it('marks the deliveries of a fan-out that runs again after one stopped half-way, so their records are read first', async () => {
    const claimed = new Set<string>();
    const first = await fanOutTo([subscription('sub_a')], orderEvent, new Set(), claimed);
    const again = await fanOutTo([subscription('sub_a')], orderEvent, new Set(), claimed);

    expect(first.enqueued[0]).not.toHaveProperty('fannedOutAgain');
    expect(again.enqueued[0]).toMatchObject({ id: first.enqueued[0]?.id, fannedOutAgain: true });
  });

  it('keeps the event once its deliveries are queued, and drops the same event when it comes again', async () => {
    const seen = new Set<string>();
    const first = await fanOutTo([subscription('sub_a'), subscription('sub_b')], orderEvent, seen);
    const repeat = await fanOutTo([subscription('sub_a'), subscription('sub_b')], orderEvent, seen);

    expect(first.stored).toEqual([eventIdOf(parseBusEvent(orderEvent))]);
    expect(first.enqueued.map((delivery) => delivery.eventId)).toEqual([first.stored[0], first.stored[0]]);
    expect(repeat.enqueued).toEqual([]);
    expect(repeat.asked).toEqual([]);
  });

  it('drops a replay from the archive of an event it fanned out, whatever id EventBridge gives it', async () => {
    // An EventBridge replay puts the archived event on the bus again with a `replay-name` field added, and
    // (as far as AWS says) a new id. The event's own id comes from its content, so fan-out finds its "fanned
    // out" mark and makes no delivery: receivers get no second webhook for it. So does a publisher that
    // retries a PutEvents, with its keys in another order.
    const seen = new Set<string>();
    const first = await fanOutTo([subscription('sub_a'), subscription('sub_b')], orderEvent, seen);
    const original = JSON.parse(orderEvent);
    const reordered = Object.fromEntries(Object.entries(original.detail).reverse());
    const replayed = JSON.stringify({
      ...original,
      id: '0b8f5c2e-7d1a-4e6b-9c3f-2a1d4e5f6a7b',
      'replay-name': 'outage-2026-11-27',
      detail: reordered,
    });

    const replay = await fanOutTo([subscription('sub_a'), subscription('sub_b')], replayed, seen);

    expect(first.enqueued).toHaveLength(2);
    expect(replay.result).toEqual([]);
    expect(replay.enqueued).toEqual([]);
    expect(replay.asked).toEqual([]);
  });

  it('sends a test event to its one subscription only, on record from the start', async () => {
    const test = JSON.stringify({
      ...JSON.parse(orderEvent),
      source: 'hookbridge',
      'detail-type': 'webhook.test',
      detail: {
        account_id: 'acct_7Qm2',
        id: 'sub_b',
        occurred_at: '2026-11-27T10:14:59.120Z',
        subscription_id: 'sub_b',
        data: { webhook_id: 'sub_b', message: 'A test event' },
      },
    });

    const { enqueued, pending } = await fanOutTo(
      [
        subscription('sub_a', { events: ['order.*'] }),
        subscription('sub_b', { events: ['shipment.created'] }),
      ],
      test,
    );

    expect(enqueued.map((delivery) => [delivery.subscriptionId, delivery.eventType])).toEqual([
      ['sub_b', 'webhook.test'],
    ]);
    expect(pending).toEqual([enqueued[0]?.id]);
  });

  it('refuses an event nested deeper than it reads, as poison', () => {
    const deep = JSON.stringify({
      ...JSON.parse(orderEvent),
      detail: {
        ...JSON.parse(orderEvent).detail,
        data: JSON.parse(`${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`),
      },
    });

    expect(() => parseBusEvent(deep)).toThrow(InvalidEventError);
    expect(() => parseBusEvent(deep)).toThrow('deeper than 100 levels');
  });

  it('applies content filters to the webhook body, with the EventBridge pattern matcher', async () => {
    const { enqueued } = await fanOutTo([
      subscription('sub_shipped', { filter: JSON.stringify({ data: { status: ['Shipped'] } }) }),
      subscription('sub_cancelled', { filter: JSON.stringify({ data: { status: ['Cancelled'] } }) }),
      subscription('sub_from_initiated', {
        filter: JSON.stringify({
          previous: { status: [{ prefix: 'Init' }] },
          type: ['order.status_updated'],
        }),
      }),
      subscription('sub_big_orders', {
        filter: JSON.stringify({ data: { total: [{ numeric: ['>', 100] }] } }),
      }),
    ]);

    expect(enqueued.map((delivery) => delivery.subscriptionId)).toEqual([
      'sub_shipped',
      'sub_from_initiated',
    ]);
  });

  it('leaves out only the subscription whose stored filter cannot be evaluated', async () => {
    const { enqueued, filterFailures } = await fanOutTo([
      subscription('sub_broken', { filter: '{"data": {"status": [{"no-such-operator": 1}]}}' }),
      subscription('sub_fine'),
    ]);

    expect(enqueued.map((delivery) => delivery.subscriptionId)).toEqual(['sub_fine']);
    expect(filterFailures).toEqual(['sub_broken']);
  });

  it('leaves out a subscription stored with an $or bomb from before the complexity limit, and serves the rest', async () => {
    // 2^40 combinations: once multiplied out while compiling, now refused before anything is built.
    const bomb = {
      data: Object.fromEntries(
        Array.from({ length: 40 }, (_, i) => [`f${i}`, { $or: [{ a: ['1'] }, { b: ['2'] }] }]),
      ),
    };
    const { enqueued, filterFailures } = await fanOutTo([
      subscription('sub_bomb', { filter: JSON.stringify(bomb) }),
      subscription('sub_fine', { filter: JSON.stringify({ data: { status: ['Shipped'] } }) }),
    ]);

    expect(enqueued.map((delivery) => delivery.subscriptionId)).toEqual(['sub_fine']);
    expect(filterFailures).toEqual(['sub_bomb']);
  });

  it('answers 20 filters of 190 $or alternatives against data of 20,000 dotted keys, and serves the rest', async () => {
    // Issue 13: each alternative looks `x` up; once rebuilt from the 20,000 `x.<n>` keys every time (4.5 s a match).
    const parsed = JSON.parse(orderEvent);
    const dotted = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`x.${i.toString(36)}`, 0]));
    const body = JSON.stringify({
      ...parsed,
      detail: { ...parsed.detail, data: { ...parsed.detail.data, ...dotted } },
    });
    const filter = JSON.stringify({
      data: { $or: Array.from({ length: 190 }, (_, i) => ({ x: [i % 10] })) },
    });
    const hostile = Array.from({ length: 20 }, (_, i) => subscription(`sub_or_${i}`, { filter }));

    const { enqueued, filterFailures } = await fanOutTo(
      [...hostile, subscription('sub_fine', { filter: JSON.stringify({ data: { status: ['Shipped'] } }) })],
      body,
    );

    expect(enqueued.map((delivery) => delivery.subscriptionId)).toEqual(['sub_fine']);
    expect(filterFailures).toEqual([]);
  });

  it('leaves out a subscription whose filter runs out of its matching budget on a large event, and serves the rest', async () => {
    // 150 alternatives tried on each of 85,000 empty objects: stopped at the budget instead of 12.75 million steps.
    const parsed = JSON.parse(orderEvent);
    const items = Array.from({ length: 85_000 }, () => ({}));
    const body = JSON.stringify({
      ...parsed,
      detail: { ...parsed.detail, data: { ...parsed.detail.data, items } },
    });
    const alternatives = Array.from({ length: 150 }, (_, i) => ({ [`q${i % 10}`]: [1] }));

    const { enqueued, filterFailures } = await fanOutTo(
      [
        subscription('sub_hostile', { filter: JSON.stringify({ data: { items: { $or: alternatives } } }) }),
        subscription('sub_fine', { filter: JSON.stringify({ data: { status: ['Shipped'] } }) }),
      ],
      body,
    );

    expect(enqueued.map((delivery) => delivery.subscriptionId)).toEqual(['sub_fine']);
    expect(filterFailures).toEqual(['sub_hostile']);
  });

  it('refuses an event whose webhook body is too large, before looking for subscriptions', async () => {
    const large = JSON.stringify({
      ...JSON.parse(orderEvent),
      detail: {
        ...JSON.parse(orderEvent).detail,
        data: { ...JSON.parse(orderEvent).detail.data, note: 'x'.repeat(1024 * 1024) },
      },
    });

    const fanning = fanOutTo([subscription('sub_1')], large);

    await expect(fanning).rejects.toThrow(InvalidEventError);
    await expect(fanning).rejects.toThrow('more than the 1044480 a webhook carries');
  });

  it('keeps a "__proto__" key of the data as an own key: in the webhook body, for filters, and not as a prototype', async () => {
    const body = orderEvent.replace('"data": {', '"data": {"__proto__": {"polluted": "yes"}, ');
    const event = parseBusEvent(body);

    const { enqueued } = await fanOutTo(
      [
        subscription('sub_on_proto', {
          filter: '{"data": {"__proto__": {"polluted": ["yes"]}}}',
        }),
        subscription('sub_on_prototype', { filter: JSON.stringify({ data: { polluted: ['yes'] } }) }),
      ],
      body,
    );

    expect(body).not.toBe(orderEvent);
    expect(Object.getPrototypeOf(event.detail.data)).toBe(Object.prototype);
    expect(Object.hasOwn(event.detail.data, '__proto__')).toBe(true);
    expect(enqueued.map((delivery) => delivery.subscriptionId)).toEqual(['sub_on_proto']);
    expect(enqueued[0]?.body).toContain('"data":{"__proto__":{"polluted":"yes"},"id":"ord_01JD4X7K2M",');
  });

  it('enqueues nothing when no subscription matches', async () => {
    const { result, enqueued } = await fanOutTo([subscription('sub_1', { events: ['draft.*'] })]);

    expect(result).toEqual([]);
    expect(enqueued).toEqual([]);
  });
});

describe('fan-out to an ordered subscription', () => {
  it("gives its delivery the event's place in its resource's order; an unordered one none", async () => {
    const { enqueued } = await fanOutTo([
      subscription('sub_ordered', { ordering: 'resource' }),
      subscription('sub_plain'),
    ]);

    const bySubscription = new Map(enqueued.map((message) => [message.subscriptionId, message]));
    expect(bySubscription.get('sub_ordered')?.order).toEqual({
      resource: 'order/ord_01JD4X7K2M',
      occurredAt: '2026-11-27T10:14:59.120Z',
    });
    expect(bySubscription.get('sub_plain')?.order).toBeUndefined();
  });

  it("carries the publisher's sequence, which also tells two events at the same time apart", async () => {
    const withSequence = (sequence: number) => {
      const event = JSON.parse(orderEvent) as { detail: Record<string, unknown> };
      event.detail.sequence = sequence;
      return JSON.stringify(event);
    };
    const first = await fanOutTo([subscription('sub_ordered', { ordering: 'resource' })], withSequence(1));
    const second = await fanOutTo([subscription('sub_ordered', { ordering: 'resource' })], withSequence(2));

    expect(first.enqueued[0]?.order?.sequence).toBe(1);
    expect(second.enqueued[0]?.order?.sequence).toBe(2);
    expect(first.enqueued[0]?.eventId).not.toBe(second.enqueued[0]?.eventId);
    expect(JSON.parse(second.enqueued[0]?.body ?? '{}').sequence).toBe(2);
    // An event without one keeps the id it had before sequences existed (so a replay is still a repeat).
    expect((await fanOutTo([subscription('sub_plain')])).enqueued[0]?.eventId).toBe(
      'evt_7cctcsmgxsa4x4147mt1ztm34g',
    );
  });

  it('carries who acted in the webhook body, as part of what the event is', async () => {
    const event = JSON.parse(orderEvent) as { detail: Record<string, unknown> };
    event.detail.actor = 'ada@example.com';
    const withActor = await fanOutTo([subscription('sub_plain')], JSON.stringify(event));
    const without = await fanOutTo([subscription('sub_plain')]);

    expect(JSON.parse(withActor.enqueued[0]?.body ?? '{}').actor).toBe('ada@example.com');
    expect(JSON.parse(without.enqueued[0]?.body ?? '{}')).not.toHaveProperty('actor');
    expect(withActor.enqueued[0]?.eventId).not.toBe(without.enqueued[0]?.eventId);
  });
});
