import { describe, expect, it } from 'vitest';
import type { CircuitMessage } from '#core/deliveries/delivery-message.ts';
import { queueNames } from '../../sandbox/compose/queues.ts';
import { useApiSandbox } from '../support/api-sandbox.ts';
import { orderStatusUpdated } from '../support/clients.ts';
import { eventually } from '../support/eventually.ts';
import { useRunbooks } from '../support/runbooks.ts';

/**
 * The runbook of the slow lane's dead-letter alarm, followed in the sandbox. What SQS moves there is what the
 * delivery code could not dead-letter itself: a circuit's probe whose processing failed on all 5 receives (a
 * delivery that throws is dead-lettered by its own code, to the delivery DLQ). A circuit opens at the first
 * failure here, and retries wait 10 minutes, so that only the probe and a held delivery move.
 */
const { newAccount, newReceiver, publish, sandbox, aws, dynamo } = useApiSandbox({
  circuitBreakAfter: 1,
  retrySchedule: [600],
});
const { tune, breakSubscription, deadLetters, deadLetterCount, followRunbook } = useRunbooks(
  sandbox,
  () => aws().sqs,
  dynamo,
);

describe("the slow lane DLQ's runbook", () => {
  it('takes an open circuit’s probe that crashed on every receive; redriven once fixed, it probes with the held delivery, which is delivered, and the circuit closes', async () => {
    const account = await newAccount();
    let up = false;
    const receiver = await newReceiver(() => ({ status: up ? 200 : 503 }));
    const webhook = await account.createWebhook({ url: receiver.url });

    await publish(orderStatusUpdated(account.accountId, 'ord_opens_the_circuit'));
    await receiver.next();
    await eventually(async () => {
      const answer = await account.call('GET', `/v1/webhooks/${webhook.id}`);
      return (answer.json as { circuit?: { state: string } }).circuit?.state === 'open' ? true : undefined;
    }, 'the circuit to open');
    // Published while the circuit is open: held, waiting for the probe.
    await publish(orderStatusUpdated(account.accountId, 'ord_held'));
    const held = await eventually(async () => {
      const answer = await account.call('GET', `/v1/webhooks/${webhook.id}/deliveries`);
      const page = answer.json as { data: { id: string; held_since: string | null }[] };
      return page.data.find((delivery) => delivery.held_since !== null);
    }, 'a held delivery');
    // From now on the probe's processing throws (a bad item) on every receive, a second apart.
    const restoreVisibility = await tune('slowDelivery', { VisibilityTimeout: '1' });
    const repair = await breakSubscription(account.accountId, webhook.id, 'headers');
    const [dead] = await deadLetters('slowDelivery', 1);
    const probe = JSON.parse(dead?.Body ?? '{}') as CircuitMessage;

    expect(probe).toMatchObject({ circuit: 'probe', subscriptionId: webhook.id });
    expect(dead?.Attributes?.DeadLetterQueueSourceArn).toBe(
      `arn:aws:sqs:us-east-1:000000000000:${queueNames.slowDelivery}`,
    );

    await repair();
    await restoreVisibility();
    up = true;
    const { task } = await followRunbook('slowDelivery');
    const probed = await receiver.next();
    const circuit = await eventually(async () => {
      const answer = await account.call('GET', `/v1/webhooks/${webhook.id}`);
      const found = (answer.json as { circuit?: { state: string } }).circuit;
      return found?.state === 'closed' ? found : undefined;
    }, 'the circuit to close');
    const delivered = await account.call('GET', `/v1/deliveries/${held.id}`);

    expect(task).toMatchObject({ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 1 });
    expect(probed.headers['webhook-id']).toBe(held.id);
    expect(delivered.json).toMatchObject({ status: 'succeeded' });
    expect(circuit).toEqual({ state: 'closed' });
    expect(await deadLetterCount('slowDelivery')).toBe(0);
  }, 60_000);
});
