import { randomUUID } from 'node:crypto';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { documentClient } from '#core/aws/dynamodb.ts';
import { deliveryIdOf } from '#core/deliveries/delivery-id.ts';
import type { DeliveryRecord, DeliveryStatus } from '#core/deliveries/delivery-record.ts';
import { EventStore } from '#core/deliveries/event-store.ts';
import { type EventOrder, resourceOfEvent } from '#core/deliveries/resource-order.ts';
import { ResourcePositionStore } from '#core/deliveries/resource-position-store.ts';
import { deliverySortKey, webhookPartition } from '#core/storage/table-keys.ts';
import { problem, type TestAccount, useApiSandbox } from '../support/api-sandbox.ts';
import { orderStatusUpdated } from '../support/clients.ts';
import { eventually } from '../support/eventually.ts';
import type { Receiver } from '../support/receiver.ts';

// Deliveries here fail for good on purpose, to be retried and recovered through the API: with the circuit
// breaker on they would be held instead (test/integration/real-endpoints-circuit.test.ts tests that).
const { newAccount, newReceiver, publish, platformEvents, dynamo } = useApiSandbox({
  retrySchedule: [1, 1],
  deliveryTimeoutSeconds: 2,
  circuitBreakAfter: 0,
});

type Delivery = {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  status: string;
  attempt_count: number;
  next_attempt_at: string | null;
  attempts: { trigger: string; status_code: number | null }[];
};

async function list(account: TestAccount, webhookId: string, query = '') {
  const response = await account.call('GET', `/v1/webhooks/${webhookId}/deliveries${query}`);
  expect(response.status, JSON.stringify(response.json)).toBe(200);
  return response.json as { data: Delivery[]; next_cursor: string | null };
}

/** Waits until the subscription's log holds `count` deliveries that `done` accepts. */
async function settled(
  account: TestAccount,
  webhookId: string,
  count: number,
  done = (d: Delivery) => d.status !== 'pending',
) {
  return eventually(async () => {
    const { data } = await list(account, webhookId, '?limit=100');
    return data.length >= count && data.every(done) ? data : undefined;
  }, `${count} settled deliveries`);
}

async function setUp(answer: () => { status: number }) {
  const account = await newAccount();
  const receiver: Receiver = await newReceiver(answer);
  const webhook = await account.createWebhook({ url: receiver.url, events: ['order.*', 'shipment.*'] });
  return { account, receiver, webhook };
}

