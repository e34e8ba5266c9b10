import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryMessage } from '#core/delivery/delivery-message.ts';
import { maxAttempts } from '#core/delivery/retry-policy.ts';
import { WebhookSender } from '#core/delivery/webhook-sender.ts';
import { newSigningSecret } from '#core/signing.ts';
import type { Subscription } from '#core/subscriptions/subscription.ts';
import { type DeliveryPorts, deliver } from '../../functions/delivery/deliver.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';
import { aSubscription } from '../support/subscriptions.ts';

let receiver: Receiver;
const sender = new WebhookSender('allow-private', 2000);

beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  await sender.close();
});

const secret = newSigningSecret();
const body = JSON.stringify({
  id: 'ord_1',
  type: 'order.status_updated',
  occurred_at: '2026-11-27T10:00:00Z',
});
const message: DeliveryMessage = {
  id: 'msg_test',
  accountId: 'acct_1',
  subscriptionId: 'sub_1',
  eventType: 'order.status_updated',
  body,
};

function subscription(overrides: Partial<Subscription> = {}): Subscription {
  return aSubscription({ url: receiver.url, secret, ...overrides });
}

function ports(found: Subscription | undefined, disabled: string[] = []): DeliveryPorts {
  return {
    subscription: async () => found,
    send: (request) => sender.send(request),
    disable: async (_subscription, reason) => {
      disabled.push(reason);
    },
    now: Date.now,
  };
}

describe('deliver', () => {
  it('posts the stored body, signed so that a Standard Webhooks verifier accepts it', async () => {
    receiver.answerWith(() => ({ status: 200, body: 'ok' }));

    const decision = await deliver(message, 1, ports(subscription()));
    const request = await receiver.next();

    expect(decision.kind).toBe('delivered');
    expect(request.method).toBe('POST');
    expect(request.body).toBe(body);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['webhook-id']).toBe('msg_test');
    expect(new Webhook(secret).verify(request.body, request.headers as Record<string, string>)).toEqual(
      JSON.parse(body),
    );
  });

  it('schedules a retry on a 5xx, with the schedule wait and jitter', async () => {
    receiver.answerWith(() => ({ status: 503, body: 'down for maintenance' }));

    const decision = await deliver(message, 2, ports(subscription()));
    await receiver.next();

    expect(decision).toMatchObject({ kind: 'retry', outcome: { kind: 'response', statusCode: 503 } });
    expect(decision.kind === 'retry' && decision.delaySeconds).toBeGreaterThanOrEqual(240);
    expect(decision.kind === 'retry' && decision.delaySeconds).toBeLessThanOrEqual(360);
    expect(
      decision.kind === 'retry' && decision.outcome.kind === 'response' && decision.outcome.excerpt,
    ).toBe('down for maintenance');
  });

  it("honours a 429's Retry-After", async () => {
    receiver.answerWith(() => ({ status: 429, headers: { 'retry-after': '90' } }));

    const decision = await deliver(message, 1, ports(subscription()));
    await receiver.next();

    expect(decision).toMatchObject({ kind: 'retry', delaySeconds: 90 });
  });

  it('does not follow redirects: a 3xx is a failed attempt', async () => {
    receiver.answerWith(() => ({ status: 302, headers: { location: 'http://127.0.0.1:1/elsewhere' } }));

    const decision = await deliver(message, 1, ports(subscription()));
    await receiver.next();

    expect(decision).toMatchObject({ kind: 'retry', outcome: { statusCode: 302 } });
  });

  it('disables the subscription on 410 Gone and gives up', async () => {
    receiver.answerWith(() => ({ status: 410 }));
    const disabled: string[] = [];

    const decision = await deliver(message, 1, ports(subscription(), disabled));
    await receiver.next();

    expect(decision).toMatchObject({ kind: 'failed', reason: 'The endpoint answered 410 Gone' });
    expect(disabled).toEqual(['The endpoint answered 410 Gone']);
  });

  it('fails for good after the last attempt', async () => {
    receiver.answerWith(() => ({ status: 500 }));

    const decision = await deliver(message, maxAttempts, ports(subscription()));
    await receiver.next();

    expect(decision).toMatchObject({ kind: 'failed', reason: `Attempt 8 of 8 failed: HTTP 500` });
  });

  it('retries when the receiver cannot be reached', async () => {
    const decision = await deliver(message, 1, ports(subscription({ url: 'http://127.0.0.1:1/closed' })));

    expect(decision).toMatchObject({ kind: 'retry', outcome: { kind: 'error' } });
    expect(decision.kind === 'retry' && decision.outcome.kind === 'error' && decision.outcome.error).toMatch(
      /ECONNREFUSED/,
    );
  });

  it('drops deliveries of paused, disabled and deleted subscriptions, unsent', async () => {
    const before = receiver.received.length;

    const paused = await deliver(message, 1, ports(subscription({ status: 'paused' })));
    const disabled = await deliver(message, 1, ports(subscription({ status: 'disabled' })));
    const deleted = await deliver(message, 1, ports(undefined));

    expect(paused).toEqual({ kind: 'skipped', reason: 'subscription paused' });
    expect(disabled).toEqual({ kind: 'skipped', reason: 'subscription disabled' });
    expect(deleted).toEqual({ kind: 'skipped', reason: 'subscription deleted' });
    expect(receiver.received.length).toBe(before);
  });

  it('does not post again past the last attempt (when dead-lettering it failed before)', async () => {
    const before = receiver.received.length;

    const decision = await deliver(message, maxAttempts + 1, ports(subscription()));

    expect(decision).toEqual({ kind: 'failed', reason: 'Receive 9 is past the last attempt (8)' });
    expect(receiver.received.length).toBe(before);
  });

  it('never connects to a loopback address when only public targets are allowed', async () => {
    const guarded = new WebhookSender('public-only', 2000);
    const before = receiver.received.length;

    const outcome = await guarded.send({ url: receiver.url, body, headers: {} });
    const named = await guarded.send({
      url: `http://localhost:${receiver.port}/webhooks`,
      body,
      headers: {},
    });
    await guarded.close();

    expect(outcome).toMatchObject({ kind: 'error', error: expect.stringMatching(/blocked/) });
    expect(named).toMatchObject({ kind: 'error', error: expect.stringMatching(/blocked/) });
    expect(receiver.received.length).toBe(before);
  });
});
