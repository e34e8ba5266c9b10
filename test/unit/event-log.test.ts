import { describe, expect, it } from 'vitest';
import { deliveryIdOf } from '#core/deliveries/delivery-id.ts';
import { type EventLogPorts, eventWithDeliveries } from '#core/deliveries/event-log.ts';
import type { StoredEvent } from '#core/deliveries/event-store.ts';
import { testEventType } from '#core/platform.ts';

const accountId = 'acct_1';
const subscriptions = [
  { id: 'sub_orders', events: ['order.*'] },
  { id: 'sub_shipments', events: ['shipment.created'] },
  { id: 'sub_status', events: ['order.status_updated', 'shipment.created'] },
];

const storedEvent = (eventType: string, body: string): StoredEvent => ({
  eventId: 'evt_1',
  accountId,
  eventType,
  body,
  fannedOutAt: Date.parse('2026-12-07T10:00:00.000Z'),
  expiresAt: 2_000_000_000,
});

/** The subscriptions whose delivery records were asked for, reading this event. */
async function askedFor(event: StoredEvent): Promise<string[]> {
  const asked: string[] = [];
  const ports: EventLogPorts = {
    event: async () => event,
    subscriptions: async () => subscriptions,
    records: async (keys) => {
      for (const key of keys) {
        expect(key.id).toBe(
          deliveryIdOf(
            { id: event.eventId, time: new Date(event.fannedOutAt).toISOString() },
            key.subscriptionId,
          ),
        );
        asked.push(key.subscriptionId);
      }
      return [];
    },
  };
  expect(await eventWithDeliveries(accountId, event.eventId, ports)).toEqual({ event, deliveries: [] });
  return asked;
}

describe('eventWithDeliveries', () => {
  it('looks for deliveries to the subscriptions that select the event’s type only', async () => {
    expect(await askedFor(storedEvent('order.status_updated', '{}'))).toEqual(['sub_orders', 'sub_status']);
    expect(await askedFor(storedEvent('shipment.created', '{}'))).toEqual(['sub_shipments', 'sub_status']);
    expect(await askedFor(storedEvent('shipment.delivered', '{}'))).toEqual([]);
  });

  it('looks for a test event’s delivery to the subscription it names, or to all when its body does not say', async () => {
    const named = JSON.stringify({ id: 'evt_1', type: testEventType, data: { webhook_id: 'sub_shipments' } });
    expect(await askedFor(storedEvent(testEventType, named))).toEqual(['sub_shipments']);
    expect(await askedFor(storedEvent(testEventType, '<not json>'))).toEqual(
      subscriptions.map(({ id }) => id),
    );
  });
});