describe('GET /v1/webhooks/{id}/deliveries and GET /v1/deliveries/{id}', () => {
  it('lists a subscription’s deliveries newest first, paged, filtered by status and event type', async () => {
    const { account, receiver, webhook } = await setUp(() => ({ status: 204 }));
    for (let n = 0; n < 3; n++) {
      await publish(orderStatusUpdated(account.accountId, `ord_${n}`));
      await receiver.next();
    }
    await publish(
      { ...orderStatusUpdated(account.accountId, 'shp_1'), data: { id: 'shp_1' } },
      'shipment.created',
      'shipping.shipments',
    );
    await receiver.next();

    const all = await settled(account, webhook.id, 4);
    const first = await list(account, webhook.id, '?limit=2');
    const second = await list(account, webhook.id, `?limit=2&cursor=${first.next_cursor}`);
    const shipments = await list(account, webhook.id, '?event_type=shipment.created');
    const failed = await list(account, webhook.id, '?status=failed');

    expect(all.map((delivery) => delivery.event_type)).toEqual([
      'shipment.created',
      'order.status_updated',
      'order.status_updated',
      'order.status_updated',
    ]);
    expect([...first.data, ...second.data].map((delivery) => delivery.id)).toEqual(
      all.map((delivery) => delivery.id),
    );
    expect(second.next_cursor).toBeNull();
    expect(shipments.data.map((delivery) => delivery.event_type)).toEqual(['shipment.created']);
    expect(failed.data).toEqual([]);
    expect(all[0]).toMatchObject({
      id: expect.stringMatching(/^msg_/),
      webhook_id: webhook.id,
      event_id: expect.stringMatching(/^evt_/),
      status: 'succeeded',
      attempt_count: 1,
      next_attempt_at: null,
    });
    const one = await account.call('GET', `/v1/deliveries/${all[0]?.id}`);
    // The list's delivery, and the request its attempt sent (request-view.test.ts holds it to the receiver's).
    expect(one.json).toEqual({
      ...all[0],
      request: expect.objectContaining({ method: 'POST', exact: true }),
    });
  });

  it('answers 404, never 403, for another account’s subscription or delivery, and for ids that cannot be', async () => {
    const { account, receiver, webhook } = await setUp(() => ({ status: 204 }));
    await publish(orderStatusUpdated(account.accountId, 'ord_mine'));
    const deliveryId = (await receiver.next()).headers['webhook-id'] as string;
    await settled(account, webhook.id, 1);
    const stranger = await newAccount();

    const answers = await Promise.all([
      stranger.call('GET', `/v1/webhooks/${webhook.id}/deliveries`),
      stranger.call('GET', `/v1/deliveries/${deliveryId}`),
      stranger.call('POST', `/v1/deliveries/${deliveryId}/retry`),
      stranger.call('POST', `/v1/webhooks/${webhook.id}/recover`, { since: '2026-01-01T00:00:00Z' }),
      account.call('GET', '/v1/deliveries/msg_nope'),
      account.call('GET', `/v1/deliveries/${'msg_'.padEnd(2000, 'x')}`),
    ]);

    for (const answer of answers) expect(answer.json).toEqual(problem('not-found', 404));
  });

  it('refuses list parameters it does not know or cannot use', async () => {
    const { account, webhook } = await setUp(() => ({ status: 204 }));

    const bad = await account.call('GET', `/v1/webhooks/${webhook.id}/deliveries?status=lost&limit=0`);

    expect(bad.json).toEqual(
      problem('validation-failed', 422, {
        errors: [
          { field: 'limit', message: 'must be a whole number from 1 to 100' },
          { field: 'status', message: 'must be pending, succeeded, failed or superseded' },
        ],
      }),
    );
  });
});

describe('POST /v1/deliveries/{id}/retry', () => {
  it('makes one more attempt now, of a succeeded or a failed delivery, recorded as manual', async () => {
    let failing = true;
    const { account, receiver, webhook } = await setUp(() => ({ status: failing ? 500 : 200 }));
    await publish(orderStatusUpdated(account.accountId, 'ord_retry'));
    const deliveryId = (await receiver.next()).headers['webhook-id'] as string;
    await settled(account, webhook.id, 1);
    failing = false;

    const retried = await account.call('POST', `/v1/deliveries/${deliveryId}/retry`);
    const again = await receiver.next();
    const delivery = await eventually(async () => {
      const d = (await account.call('GET', `/v1/deliveries/${deliveryId}`)).json as Delivery;
      return d.status === 'succeeded' ? d : undefined;
    }, 'the manual success');
    const twice = await account.call('POST', `/v1/deliveries/${deliveryId}/retry`);
    await receiver.next();

    expect(retried.status).toBe(202);
    expect(retried.json).toEqual({ delivery_id: deliveryId, status: 'queued' });
    expect(again.headers['webhook-id']).toBe(deliveryId);
    expect(delivery.attempts.map((attempt) => [attempt.trigger, attempt.status_code])).toEqual([
      ['event', 500],
      ['retry', 500],
      ['retry', 500],
      ['manual', 200],
    ]);
    expect(twice.status).toBe(202);
    const recovered = await eventually(
      async () =>
        (await platformEvents()).find(
          (event) => event.detail.delivery_id === deliveryId && event['detail-type'] === 'delivery.recovered',
        ),
      'delivery.recovered',
    );
    expect(recovered.detail).toMatchObject({ webhook_id: webhook.id });
  });

  it('refuses a retry for a subscription that is not active, with a 409', async () => {
    const { account, receiver, webhook } = await setUp(() => ({ status: 204 }));
    await publish(orderStatusUpdated(account.accountId, 'ord_paused'));
    const deliveryId = (await receiver.next()).headers['webhook-id'] as string;
    await settled(account, webhook.id, 1);
    await account.call('PATCH', `/v1/webhooks/${webhook.id}`, { status: 'paused' });

    const refused = await account.call('POST', `/v1/deliveries/${deliveryId}/retry`);

    expect(refused.json).toEqual(problem('webhook-inactive', 409));
  });
});

