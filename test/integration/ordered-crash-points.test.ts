import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliverySettings } from '#core/deliveries/deliver.ts';
import {
  deliverInOrder,
  type OrderedDecision,
  type OrderedDeliveryPorts,
} from '#core/deliveries/deliver-in-order.ts';
import { deliveryIdOf } from '#core/deliveries/delivery-id.ts';
import type { DeliveryMessage } from '#core/deliveries/delivery-message.ts';
import { DeliveryStore } from '#core/deliveries/delivery-store.ts';
import type { EventOrder } from '#core/deliveries/resource-order.ts';
import { ResourcePositionStore } from '#core/deliveries/resource-position-store.ts';
import { WebhookSender } from '#core/egress/webhook-sender.ts';
import { newSigningSecret } from '#core/payloads/signing.ts';
import { defaults } from '#core/platform.ts';
import { Crash, type CrashPoint, crashableSteps, crashPointsOf } from '../support/crash-points.ts';
import { healthIgnored } from '../support/delivery-ports.ts';
import { useLocalTable } from '../support/local-table.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';
import { aSubscription } from '../support/subscriptions.ts';

/**
 * Issue 16: every step of the ordered lane a crash (kill -9, a timeout, a thrown error) can stop at, before and
 * after its effect, keeps a resource's order. One FIFO message group is played here (its head is handed out,
 * again and again while it waits; a message not deleted comes back with its receive count one higher), the
 * record and the resource's position are the real stores on the sandbox's DynamoDB, the endpoint a real HTTP
 * receiver. The group holds three events of one order, the oldest queued second (fan-out is unordered), and
 * every first attempt fails: the middle one is delivered after a retry, the oldest superseded, the newest
 * delivered after a retry.
 */

const table = useLocalTable();
let records: DeliveryStore;
let positions: ResourcePositionStore;
let receiver: Receiver;
const sender = new WebhookSender('allow-private', 2000);

beforeAll(async () => {
  records = new DeliveryStore(table(), 'webhooks');
  positions = new ResourcePositionStore(table(), 'webhooks');
  receiver = await startReceiver();
});

afterAll(async () => {
  await receiver?.close();
  await sender.close();
});

type Step = 'send' | 'record' | 'position' | 'dead-letter' | 'keep' | 'delete';

