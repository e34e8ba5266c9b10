import { describe, expect, it } from 'vitest';
import type { DeliveryMessage } from '#core/deliveries/delivery-message.ts';
import type { DeliveryRecord } from '#core/deliveries/delivery-record.ts';
import type { StoredEvent } from '#core/deliveries/event-store.ts';
import {
  type ResendPorts,
  recoverDeliveries,
  retryDelivery,
  WouldReorderError,
} from '#core/deliveries/resend.ts';
import type { ResourcePosition } from '#core/deliveries/resource-order.ts';
import type { Subscription } from '#core/subscriptions/subscription.ts';

const subscriptionId = 'sub_01m8re8jc558cthvp60cjb7yj5';
const now = new Date('2026-12-07T12:00:00.000Z');

const subscription = (ordering?: 'resource'): Subscription => ({
  id: subscriptionId,
  accountId: 'acct_1',
  name: 'Orders',
  url: 'https://hooks.example.com/in',
  events: ['order.*'],
  status: 'active',
  format: 'json',
  headers: {},
  secret: 'whsec_x',
  metadata: {},
  ...(ordering === undefined ? {} : { ordering }),
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:00.000Z',
  version: 1,
});

/** A failed delivery of an event of `resource` that happened at `occurredAt`, its id sorting by `n`. */
function failedDelivery(n: number, resource: string, occurredAt: string, sequence?: number) {
  const id = `msg_01m8re8jc558cthvp60cjb7yj5${String(n).padStart(22, '0')}`;
  const eventId = `evt_${n}`;
  const record: DeliveryRecord = {
    id,
    accountId: 'acct_1',
    subscriptionId,
    eventId,
    eventType: 'order.status_updated',
    status: 'failed',
    attemptCount: 8,
    scheduledAttempt: 8,
    attempts: [],
    createdAt: occurredAt,
    updatedAt: occurredAt,
    expiresAt: 2_000_000_000,
  };
  const event: StoredEvent = {
    eventId,
    accountId: 'acct_1',
    eventType: 'order.status_updated',
    body: '{}',
    fannedOutAt: 0,
    order: { resource, occurredAt, ...(sequence === undefined ? {} : { sequence }) },
    expiresAt: 2_000_000_000,
  };
  return { record, event };
}

/** Ports over fixed records, events and positions; what is queued is kept, with its de-duplication ids. */
function portsOf(
  sub: Subscription,
  deliveries: readonly { record: DeliveryRecord; event: StoredEvent }[],
  positions: Record<string, ResourcePosition> = {},
) {
  const queued: { message: DeliveryMessage; deduplicationId: string }[] = [];
  const ports: ResendPorts = {
    subscription: async () => sub,
    record: async (_, id) => deliveries.find((d) => d.record.id === id)?.record,
    recoverableBetween: async () => deliveries.map((d) => d.record),
    events: async (ids) => deliveries.map((d) => d.event).filter((e) => ids.includes(e.eventId)),
    position: async (_, resource) => positions[resource],
    enqueue: async (messages, deduplicationIdOf) => {
      for (const message of messages) queued.push({ message, deduplicationId: deduplicationIdOf(message) });
    },
    now: () => now,
  };
  return { ports, queued };
}

const deliveredAt = (occurredAt: string, eventId: string, sequence = 0): ResourcePosition => ({
  occurredAtMs: Date.parse(occurredAt),
  sequence,
  eventId,
  deliveryId: `msg_of_${eventId}`,
  deliveredAt: now.toISOString(),
});