describe('POST /v1/webhooks/{id}/recover', () => {
  it('sends every failed delivery since a time again, and answers how many', async () => {
    let failing = true;
    const { account, receiver, webhook } = await setUp(() => ({ status: failing ? 503 : 200 }));
    const before = new Date(Date.now() - 60_000).toISOString();
    for (let n = 0; n < 3; n++) await publish(orderStatusUpdated(account.accountId, `ord_down_${n}`));
    await settled(account, webhook.id, 3, (d) => d.status === 'failed');
    failing = false;
    const seen = receiver.received.length;

    const recovered = await account.call('POST', `/v1/webhooks/${webhook.id}/recover`, { since: before });
    const none = await account.call('POST', `/v1/webhooks/${webhook.id}/recover`, {
      since: before,
      until: new Date(Date.now() - 30_000).toISOString(),
    });
    const after = await settled(account, webhook.id, 3, (d) => d.status === 'succeeded');

    expect(recovered.status).toBe(202);
    expect(recovered.json).toEqual({ recovered: 3, expired: 0, superseded: 0, next_since: null });
    expect(none.json).toEqual({ recovered: 0, expired: 0, superseded: 0, next_since: null });
    expect(receiver.received.length - seen).toBe(3);
    for (const delivery of after)
      expect(delivery.attempts.at(-1)).toMatchObject({ trigger: 'recover', status_code: 200 });
  });

  it('resumes a delivery stuck pending (its follow-up lost) at its next attempt, and leaves one that is due later', async () => {
    const { account, receiver, webhook } = await setUp(() => ({ status: 200 }));
    const before = new Date(Date.now() - 60_000).toISOString();
    for (let n = 0; n < 2; n++) await publish(orderStatusUpdated(account.accountId, `ord_stuck_${n}`));
    const [later, stuck] = await settled(account, webhook.id, 2, (d) => d.status === 'succeeded');
    // As if each one's first attempt had failed and the message carrying its retry had been lost since.
    const strand = (id: string, nextAttemptAt: Date) =>
      dynamo().send(
        new UpdateItemCommand({
          TableName: 'webhooks',
          Key: { pk: { S: webhookPartition(webhook.id) }, sk: { S: deliverySortKey(id) } },
          UpdateExpression: 'SET #status = :pending, nextAttemptAt = :next, liveToken = :token',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':pending': { S: 'pending' },
            ':next': { S: nextAttemptAt.toISOString() },
            ':token': { S: 'token-of-a-lost-message' },
          },
        }),
      );
    await strand(stuck?.id as string, new Date(Date.now() - 20 * 60_000));
    await strand(later?.id as string, new Date(Date.now() + 60_000));
    const seen = receiver.received.length;

    const recovered = await account.call('POST', `/v1/webhooks/${webhook.id}/recover`, { since: before });
    const resumed = await eventually(async () => {
      const one = await account.call('GET', `/v1/deliveries/${stuck?.id}`);
      return one.json?.status === 'succeeded' ? (one.json as Delivery) : undefined;
    }, 'the stuck delivery, resumed');
    const waiting = await account.call('GET', `/v1/deliveries/${later?.id}`);

    expect(recovered.json).toEqual({ recovered: 1, expired: 0, superseded: 0, next_since: null });
    expect(resumed.attempts.at(-1)).toMatchObject({ trigger: 'retry', status_code: 200 });
    expect(receiver.received.length - seen).toBe(1);
    expect(waiting.json).toMatchObject({ status: 'pending' });
  });

  it('refuses a window that ends before it starts, or is not made of dates', async () => {
    const { account, webhook } = await setUp(() => ({ status: 204 }));

    const backwards = await account.call('POST', `/v1/webhooks/${webhook.id}/recover`, {
      since: '2026-11-30T00:00:00Z',
      until: '2026-11-29T00:00:00Z',
    });
    const missing = await account.call('POST', `/v1/webhooks/${webhook.id}/recover`, { until: 'yesterday' });

    expect(backwards.json).toEqual(
      problem('validation-failed', 422, {
        errors: [{ field: 'until', message: 'must not be before since' }],
      }),
    );
    expect(missing.status).toBe(422);
    expect(missing.json?.errors).toEqual([
      { field: 'since', message: 'is required' },
      { field: 'until', message: expect.stringContaining('ISO 8601') },
    ]);
  });
});

