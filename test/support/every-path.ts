/**
 * One sandbox run through every path of the platform, for the least-privilege proof
 * (test/integration/least-privilege.test.ts): each function does, at least once, everything its code does with
 * AWS. The paths run side by side, each with its own account and loopback receiver, and each waits until the
 * platform shows that it went the way it names (a record, a platform event, a request at the receiver, or, for
 * what leaves no other trace, the call in the sandbox's call log).
 */
import { randomUUID } from 'node:crypto';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { expect } from 'vitest';
import { ApiKeyStore } from '#core/accounts/api-key-store.ts';
import { documentClient } from '#core/aws/dynamodb.ts';
import { EventStore } from '#core/deliveries/event-store.ts';
import { eventIdOf } from '#core/events/envelope.ts';
import type { QueueName } from '../../functions/core/platform.ts';
import type { AwsCall } from '../../sandbox/call-log.ts';
import type { SandboxOptions } from '../../sandbox/sandbox.ts';
import type { TestAccount, useApiSandbox } from './api-sandbox.ts';
import { api, busEvent, orderStatusUpdated } from './clients.ts';
import { eventually } from './eventually.ts';
import type { Receiver, Reply } from './receiver.ts';

/**
 * Settings that make every path short: three attempts a second apart, a circuit that opens after four failures
 * in a row (one more than a delivery's attempts) and probes 5 s later, and 5 s to answer (over the main lane's
 * 3 s wait, so a 3.5 s answer is cut off there and waited for in the slow lane).
 */
export const everyPathSettings = {
  retrySchedule: [1, 1],
  circuitBreakAfter: 4,
  circuitProbeMaxSeconds: 5,
  deliveryTimeoutSeconds: 5,
} as const satisfies SandboxOptions;

type ApiSandbox = ReturnType<typeof useApiSandbox>;

interface DeliveryView {
  id: string;
  status: string;
  next_attempt_at: string | null;
  attempts: { trigger: string; status_code: number | null }[];
}

/** Drives every path at once; resolves when each has gone the way it names. */
export async function driveEveryPath(context: ApiSandbox): Promise<void> {
  const paths = new EveryPath(context);
  await Promise.all([
    paths.manageSubscriptions(),
    paths.fanOutAgain(),
    paths.retryAndRelay(),
    paths.failRecoverAndResend(),
    paths.disableOnGone(),
    paths.waitInTheRetryQueue(),
    paths.moveToTheSlowLane(),
    paths.openProbeAndCloseACircuit(),
    paths.paceByRateLimit(),
    paths.deliverInOrder(),
    paths.openThePortal(),
    paths.refuseARevokedKey(),
    paths.deadLetterPoison(),
  ]);
}

/** Answers after 3.5 s: later than the main lane waits, within what the slow lane waits. */
const late = { delayMs: 3500 } as const;

/** A 503 asking to be retried in an hour: longer than SQS delays a message, so the retry hops via the retry queue. */
const unavailableForAnHour = { status: 503, headers: { 'retry-after': '3600' } } as const;

class EveryPath {
  constructor(private readonly context: ApiSandbox) {}

  /** A new account subscribed to order events at a new receiver answering `reply`. */
  private async subscribed(reply: () => Reply, fields: Record<string, unknown> = {}) {
    const account = await this.context.newAccount();
    const receiver = await this.context.newReceiver(reply);
    const webhook = await account.createWebhook({ url: receiver.url, events: ['order.*'], ...fields });
    return { account, receiver, webhook };
  }

  private publishFor(account: TestAccount, orderId = `ord_${randomUUID().slice(0, 8)}`) {
    return this.context.publish(orderStatusUpdated(account.accountId, orderId));
  }

  private async send(queue: QueueName, body: string, fifo: Record<string, string> = {}): Promise<void> {
    await this.context.aws().sqs.send(
      new SendMessageCommand({
        QueueUrl: this.context.sandbox().queueUrl(queue),
        MessageBody: body,
        ...fifo,
      }),
    );
  }

  /** The delivery's record once `done` holds. */
  private deliveryWhen(account: TestAccount, id: string, done: (delivery: DeliveryView) => boolean) {
    return eventually(async () => {
      const response = await account.call('GET', `/v1/deliveries/${id}`);
      const delivery = response.json as DeliveryView | undefined;
      return response.status === 200 && delivery !== undefined && done(delivery) ? delivery : undefined;
    }, `delivery ${id}`);
  }

  /** The webhook-id of the receiver's next request. */
  private async nextDeliveryId(receiver: Receiver): Promise<string> {
    return String((await receiver.next()).headers['webhook-id']);
  }

