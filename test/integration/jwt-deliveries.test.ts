import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { eventTypeDefinitions } from '#core/events/event-types.ts';
import { shipmondoActionOf } from '#core/events/shipmondo-actions.ts';
import { useApiSandbox } from '../support/api-sandbox.ts';
import { eventually } from '../support/eventually.ts';
import { type JwtMessage, startJwtReceiver } from '../support/jwt-receiver.ts';

// Two retries a second apart, so that a failing delivery's schedule runs within a test.
const { newAccount, publish } = useApiSandbox({ retrySchedule: [1, 1] });

const key = (name: string) => `${name}-key-of-at-least-thirty-two-bytes`;

type Delivery = {
  status: string;
  attempt_count: number;
  attempts: { trigger: string; status_code: number | null }[];
};

/** A receiver as the reference's integrations write one, and a new account with jwt subscriptions to it. */
async function jwtReceiverAndAccount() {
  const receiver = await startJwtReceiver();
  const account = await newAccount();
  /** A /v1 jwt subscription to one event type; its verification request is taken with its key. */
  async function subscribe(eventType: string, name = eventType) {
    receiver.useKey(key(name));
    const created = await account.createWebhook({
      name,
      url: receiver.url,
      events: [eventType],
      format: 'jwt',
      jwt_key: key(name),
    });
    const verification = await receiver.next();
    expect(verification).toMatchObject({ verified: true, status: 200 });
    const compatibleId = String(created.compatible_id);
    receiver.keys.set(compatibleId, key(name));
    return { ...created, compatibleId };
  }
  return { receiver, account, subscribe };
}