/**
 * An ordered subscription's deliveries as the delivery path leaves them, arranged behind the API's back with the
 * platform's own stores: the event kept with its place in its resource's order, its delivery's record, and the
 * resource's position (the newest event delivered).
 */
function orderedDeliveries(account: TestAccount, webhookId: string) {
  const db = documentClient(dynamo());
  const events = new EventStore(db, 'webhooks');
  const positions = new ResourcePositionStore(db, 'webhooks');
  const expiresAt = Math.floor(Date.now() / 1000) + 86_400;
  return {
    /** A delivery of an `order.status_updated` of `orderId` that happened at `occurredAt`. */
    async delivery(
      orderId: string,
      occurredAt: Date,
      status: DeliveryStatus,
      fields: Partial<DeliveryRecord> = {},
    ): Promise<{ id: string; eventId: string; order: EventOrder }> {
      const eventId = `evt_${randomUUID().replaceAll('-', '').slice(0, 26)}`;
      const order = {
        resource: resourceOfEvent('order.status_updated', orderId),
        occurredAt: occurredAt.toISOString(),
      };
      const envelope = {
        id: eventId,
        type: 'order.status_updated',
        occurred_at: order.occurredAt,
        data: { id: orderId },
      };
      await events.claim({
        eventId,
        accountId: account.accountId,
        eventType: 'order.status_updated',
        body: JSON.stringify(envelope),
        fannedOutAt: occurredAt.getTime(),
        order,
        expiresAt,
      });
      const id = deliveryIdOf({ id: eventId, time: order.occurredAt }, webhookId);
      const record: DeliveryRecord = {
        id,
        accountId: account.accountId,
        subscriptionId: webhookId,
        eventId,
        eventType: 'order.status_updated',
        status,
        attemptCount: status === 'superseded' ? 0 : 2,
        scheduledAttempt: status === 'superseded' ? 0 : 2,
        attempts: [],
        createdAt: occurredAt.toISOString(),
        updatedAt: occurredAt.toISOString(),
        expiresAt,
        ...fields,
      };
      await db.send(
        new PutCommand({
          TableName: 'webhooks',
          Item: { pk: webhookPartition(webhookId), sk: deliverySortKey(id), ...record },
        }),
      );
      return { id, eventId, order };
    },
    /** Records that the delivery was the newest of its resource delivered. */
    async delivered(delivery: { id: string; eventId: string; order: EventOrder }): Promise<void> {
      await positions.advance(
        webhookId,
        delivery.order,
        { eventId: delivery.eventId, deliveryId: delivery.id, at: new Date() },
        expiresAt,
      );
    },
  };
}