  /** A platform event of `type` about the subscription, once on the bus. */
  private platformEvent(type: string, subscriptionId: string) {
    return eventually(
      async () =>
        (await this.context.platformEvents()).find(
          (event) => event['detail-type'] === type && event.detail.webhook_id === subscriptionId,
        ),
      `${type} of ${subscriptionId}`,
    );
  }

  /** Waits for a call the sandbox logged, for what leaves no other trace. */
  private called(what: string, matches: (call: AwsCall) => boolean) {
    return eventually(async () => (this.context.sandbox().calls().some(matches) ? true : undefined), what);
  }

  /**
   * Create (with an Idempotency-Key, replayed; and a refused one, whose key is let go), list, read, update,
   * rotate, test and delete a subscription.
   */
  async manageSubscriptions(): Promise<void> {
    const account = await this.context.newAccount();
    const receiver = await this.context.newReceiver(() => ({ status: 200 }));
    const fields = { name: 'Managed', url: receiver.url, events: ['order.*'] };
    const idempotent = { 'idempotency-key': randomUUID() };
    const created = await account.call('POST', '/v1/webhooks', fields, idempotent);
    const replayed = await account.call('POST', '/v1/webhooks', fields, idempotent);
    // Refused: its key is let go (only 2xx answers are kept), so the request can be retried with it.
    const refused = await account.call(
      'POST',
      '/v1/webhooks',
      { name: 'No URL' },
      { 'idempotency-key': 'x' },
    );
    const id = String(created.json?.id);
    const listed = await account.call('GET', '/v1/webhooks');
    const read = await account.call('GET', `/v1/webhooks/${id}`);
    const updated = await account.call('PATCH', `/v1/webhooks/${id}`, { description: 'updated' });
    // A jwt subscription takes a compatible id from the deployment's counter (its endpoint takes the verification).
    const jwt = await account.call('POST', '/v1/webhooks', {
      ...fields,
      name: 'Managed JWT',
      format: 'jwt',
      jwt_key: 'a-key-of-thirty-two-bytes-or-more',
    });
    const rotated = await account.call('POST', `/v1/webhooks/${id}/rotate-secret`);
    const tested = await account.call('POST', `/v1/webhooks/${id}/test`);
    await this.deliveryWhen(account, String(tested.json?.delivery_id), (d) => d.status === 'succeeded');
    const deliveries = await account.call('GET', `/v1/webhooks/${id}/deliveries`);
    // The events log: listed through its index, one read with its deliveries (found by key).
    const events = await account.call('GET', '/v1/events?event_type=webhook.test');
    const [logged] = (events.json?.data ?? []) as { id: string }[];
    const event = await account.call('GET', `/v1/events/${logged?.id}`);
    const deleted = await account.call('DELETE', `/v1/webhooks/${id}`);

    expect(
      [
        created,
        replayed,
        refused,
        listed,
        read,
        updated,
        jwt,
        rotated,
        tested,
        deliveries,
        events,
        event,
        deleted,
      ].map((r) => r.status),
    ).toEqual([201, 201, 422, 200, 200, 200, 201, 200, 202, 200, 200, 200, 204]);
    expect(replayed.json?.id).toBe(id);
    expect(event.json?.deliveries).toMatchObject([{ id: tested.json?.delivery_id, status: 'succeeded' }]);
  }

  /**
   * An event that reaches fan-out again (at-least-once): first after a fan-out that claimed it and stopped
   * half-way (arranged as that fan-out left it: claimed by a batch that wrote no marker), which this one takes
   * over and completes; then once more, which finds it done and queues nothing.
   */
  async fanOutAgain(): Promise<void> {
    const { account, receiver } = await this.subscribed(() => ({ status: 200 }));
    const event = busEvent(orderStatusUpdated(account.accountId, 'ord_again'));
    await new EventStore(documentClient(this.context.dynamo()), 'webhooks').claim({
      eventId: eventIdOf(event),
      accountId: account.accountId,
      eventType: event['detail-type'],
      body: '{}',
      fannedOutAt: Date.now(),
      fanOutBatch: 'stopped-half-way',
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
    });
    await this.send('fanOut', JSON.stringify(event));
    await receiver.next();
    await this.send('fanOut', JSON.stringify(event));
    await this.called('fan-out reading the marker of the batch that completed the event', (call) => {
      const key = call.leadingKeys?.[0] ?? '';
      return (
        call.caller === 'fanOut' &&
        call.operation === 'GetItem' &&
        key.startsWith('FANOUT#') &&
        !key.endsWith('half-way')
      );
    });
    expect(receiver.received).toHaveLength(1);
  }

