import { DeleteMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import type { DeliveryMessage } from '#core/deliveries/delivery-message.ts';
import { queues } from '#core/platform.ts';
import { deadLetterQueueName, queueNames } from '../../sandbox/compose/queues.ts';
import { useApiSandbox } from '../support/api-sandbox.ts';
import { orderStatusUpdated } from '../support/clients.ts';
import { deliveryOf, outcomesOf, useRunbooks } from '../support/runbooks.ts';

/**
 * The runbooks of the fan-out and ordered-lane queues' dead-letter alarms, followed in the sandbox: fan-out failing
 * on an account's events for a while beside a poison event it can never fan out; an ordered delivery whose
 * invocations crash on every receive until SQS moves it. Retries 5 s apart, so that the ordered delivery's
 * first attempt is on record before its crash loop starts.
 */
const { newAccount, newReceiver, publish, sandbox, aws, dynamo } = useApiSandbox({ retrySchedule: [5, 5] });
const { tune, breakSubscription, deadLetters, deadLetterCount, followRunbook } = useRunbooks(
  sandbox,
  () => aws().sqs,
  dynamo,
);
const arn = (name: string) => `arn:aws:sqs:us-east-1:000000000000:${name}`;

describe("the fan-out DLQ's runbook", () => {
  it('takes events fan-out failed on 5 times and events it can never fan out; the redrive fans the first out once fixed, and the poison comes back with its reason, to be deleted', async () => {
    const account = await newAccount();
    const receiver = await newReceiver(() => ({ status: 200 }));
    const webhook = await account.createWebhook({ url: receiver.url });
    const restoreVisibility = await tune('fanOut', { VisibilityTimeout: '1' });
    // Fan-out cannot read the account's subscriptions (a bad item), so every event of the account fails.
    const repair = await breakSubscription(account.accountId, webhook.id, 'events');

    await publish(orderStatusUpdated(account.accountId, 'ord_fanned_out_late'));
    await publish({ account_id: account.accountId, id: 'ord_poison' });
    const dead = await deadLetters('fanOut', 2);
    const poison = dead.find((message) => message.MessageAttributes?.reason !== undefined);
    const failed = dead.find((message) => message.MessageAttributes?.reason === undefined);

    // One fan-out dead-lettered itself, saying why it never can; one SQS moved after 5 failed receives.
    expect(poison?.MessageAttributes?.reason?.StringValue).toMatch(/detail\./);
    expect(failed?.Attributes?.DeadLetterQueueSourceArn).toBe(arn(queueNames.fanOut));
    expect(receiver.received).toHaveLength(0);

    await repair();
    await restoreVisibility();
    const { task } = await followRunbook('fanOut');
    const request = await receiver.next();
    const [back] = await deadLetters('fanOut', 1);

    expect(task).toMatchObject({ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 2 });
    expect(JSON.parse(request.body)).toMatchObject({ data: { id: 'ord_fanned_out_late' } });
    expect(back?.Body).toBe(poison?.Body);
    expect(back?.MessageAttributes?.reason?.StringValue).toBe(poison?.MessageAttributes?.reason?.StringValue);

    // The runbook: one with a reason can never be fanned out; tell its publisher, delete it.
    await aws().sqs.send(
      new DeleteMessageCommand({
        QueueUrl: sandbox().queueUrl('fanOutDlq'),
        ReceiptHandle: back?.ReceiptHandle,
      }),
    );
    expect(await deadLetterCount('fanOut')).toBe(0);
    expect(receiver.received).toHaveLength(1);
  }, 60_000);
});

describe("the ordered lane DLQ's runbook", () => {
  it('takes an ordered delivery whose invocations crashed on every receive until SQS moved it; redriven once fixed, it goes on from its record: next attempt made, its crashed receives on record as outcome_unknown', async () => {
    const account = await newAccount();
    let up = false;
    const receiver = await newReceiver(() => ({ status: up ? 200 : 503 }));
    const webhook = await account.createWebhook({ url: receiver.url, ordering: 'resource' });
    // SQS's 1,000 receives would take days at the lane's visibility: 6, a second apart, make the same path.
    const restoreQueue = await tune('orderedDelivery', {
      VisibilityTimeout: '1',
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: arn(deadLetterQueueName('orderedDelivery')),
        maxReceiveCount: 6,
      }),
    });

    await publish(orderStatusUpdated(account.accountId, 'ord_crashing'));
    const first = await receiver.next();
    const deliveryId = first.headers['webhook-id'] as string;
    await deliveryOf(account, deliveryId, 'pending');
    // Its first attempt failed (503) and is on record; from now on every receive throws, until SQS moves it.
    const repair = await breakSubscription(account.accountId, webhook.id, 'headers');
    const [dead] = await deadLetters('orderedDelivery', 1);
    const kept = JSON.parse(dead?.Body ?? '{}') as DeliveryMessage;

    expect(kept).toMatchObject({
      id: deliveryId,
      order: { resource: expect.stringContaining('ord_crashing') },
    });
    expect(dead?.Attributes).toMatchObject({
      DeadLetterQueueSourceArn: arn(queueNames.orderedDelivery),
      MessageDeduplicationId: dead?.MessageId,
    });

    await repair();
    await restoreQueue();
    up = true;
    const { task } = await followRunbook('orderedDelivery');
    const again = await receiver.next();
    const delivery = await deliveryOf(account, deliveryId, 'succeeded');

    expect(task).toMatchObject({ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 1 });
    expect(again.headers['webhook-id']).toBe(deliveryId);
    // The 5 receives after its last write crashed (6 allowed here); the cap of one receive's is 5 as well.
    expect(outcomesOf(delivery)).toEqual([503, ...Array(5).fill('outcome_unknown'), 200]);
    expect(await deadLetterCount('orderedDelivery')).toBe(0);
    expect(receiver.received).toHaveLength(2);
    expect(queues.orderedDelivery.maxReceiveCount).toBe(1000);
  }, 60_000);
});
