import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { useApiSandbox } from '../support/api-sandbox.ts';
import { orderStatusUpdated } from '../support/clients.ts';
import { eventually } from '../support/eventually.ts';

/**
 * Issue 17 (cost): a fan-out batch's deliveries to one subscription travel in packs, up to ten per main-lane
 * message, and each is still delivered, signed, retried and recorded on its own.
 */
// One invocation at a time per mapping, as in the cost bench: fan-out batches fill while one runs. No circuit
// breaker: the third endpoint's ten failures in a row would open it, and its held deliveries travel alone.
const platform = useApiSandbox({
  meter: true,
  retrySchedule: [1],
  maximumConcurrency: 1,
  circuitBreakAfter: 0,
});

interface Listed {
  readonly data: { id: string; status: string; attempts: { status_code?: number }[] }[];
}

describe('packs of deliveries', () => {
  it('queues a batch’s deliveries to each subscription together, each delivered and recorded alone', async () => {
    const account = await platform.newAccount();
    const failingOnce = new Set<string>();
    const receivers = await Promise.all([
      platform.newReceiver(),
      platform.newReceiver(),
      // The third fails each delivery's first attempt: its retries travel alone and still arrive.
      platform.newReceiver((request) => {
        const id = String(request.headers['webhook-id']);
        if (failingOnce.has(id)) return { status: 204 };
        failingOnce.add(id);
        return { status: 500 };
      }),
    ]);
    const webhooks = await Promise.all(
      receivers.map((receiver) =>
        account.createWebhook({ url: receiver.url, events: ['order.status_updated'] }),
      ),
    );
    platform.sandbox().resetMeter();

    // Ten events in one PutEvents call: they reach fan-out together, as under load.
    const orders = Array.from({ length: 10 }, (_, n) => `ord_pack_${n}`);
    await platform.aws().eventBridge.send(
      new PutEventsCommand({
        Entries: orders.map((orderId) => ({
          EventBusName: platform.sandbox().eventBusName,
          Source: 'shipping.orders',
          DetailType: 'order.status_updated',
          Detail: JSON.stringify(orderStatusUpdated(account.accountId, orderId)),
        })),
      }),
    );

    const records = await Promise.all(
      webhooks.map((webhook) =>
        eventually(async () => {
          const listed = await account.call('GET', `/v1/webhooks/${webhook.id}/deliveries`);
          const { data } = listed.json as unknown as Listed;
          return data.length === orders.length && data.every((record) => record.status === 'succeeded')
            ? data
            : undefined;
        }, `every delivery of ${webhook.id} succeeded`),
      ),
    );

    // Each receiver got each event once (and the third, each twice), signed with its subscription's secret.
    receivers.forEach((receiver, index) => {
      const verifier = new Webhook(webhooks[index]?.secret ?? '');
      const orderIds = receiver.received.map((request) => {
        const body = verifier.verify(request.body, {
          'webhook-id': String(request.headers['webhook-id']),
          'webhook-timestamp': String(request.headers['webhook-timestamp']),
          'webhook-signature': String(request.headers['webhook-signature']),
        }) as { data: { id: string } };
        return body.data.id;
      });
      expect(orderIds.sort()).toEqual((index < 2 ? orders : [...orders, ...orders]).sort());
    });
    expect(records[0]?.every((record) => record.attempts.length === 1)).toBe(true);
    expect(records[2]?.every((record) => record.attempts.length === 2)).toBe(true);

    // Thirty first attempts, in packs: one main-lane message per subscription and fan-out batch, however many
    // events the batch held; the ten retries each a message of its own.
    const meter = platform.sandbox().meter();
    const delivery = meter.sqs.delivery ?? {};
    const sent = (delivery.SendMessageBatch?.messages ?? 0) + (delivery.SendMessage?.messages ?? 0);
    const fanOuts = meter.lambda.fanOut?.invocations ?? 0;
    const report = JSON.stringify({ delivery, fanOuts });
    expect(sent - orders.length, report).toBe(3 * fanOuts);
    expect(fanOuts, report).toBeLessThan(orders.length);
  });

  it('delivers once an event that comes twice in one fan-out batch', async () => {
    const account = await platform.newAccount();
    const receiver = await platform.newReceiver();
    const webhook = await account.createWebhook({ url: receiver.url, events: ['order.status_updated'] });
    const entry = {
      EventBusName: platform.sandbox().eventBusName,
      Source: 'shipping.orders',
      DetailType: 'order.status_updated',
      Detail: JSON.stringify(orderStatusUpdated(account.accountId, 'ord_twice')),
    };
    // A publisher's retry, as its SDK may make it: the same event twice, here in one call.
    await platform.aws().eventBridge.send(new PutEventsCommand({ Entries: [entry, entry] }));

    const [record] = await eventually(async () => {
      const listed = await account.call('GET', `/v1/webhooks/${webhook.id}/deliveries`);
      const { data } = listed.json as unknown as Listed;
      return data.length === 1 && data[0]?.status === 'succeeded' ? data : undefined;
    }, 'the delivery');
    await new Promise((settle) => setTimeout(settle, 1500));
    expect(receiver.received).toHaveLength(1);
    expect(record?.attempts).toHaveLength(1);
  });
});