const settings: Omit<DeliverySettings, 'lane'> = {
  schedule: [5, 5],
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

/** The order of the three events (by `occurred_at`), and the order fan-out queued them in. */
const places = ['2026-12-01T10:00:00Z', '2026-12-01T10:00:01Z', '2026-12-01T10:00:02Z'] as const;
const queuedOrder = [1, 0, 2] as const;

let runs = 0;

/** Runs the group to its end, stopping one invocation at `crash` if given; answers what the receiver and stores saw. */
async function run(answers: (place: number, attemptOfDelivery: number) => number, crash?: CrashPoint<Step>) {
  runs++;
  const subscription = aSubscription({
    id: `sub_order${String(runs).padStart(4, '0')}`,
    accountId: 'acct_order',
    url: receiver.url,
    secret: newSigningSecret(),
    ordering: 'resource',
  });
  const resource = `order/ord_${runs}`;
  const messages = places.map((occurredAt, place): DeliveryMessage & { order: EventOrder } => {
    const eventId = `evt_order${runs}_${place}`;
    return {
      id: deliveryIdOf({ id: eventId, time: new Date(Date.now() + place).toISOString() }, subscription.id),
      accountId: subscription.accountId,
      subscriptionId: subscription.id,
      eventId,
      eventType: 'order.status_updated',
      body: JSON.stringify({ id: eventId, type: 'order.status_updated', occurred_at: occurredAt, data: {} }),
      attempt: 1,
      trigger: 'event',
      order: { resource, occurredAt },
    };
  });
  const placeOf = new Map(messages.map((message, place) => [message.id, place]));
  /** Requests in arrival order: which event's delivery, and the status answered. */
  const requests: { place: number; status: number }[] = [];
  receiver.answerWith((request) => {
    const place = placeOf.get(String(request.headers['webhook-id']));
    if (place === undefined) return { status: 500 };
    const status = answers(place, requests.filter((seen) => seen.place === place).length + 1);
    requests.push({ place, status });
    return { status };
  });
  const { step, steps } = crashableSteps(crash);
  // Time, played: a wait moves it on by its seconds (SQS hands the message out again then).
  let clock = Date.now();
  const sentAt = clock;
  const deadLetters: string[] = [];
  const failedEvents: string[] = [];
  const ports: OrderedDeliveryPorts = {
    ...healthIgnored,
    publish: async (event) => {
      if (event.type === 'delivery.failed') failedEvents.push(event.detail.delivery_id);
    },
    subscription: async () => subscription,
    record: (subscriptionId, id) => records.get(subscriptionId, id),
    send: (request, bounds) => step('send', () => sender.send(request, bounds)),
    recordAttempts: (write) => step('record', () => records.recordAttempts(write)),
    forward: async () => {
      throw new Error('The ordered lane sends no follow-up message');
    },
    deadLetter: (_message, reason) => step('dead-letter', async () => void deadLetters.push(reason)),
    newToken: () => 'unused',
    remainingMs: () => 60_000,
    position: (subscriptionId, of) => positions.get(subscriptionId, of),
    advancePosition: (subscriptionId, order, delivered) =>
      step('position', () =>
        positions.advance(subscriptionId, order, delivered, Math.floor(clock / 1000) + 86_400),
      ),
    claimProbe: async () => true,
    // One message is handed out at a time here: none is received and skipped.
    skippedReceives: async () => 0,
    forgetSkipped: async () => undefined,
    now: () => clock,
  };

  const group = queuedOrder.map((place) => ({
    message: messages[place] as (typeof messages)[number],
    count: 0,
  }));
  const decisions: string[] = [];
  for (let receipts = 0; group.length > 0; receipts++) {
    if (receipts > 40) throw new Error(`Still queued after 40 receipts: ${decisions.join(', ')}`);
    const head = group[0] as (typeof group)[number];
    head.count++;
    try {
      const decision: OrderedDecision = await deliverInOrder(head.message, ports, settings, {
        count: head.count,
        firstReceivedAt: clock,
        messageId: `sqs-${head.message.id}`,
        sentAt,
      });
      decisions.push(`${placeOf.get(head.message.id)}:${decision.kind}`);
      if (decision.kind === 'wait') {
        await step('keep', async () => {
          clock += decision.seconds * 1000;
        });
      } else {
        await step('delete', async () => void group.shift());
      }
    } catch (error) {
      if (!(error instanceof Crash)) throw error;
      // Not deleted, its visibility unchanged: it comes back after the queue's visibility timeout, still first.
      clock += 180_000;
    }
  }
  const ends = await Promise.all(messages.map((message) => records.get(subscription.id, message.id)));
  const position = await positions.get(subscription.id, resource);
  return { steps, requests, ends, position, deadLetters, failedEvents, decisions };
}

/**
 * What every run must keep: the events the receiver accepted, a repeat of the same one aside (at least once:
 * a crash after a 2xx sends it again), are strictly newer each time; no request is older than one accepted.
 */
function expectOrdered(requests: readonly { place: number; status: number }[], where: string) {
  let newestAccepted = -1;
  for (const request of requests) {
    expect(request.place, `${where}: ${JSON.stringify(requests)}`).toBeGreaterThanOrEqual(newestAccepted);
    if (request.status < 300) newestAccepted = request.place;
  }
}

describe('a crash at any step of an ordered delivery', () => {
  it('keeps the resource in order: the late oldest event superseded, the others delivered after a retry', async () => {
    const firstFails = (_place: number, attempt: number) => (attempt === 1 ? 500 : 200);
    const clean = await run(firstFails);
    expect(clean.decisions).toEqual(['1:wait', '1:done', '0:done', '2:wait', '2:done']);
    expect(clean.requests).toEqual([
      { place: 1, status: 500 },
      { place: 1, status: 200 },
      { place: 2, status: 500 },
      { place: 2, status: 200 },
    ]);
    expect(clean.ends.map((end) => end?.status)).toEqual(['superseded', 'succeeded', 'succeeded']);
    expect(clean.ends[0]?.supersededBy).toBe('evt_order1_1');
    expect(clean.position?.eventId).toBe('evt_order1_2');

    const points = crashPointsOf(clean.steps);
    expect(points.length).toBeGreaterThanOrEqual(20);
    for (const point of points) {
      const crashed = await run(firstFails, point);
      const where = `${point.when} ${point.step} ${point.occurrence}`;
      expectOrdered(crashed.requests, where);
      expect(
        crashed.ends.map((end) => end?.status),
        where,
      ).toEqual(['superseded', 'succeeded', 'succeeded']);
      expect(crashed.position?.eventId, where).toBe(`evt_order${runs}_2`);
      expect(
        crashed.requests.some((request) => request.place === 0),
        where,
      ).toBe(false);
      for (const [place, end] of crashed.ends.entries()) {
        const sent = crashed.requests.filter((request) => request.place === place).length;
        expect(
          end?.attemptCount ?? 0,
          `${where}: every request of ${place} on record`,
        ).toBeGreaterThanOrEqual(sent);
        expect(end?.nextAttemptAt, where).toBeUndefined();
      }
    }
  }, 60_000);

  it('lets the group go on when an event fails for good: those behind it are sent, what is accepted stays in order', async () => {
    // The first queued (the middle event) fails every attempt; the others are answered 200 at once.
    const result = await run((place) => (place === 1 ? 500 : 200));

    expectOrdered(result.requests, 'no crash');
    expect(result.requests).toEqual([
      { place: 1, status: 500 },
      { place: 1, status: 500 },
      { place: 1, status: 500 },
      { place: 0, status: 200 },
      { place: 2, status: 200 },
    ]);
    // Its endpoint's failure: on record and on the bus, never in the dead-letter queue.
    expect(result.deadLetters).toEqual([]);
    expect(result.failedEvents).toEqual([result.ends[1]?.id]);
    expect(result.ends.map((end) => end?.status)).toEqual(['succeeded', 'failed', 'succeeded']);
    expect(result.position?.eventId).toBe(`evt_order${runs}_2`);
  }, 30_000);
});
