import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryIdOf } from '#core/deliveries/delivery-id.ts';
import type { DeliveryMessage } from '#core/deliveries/delivery-message.ts';
import type { DeliveryRecord } from '#core/deliveries/delivery-record.ts';
import { DeliveryStore } from '#core/deliveries/delivery-store.ts';
import { WebhookSender } from '#core/egress/webhook-sender.ts';
import { newSigningSecret } from '#core/payloads/signing.ts';
import { defaults } from '#core/platform.ts';
import {
  type DeliveryPorts,
  type DeliverySettings,
  deliver,
  type Lane,
} from '../../functions/core/deliveries/deliver.ts';
import { Crash, type CrashPoint, crashableSteps, crashPointsOf } from '../support/crash-points.ts';
import { healthIgnored } from '../support/delivery-ports.ts';
import { useLocalTable } from '../support/local-table.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';
import { aSubscription } from '../support/subscriptions.ts';

/**
 * Every step of a delivery that a crash (kill -9, a Lambda timeout, a thrown error) can stop at, each tried
 * before and after its effect: the request, the follow-up message (a retry), the record's write, and the
 * deletion of the message, which the event source mapping makes after the handler returns.
 * The queue is played here (a message stays until deleted; one not deleted comes back with its receive count
 * one higher), the record is the real store on the sandbox's DynamoDB, the endpoint a real HTTP receiver.
 */

const table = useLocalTable();
let store: DeliveryStore;
let receiver: Receiver;
const sender = new WebhookSender('allow-private', 2000);

beforeAll(async () => {
  store = new DeliveryStore(table(), 'webhooks');
  receiver = await startReceiver();
});

afterAll(async () => {
  await receiver?.close();
  await sender.close();
});

/** Thrown by a port where the test stops the invocation, as a crash would. */

type Step = 'send' | 'forward' | 'dead-letter' | 'record' | 'delete';

interface Queued {
  readonly message: DeliveryMessage;
  receiveCount: number;
  firstReceivedAt?: number;
}

const settings: DeliverySettings = {
  lane: 'main',
  schedule: [1, 1],
  mainLaneWaitMs: 1000,
  timeoutMs: 2000,
  disableAfterMs: 5 * 86_400_000,
  retentionSeconds: 86_400,
  successRecords: 1,
  attemptReserveMs: 100,
  connectMs: 1000,
  laneRule: defaults.laneEvidence,
  circuitBreakAfter: 0,
  maxBackOffSeconds: defaults.maxBackOffSeconds,
};

let runs = 0;

/**
 * Runs one delivery to its end through the played queue, stopping the invocation at `crash` (if given), and
 * answers what happened: each step as made, the requests the endpoint got, the record, the dead letters (none is
 * ever due: a delivery that fails is its endpoint's failure) and the `delivery.failed` events.
 */
async function run(
  answers: (requestNumber: number) => number,
  crash?: CrashPoint<Step>,
  /** Whether a message that was not deleted comes back before what was queued meanwhile, or after. */
  comesBack: 'first' | 'last' | 'duplicated' | 'follow-up first' = 'last',
) {
  runs++;
  const subscription = aSubscription({
    id: `sub_crash${String(runs).padStart(4, '0')}`,
    accountId: 'acct_crash',
    url: receiver.url,
    secret: newSigningSecret(),
  });
  const id = deliveryIdOf({ id: `event-${runs}`, time: new Date().toISOString() }, subscription.id);
  const deadLetters: string[] = [];
  const failedEvents: string[] = [];
  let requests = 0;
  let successes = 0;
  receiver.answerWith((request) => {
    if (request.headers['webhook-id'] !== id) return { status: 500 };
    requests++;
    const status = answers(requests);
    if (status < 300) successes++;
    return { status };
  });
  /** Makes a step's effect, crashing before or after it where the test says. */
  const { step, steps } = crashableSteps(crash);

  let followUpSeen = false;
  const queue: Queued[] = [
    {
      message: {
        id,
        accountId: subscription.accountId,
        subscriptionId: subscription.id,
        eventId: `evt_crash${runs}`,
        eventType: 'order.status_updated',
        body: JSON.stringify({ id: `evt_crash${runs}`, type: 'order.status_updated', data: { id: 'ord_1' } }),
        attempt: 1,
        trigger: 'event',
      },
      receiveCount: 0,
    },
  ];
  const ports: DeliveryPorts = {
    subscription: async () => subscription,
    record: (subscriptionId, deliveryId) => store.get(subscriptionId, deliveryId),
    send: (request, bounds) => step('send', () => sender.send(request, bounds)),
    recordAttempts: (write) => step('record', () => store.recordAttempts(write)),
    forward: (message: DeliveryMessage, _lane: Lane) =>
      step('forward', async () => {
        queue.push({ message, receiveCount: 0 });
        if (comesBack !== 'follow-up first' || followUpSeen) return;
        // The follow-up is received (and handled) while the attempt before it is still being recorded.
        followUpSeen = true;
        const early = queue.pop() as Queued;
        await deliver(early.message, ports, settings, { count: 1, firstReceivedAt: Date.now() });
      }),
    deadLetter: (_message, reason) =>
      step('dead-letter', async () => {
        deadLetters.push(reason);
      }),
    newToken: () => `token-${Math.random().toString(36).slice(2)}`,
    remainingMs: () => 60_000,
    ...healthIgnored,
    publish: async (event) => {
      if (event.type === 'delivery.failed') failedEvents.push(event.detail.reason);
    },
    now: Date.now,
  };

  if (comesBack === 'duplicated') {
    // SQS (at least once) hands out a second copy of the first message, received at the same time.
    const copy: Queued = { message: (queue[0] as Queued).message, receiveCount: 1 };
    const original = queue[0] as Queued;
    original.receiveCount = 1;
    await Promise.all(
      [original, copy].map((queued) =>
        deliver(queued.message, ports, settings, { count: 1, firstReceivedAt: Date.now() }),
      ),
    );
    queue.shift();
  }
  // The queue, played: the oldest visible message first; one not deleted comes back.
  for (let receipts = 0; queue.length > 0; receipts++) {
    if (receipts > 50) throw new Error(`Still queued after 50 receipts: ${JSON.stringify(queue)}`);
    const next = queue[0] as Queued;
    next.receiveCount++;
    next.firstReceivedAt ??= Date.now();
    try {
      await deliver(next.message, ports, settings, {
        count: next.receiveCount,
        firstReceivedAt: next.firstReceivedAt,
      });
      await step('delete', async () => {
        queue.shift();
      });
    } catch (error) {
      if (!(error instanceof Crash)) throw error;
      // Not deleted: it comes back, before or behind what was queued meanwhile.
      if (comesBack === 'last') queue.push(...queue.splice(queue.indexOf(next), 1));
    }
  }
  const record = await store.get(subscription.id, id);
  return { steps, requests, successes, record, deadLetters, failedEvents };
}