describe('retrying a delivery of an ordered subscription', () => {
  it('queues it with its event’s order, for the ordered lane, under a de-duplication id of its own', async () => {
    const one = failedDelivery(1, 'order/7', '2026-12-07T10:00:00.000Z', 3);
    const { ports, queued } = portsOf(subscription('resource'), [one], {
      'order/7': deliveredAt('2026-12-07T10:00:00.000Z', 'evt_0', 2),
    });

    await retryDelivery('acct_1', one.record.id, ports);

    expect(queued).toEqual([
      {
        message: expect.objectContaining({
          id: one.record.id,
          trigger: 'manual',
          order: { resource: 'order/7', occurredAt: '2026-12-07T10:00:00.000Z', sequence: 3 },
        }),
        deduplicationId: `${one.record.id}.manual.${now.getTime()}`,
      },
    ]);
    expect(queued[0]?.deduplicationId).toMatch(/^[\x21-\x7e]{1,128}$/);
  });

  it('refuses it when another event at the same time and sequence was delivered first, and says so', async () => {
    const one = failedDelivery(1, 'order/7', '2026-12-07T10:00:00.000Z');
    const { ports, queued } = portsOf(subscription('resource'), [one], {
      'order/7': deliveredAt('2026-12-07T10:00:00.000Z', 'evt_other'),
    });

    const refused = retryDelivery('acct_1', one.record.id, ports);

    await expect(refused).rejects.toThrow(WouldReorderError);
    await expect(refused).rejects.toThrow(
      `Another event of resource order/7 with the same occurred_at and sequence (evt_other) was delivered to this subscription; sending delivery ${one.record.id} now would reorder its deliveries`,
    );
    expect(queued).toEqual([]);
  });

  it('queues it without an order, for the main lane, when the subscription is not ordered (a newer one delivered or not)', async () => {
    const one = failedDelivery(1, 'order/7', '2026-12-07T10:00:00.000Z');
    const { ports, queued } = portsOf(subscription(), [one], {
      'order/7': deliveredAt('2026-12-07T11:00:00.000Z', 'evt_newer'),
    });

    await retryDelivery('acct_1', one.record.id, ports);

    expect(queued).toHaveLength(1);
    expect(queued[0]?.message).not.toHaveProperty('order');
  });
});

describe('recovering an ordered subscription’s deliveries', () => {
  it('queues a resource’s deliveries by occurred_at then sequence, whatever order their ids sort in', async () => {
    const deliveries = [
      failedDelivery(1, 'order/7', '2026-12-07T10:00:02.000Z'),
      failedDelivery(2, 'order/7', '2026-12-07T10:00:01.000Z', 5),
      failedDelivery(3, 'order/7', '2026-12-07T10:00:01.000Z', 4),
    ];
    const { ports, queued } = portsOf(subscription('resource'), deliveries);

    const recovery = await recoverDeliveries('acct_1', subscriptionId, new Date(0), now, ports);

    expect(recovery).toEqual({ recovered: 3, expired: 0, superseded: 0 });
    expect(queued.map((entry) => entry.message.eventId)).toEqual(['evt_3', 'evt_2', 'evt_1']);
    expect(queued.map((entry) => entry.deduplicationId)).toEqual(
      [3, 2, 1].map((n) => `${deliveries[n - 1]?.record.id}.recover.${now.getTime()}`),
    );
  });

  it('leaves a stuck pending delivery to its resource’s queue, and counts it nowhere', async () => {
    const stuck = failedDelivery(1, 'order/7', '2026-12-07T10:00:00.000Z');
    const pending = { ...stuck, record: { ...stuck.record, status: 'pending' as const } };
    const { ports, queued } = portsOf(subscription('resource'), [pending]);

    const recovery = await recoverDeliveries('acct_1', subscriptionId, new Date(0), now, ports);

    expect(recovery).toEqual({ recovered: 0, expired: 0, superseded: 0 });
    expect(queued).toEqual([]);
  });

  it('refuses the call when every delivery found would reorder, queuing nothing; words it for many', async () => {
    const deliveries = [
      failedDelivery(1, 'order/7', '2026-12-07T10:00:00.000Z'),
      failedDelivery(2, 'order/8', '2026-12-07T10:00:00.000Z'),
    ];
    const { ports, queued } = portsOf(subscription('resource'), deliveries, {
      'order/7': deliveredAt('2026-12-07T11:00:00.000Z', 'evt_newer7'),
      'order/8': deliveredAt('2026-12-07T11:00:00.000Z', 'evt_newer8'),
    });

    const refused = recoverDeliveries('acct_1', subscriptionId, new Date(0), now, ports);

    await expect(refused).rejects.toThrow(
      'Each of the 2 failed deliveries in this window is of a resource whose newer event was delivered to this subscription since; sending them now would reorder its deliveries, so nothing was queued',
    );
    expect(queued).toEqual([]);
  });
});
