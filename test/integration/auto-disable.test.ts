import { describe, expect, it } from 'vitest';
import { useApiSandbox } from '../support/api-sandbox.ts';
import { orderStatusUpdated } from '../support/clients.ts';
import { eventually } from '../support/eventually.ts';

// The clock the platform reads is the real one; what the test controls is how long "too long" is: 2 s.
const { newAccount, newReceiver, publish, platformEvents } = useApiSandbox({
  retrySchedule: [1, 1, 1, 1, 1, 1],
  disableAfterSeconds: 2,
});

describe('auto-disable', () => {
  it('disables a subscription failing without a success for longer than allowed, and says why on the bus', async () => {
    const account = await newAccount();
    let down = true;
    const receiver = await newReceiver(() => ({ status: down ? 500 : 204 }));
    const webhook = await account.createWebhook({ url: receiver.url });

    await publish(orderStatusUpdated(account.accountId, 'ord_down'));
    const disabled = await eventually(async () => {
      const read = await account.call('GET', `/v1/webhooks/${webhook.id}`);
      return read.json?.status === 'disabled' ? read.json : undefined;
    }, 'the subscription to be disabled');
    const event = await eventually(
      async () =>
        (await platformEvents()).find(
          (candidate) =>
            candidate['detail-type'] === 'webhook.disabled' && candidate.detail.webhook_id === webhook.id,
        ),
      'webhook.disabled',
    );
    const attemptsUntilDisabled = receiver.received.length;
    await new Promise((resolve) => setTimeout(resolve, 2500));

    expect(disabled.disabled_reason).toMatch(/^No successful delivery since .+, for longer than 2 seconds$/);
    expect(event.detail).toMatchObject({ account_id: account.accountId, reason: disabled.disabled_reason });
    // Disabled means no more attempts, though the schedule had more.
    expect(attemptsUntilDisabled).toBeGreaterThanOrEqual(3);
    expect(attemptsUntilDisabled).toBeLessThan(7);
    expect(receiver.received.length).toBe(attemptsUntilDisabled);

    // Re-enabled, it starts afresh: a new event is delivered, and its failures so far no longer count.
    down = false;
    const enabled = await account.call('PATCH', `/v1/webhooks/${webhook.id}`, { status: 'active' });
    await publish(orderStatusUpdated(account.accountId, 'ord_back'));
    const back = await eventually(
      async () => receiver.received.find((request) => JSON.parse(request.body).data.id === 'ord_back'),
      'the new event',
    );

    expect(enabled.json).toMatchObject({ status: 'active', disabled_reason: null });
    expect(back.headers['webhook-id']).toMatch(/^msg_/);
  });
});
