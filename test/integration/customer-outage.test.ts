import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { deliveryMetrics, type QueueName, queues } from '#core/platform.ts';
import { useApiSandbox } from '../support/api-sandbox.ts';
import { orderStatusUpdated } from '../support/clients.ts';
import { eventually } from '../support/eventually.ts';
import { deliveryOf, useRunbooks } from '../support/runbooks.ts';

/**
 * A customer's endpoint down past the whole retry schedule is the customer's failure, not the platform's: each
 * delivery ends failed on its record with the reason, `delivery.failed` goes on the bus and the failure metric
 * counts it, and no dead-letter queue holds anything (their alarms page the platform's on-call). On the main lane
 * and the ordered one. The sandbox runs at DEBUG, the level at which it prints the functions' embedded metrics,
 * which the test reads from stdout.
 */
const { newAccount, newReceiver, publish, platformEvents, sandbox, aws, dynamo } = useApiSandbox({
  retrySchedule: [1, 1],
  logLevel: 'DEBUG',
});
const { deadLetterCount } = useRunbooks(sandbox, () => aws().sqs, dynamo);

/** What the functions print at DEBUG: the embedded-metric lines (on stdout) are read, the logs dropped. */
const printed: string[] = [];
beforeAll(() => {
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterAll(() => {
  vi.restoreAllMocks();
});

/** The sum of a delivery metric over the EMF lines printed, by lane. */
function metricSum(name: string): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const line of printed.join('').split('\n')) {
    if (!line.includes('"_aws"')) continue;
    const emf = JSON.parse(line) as Record<string, unknown>;
    const value = emf[name];
    const lane = String(emf[deliveryMetrics.dimensions.lane]);
    if (typeof value === 'number') sums[lane] = (sums[lane] ?? 0) + value;
  }
  return sums;
}

describe("a customer's endpoint down past the retry schedule", () => {
  it('fails its deliveries on record, says delivery.failed, counts them, and leaves every dead-letter queue empty', async () => {
    const account = await newAccount();
    const before = new Date(Date.now() - 60_000).toISOString();
    let back = false;
    const down = await newReceiver(() =>
      back ? { status: 200 } : { status: 503, body: 'down for the day' },
    );
    const webhook = await account.createWebhook({ url: down.url });
    const orderedDown = await newReceiver(() => ({ status: back ? 200 : 500 }));
    const orderedWebhook = await account.createWebhook({ url: orderedDown.url, ordering: 'resource' });

    await publish(orderStatusUpdated(account.accountId, 'ord_during_the_outage'));
    const [unordered, ordered] = await Promise.all([down.next(), orderedDown.next()]);
    const ids = [unordered, ordered].map((request) => request.headers['webhook-id'] as string);
    const records = await Promise.all(ids.map((id) => deliveryOf(account, id, 'failed')));
    const told = await eventually(async () => {
      const failed = (await platformEvents()).filter((event) => event['detail-type'] === 'delivery.failed');
      return failed.length >= 2 ? failed : undefined;
    }, 'delivery.failed for both');
    const failures = await eventually(async () => {
      const sums = metricSum(deliveryMetrics.names.deliveriesFailed);
      return (sums.main ?? 0) >= 1 && (sums.ordered ?? 0) >= 1 ? sums : undefined;
    }, 'the DeliveriesFailed metric of both lanes');
    const dlqs = Object.fromEntries(
      await Promise.all(
        (Object.keys(queues) as QueueName[]).map(async (queue) => [queue, await deadLetterCount(queue)]),
      ),
    );

    for (const record of records) {
      expect(record.attempts.map((attempt) => attempt.status_code)).toHaveLength(3);
    }
    expect(told.map((event) => event.detail.delivery_id).sort()).toEqual([...ids].sort());
    expect(told.map((event) => event.detail.reason).sort()).toEqual([
      'Attempt 3 of 3 failed: HTTP 500',
      'Attempt 3 of 3 failed: HTTP 503',
    ]);
    expect(failures).toEqual({ main: 1, ordered: 1 });
    expect(dlqs).toEqual({ fanOut: 0, delivery: 0, slowDelivery: 0, orderedDelivery: 0, retry: 0 });

    // Once the endpoints are back, `recover` sends the failed deliveries again from their records alone.
    back = true;
    for (const id of [webhook.id, orderedWebhook.id]) {
      const recovered = await account.call('POST', `/v1/webhooks/${id}/recover`, { since: before });
      expect(recovered.json).toMatchObject({ recovered: 1 });
    }
    const resent = await Promise.all(ids.map((id) => deliveryOf(account, id, 'succeeded')));
    for (const delivery of resent) expect(delivery.attempts.at(-1)).toMatchObject({ trigger: 'recover' });
  }, 60_000);
});
