import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, describe, expect, it } from 'vitest';
import { awsClients } from '../support/clients.ts';
import { eventually } from '../support/eventually.ts';
import { type Answered, answered, expectAcceptedInOrder } from '../support/ordered-log.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';
import {
  createWebhook,
  deliveriesOf,
  type SandboxProcess,
  useSandboxProcesses,
} from '../support/sandbox-process.ts';
import { shuffled } from '../support/shuffle.ts';

/**
 * Issue 16: a kill -9 of the sandbox mid-stream keeps each resource's order. The sandbox runs as a user starts
 * it (its state on disk); an ordered subscription gets 30 orders x 5 status changes, published shuffled, from a
 * receiver that fails every first attempt and answers slowly; the sandbox is killed with webhooks on the wire
 * and started again. Across the kill, what the receiver accepted of each order is strictly newer each time and
 * no request is older than one it accepted; the restarted sandbox goes on. (Messages the kill caught in an
 * invocation come back after the ordered lane's 180 s visibility timeout, as on AWS: this test does not wait for
 * them; ordered-crash-points.test.ts follows every crash point to the end.)
 */
const sandboxes = useSandboxProcesses('ordered-kill-');
const receivers: Receiver[] = [];
afterAll(async () => {
  await Promise.all(receivers.map((receiver) => receiver.close()));
});

const orders = 30;
const changes = 5;
const base = Date.parse('2026-12-02T08:00:00Z');

async function publish(sandbox: SandboxProcess, all: readonly { orderId: string; step: number }[]) {
  const { eventBridge } = awsClients(sandbox.endpoint);
  try {
    for (let start = 0; start < all.length; start += 10) {
      const result = await eventBridge.send(
        new PutEventsCommand({
          Entries: all.slice(start, start + 10).map(({ orderId, step }) => ({
            EventBusName: sandbox.eventBus,
            Source: 'shipping.orders',
            DetailType: 'order.status_updated',
            Detail: JSON.stringify({
              account_id: 'demo',
              id: orderId,
              occurred_at: new Date(base + step * 1000).toISOString(),
              data: { id: orderId, order_number: orderId, status: `Step ${step}` },
              previous: { status: `Step ${step - 1}` },
            }),
          })),
        }),
      );
      expect(result.FailedEntryCount ?? 0).toBe(0);
    }
  } finally {
    eventBridge.destroy();
  }
}

describe('an ordered subscription whose sandbox is killed mid-stream', () => {
  it('keeps each resource strictly newer across the kill, and goes on after the restart', async () => {
    // Arrange: every first attempt fails; answers take 300 ms, so a kill finds webhooks on the wire.
    const log: Answered[] = [];
    const receiver = await startReceiver((request) => {
      const webhookId = String(request.headers['webhook-id']);
      const first = !log.some((entry) => entry.webhookId === webhookId);
      const status = first ? 500 : 200;
      log.push(answered(request, base, status));
      return { status, delayMs: 300 };
    });
    receivers.push(receiver);
    const args = await sandboxes.args(
      '--quiet',
      '--retry-schedule',
      '1s,1s,1s,1s',
      '--circuit-break-after',
      '0',
    );
    const first = await sandboxes.start(args);
    const webhook = await createWebhook(first, { url: receiver.url, ordering: 'resource' });
    const all = shuffled(
      Array.from({ length: orders * changes }, (_, n) => ({
        orderId: `ord_kill_${n % orders}`,
        step: Math.floor(n / orders),
      })),
      7,
    );

    // Act: a kill once 20 requests came in and a few retries were accepted (so most orders wait for a retry then,
    // some are on the wire: fan-out queues a batch's messages together, so the first requests come as one wave,
    // all on the wire at once), a restart, and time for the restarted sandbox to go on.
    await publish(first, all);
    await eventually(
      async () =>
        log.length >= 20 && log.filter((entry) => entry.status === 200).length >= 3 ? true : undefined,
      '20 requests and 3 accepted retries before the kill',
      30_000,
    );
    await first.kill();
    const atKill = log.length;
    const second = await sandboxes.start(args, 60_000);
    // The orders whose messages waited for a retry at the kill go on at once (those in an invocation in 180 s).
    await eventually(
      async () => (log.slice(atKill).filter((entry) => entry.status === 200).length >= 5 ? true : undefined),
      'the restarted sandbox to deliver again',
      30_000,
    );

    // Assert: per order, accepted events strictly newer each time (a repeat of the same webhook-id aside), and
    // no request older than one accepted, across the kill.
    for (let n = 0; n < orders; n++) {
      const orderId = `ord_kill_${n}`;
      expectAcceptedInOrder(
        log.filter((request) => request.orderId === orderId),
        orderId,
      );
    }
    // ... and nothing superseded was sent.
    const superseded = (await deliveriesOf(second, webhook.id)).filter(
      (record) => record.status === 'superseded',
    );
    const sent = new Set(log.map((entry) => entry.webhookId));
    expect(superseded.filter((record) => sent.has(record.id))).toEqual([]);
  }, 150_000);
});