describe('jwt subscriptions, delivered to a receiver that verifies with jose', () => {
  it('gets every action of every resource as the reference sends it: claims, SMD headers, and a Standard Webhooks signature', async () => {
    const { receiver, account, subscribe } = await jwtReceiverAndAccount();
    try {
      const types = eventTypeDefinitions.map((definition) => definition.type);
      const subscriptions = new Map<string, Awaited<ReturnType<typeof subscribe>>>();
      for (const type of types) subscriptions.set(type, await subscribe(type));

      for (const definition of eventTypeDefinitions) {
        await publish(
          {
            account_id: account.accountId,
            id: `res_${randomUUID().slice(0, 8)}`,
            occurred_at: definition.example.occurred_at,
            data: definition.example.data,
            ...(definition.example.previous === undefined ? {} : { previous: definition.example.previous }),
            actor: 'ada@example.com',
          },
          definition.type,
        );
      }
      const received: JwtMessage[] = [];
      for (const _ of types) received.push(await receiver.next());

      for (const definition of eventTypeDefinitions) {
        const subscription = subscriptions.get(definition.type);
        const named = shipmondoActionOf(definition.type);
        const message = received.find((m) => m.smd.webhookId === subscription?.compatibleId);
        expect(message, definition.type).toMatchObject({
          verified: true,
          protectedHeader: { alg: 'HS256' },
          claims: { webhook: definition.type, data: definition.example.data, url: receiver.url },
          smd: {
            resourceType: named?.resource,
            action: named?.action,
            resourceId: String(definition.example.data.id),
            webhookId: subscription?.compatibleId,
            user: 'ada@example.com',
          },
          status: 200,
        });
        if (message === undefined || !message.verified) continue;
        expect(Object.keys(message.payload).sort()).toEqual(['data', 'url', 'webhook']);
        // On the wire in the reference's case, for receivers that look headers up as sent.
        const names = message.request.rawHeaders.filter((_, index) => index % 2 === 0);
        expect(names.filter((name) => name.toLowerCase().startsWith('smd-'))).toEqual([
          'SMD-Resource-Type',
          'SMD-Resource-Id',
          'SMD-Webhook-Id',
          'SMD-Action',
          'SMD-User',
        ]);
        const headers = message.request.headers as Record<string, string>;
        expect(headers['content-type']).toBe('application/json');
        expect(new Webhook(subscription?.secret ?? '').verify(message.request.body, headers)).toEqual(
          JSON.parse(message.request.body),
        );
      }
    } finally {
      await receiver.close();
    }
  });

  it('retries a failed attempt and keeps every attempt on the delivery’s record', async () => {
    const { receiver, account, subscribe } = await jwtReceiverAndAccount();
    try {
      const subscription = await subscribe('shipment.delivered', 'Deliveries');
      receiver.answer(500);

      await publish(
        {
          account_id: account.accountId,
          id: 'shp_1',
          occurred_at: '2026-12-07T08:00:00Z',
          data: eventTypeDefinitions.find((d) => d.type === 'shipment.delivered')?.example.data,
        },
        'shipment.delivered',
      );
      const first = await receiver.next();
      receiver.answer(200);
      const second = await receiver.next();

      expect([first.status, second.status]).toEqual([500, 200]);
      expect(second.request.body).toBe(first.request.body);
      const deliveryId = first.request.headers['webhook-id'];
      const delivery = await eventually(async () => {
        const answer = await account.call('GET', `/v1/deliveries/${deliveryId}`);
        const record = answer.json as Delivery;
        return record.status === 'succeeded' ? record : undefined;
      }, 'the delivery’s record');
      expect(delivery.attempts.map((attempt) => [attempt.trigger, attempt.status_code])).toEqual([
        ['event', 500],
        ['retry', 200],
      ]);
      const log = await account.call('GET', `/v1/webhooks/${subscription.id}/deliveries`);
      expect(log.json).toMatchObject({ data: [{ id: deliveryId, status: 'succeeded', attempt_count: 2 }] });
    } finally {
      await receiver.close();
    }
  });

  it('keeps a resource’s order for a jwt subscription ordered per resource', async () => {
    const { receiver, account, subscribe } = await jwtReceiverAndAccount();
    try {
      const subscription = await subscribe('order.status_updated', 'Ordered');
      const patched = await account.call('PATCH', `/v1/webhooks/${subscription.id}`, {
        ordering: 'resource',
      });
      expect(patched.status).toBe(200);
      receiver.answer(500);
      const statuses = ['Initiated', 'Packed', 'Shipped'];
      for (const [index, status] of statuses.entries()) {
        await publish({
          account_id: account.accountId,
          id: 'ord_7',
          occurred_at: `2026-12-07T08:00:0${index}Z`,
          data: { id: 'ord_7', order_number: '7', status },
          previous: { status: 'Initiated' },
        });
      }
      // The first fails once; nothing newer of the resource goes out before it succeeds.
      const failed = await receiver.next();
      receiver.answer(200);
      const delivered = [await receiver.next(), await receiver.next(), await receiver.next()];

      const statusOf = (message: JwtMessage) =>
        message.verified ? (message.claims.data as { status: string }).status : message.rejection;
      expect(statusOf(failed)).toBe('Initiated');
      expect(delivered.map(statusOf)).toEqual(statuses);
      expect(delivered.map((message) => message.smd.action)).toEqual([
        'status_update',
        'status_update',
        'status_update',
      ]);
    } finally {
      await receiver.close();
    }
  });

  it('verifies a subscription that becomes jwt, as at creation, with the key the change gives', async () => {
    const { receiver, account } = await jwtReceiverAndAccount();
    try {
      const created = await account.createWebhook({ url: receiver.url, events: ['order.created'] });
      const becomeJwt = (jwtKey: string) =>
        account.call('PATCH', `/v1/webhooks/${created.id}`, { format: 'jwt', jwt_key: jwtKey });
      receiver.useKey(key('changed'));

      const refused = await becomeJwt(key('another'));
      const unverified = await receiver.next();
      const accepted = await becomeJwt(key('changed'));
      const verification = await receiver.next();

      expect(refused.status).toBe(422);
      expect(refused.json).toMatchObject({ errors: [{ field: 'url' }] });
      expect(unverified).toMatchObject({ verified: false, status: 401 });
      expect(accepted.status).toBe(200);
      const compatibleId = String(accepted.json?.compatible_id);
      expect(verification).toMatchObject({
        verified: true,
        claims: { webhook: 'Order updates', data: {}, url: receiver.url },
        smd: { resourceType: 'Orders', action: 'create', resourceId: '', webhookId: compatibleId },
      });
      // Its signing secret is sealed, which the API may not open: no Standard Webhooks signature.
      expect(verification.request.headers['webhook-signature']).toBeUndefined();
    } finally {
      await receiver.close();
    }
  });
});
