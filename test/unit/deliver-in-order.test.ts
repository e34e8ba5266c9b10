import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliverySettings } from '#core/deliveries/deliver.ts';
import {
  circuitPatienceSeconds,
  deliverInOrder,
  type OrderedDeliveryPorts,
  receiveBudget,
} from '#core/deliveries/deliver-in-order.ts';
import { deliveryIdOf } from '#core/deliveries/delivery-id.ts';
import type { DeliveryMessage } from '#core/deliveries/delivery-message.ts';
import type { DeliveryRecord } from '#core/deliveries/delivery-record.ts';
import type { AttemptWrite } from '#core/deliveries/delivery-store.ts';
import type { EventOrder, ResourcePosition } from '#core/deliveries/resource-order.ts';
import { WebhookSender } from '#core/egress/webhook-sender.ts';
import type { PlatformEvent } from '#core/events/platform-events.ts';
import { newSigningSecret } from '#core/payloads/signing.ts';
import type { Subscription } from '#core/subscriptions/subscription.ts';
import { healthIgnored } from '../support/delivery-ports.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';
import { aSubscription } from '../support/subscriptions.ts';

/**
 * The ordered lane's decisions, one receipt at a time, against a real receiver: what waits in its group (and for
 * how long), what is superseded, what a client's attempt may do. The crash points and the whole path against
 * the sandbox are in test/integration/ordered-*.test.ts.
 */
let receiver: Receiver;
const sender = new WebhookSender('allow-private', 2000);
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  await sender.close();
});

const t0 = Date.now();
const order: EventOrder = { resource: 'order/ord_1', occurredAt: '2026-12-01T10:00:05Z' };
const message: DeliveryMessage & { order: EventOrder } = {
  id: 'msg_1',
  accountId: 'acct_1',
  subscriptionId: 'sub_1',
  eventId: 'evt_5',
  eventType: 'order.status_updated',
  body: JSON.stringify({
    id: 'evt_5',
    type: 'order.status_updated',
    occurred_at: order.occurredAt,
    data: {},
  }),
  attempt: 1,
  trigger: 'event',
  order,
};
const settings: Omit<DeliverySettings, 'lane'> = {
  schedule: [5, 300],
  mainLaneWaitMs: 300,
  timeoutMs: 2000,
  disableAfterMs: 5 * 86_400_000,
  retentionSeconds: 86_400,
  successRecords: 1,
  attemptReserveMs: 500,
  connectMs: 1000,
  laneRule: { toSlow: 3, toMain: 5, quickMs: 1500 },
  circuitBreakAfter: 0,
  maxBackOffSeconds: 900,
};
const receipt = { count: 1, firstReceivedAt: t0, messageId: 'sqs-1', sentAt: t0 };

function portsFor(
  options: {
    subscription?: Partial<Subscription>;
    record?: Partial<DeliveryRecord>;
    position?: ResourcePosition;
    claim?: boolean;
    turn?: number;
    remainingMs?: number;
    skipped?: number;
  } = {},
) {
  const writes: AttemptWrite[] = [];
  const advanced: string[] = [];
  const published: PlatformEvent[] = [];
  const deadLettered: string[] = [];
  const subscription = aSubscription({
    id: 'sub_1',
    accountId: 'acct_1',
    url: receiver.url,
    secret: newSigningSecret(),
    ordering: 'resource',
    ...options.subscription,
  });
  const ports: OrderedDeliveryPorts = {
    ...healthIgnored,
    subscription: async () => subscription,
    record: async () =>
      options.record === undefined
        ? undefined
        : ({ status: 'pending', scheduledAttempt: 0, attempts: [], ...options.record } as DeliveryRecord),
    send: (request, bounds) => sender.send(request, bounds),
    recordAttempts: async (write) => {
      writes.push(write);
      return true;
    },
    forward: async () => {
      throw new Error('no follow-up messages on the ordered lane');
    },
    deadLetter: async (_message, reason) => {
      deadLettered.push(reason);
    },
    publish: async (event) => {
      published.push(event);
    },
    newToken: () => 'token',
    remainingMs: () => options.remainingMs ?? 60_000,
    takeTurn: async (_s, from) => options.turn ?? from,
    position: async () => options.position,
    advancePosition: async (_s, _o, delivered) => {
      advanced.push(delivered.eventId);
      return true;
    },
    claimProbe: async () => options.claim ?? true,
    skippedReceives: async () => options.skipped ?? 0,
    forgetSkipped: async () => undefined,
    now: () => t0,
  };
  return { ports, writes, advanced, published, deadLettered };
}