describe('an ordered subscription (ordering: resource): retry and recover never reorder', () => {
  const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);

  async function orderedSetUp() {
    const account = await newAccount();
    const receiver = await newReceiver(() => ({ status: 200 }));
    const webhook = await account.createWebhook({
      url: receiver.url,
      events: ['order.*'],
      ordering: 'resource',
    });
    return { account, receiver, webhook, arrange: orderedDeliveries(account, webhook.id) };
  }

  it('refuses to retry a delivery once a newer event of its resource was delivered, with a 409 that says so', async () => {
    const { account, arrange } = await orderedSetUp();
    const failed = await arrange.delivery('ord_7', minutesAgo(10), 'failed');
    const newer = await arrange.delivery('ord_7', minutesAgo(9), 'succeeded');
    await arrange.delivered(newer);

    const refused = await account.call('POST', `/v1/deliveries/${failed.id}/retry`);
    const after = await account.call('GET', `/v1/deliveries/${failed.id}`);

    expect(refused.json).toEqual(
      problem('would-reorder', 409, {
        detail: `A newer event of resource order/ord_7 (${newer.eventId}) was delivered to this subscription; sending delivery ${failed.id} now would reorder its deliveries`,
      }),
    );
    expect(after.json).toMatchObject({ status: 'failed', attempt_count: 2 });
  });

  it('refuses to retry a superseded delivery, and shows it superseded by the newer event, found by its status', async () => {
    const { account, webhook, arrange } = await orderedSetUp();
    const newerEventId = 'evt_01m8rg2w3x4y5z6a7b8c9d0e1f';
    const late = await arrange.delivery('ord_8', minutesAgo(10), 'superseded', {
      supersededBy: newerEventId,
    });
    await arrange.delivery('ord_9', minutesAgo(10), 'failed');

    const refused = await account.call('POST', `/v1/deliveries/${late.id}/retry`);
    const superseded = await list(account, webhook.id, '?status=superseded');
    const failed = await list(account, webhook.id, '?status=failed');

    expect(refused.json).toEqual(
      problem('would-reorder', 409, {
        detail: `A newer event of resource order/ord_8 (${newerEventId}) was delivered to this subscription; sending delivery ${late.id} now would reorder its deliveries`,
      }),
    );
    expect(superseded.data).toEqual([
      expect.objectContaining({
        id: late.id,
        status: 'superseded',
        superseded_by: newerEventId,
        attempt_count: 0,
      }),
    ]);
    expect(failed.data.map((delivery) => delivery.id)).not.toContain(late.id);
    expect(failed.data[0]).not.toHaveProperty('superseded_by');
  });

  it('retries a delivery whose resource has had nothing newer delivered, through the ordered lane', async () => {
    const { account, receiver, arrange } = await orderedSetUp();
    const older = await arrange.delivery('ord_10', minutesAgo(12), 'succeeded');
    await arrange.delivered(older);
    const failed = await arrange.delivery('ord_10', minutesAgo(10), 'failed');

    const retried = await account.call('POST', `/v1/deliveries/${failed.id}/retry`);
    const received = await receiver.next();
    const delivery = await eventually(async () => {
      const d = (await account.call('GET', `/v1/deliveries/${failed.id}`)).json as Delivery;
      return d.status === 'succeeded' ? d : undefined;
    }, 'the manual success');

    expect(retried.status).toBe(202);
    expect(received.headers['webhook-id']).toBe(failed.id);
    expect(JSON.parse(received.body)).toMatchObject({ id: failed.eventId, data: { id: 'ord_10' } });
    expect(delivery.attempts.map((attempt) => [attempt.trigger, attempt.status_code])).toEqual([
      ['manual', 200],
    ]);
  });

  it('recovers only what would not reorder, counts the rest as superseded, and refuses a window where that is all', async () => {
    const { account, receiver, webhook, arrange } = await orderedSetUp();
    const since = minutesAgo(30).toISOString();
    const stale = await arrange.delivery('ord_11', minutesAgo(20), 'failed');
    const newer = await arrange.delivery('ord_11', minutesAgo(19), 'succeeded');
    await arrange.delivered(newer);
    const other = await arrange.delivery('ord_12', minutesAgo(18), 'failed');

    const recovered = await account.call('POST', `/v1/webhooks/${webhook.id}/recover`, { since });
    const received = await receiver.next();
    await eventually(async () => {
      const d = (await account.call('GET', `/v1/deliveries/${other.id}`)).json as Delivery;
      return d.status === 'succeeded' ? d : undefined;
    }, 'the recovered delivery');
    const onlyStale = await account.call('POST', `/v1/webhooks/${webhook.id}/recover`, { since });

    expect(recovered.status).toBe(202);
    expect(recovered.json).toEqual({ recovered: 1, expired: 0, superseded: 1, next_since: null });
    expect(received.headers['webhook-id']).toBe(other.id);
    expect(onlyStale.json).toEqual(
      problem('would-reorder', 409, {
        detail:
          'The failed delivery in this window is of a resource whose newer event was delivered to this subscription since; sending it now would reorder its deliveries, so nothing was queued',
      }),
    );
    expect((await account.call('GET', `/v1/deliveries/${stale.id}`)).json).toMatchObject({
      status: 'failed',
    });
  });
});