  /**
   * A 500, then its retry a second later on the main lane; and the retry queue's relay: a waiting attempt that is
   * due (to the main lane, where it is made) and one due in two hours (back to the retry queue).
   */
  async retryAndRelay(): Promise<void> {
    let requests = 0;
    const { account, receiver, webhook } = await this.subscribed(() => ({
      status: ++requests === 1 ? 500 : 200,
    }));
    await this.publishFor(account);
    const deliveryId = await this.nextDeliveryId(receiver);
    const delivered = await this.deliveryWhen(account, deliveryId, (d) => d.status === 'succeeded');
    expect(delivered.attempts.map((a) => a.status_code)).toEqual([500, 200]);

    const { body } = receiver.received[0] ?? { body: '{}' };
    const waiting = (dueAt: number) =>
      JSON.stringify({
        id: deliveryId,
        accountId: account.accountId,
        subscriptionId: webhook.id,
        eventId: JSON.parse(body).id,
        eventType: 'order.status_updated',
        body,
        attempt: 2,
        trigger: 'manual',
        dueAt,
      });
    await this.send('retry', waiting(Date.now()));
    await this.send('retry', waiting(Date.now() + 2 * 3600_000));
    expect(await this.nextDeliveryId(receiver)).toBe(deliveryId);
    await this.called(
      'the relay sending a retry back to the retry queue',
      (call) =>
        call.caller === 'retryRelay' &&
        call.operation === 'SendMessageBatch' &&
        call.resource.includes('retry'),
    );
  }

  /** Every attempt fails (delivery.failed); then recover sends it again, and a client's retry once more. */
  async failRecoverAndResend(): Promise<void> {
    let failing = true;
    const { account, receiver, webhook } = await this.subscribed(() => ({ status: failing ? 500 : 200 }));
    const before = new Date(Date.now() - 60_000).toISOString();
    await this.publishFor(account);
    const deliveryId = await this.nextDeliveryId(receiver);
    await this.deliveryWhen(account, deliveryId, (d) => d.status === 'failed');
    await this.platformEvent('delivery.failed', webhook.id);
    failing = false;

    const recovered = await account.call('POST', `/v1/webhooks/${webhook.id}/recover`, { since: before });
    await this.deliveryWhen(account, deliveryId, (d) => d.status === 'succeeded');
    const retried = await account.call('POST', `/v1/deliveries/${deliveryId}/retry`);
    const last = await this.deliveryWhen(account, deliveryId, (d) => d.attempts.at(-1)?.trigger === 'manual');

    expect(recovered.json).toMatchObject({ recovered: 1 });
    expect(retried.status).toBe(202);
    expect(last.attempts.at(-1)).toMatchObject({ trigger: 'manual', status_code: 200 });
  }

  /** A 410 Gone disables the subscription and says so on the bus. */
  async disableOnGone(): Promise<void> {
    const { account, webhook } = await this.subscribed(() => ({ status: 410 }));
    await this.publishFor(account);
    await this.platformEvent('webhook.disabled', webhook.id);
  }

  /** A 503 asking to retry in an hour, on the main lane: the next attempt waits in the retry queue. */
  async waitInTheRetryQueue(): Promise<void> {
    const { account, receiver } = await this.subscribed(() => unavailableForAnHour);
    await this.publishFor(account);
    const deliveryId = await this.nextDeliveryId(receiver);
    const waiting = await this.deliveryWhen(account, deliveryId, (d) => d.next_attempt_at !== null);
    expect(Date.parse(waiting.next_attempt_at ?? '') - Date.now()).toBeGreaterThan(3000_000);
  }

  /**
   * Answers in 3.5 s: cut off by the main lane's 3 s wait, the delivery goes on in the slow lane, which waits for
   * them: a 500 (its retry on the slow lane, which takes its turn under the subscription's rate limit there), then
   * a 503 asking to retry in an hour (through the retry queue).
   */
  async moveToTheSlowLane(): Promise<void> {
    let requests = 0;
    const { account, receiver } = await this.subscribed(
      () => (++requests === 2 ? { ...late, status: 500 } : { ...late, ...unavailableForAnHour }),
      { rate_limit: 1 },
    );
    await this.publishFor(account);
    const deliveryId = await this.nextDeliveryId(receiver);
    const waiting = await this.deliveryWhen(account, deliveryId, (d) => d.attempts.length === 3);
    expect(waiting.attempts.map((a) => a.status_code ?? 'cut off')).toEqual(['cut off', 500, 503]);
    expect(Date.parse(waiting.next_attempt_at ?? '') - Date.now()).toBeGreaterThan(3000_000);
  }

