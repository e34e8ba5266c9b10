import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { type TestAccount, useApiSandbox } from '../support/api-sandbox.ts';
import { eventually } from '../support/eventually.ts';
import type { ReceivedRequest, Reply } from '../support/receiver.ts';

// Retries a second apart, so that a failing delivery's schedule runs within a test.
const { newAccount, newReceiver, publish } = useApiSandbox({ retrySchedule: [1, 1] });

type AttemptView = {
  at: string;
  trigger: string;
  status_code: number | null;
  webhook_timestamp: number | null;
  webhook_signature: string | null;
};
type RequestView = {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  attempt_at: string;
  reached_endpoint: boolean;
  exact: boolean;
};
type DeliveryWithRequest = { status: string; attempts: AttemptView[]; request: RequestView | null };

/** What the connection adds to every request, which no webhook sets: not part of the request as built. */
const transportHeaders = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

/** The view's request is what the receiver got: the same body bytes, and the same headers, each one. */
function expectSameRequest(view: RequestView | null, received: ReceivedRequest, url: string) {
  expect(view).not.toBeNull();
  if (view === null) return;
  expect(view.body).toBe(received.body);
  expect(view).toMatchObject({ method: 'POST', url, exact: true, reached_endpoint: true });
  const got = Object.fromEntries(
    Object.entries(received.headers)
      .filter(([name]) => !transportHeaders.has(name))
      .map(([name, value]) => [name, String(value)]),
  );
  const shown = Object.fromEntries(
    Object.entries(view.headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  expect(shown).toEqual(got);
}

/** The attempt's own record of what it sent: its `webhook-timestamp` and `webhook-signature`. */
const sentBy = (received: ReceivedRequest) => ({
  webhook_timestamp: Number(received.headers['webhook-timestamp']),
  webhook_signature: received.headers['webhook-signature'],
});

async function deliveryOf(account: TestAccount, id: string, until: (view: DeliveryWithRequest) => boolean) {
  return eventually(async () => {
    const answer = await account.call('GET', `/v1/deliveries/${id}`);
    if (answer.status === 404) return undefined; // its first attempt is not recorded yet
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    const view = answer.json as DeliveryWithRequest;
    return until(view) ? view : undefined;
  }, `delivery ${id}`);
}

/**
 * A receiver that fails the first webhook (500) and holds its answer to the second until `release`: while the
 * retry is in flight, the record's latest attempt is still the first. Requests before `arm()` (a jwt
 * subscription's verification at creation) are answered 200.
 */
async function failOnceReceiver(first: Reply = { status: 500 }) {
  let armed = false;
  let count = 0;
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const receiver = await newReceiver(async () => {
    if (!armed) return { status: 200 };
    count++;
    if (count === 1) return first;
    if (count === 2) await released;
    return { status: 204 };
  });
  return {
    receiver,
    arm: () => {
      armed = true;
    },
    release,
  };
}

const orderEvent = (accountId: string) => ({
  account_id: accountId,
  id: 'ord_1042',
  occurred_at: '2026-12-07T08:00:00Z',
  data: { id: 'ord_1042', order_number: '1042', status: 'Shipped', customer: { name: 'Søren <&> "Ada"' } },
  previous: { status: 'Initiated' },
  actor: 'ada@example.com',
});

describe('GET /v1/deliveries/{id}: the request as sent', () => {
  it.each([
    { format: 'json', fields: {} },
    { format: 'xml', fields: {} },
    { format: 'jwt', fields: { jwt_key: 'warehouse-key-of-at-least-thirty-two-bytes' } },
  ])(
    'shows a $format delivery’s request as the endpoint got it, at the first attempt and at its retry',
    async ({ format, fields }) => {
      const account = await newAccount();
      const { receiver, arm, release } = await failOnceReceiver();
      const created = await account.createWebhook({
        name: `Warehouse ${format}`,
        url: receiver.url,
        events: ['order.status_updated'],
        format,
        headers: { 'X-Team': 'warehouse', Authorization: 'Bearer team-token' },
        ...fields,
      });
      receiver.received.splice(0);
      arm();

      await publish(orderEvent(account.accountId));
      const first = await receiver.next();
      const retry = await receiver.next();
      const id = String(first.headers['webhook-id']);
      const atFirst = await deliveryOf(account, id, (view) => view.attempts.length === 1);
      release();
      const atRetry = await deliveryOf(account, id, (view) => view.status === 'succeeded');

      expectSameRequest(atFirst.request, first, receiver.url);
      expectSameRequest(atRetry.request, retry, receiver.url);
      expect(atRetry.request?.attempt_at).toBe(atRetry.attempts[1]?.at);
      expect(atRetry.attempts).toMatchObject([
        { trigger: 'event', status_code: 500, ...sentBy(first) },
        { trigger: 'retry', status_code: 204, ...sentBy(retry) },
      ]);
      // What the view shows verifies with the subscription's secret, as the endpoint's request did.
      const shown = atRetry.request as RequestView;
      const signed = new Webhook(created.secret).sign(
        id,
        new Date(Number(shown.headers['webhook-timestamp']) * 1000),
        shown.body,
      );
      expect(shown.headers['webhook-signature']).toBe(signed);
      if (format === 'jwt') expect(shown.headers).toMatchObject({ 'SMD-Action': 'status_update' });
    },
  );

  it('shows both attempts’ signatures across a secret rotation, and the request of a test event', async () => {
    const account = await newAccount();
    // Retry-After holds the retry back 3 s: time enough to rotate before it is signed.
    const { receiver, arm, release } = await failOnceReceiver({
      status: 503,
      headers: { 'retry-after': '3' },
    });
    const created = await account.createWebhook({ name: 'Rotating', url: receiver.url, events: ['order.*'] });
    arm();

    const test = await account.call('POST', `/v1/webhooks/${created.id}/test`);
    expect(test.status, JSON.stringify(test.json)).toBe(202);
    const first = await receiver.next();
    const rotated = await account.call('POST', `/v1/webhooks/${created.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    const retry = await receiver.next();
    release();
    const id = String(test.json?.delivery_id);
    const view = await deliveryOf(account, id, (found) => found.status === 'succeeded');

    expect(first.headers['webhook-id']).toBe(id);
    expectSameRequest(view.request, retry, receiver.url);
    expect(view.attempts).toMatchObject([sentBy(first), sentBy(retry)]);
    const [before, after] = view.attempts.map((attempt) => attempt.webhook_signature?.split(' ') ?? []);
    expect(before).toHaveLength(1);
    expect(after).toHaveLength(2);
    expect(JSON.parse(view.request?.body ?? '{}')).toMatchObject({ type: 'webhook.test' });
    const secrets = [created.secret, String(rotated.json?.secret)];
    const shown = JSON.stringify(view);
    for (const secret of secrets) expect(shown).not.toContain(secret.slice('whsec_'.length));
  });

  it('says when the latest attempt never reached the endpoint (connection refused), and shows what it tried', async () => {
    const account = await newAccount();
    // A port nothing listens on: the first attempt's connection is refused; the retry finds a receiver there.
    const closed = await newReceiver();
    await closed.close();
    const url = closed.url;
    const created = await account.createWebhook({ url, events: ['order.*'] });

    const test = await account.call('POST', `/v1/webhooks/${created.id}/test`);
    expect(test.status, JSON.stringify(test.json)).toBe(202);
    const id = String(test.json?.delivery_id);
    const atRefused = await deliveryOf(account, id, (view) => view.attempts.length >= 1);
    const receiver = await newReceiver(undefined, closed.port);
    const sent = await receiver.next();
    const atRetry = await deliveryOf(account, id, (view) => view.status === 'succeeded');

    expect(atRefused.attempts[0]).toMatchObject({ error: 'connection_refused', status_code: null });
    expect(atRefused.request).toMatchObject({
      reached_endpoint: false,
      attempt_at: atRefused.attempts[0]?.at,
      body: sent.body,
      exact: true,
    });
    expect(atRefused.request?.headers['webhook-signature']).toBe(atRefused.attempts[0]?.webhook_signature);
    expectSameRequest(atRetry.request, sent, url);
  });

  it('says when the rebuilt request is not what was sent: the subscription changed since', async () => {
    const account = await newAccount();
    const receiver = await newReceiver();
    const created = await account.createWebhook({ url: receiver.url, events: ['order.status_updated'] });
    await publish(orderEvent(account.accountId));
    const sent = await receiver.next();
    const id = String(sent.headers['webhook-id']);
    const before = await deliveryOf(account, id, (view) => view.status === 'succeeded');

    const patched = await account.call('PATCH', `/v1/webhooks/${created.id}`, { headers: { 'X-New': '1' } });
    expect(patched.status).toBe(200);
    const after = await deliveryOf(account, id, () => true);

    expect(before.request?.exact).toBe(true);
    expect(after.request).toMatchObject({ exact: false, body: sent.body });
    expect(after.request?.headers).toMatchObject({ 'X-New': '1' });
  });
});
