import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { deliveryIdOf } from '#core/deliveries/delivery-id.ts';
import type { DeliveryMessage } from '#core/deliveries/delivery-message.ts';
import { queueNames } from '../../sandbox/compose/queues.ts';
import { useApiSandbox } from '../support/api-sandbox.ts';
import { orderStatusUpdated } from '../support/clients.ts';
import { deliveryOf, outcomesOf, useRunbooks } from '../support/runbooks.ts';

/**
 * The runbooks of the delivery (main lane) and retry queues' dead-letter alarms, followed in the sandbox: each
 * alarm's condition made to happen for real (a handler that throws on every receive, a lane that refuses what is
 * sent to it), the dead letters read, the cause fixed, and the redrive the runbook gives run as written.
 */
const { newAccount, newReceiver, publish, sandbox, aws, dynamo } = useApiSandbox();
const { tune, breakSubscription, deadLetters, deadLetterCount, followRunbook } = useRunbooks(
  sandbox,
  () => aws().sqs,
  dynamo,
);

describe("the delivery DLQ's runbook", () => {
  it('takes a delivery whose processing threw on every receive (dead-lettered with the error), and once the cause is fixed its redrive delivers it once, its failed receives on record as outcome_unknown', async () => {
    const account = await newAccount();
    const receiver = await newReceiver(() => ({ status: 200 }));
    const webhook = await account.createWebhook({ url: receiver.url });
    // Five receives a second apart instead of a minute apart: the crash loop, in seconds.
    const restoreVisibility = await tune('delivery', { VisibilityTimeout: '1' });
    const repair = await breakSubscription(account.accountId, webhook.id, 'headers');

    await publish(orderStatusUpdated(account.accountId, 'ord_crash_loop'));
    const [dead] = await deadLetters('delivery', 1);
    const kept = JSON.parse(dead?.Body ?? '{}') as DeliveryMessage;

    expect(dead?.MessageAttributes?.reason?.StringValue).toMatch(
      /^Not processed: each of its 5 receives failed; the last with \S*Error: /,
    );
    expect(kept).toMatchObject({ subscriptionId: webhook.id, attempt: 1, interrupted: 5 });
    expect(receiver.received).toHaveLength(0);

    // The runbook: read the reason (above), fix the cause, redrive.
    await repair();
    await restoreVisibility();
    const { task } = await followRunbook('delivery');
    const request = await receiver.next();
    const delivery = await deliveryOf(account, kept.id, 'succeeded');

    expect(task).toMatchObject({ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 1 });
    expect(request.headers['webhook-id']).toBe(kept.id);
    expect(outcomesOf(delivery)).toEqual([...Array(5).fill('outcome_unknown'), 200]);
    expect(await deadLetterCount('delivery')).toBe(0);
    expect(receiver.received).toHaveLength(1);
  }, 60_000);
});

describe("the retry queue DLQ's runbook", () => {
  it('takes waiting retries the relay could not move to their lane, and once the lane takes them again their redrive delivers them', async () => {
    const account = await newAccount();
    const receiver = await newReceiver(() => ({ status: 204 }));
    const webhook = await account.createWebhook({ url: receiver.url });
    // A delivery waiting in the retry queue (a turn under a rate limit more than 15 minutes away), now due.
    const eventId = 'evt_waiting_retry';
    const waiting: DeliveryMessage = {
      id: deliveryIdOf({ id: 'bus-waiting-retry', time: new Date().toISOString() }, webhook.id),
      accountId: account.accountId,
      subscriptionId: webhook.id,
      eventId,
      eventType: 'order.status_updated',
      body: JSON.stringify({
        id: eventId,
        type: 'order.status_updated',
        occurred_at: '2026-11-27T10:14:59.120Z',
        data: { id: 'ord_waiting', note: 'x'.repeat(1500) },
      }),
      attempt: 1,
      trigger: 'event',
      dueAt: Date.now(),
    };
    // The main lane refuses what the relay sends (as a broken queue policy or key would), for a while.
    const restoreLane = await tune('delivery', { MaximumMessageSize: '1024' });
    const restoreVisibility = await tune('retry', { VisibilityTimeout: '1' });

    await aws().sqs.send(
      new SendMessageCommand({
        QueueUrl: sandbox().queueUrl('retry'),
        MessageBody: JSON.stringify(waiting),
        MessageGroupId: webhook.id,
      }),
    );
    const [dead] = await deadLetters('retry', 1);

    // SQS moved it after 5 failed receives: it says where from.
    expect(dead?.Attributes?.DeadLetterQueueSourceArn).toBe(
      `arn:aws:sqs:us-east-1:000000000000:${queueNames.retry}`,
    );
    expect(JSON.parse(dead?.Body ?? '{}')).toMatchObject({ id: waiting.id });
    expect(receiver.received).toHaveLength(0);

    await restoreLane();
    await restoreVisibility();
    const { task } = await followRunbook('retry');
    const request = await receiver.next();
    const delivery = await deliveryOf(account, waiting.id, 'succeeded');

    expect(task).toMatchObject({ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 1 });
    expect(request.headers['webhook-id']).toBe(waiting.id);
    expect(outcomesOf(delivery)).toEqual([204]);
    expect(await deadLetterCount('retry')).toBe(0);
  }, 60_000);
});