  /**
   * Four 503s in a row open the circuit; a delivery meanwhile is held; the endpoint comes back, the probe (on
   * the slow lane, 5 s later) closes the circuit, and the release (on the main lane) sends what was held.
   */
  async openProbeAndCloseACircuit(): Promise<void> {
    let down = true;
    const { account, receiver, webhook } = await this.subscribed(() => ({ status: down ? 503 : 200 }));
    for (let n = 0; n < 4; n++) await this.publishFor(account);
    await this.platformEvent('webhook.circuit_opened', webhook.id);
    await this.publishFor(account, 'ord_held');
    down = false;
    await this.platformEvent('webhook.circuit_closed', webhook.id);
    await eventually(
      async () => receiver.received.find((request) => request.body.includes('ord_held')),
      'the held delivery, released',
    );
  }

  /** One delivery a second: three events at once wait for their turns. */
  async paceByRateLimit(): Promise<void> {
    const { account, receiver } = await this.subscribed(() => ({ status: 200 }), { rate_limit: 1 });
    for (let n = 0; n < 3; n++) await this.publishFor(account);
    await eventually(
      async () => (receiver.received.length >= 3 ? true : undefined),
      'three paced deliveries',
    );
  }

  /**
   * An ordered, rate-limited subscription: two changes of one order in one PutEvents. The first fails three
   * times (waiting in its group by visibility, the second released behind it) and fails for good; the second's
   * first attempt is the fourth failure in a row and opens the circuit (its probe to the slow lane); it waits,
   * takes the probe itself when due, is answered and closes the circuit (its release to the main lane). Then a
   * client's retry of it goes through the ordered lane.
   */
  async deliverInOrder(): Promise<void> {
    let requests = 0;
    const { account, receiver, webhook } = await this.subscribed(
      () => ({ status: ++requests <= 4 ? 503 : 200 }),
      {
        ordering: 'resource',
        rate_limit: 1,
      },
    );
    const change = (second: number) => ({
      ...orderStatusUpdated(account.accountId, 'ord_ordered'),
      occurred_at: new Date(Date.UTC(2026, 11, 1, 8, 0, second)).toISOString(),
    });
    await this.context.aws().eventBridge.send(
      new PutEventsCommand({
        Entries: [0, 1].map((second) => ({
          EventBusName: this.context.sandbox().eventBusName,
          Source: 'shipping.orders',
          DetailType: 'order.status_updated',
          Detail: JSON.stringify(change(second)),
        })),
      }),
    );
    await this.platformEvent('webhook.circuit_closed', webhook.id);
    const newest = String(receiver.received.at(-1)?.headers['webhook-id']);
    await this.deliveryWhen(account, newest, (d) => d.status === 'succeeded');
    const retried = await account.call('POST', `/v1/deliveries/${newest}/retry`);
    expect(retried.status).toBe(202);
    await this.deliveryWhen(account, newest, (d) => d.attempts.at(-1)?.trigger === 'manual');
  }

  /** A portal session, and the portal's token used for a request. */
  async openThePortal(): Promise<void> {
    const account = await this.context.newAccount();
    const session = await account.call('POST', '/v1/portal-sessions');
    const token = new URLSearchParams(new URL(String(session.json?.url)).hash.slice(1)).get('token') ?? '';
    const listed = await api(this.context.sandbox().endpoint, token, 'GET', '/v1/webhooks', undefined, {
      'hookbridge-portal': '1',
    });
    expect([session.status, listed.status]).toEqual([201, 200]);
  }

  /** A key revoked by the operator is refused from the next request on. */
  async refuseARevokedKey(): Promise<void> {
    const account = await this.context.newAccount();
    const keys = new ApiKeyStore(documentClient(this.context.dynamo()), 'webhooks');
    await keys.revoke(account.accountId, account.apiKey);
    expect((await account.call('GET', '/v1/webhooks')).status).toBe(401);
  }

  /** What no function can process goes to its dead-letter queue, from each queue a function consumes. */
  async deadLetterPoison(): Promise<void> {
    await Promise.all([
      this.send('fanOut', 'not an event'),
      this.send('delivery', 'not a delivery'),
      this.send('slowDelivery', 'not a delivery'),
      this.send('orderedDelivery', 'not a delivery', {
        MessageGroupId: 'poison',
        MessageDeduplicationId: randomUUID(),
      }),
    ]);
    for (const caller of ['fanOut', 'delivery', 'slowDelivery', 'orderedDelivery']) {
      await this.called(
        `${caller} dead-lettering poison`,
        (call) => call.caller === caller && call.operation === 'SendMessage' && call.resource.includes('dlq'),
      );
    }
  }
}