const position = (occurredAt: string, eventId: string): ResourcePosition => ({
  occurredAtMs: Date.parse(occurredAt),
  sequence: 0,
  eventId,
  deliveryId: 'msg_x',
  deliveredAt: occurredAt,
});

describe('an ordered delivery', () => {
  it('is delivered and moves its resource forward', async () => {
    receiver.answerWith(() => ({ status: 204 }));
    const { ports, writes, advanced } = portsFor();
    const decision = await deliverInOrder(message, ports, settings, receipt);

    expect(decision).toMatchObject({ kind: 'done', summary: 'delivered' });
    expect(advanced).toEqual(['evt_5']);
    expect(writes.at(-1)?.change).toEqual({ kind: 'succeed', scheduledAttempt: 1 });
    expect(writes.at(-1)?.receipt).toEqual({ messageId: 'sqs-1', count: 1 });
  });

  it('is superseded, unsent, when a newer event of its resource was delivered, or another at its place', async () => {
    for (const [at, id] of [
      ['2026-12-01T10:00:06Z', 'evt_6'],
      ['2026-12-01T10:00:05Z', 'evt_other'],
    ] as const) {
      const before = receiver.received.length;
      const { ports, writes } = portsFor({ position: position(at, id) });
      const decision = await deliverInOrder(message, ports, settings, receipt);

      expect(decision).toMatchObject({ kind: 'done', superseded: true });
      expect(writes.map((write) => write.change)).toEqual([{ kind: 'supersede', by: id }]);
      expect(receiver.received.length).toBe(before);
    }
  });

  it('is sent again when its resource stands at itself (a crash between the 2xx and the record)', async () => {
    receiver.answerWith(() => ({ status: 204 }));
    const { ports } = portsFor({ position: position(order.occurredAt, 'evt_5') });
    expect(await deliverInOrder(message, ports, settings, receipt)).toMatchObject({ summary: 'delivered' });
  });

  it("reads no record at fan-out's message's first receive (none can be there), but after a fan-out that ran again, and for a redriven message", async () => {
    receiver.answerWith(() => ({ status: 204 }));
    const reads: string[] = [];
    const cases = {
      fresh: [message, { ...receipt, deduplicationId: message.id }],
      'fanned out again': [{ ...message, fannedOutAgain: true as const }, receipt],
      // A redrive keeps nothing of fan-out's message but its body: SQS gave it the dead letter's message id.
      redriven: [message, { ...receipt, deduplicationId: 'sqs-dead-lettered' }],
    } as const;
    for (const [name, [copy, received]] of Object.entries(cases)) {
      const { ports } = portsFor();
      const counted = {
        ...ports,
        record: async (subscriptionId: string, id: string) => {
          reads.push(name);
          return ports.record(subscriptionId, id);
        },
      };
      await deliverInOrder(copy, counted, settings, received);
    }
    expect(reads).toEqual(['fanned out again', 'redriven']);
  });

  it('waits in its group for its retry, with the attempt rescheduled on its record', async () => {
    receiver.answerWith(() => ({ status: 503 }));
    const { ports, writes } = portsFor();
    const decision = await deliverInOrder(message, ports, settings, receipt);

    expect(decision).toMatchObject({ kind: 'wait', reason: 'retry' });
    expect(decision.kind === 'wait' && decision.seconds).toBeGreaterThanOrEqual(4);
    expect(writes.at(-1)?.change).toMatchObject({ kind: 'reschedule', scheduledAttempt: 1 });
  });

  it('makes its next scheduled attempt from its record, and an unrecorded receipt in between is on record', async () => {
    receiver.answerWith(() => ({ status: 204 }));
    const { ports, writes } = portsFor({
      record: {
        scheduledAttempt: 1,
        receipts: 1,
        receivedBy: 'sqs-1',
        nextAttemptAt: new Date(t0 - 1).toISOString(),
      },
    });
    await deliverInOrder(message, ports, settings, { ...receipt, count: 3 });

    const last = writes.at(-1);
    expect(last?.change).toEqual({ kind: 'succeed', scheduledAttempt: 2 });
    expect(last?.attempts.map((attempt) => attempt.error ?? attempt.trigger)).toEqual([
      'outcome_unknown',
      'retry',
    ]);
  });

  it('takes receives its batch skipped (behind a wait in its group) for no attempt, and the others for unknown ones', async () => {
    receiver.answerWith(() => ({ status: 204 }));
    for (const [skipped, unknown] of [
      [2, 0],
      [1, 1],
    ] as const) {
      const { ports, writes } = portsFor({ skipped });
      await deliverInOrder(message, ports, settings, { ...receipt, count: 3 });
      const attempts = writes.at(-1)?.attempts ?? [];
      expect(attempts.filter((attempt) => attempt.error === 'outcome_unknown')).toHaveLength(unknown);
    }
  });

  it('waits again when it comes back before its retry is due (its wait outlasted 12 hours, or was never set)', async () => {
    const { ports } = portsFor({
      record: {
        scheduledAttempt: 1,
        receipts: 1,
        receivedBy: 'sqs-1',
        nextAttemptAt: new Date(t0 + 3_600_000).toISOString(),
      },
    });
    expect(await deliverInOrder(message, ports, settings, { ...receipt, count: 2 })).toEqual({
      kind: 'wait',
      seconds: 3600,
      reason: 'not due',
    });
  });

  it('waits for an open circuit: until its probe, then takes the probe or waits for the next one', async () => {
    const circuit = (openedAgoMs: number, probeInMs: number) => ({
      circuit: {
        openedAt: new Date(t0 - openedAgoMs).toISOString(),
        probeAt: new Date(t0 + probeInMs).toISOString(),
        probeDelaySeconds: 20,
        token: 't',
      },
    });
    const early = portsFor({ subscription: circuit(5000, 10_000) });
    expect(await deliverInOrder(message, early.ports, settings, receipt)).toMatchObject({
      kind: 'wait',
      reason: 'circuit',
      seconds: 11,
    });
    // Open for an hour: it looks again no sooner than every 15 minutes (SQS dead-letters after 1,000 receives).
    const long = portsFor({ subscription: circuit(3_600_000, 10_000) });
    expect(await deliverInOrder(message, long.ports, settings, receipt)).toMatchObject({
      seconds: circuitPatienceSeconds,
    });
    const lost = portsFor({ subscription: circuit(5000, -1000), claim: false });
    expect(await deliverInOrder(message, lost.ports, settings, receipt)).toMatchObject({
      kind: 'wait',
      reason: 'circuit',
      seconds: 20,
    });
    receiver.answerWith(() => ({ status: 204 }));
    const claimed = portsFor({ subscription: circuit(5000, -1000), claim: true });
    expect(await deliverInOrder(message, claimed.ports, settings, receipt)).toMatchObject({
      kind: 'done',
      summary: 'delivered',
      changes: { circuit: 'closed' },
    });
  });

  it('waits for a turn more than a second away, kept on its record; hands back when time is short', async () => {
    const turned = portsFor({ subscription: { rateLimit: 1 }, turn: t0 + 4500 });
    expect(await deliverInOrder(message, turned.ports, settings, receipt)).toEqual({
      kind: 'wait',
      seconds: 4,
      reason: 'turn',
    });
    expect(turned.writes.at(-1)?.receipt?.slotAt).toBe(t0 + 4500);
    const short = portsFor({ remainingMs: 1000 });
    expect(await deliverInOrder(message, short.ports, settings, receipt)).toMatchObject({
      kind: 'wait',
      reason: 'hand-back',
    });
    expect(short.writes.at(-1)?.receipt?.slotAt).toBeUndefined();
  });

  it("ends failed on record, near SQS's 1,000 receives, instead of waiting again (for a retry or a turn)", async () => {
    receiver.answerWith(() => ({ status: 503 }));
    const record = { scheduledAttempt: 0, receipts: receiveBudget - 1, receivedBy: 'sqs-1' };
    const near = { ...receipt, count: receiveBudget };
    const retried = portsFor({ record });
    expect(await deliverInOrder(message, retried.ports, settings, near)).toMatchObject({
      kind: 'done',
      failed: expect.stringContaining(`received ${receiveBudget} times`),
    });
    expect(retried.writes.at(-1)?.change).toMatchObject({ kind: 'fail', scheduledAttempt: 1 });
    const turned = portsFor({ record, subscription: { rateLimit: 1 }, turn: t0 + 4500 });
    expect(await deliverInOrder(message, turned.ports, settings, near)).toMatchObject({
      kind: 'done',
      failed: expect.stringContaining(`waited ${receiveBudget} receives`),
    });
    expect(turned.writes.at(-1)?.change).toMatchObject({ kind: 'fail' });
    // An endpoint's outage, not the platform's: said on the bus, never dead-lettered.
    for (const ended of [retried, turned]) {
      expect(ended.deadLettered).toEqual([]);
      expect(ended.published).toEqual([
        { type: 'delivery.failed', detail: expect.objectContaining({ delivery_id: message.id }) },
      ]);
    }
  });

  it('fails on 410 Gone, saying delivery.failed after webhook.disabled, without a dead letter', async () => {
    receiver.answerWith(() => ({ status: 410 }));
    const { ports, writes, published, deadLettered } = portsFor();
    const disabled: string[] = [];
    const decision = await deliverInOrder(
      message,
      { ...ports, disable: async (_s, reason) => disabled.push(reason) > 0 },
      settings,
      receipt,
    );

    expect(decision).toMatchObject({ kind: 'done', failed: 'The endpoint answered 410 Gone' });
    expect(disabled).toEqual(['The endpoint answered 410 Gone']);
    expect(writes.at(-1)?.change).toMatchObject({ kind: 'fail', scheduledAttempt: 1 });
    expect(published.map((event) => event.type)).toEqual(['webhook.disabled', 'delivery.failed']);
    expect(deadLettered).toEqual([]);
  });

  it('fails a delivery whose body has no XML form, on record and on the bus, without a request or a dead letter', async () => {
    const before = receiver.received.length;
    const deep = `{"id":"evt_5","data":${'{"a":'.repeat(120)}1${'}'.repeat(120)}}`;
    const { ports, writes, published, deadLettered } = portsFor({ subscription: { format: 'xml' } });
    const decision = await deliverInOrder({ ...message, body: deep }, ports, settings, receipt);

    expect(decision).toMatchObject({ kind: 'done', failed: expect.stringMatching(/^No XML form: /) });
    expect(writes.at(-1)?.change).toMatchObject({
      kind: 'fail',
      reason: expect.stringMatching(/^No XML form/),
    });
    expect(published.map((event) => event.type)).toEqual(['delivery.failed']);
    expect(deadLettered).toEqual([]);
    expect(receiver.received.length).toBe(before);
  });

  describe('redriven from the dead-letter queue (a new message to SQS: new id, new send time, first receive)', () => {
    // Its delivery was fanned out three days ago; its predecessor wrote the record at its third receive, then
    // every receive failed until SQS moved it to the dead-letter queue.
    const redriven = {
      ...message,
      id: deliveryIdOf(
        { id: 'evt_5', time: new Date(t0 - 3 * 86_400_000).toISOString() },
        'sub_01m8re8jc558cthvp60cjb7yj5',
      ),
    };
    const redrive = { ...receipt, messageId: 'sqs-redriven' };
    const left = {
      scheduledAttempt: 2,
      receipts: 3,
      receivedBy: 'sqs-original',
      nextAttemptAt: new Date(t0 - 3_600_000).toISOString(),
    };

    it('reads its record, makes the next scheduled attempt, and puts its predecessor’s unrecorded receives on record as outcome_unknown (one receive’s cap)', async () => {
      receiver.answerWith(() => ({ status: 204 }));
      const { ports, writes } = portsFor({ record: left });
      const decision = await deliverInOrder(redriven, ports, settings, redrive);

      expect(decision).toMatchObject({ kind: 'done', summary: 'delivered' });
      expect(writes.at(-1)?.change).toEqual({ kind: 'succeed', scheduledAttempt: 3 });
      expect(writes.at(-1)?.attempts.map((attempt) => attempt.error ?? attempt.statusCode)).toEqual([
        ...Array(5).fill('outcome_unknown'),
        204,
      ]);
    });

    it('sends nothing twice: one whose delivery ended meanwhile is dropped, one whose resource moved on is superseded', async () => {
      const before = receiver.received.length;
      const delivered = portsFor({ record: { ...left, status: 'succeeded' } });
      expect(await deliverInOrder(redriven, delivered.ports, settings, redrive)).toMatchObject({
        kind: 'done',
        summary: 'dropped: the delivery is succeeded already',
      });
      const overtaken = portsFor({ record: left, position: position('2026-12-01T10:00:09Z', 'evt_9') });
      expect(await deliverInOrder(redriven, overtaken.ports, settings, redrive)).toMatchObject({
        kind: 'done',
        superseded: true,
      });
      expect(receiver.received.length).toBe(before);
    });
  });

  it("drops a client's retry that would reorder, writing nothing", async () => {
    const { ports, writes } = portsFor({ position: position('2026-12-01T10:00:09Z', 'evt_9') });
    const decision = await deliverInOrder({ ...message, trigger: 'manual' }, ports, settings, receipt);
    expect(decision).toMatchObject({ kind: 'done' });
    expect(decision.kind === 'done' && decision.summary).toContain('newer event');
    expect(writes).toEqual([]);
  });
});