/** What every run must end with, whatever stopped it: nothing pending, every request on record. */
function expectTruthful(
  result: { requests: number; record: DeliveryRecord | undefined },
  status: DeliveryRecord['status'],
) {
  expect(result.record?.status).toBe(status);
  expect(result.record?.nextAttemptAt).toBeUndefined();
  expect(result.record?.liveToken).toBeUndefined();
  expect(result.record?.attemptCount).toBe(result.record?.attempts.length);
  expect(result.record?.attemptCount ?? 0).toBeGreaterThanOrEqual(result.requests);
}

describe('a crash at any step of a delivery', () => {
  it('after a failure and a retry that succeeds: the delivery succeeds, every request on record', async () => {
    const firstFails = (n: number) => (n === 1 ? 500 : 200);
    const clean = await run(firstFails);
    expect(clean.steps).toEqual(['send', 'forward', 'record', 'delete', 'send', 'record', 'delete']);
    expectTruthful(clean, 'succeeded');
    expect(clean.record?.attempts.map((attempt) => attempt.statusCode)).toEqual([500, 200]);

    const points = crashPointsOf(clean.steps);
    for (const [point, comesBack] of points.flatMap((p) => [[p, 'first'] as const, [p, 'last'] as const])) {
      const crashed = await run(firstFails, point, comesBack);
      const where = `${point.when} ${point.step} ${point.occurrence}, back ${comesBack}`;
      expect(crashed.successes, where).toBeGreaterThanOrEqual(1);
      expect(crashed.record?.status, where).toBe('succeeded');
      expect(crashed.record?.attemptCount ?? 0, where).toBeGreaterThanOrEqual(crashed.requests);
      expect(crashed.record?.nextAttemptAt, where).toBeUndefined();
    }
    expect(points).toHaveLength(14);
  }, 60_000);

  it('with two copies of one message attempted at once: one chain goes on, both requests on record', async () => {
    const result = await run((n) => (n <= 2 ? 500 : 200), undefined, 'duplicated');

    expectTruthful(result, 'succeeded');
    expect(result.requests).toBe(3);
    expect(result.record?.attempts.map((attempt) => attempt.statusCode)).toEqual([500, 500, 200]);
  });

  it('with a follow-up received before the record names it: it waits for its turn instead of being dropped', async () => {
    const result = await run((n) => (n === 1 ? 500 : 200), undefined, 'follow-up first');

    expectTruthful(result, 'succeeded');
    expect(result.requests).toBe(2);
    expect(result.record?.attempts.map((attempt) => attempt.statusCode)).toEqual([500, 200]);
  });

  it('after a request whose answer was lost: the attempt is on record as of unknown outcome', async () => {
    const result = await run(() => 200, { step: 'send', occurrence: 1, when: 'after' });

    expectTruthful(result, 'succeeded');
    expect(result.requests).toBe(2);
    expect(result.record?.attempts.map((attempt) => attempt.error ?? attempt.statusCode)).toEqual([
      'outcome_unknown',
      200,
    ]);
  });

  it('after the last attempt failed: the delivery fails on record, says delivery.failed, is never dead-lettered, every request on record', async () => {
    const clean = await run(() => 500);
    expect(clean.steps).toEqual([
      'send',
      'forward',
      'record',
      'delete',
      'send',
      'forward',
      'record',
      'delete',
      'send',
      'record',
      'delete',
    ]);
    expectTruthful(clean, 'failed');
    expect(clean.failedEvents).toEqual(['Attempt 3 of 3 failed: HTTP 500']);
    expect(clean.deadLetters).toEqual([]);

    const points = crashPointsOf(clean.steps);
    for (const [point, comesBack] of points.flatMap((p) => [[p, 'first'] as const, [p, 'last'] as const])) {
      const crashed = await run(() => 500, point, comesBack);
      const where = `${point.when} ${point.step} ${point.occurrence}, back ${comesBack}`;
      expect(crashed.record?.status, where).toBe('failed');
      expect(crashed.record?.attemptCount ?? 0, where).toBeGreaterThanOrEqual(crashed.requests);
      expect(crashed.record?.liveToken, where).toBeUndefined();
      // Told before the record says so: a crash in between tells again, never not at all.
      expect(crashed.failedEvents.length, where).toBeGreaterThanOrEqual(1);
      expect(crashed.deadLetters, where).toEqual([]);
    }
  }, 60_000);
});
