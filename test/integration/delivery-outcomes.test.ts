import { createHmac, randomUUID } from 'node:crypto';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { Webhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { describe, it } from 'vitest';
import { type TestAccount, useApiSandbox } from '../support/api-sandbox.ts';
import { busEvent, orderStatusUpdated } from '../support/clients.ts';
import { eventually } from '../support/eventually.ts';
import type { Receiver, Reply } from '../support/receiver.ts';

// Short waits so that a whole schedule runs within a test: four attempts, a second apart; 5 s to answer (over
// the main lane's 3 s, so that a slow answer is first cut off there and then waited for in the slow lane).
const { newAccount, newReceiver, publish, platformEvents, aws, sandbox } = useApiSandbox({
  retrySchedule: [1, 1, 1],
  deliveryTimeoutSeconds: 5,
});

type Delivery = {
  id: string;
  status: string;
  attempt_count: number;
  attempts: {
    trigger: string;
    status_code: number | null;
    error: string | null;
    response_excerpt: string | null;
    at: string;
  }[];
};

/** A subscription of a new account to a receiver answering with `reply`. */
async function subscribed(reply: (request: { body: string }) => Reply, fields: Record<string, unknown> = {}) {
  const account = await newAccount();
  const receiver = await newReceiver(reply);
  const webhook = await account.createWebhook({ url: receiver.url, events: ['order.*'], ...fields });
  return { account, receiver, webhook };
}

/** Publishes an order event for the account and answers the webhook-id its first attempt carried. */
async function publishFor(
  account: TestAccount,
  receiver: Receiver,
  orderId = `ord_${randomUUID().slice(0, 8)}`,
) {
  await publish(orderStatusUpdated(account.accountId, orderId));
  const request = await receiver.next();
  return { deliveryId: request.headers['webhook-id'] as string, first: request };
}

/** The delivery's record once `done` holds for it. */
async function deliveryWhen(account: TestAccount, id: string, done: (delivery: Delivery) => boolean) {
  return eventually(async () => {
    const response = await account.call('GET', `/v1/deliveries/${id}`);
    const delivery = response.json as Delivery | undefined;
    return response.status === 200 && delivery !== undefined && done(delivery) ? delivery : undefined;
  }, `delivery ${id}`);
}

const statuses = (delivery: Delivery) =>
  delivery.attempts.map((attempt) => attempt.status_code ?? attempt.error);

// Every test has an account, a subscription and a receiver of its own, and finds its delivery, its platform
// event and its dead letter by their ids: they run at once, their waits (retries, a slow lane's timeout, a
// Retry-After) overlapping instead of adding up.
describe.concurrent('delivery outcomes, against real receivers on loopback', () => {
  it('records a success with its status code and what the endpoint answered', async ({ expect }) => {
    const { account, receiver } = await subscribed(() => ({ status: 200, body: 'thanks' }));

    const { deliveryId } = await publishFor(account, receiver);
    const delivery = await deliveryWhen(account, deliveryId, (d) => d.status === 'succeeded');

    expect(delivery).toMatchObject({
      status: 'succeeded',
      attempt_count: 1,
      attempts: [{ trigger: 'event', status_code: 200, response_excerpt: 'thanks', error: null }],
    });
  });

  it('retries a 500 with the same webhook-id and a fresh timestamp, each signature valid for both libraries', async ({
    expect,
  }) => {
    let calls = 0;
    const { account, receiver, webhook } = await subscribed(() =>
      ++calls === 1 ? { status: 500 } : { status: 200 },
    );

    const { deliveryId, first } = await publishFor(account, receiver);
    const second = await receiver.next();
    const delivery = await deliveryWhen(account, deliveryId, (d) => d.status === 'succeeded');

    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(Number(second.headers['webhook-timestamp'])).toBeGreaterThan(
      Number(first.headers['webhook-timestamp']),
    );
    for (const request of [first, second]) {
      const headers = request.headers as Record<string, string>;
      expect(new Webhook(webhook.secret).verify(request.body, headers)).toMatchObject({
        type: 'order.status_updated',
      });
      expect(new SvixWebhook(webhook.secret).verify(request.body, headers)).toMatchObject({
        type: 'order.status_updated',
      });
    }
    expect(statuses(delivery)).toEqual([500, 200]);
    expect(delivery.attempts.map((attempt) => attempt.trigger)).toEqual(['event', 'retry']);
  });

  it('records a timeout: a main-lane cut, then the slow lane’s full wait, then retries', async ({
    expect,
  }) => {
    const { account, receiver } = await subscribed(() => ({ status: 200, delayMs: 6000 }));

    const { deliveryId } = await publishFor(account, receiver);
    const delivery = await deliveryWhen(account, deliveryId, (d) =>
      d.attempts.some((a) => a.error === 'timeout'),
    );

    expect(statuses(delivery).slice(0, 2)).toEqual(['slow_endpoint', 'timeout']);
    expect(delivery.status).not.toBe('succeeded');
  });

  it('records a connection reset, and retries it', async ({ expect }) => {
    let calls = 0;
    const { account, receiver } = await subscribed(() => (++calls === 1 ? { reset: true } : { status: 204 }));

    const { deliveryId } = await publishFor(account, receiver);
    const delivery = await deliveryWhen(account, deliveryId, (d) => d.status === 'succeeded');

    expect(statuses(delivery)).toEqual(['connection_reset', 204]);
  });

  it('disables the subscription on 410 Gone, with its reason, and says webhook.disabled on the bus', async ({
    expect,
  }) => {
    const { account, receiver, webhook } = await subscribed(() => ({ status: 410 }));

    const { deliveryId } = await publishFor(account, receiver);
    const delivery = await deliveryWhen(account, deliveryId, (d) => d.status === 'failed');
    const disabled = await eventually(
      async () => (await platformEvents()).find((event) => event.detail.webhook_id === webhook.id),
      'webhook.disabled',
    );

    expect(statuses(delivery)).toEqual([410]);
    expect((await account.call('GET', `/v1/webhooks/${webhook.id}`)).json).toMatchObject({
      status: 'disabled',
      disabled_reason: 'The endpoint answered 410 Gone',
    });
    expect(disabled).toMatchObject({
      source: 'hookbridge',
      'detail-type': 'webhook.disabled',
      detail: { account_id: account.accountId, reason: 'The endpoint answered 410 Gone' },
    });
  });

  it('waits at least what a 429’s Retry-After asks', async ({ expect }) => {
    let calls = 0;
    const { account, receiver } = await subscribed(() =>
      ++calls === 1 ? { status: 429, headers: { 'retry-after': '3' } } : { status: 200 },
    );

    const { deliveryId } = await publishFor(account, receiver);
    const delivery = await deliveryWhen(account, deliveryId, (d) => d.status === 'succeeded');
    const [throttled, accepted] = delivery.attempts;

    expect(statuses(delivery)).toEqual([429, 200]);
    expect(Date.parse(accepted?.at ?? '') - Date.parse(throttled?.at ?? '')).toBeGreaterThanOrEqual(3000);
  });

  it('does not follow a redirect: a 3xx is a failed attempt and the other address gets nothing', async ({
    expect,
  }) => {
    const elsewhere = await newReceiver();
    const { account, receiver } = await subscribed(() => ({
      status: 302,
      headers: { location: elsewhere.url },
    }));

    const { deliveryId } = await publishFor(account, receiver);
    const delivery = await deliveryWhen(account, deliveryId, (d) => d.attempts.length >= 2);

    expect(statuses(delivery).slice(0, 2)).toEqual([302, 302]);
    expect(delivery.attempts[0]?.error).toBe('http_status');
    expect(elsewhere.received).toEqual([]);
  });

  it('keeps at most 1 KiB of a huge response', async ({ expect }) => {
    const { account, receiver } = await subscribed(() => ({
      status: 200,
      body: 'é'.repeat(3 * 1024 * 1024),
    }));

    const { deliveryId } = await publishFor(account, receiver);
    const delivery = await deliveryWhen(account, deliveryId, (d) => d.status === 'succeeded');
    const excerpt = delivery.attempts[0]?.response_excerpt ?? '';

    expect(Buffer.byteLength(excerpt)).toBeLessThanOrEqual(1024);
    expect(excerpt).toMatch(/^é+$/);
  });

  it('fails for good after the last attempt: record failed, delivery.failed on the bus, nothing in the delivery DLQ (its endpoint failed, not the platform)', async ({
    expect,
  }) => {
    const { account, receiver } = await subscribed(() => ({ status: 500, body: 'still broken' }));

    const { deliveryId } = await publishFor(account, receiver);
    const delivery = await deliveryWhen(account, deliveryId, (d) => d.status === 'failed');
    const failed = await eventually(
      async () => (await platformEvents()).find((event) => event.detail.delivery_id === deliveryId),
      'delivery.failed',
    );
    const { Messages = [] } = await aws().sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: sandbox().queueUrl('deliveryDlq'),
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
      }),
    );

    expect(statuses(delivery)).toEqual([500, 500, 500, 500]);
    expect(delivery.attempt_count).toBe(4);
    expect(failed).toMatchObject({
      'detail-type': 'delivery.failed',
      detail: { attempts: 4, reason: 'Attempt 4 of 4 failed: HTTP 500' },
    });
    expect(Messages.filter((message) => message.Body?.includes(deliveryId))).toEqual([]);
    expect(receiver.received).toHaveLength(4);
  });

  it('does not let an endpoint that hangs hold up a healthy one', async ({ expect }) => {
    const hanging = await subscribed(() => ({ status: 200, delayMs: 10_000 }));
    const healthy = await subscribed(() => ({ status: 204 }));
    const orders = Array.from({ length: 30 }, (_, n) => `ord_${n}`);

    for (const orderId of orders) {
      await publish(orderStatusUpdated(hanging.account.accountId, orderId));
      await publish(orderStatusUpdated(healthy.account.accountId, orderId));
    }
    const received = await Promise.all(orders.map(() => healthy.receiver.next()));
    const slow = await eventually(async () => {
      const list = await hanging.account.call(
        'GET',
        `/v1/webhooks/${hanging.webhook.id}/deliveries?limit=100`,
      );
      const data = (list.json?.data ?? []) as Delivery[];
      return data.length === orders.length ? data : undefined;
    }, 'the hanging endpoint’s deliveries');

    expect(new Set(received.map((request) => JSON.parse(request.body).data.id))).toEqual(new Set(orders));
    // Every healthy delivery arrived while the hanging endpoint still held its first attempts.
    expect(slow.every((delivery) => delivery.status === 'pending')).toBe(true);
    expect(slow.some((delivery) => delivery.attempts[0]?.error === 'slow_endpoint')).toBe(true);
  }, 60_000);

  it('delivers an event that reaches fan-out twice (at-least-once) only once', async ({ expect }) => {
    const { account, receiver } = await subscribed(() => ({ status: 204 }));
    const event = JSON.stringify(busEvent(orderStatusUpdated(account.accountId, 'ord_twice')));

    for (let copy = 0; copy < 2; copy++) {
      await aws().sqs.send(
        new SendMessageCommand({ QueueUrl: sandbox().queueUrl('fanOut'), MessageBody: event }),
      );
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    await receiver.next();
    await new Promise((resolve) => setTimeout(resolve, 1000));

    expect(receiver.received).toHaveLength(1);
  });

  it('sends XML to an xml subscription: well-formed, signed over its bytes, the same content', async ({
    expect,
  }) => {
    const { account, receiver, webhook } = await subscribed(() => ({ status: 204 }), { format: 'xml' });

    const { first } = await publishFor(account, receiver, 'ord_xml & <co>');
    const signed = `${first.headers['webhook-id']}.${first.headers['webhook-timestamp']}.${first.body}`;
    const key = Buffer.from(webhook.secret.slice('whsec_'.length), 'base64');
    const parsed = new XMLParser({ ignoreAttributes: false }).parse(first.body);

    expect(first.headers['content-type']).toBe('application/xml');
    expect(XMLValidator.validate(first.body)).toBe(true);
    expect(first.headers['webhook-signature']).toBe(
      `v1,${createHmac('sha256', key).update(signed).digest('base64')}`,
    );
    expect(parsed.webhook.type).toBe('order.status_updated');
    expect(parsed.webhook.data.id).toBe('ord_xml & <co>');
    expect(parsed.webhook.previous.status).toBe('Initiated');
  });
});
