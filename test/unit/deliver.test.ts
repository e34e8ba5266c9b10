import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryIdOf } from '#core/deliveries/delivery-id.ts';
import type { DeliveryMessage } from '#core/deliveries/delivery-message.ts';
import type { DeliveryRecord } from '#core/deliveries/delivery-record.ts';
import type { AttemptWrite } from '#core/deliveries/delivery-store.ts';
import { WebhookSender } from '#core/egress/webhook-sender.ts';
import type { PlatformEvent } from '#core/events/platform-events.ts';
import { newSigningSecret } from '#core/payloads/signing.ts';
import type { Subscription } from '#core/subscriptions/subscription.ts';
import {
  type DeliveryPorts,
  type DeliverySettings,
  deliver,
  redriveAfterMs,
  sampled,
} from '../../functions/core/deliveries/deliver.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';
import { aSubscription } from '../support/subscriptions.ts';

let receiver: Receiver;
const sender = new WebhookSender('allow-private', 2000);

beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  await sender.close();
});

const secret = newSigningSecret();
/** The tests' clock starts at the real time: verifiers check signatures' timestamps against theirs. */
const t0 = Date.now();
const at = (offsetMs: number) => new Date(t0 + offsetMs).toISOString();
const day = 86_400_000;
const subscriptionId = 'sub_01m8re8jc558cthvp60cjb7yj5';
const body = JSON.stringify({
  id: 'evt_9v662v45j1z8g60apc6ckd85xp',
  type: 'order.status_updated',
  occurred_at: '2026-11-27T10:00:00Z',
  data: { id: 'ord_1', status: 'Shipped' },
});
const message: DeliveryMessage = {
  id: deliveryIdOf({ id: 'bus-event-1', time: '2026-11-27T10:00:00Z' }, subscriptionId),
  accountId: 'acct_1',
  subscriptionId,
  eventId: 'evt_9v662v45j1z8g60apc6ckd85xp',
  eventType: 'order.status_updated',
  body,
  attempt: 1,
  trigger: 'event',
};
const settings: DeliverySettings = {
  lane: 'slow',
  schedule: [5, 300, 1800],
  mainLaneWaitMs: 300,
  timeoutMs: 2000,
  disableAfterMs: 5 * 86_400_000,
  retentionSeconds: 30 * 86_400,
  successRecords: 1,
  attemptReserveMs: 500,
  connectMs: 1000,
  laneRule: { toSlow: 3, toMain: 2, quickMs: 250 },
  circuitBreakAfter: 5,
  maxBackOffSeconds: 900,
};

/** The world of one delivery, kept in memory: what a test looks at afterwards, and a clock it sets. */
function world(found: Subscription | undefined, record?: DeliveryRecord) {
  const state = {
    clock: t0,
    writes: [] as AttemptWrite[],
    events: [] as PlatformEvent[],
    health: [] as string[],
    forwarded: [] as { message: DeliveryMessage; lane: string; delaySeconds: number }[],
    deadLettered: [] as string[],
    deadLetters: [] as DeliveryMessage[],
    /** Every side effect in the order made: what carries a delivery on must come before its record. */
    steps: [] as string[],
    remainingMs: 60_000,
    laneEvidence: found?.laneEvidence ?? 0,
    failuresInARow: found?.consecutiveFailures ?? 0,
    held: [] as DeliveryMessage[],
    backOffs: [] as Date[],
    /** The next rate-limit turn (epoch ms) and how far apart turns are. */
    nextTurn: 0,
    turnMs: 100,
    slept: 0,
    circuitStillOpen: true,
  };
  const ports: DeliveryPorts = {
    subscription: async () => found,
    record: async () => record,
    send: (request, bounds) => sender.send(request, bounds),
    recordAttempts: async (write) => {
      state.writes.push(write);
      state.steps.push(`record ${write.change.kind}`);
      return true;
    },
    forward: async (forwarded, lane, delaySeconds) => {
      state.forwarded.push({ message: forwarded, lane, delaySeconds });
      state.steps.push(`forward ${lane}`);
    },
    deadLetter: async (kept, reason) => {
      state.deadLettered.push(reason);
      state.deadLetters.push(kept);
      state.steps.push('dead-letter');
    },
    newToken: () => `token-${state.forwarded.length + 1}`,
    remainingMs: () => state.remainingMs,
    disable: async (_subscription, reason) => {
      state.health.push(`disabled: ${reason}`);
      return true;
    },
    noteFailure: async (subscription, counts) => {
      if (subscription.failingSince === undefined) state.health.push('failing');
      if (counts) state.failuresInARow++;
      return state.failuresInARow;
    },
    addLaneEvidence: async () => {
      state.health.push('evidence');
      return ++state.laneEvidence;
    },
    clearLaneEvidence: async () => {
      state.health.push('evidence cleared');
      state.laneEvidence = 0;
      return true;
    },
    hold: async (held) => {
      state.held.push(held);
      state.steps.push('hold');
    },
    openCircuit: async () => {
      state.health.push('circuit opened');
      return true;
    },
    closeCircuit: async () => {
      state.health.push('circuit closed');
      return true;
    },
    restartProbe: async () => {
      state.health.push('probe restarted');
    },
    stillOpen: async () => state.circuitStillOpen,
    releaseHeld: async () => {
      state.steps.push('release');
    },
    backOff: async (_subscription, until) => {
      state.backOffs.push(until);
      return true;
    },
    takeTurn: async (_subscription, from) => {
      const turn = Math.max(from, state.nextTurn);
      state.nextTurn = turn + state.turnMs;
      return turn;
    },
    sleep: async (ms) => {
      state.slept += ms;
    },
    markRecovered: async () => {
      state.health.push('recovered');
      return true;
    },
    markSlow: async () => {
      state.health.push('slow');
      return true;
    },
    clearSlow: async () => {
      state.health.push('fast');
      return true;
    },
    publish: async (event) => {
      state.events.push(event);
    },
    now: () => state.clock,
  };
  return { ports, state };
}

/** A pending delivery record of the test's message, after its first attempt. */
function aRecord(): DeliveryRecord {
  return {
    id: message.id,
    accountId: 'acct_1',
    subscriptionId,
    eventId: message.eventId,
    eventType: message.eventType,
    status: 'pending',
    attemptCount: 1,
    scheduledAttempt: 1,
    attempts: [],
    createdAt: at(0),
    updatedAt: at(0),
    expiresAt: Math.floor(t0 / 1000) + 86_400,
  };
}

function subscription(overrides: Partial<Subscription> = {}): Subscription {
  return aSubscription({ id: subscriptionId, accountId: 'acct_1', url: receiver.url, secret, ...overrides });
}

describe('deliver', () => {
  it('posts the body, signed so that Standard Webhooks and Svix verifiers accept it, and records it', async () => {
    receiver.answerWith(() => ({ status: 200, body: 'ok' }));
    const { ports, state } = world(subscription({ headers: { 'X-Team': 'ops' } }));

    const decision = await deliver(message, ports, settings);
    const request = await receiver.next();

    expect(decision).toMatchObject({ kind: 'done', summary: 'delivered' });
    expect(request.body).toBe(body);
    expect(request.headers).toMatchObject({
      'content-type': 'application/json',
      'webhook-id': message.id,
      'x-team': 'ops',
      'user-agent': expect.stringMatching(/^Hookbridge\/\d+\.\d+\.\d+ /),
    });
    for (const verifier of [new Webhook(secret), new SvixWebhook(secret)]) {
      expect(verifier.verify(request.body, request.headers as Record<string, string>)).toEqual(
        JSON.parse(body),
      );
    }
    expect(state.writes).toEqual([
      expect.objectContaining({
        id: message.id,
        change: { kind: 'succeed', scheduledAttempt: 1 },
        attempts: [expect.objectContaining({ trigger: 'event', statusCode: 200, excerpt: 'ok' })],
      }),
    ]);
  });

  it('records only the chosen share of first-attempt successes, and every delivery that had a failure', async () => {
    receiver.answerWith(() => ({ status: 200 }));
    const none = world(subscription());
    const retried = world(subscription());

    await deliver(message, none.ports, { ...settings, successRecords: 0 });
    await deliver({ ...message, attempt: 2, trigger: 'retry' }, retried.ports, {
      ...settings,
      successRecords: 0,
    });
    await receiver.next();
    await receiver.next();
    const ids = Array.from({ length: 2000 }, (_, n) => `msg_${n}`);
    const share = ids.filter((id) => sampled(id, 0.1)).length / ids.length;

    const test = world(subscription());
    await deliver({ ...message, eventType: 'webhook.test' }, test.ports, { ...settings, successRecords: 0 });
    await receiver.next();

    expect(none.state.writes).toEqual([]);
    expect(retried.state.writes).toHaveLength(1);
    expect(test.state.writes).toHaveLength(1);
    expect(share).toBeGreaterThan(0.07);
    expect(share).toBeLessThan(0.13);
    expect(ids.filter((id) => sampled(id, 0.1))).toEqual(ids.filter((id) => sampled(id, 0.1)));
    expect(sampled('msg_any', 1)).toBe(true);
    expect(sampled('msg_any', 0)).toBe(false);
  });

  it('sends XML to an xml subscription, signed over those bytes', async () => {
    receiver.answerWith(() => ({ status: 204 }));
    const { ports } = world(subscription({ format: 'xml' }));

    await deliver(message, ports, settings);
    const request = await receiver.next();

    expect(request.headers['content-type']).toBe('application/xml');
    expect(request.body).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><webhook/);
    // Standard Webhooks libraries parse the payload as JSON after checking it, so check the HMAC by hand.
    const signed = `${request.headers['webhook-id']}.${request.headers['webhook-timestamp']}.${request.body}`;
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    expect(request.headers['webhook-signature']).toBe(
      `v1,${createHmac('sha256', key).update(signed).digest('base64')}`,
    );
  });

  it('queues the next attempt on a 5xx before its record names it, and starts the failure streak', async () => {
    receiver.answerWith(() => ({ status: 503, body: 'down for maintenance' }));
    const { ports, state } = world(subscription());

    const decision = await deliver(
      { ...message, attempt: 2, trigger: 'retry', token: 'token-live' },
      world(subscription(), {
        ...aRecord(),
        liveToken: 'token-live',
      }).ports,
      settings,
    );
    await receiver.next();
    const first = await deliver(message, ports, settings);
    await receiver.next();

    expect(decision).toMatchObject({
      kind: 'retry',
      lane: 'slow',
      message: { attempt: 3, trigger: 'retry', token: 'token-1' },
    });
    expect(decision.kind === 'retry' && decision.delaySeconds).toBeGreaterThanOrEqual(240);
    expect(decision.kind === 'retry' && decision.delaySeconds).toBeLessThanOrEqual(360);
    expect(first).toMatchObject({ kind: 'retry', message: { attempt: 2, token: 'token-1' } });
    expect(state.steps).toEqual(['forward slow', 'record advance']);
    expect(state.forwarded[0]).toMatchObject({ message: { attempt: 2, token: 'token-1' }, lane: 'slow' });
    expect(state.writes[0]).toMatchObject({
      change: {
        kind: 'advance',
        token: undefined,
        nextToken: 'token-1',
        scheduledAttempt: 1,
        nextAttemptAt: expect.any(String),
      },
      attempts: [{ statusCode: 503, excerpt: 'down for maintenance', error: 'http_status' }],
    });
    expect(state.health).toEqual(['failing']);
  });

  it("honours a 429's Retry-After, and does not follow redirects", async () => {
    receiver.answerWith(() => ({ status: 429, headers: { 'retry-after': '90' } }));
    const throttled = await deliver(message, world(subscription()).ports, settings);
    await receiver.next();
    receiver.answerWith(() => ({ status: 302, headers: { location: 'http://127.0.0.1:1/elsewhere' } }));
    const redirected = await deliver(message, world(subscription()).ports, settings);
    await receiver.next();

    expect(throttled).toMatchObject({ kind: 'retry', delaySeconds: 90 });
    expect(redirected).toMatchObject({ kind: 'retry', outcome: { statusCode: 302 } });
  });

  it('disables the subscription on 410 Gone, says so and delivery.failed on the bus, and stops: failed, never dead-lettered', async () => {
    receiver.answerWith(() => ({ status: 410 }));
    const { ports, state } = world(subscription());

    const decision = await deliver(message, ports, settings);
    await receiver.next();

    expect(decision).toMatchObject({ kind: 'failed', reason: 'The endpoint answered 410 Gone' });
    expect(state.writes[0]).toMatchObject({ change: { kind: 'fail', token: undefined } });
    // Disabled before the record ends: a crash between them leaves a message that ends it as disabled.
    expect(state.health).toEqual(['disabled: The endpoint answered 410 Gone']);
    expect(state.events).toEqual([
      {
        type: 'webhook.disabled',
        detail: expect.objectContaining({
          webhook_id: subscriptionId,
          reason: 'The endpoint answered 410 Gone',
        }),
      },
      {
        type: 'delivery.failed',
        detail: expect.objectContaining({
          delivery_id: message.id,
          reason: 'The endpoint answered 410 Gone',
        }),
      },
    ]);
    expect(state.deadLettered).toEqual([]);
  });

  it('fails for good after the last attempt: on record, with delivery.failed on the bus, and no dead letter (the endpoint failed, not the platform)', async () => {
    receiver.answerWith(() => ({ status: 500 }));
    const { ports, state } = world(subscription({ failingSince: at(-3600_000) }));

    const decision = await deliver({ ...message, attempt: 4, trigger: 'retry' }, ports, settings);
    await receiver.next();

    expect(decision).toMatchObject({ kind: 'failed', reason: 'Attempt 4 of 4 failed: HTTP 500' });
    expect(state.steps).toEqual(['record fail']);
    expect(state.deadLettered).toEqual([]);
    expect(state.writes[0]).toMatchObject({ change: { kind: 'fail', scheduledAttempt: 4 } });
    expect(state.events).toEqual([
      {
        type: 'delivery.failed',
        detail: expect.objectContaining({
          delivery_id: message.id,
          attempts: 4,
          reason: 'Attempt 4 of 4 failed: HTTP 500',
        }),
      },
    ]);
  });

  it('fails a delivery whose body has no XML form, saying why on record and on the bus, without a request or a dead letter', async () => {
    const deep = JSON.stringify({
      ...JSON.parse(body),
      data: JSON.parse(`${'{"a":'.repeat(120)}1${'}'.repeat(120)}`),
    });
    const { ports, state } = world(subscription({ format: 'xml' }));

    const decision = await deliver({ ...message, body: deep }, ports, settings);

    expect(decision).toMatchObject({ kind: 'failed', reason: expect.stringMatching(/^No XML form: /) });
    expect(state.deadLettered).toEqual([]);
    expect(state.writes).toEqual([
      expect.objectContaining({
        attempts: [],
        change: { kind: 'fail', token: undefined, reason: expect.stringMatching(/deeper than 100 levels/) },
      }),
    ]);
    expect(state.events).toEqual([
      {
        type: 'delivery.failed',
        detail: expect.objectContaining({ reason: expect.stringMatching(/^No XML form/) }),
      },
    ]);
  });

  it('disables a subscription that failed without a success for longer than allowed (clock set by the test)', async () => {
    receiver.answerWith(() => ({ status: 500 }));
    const { ports, state } = world(subscription({ failingSince: at(-5 * day - 1000) }));

    const decision = await deliver(message, ports, settings);
    await receiver.next();
    const recent = world(subscription({ failingSince: at(-5 * day + 1000) }));
    const notYet = await deliver(message, recent.ports, settings);
    await receiver.next();

    expect(decision).toMatchObject({
      kind: 'failed',
      reason: expect.stringContaining('for longer than 5 days'),
    });
    expect(state.events.map((event) => event.type)).toEqual(['webhook.disabled', 'delivery.failed']);
    expect(notYet.kind).toBe('retry');
    expect(recent.state.events).toEqual([]);
  });

  it('says delivery.recovered on the first success after failures', async () => {
    receiver.answerWith(() => ({ status: 200 }));
    const { ports, state } = world(subscription({ failingSince: at(-3600_000) }));

    await deliver({ ...message, attempt: 2, trigger: 'retry' }, ports, settings);
    await receiver.next();

    expect(state.health).toEqual(['recovered']);
    expect(state.events).toEqual([
      {
        type: 'delivery.recovered',
        detail: expect.objectContaining({ delivery_id: message.id, failing_since: at(-3600_000) }),
      },
    ]);
  });

  it('makes a client’s attempt once: recorded as manual, never retried, status left as it was on failure', async () => {
    receiver.answerWith(() => ({ status: 500 }));
    const { ports, state } = world(subscription());

    const decision = await deliver({ ...message, attempt: 8, trigger: 'manual' }, ports, settings);
    await receiver.next();

    expect(decision.kind).toBe('done');
    expect(state.writes[0]).toMatchObject({ attempts: [{ trigger: 'manual' }], change: { kind: 'append' } });
    expect(state.forwarded).toEqual([]);
  });

  it('cuts off an answer slower than the main lane waits, moves that delivery, and the subscription only on the third in a row', async () => {
    receiver.answerWith(() => ({ status: 200, delayMs: 450 }));
    const first = world(subscription());
    const third = world(subscription({ laneEvidence: 2 }));

    const decision = await deliver(message, first.ports, { ...settings, lane: 'main' });
    await receiver.next();
    const moving = await deliver(message, third.ports, { ...settings, lane: 'main' });
    await receiver.next();

    expect(decision).toMatchObject({ kind: 'move', message, changes: {} });
    expect(first.state.health).toEqual(['evidence']);
    expect(first.state.steps).toEqual(['forward slow', 'record append']);
    expect(first.state.writes[0]).toMatchObject({
      attempts: [{ error: 'slow_endpoint' }],
      change: { kind: 'append' },
    });
    expect(moving).toMatchObject({ kind: 'move', changes: { lane: 'slowed' } });
    expect(third.state.health).toEqual(['evidence', 'slow']);
  });

  it('forgets slow answers in the main lane when one comes within its wait', async () => {
    receiver.answerWith(() => ({ status: 200 }));
    const { ports, state } = world(subscription({ laneEvidence: 2 }));

    await deliver(message, ports, { ...settings, lane: 'main' });
    await receiver.next();

    expect(state.health).toEqual(['evidence cleared']);
  });

  it('moves deliveries of a slow-marked subscription without trying, and brings it back after quick answers in a row', async () => {
    receiver.answerWith(() => ({ status: 200 }));
    const slow = subscription({ slowSince: at(-3600_000) });
    const before = receiver.received.length;

    const moved = await deliver(message, world(slow).ports, { ...settings, lane: 'main' });
    const once = world(slow);
    await deliver(message, once.ports, settings);
    await receiver.next();
    const twice = world(subscription({ slowSince: at(-3600_000), laneEvidence: 1 }));
    const back = await deliver(message, twice.ports, settings);
    await receiver.next();

    expect(moved.kind).toBe('move');
    expect(receiver.received.length).toBe(before + 2);
    expect(once.state.health).toEqual(['evidence']);
    expect(back).toMatchObject({ kind: 'done', changes: { lane: 'restored' } });
    expect(twice.state.health).toEqual(['evidence', 'fast']);
  });

  it('drops deliveries of paused, disabled and deleted subscriptions, and repeats of recorded attempts', async () => {
    const before = receiver.received.length;
    const recorded = { ...aRecord(), scheduledAttempt: 2, liveToken: 'token-3' };

    const outcomes = await Promise.all([
      deliver(message, world(subscription({ status: 'paused' })).ports, settings),
      deliver(message, world(subscription({ status: 'disabled' })).ports, settings),
      deliver(message, world(undefined).ports, settings),
      deliver(
        { ...message, attempt: 2, trigger: 'retry', token: 'token-2' },
        world(subscription(), recorded).ports,
        settings,
      ),
      deliver(
        { ...message, attempt: 3, trigger: 'retry', token: 'token-3' },
        world(subscription(), { ...recorded, status: 'succeeded' }).ports,
        settings,
      ),
      deliver(message, world(subscription(), recorded).ports, settings, { count: 2, firstReceivedAt: t0 }),
      deliver({ ...message, fannedOutAgain: true }, world(subscription(), recorded).ports, settings),
    ]);

    expect(outcomes.map((decision) => decision.kind === 'done' && decision.summary)).toEqual([
      'dropped: subscription paused',
      'dropped: subscription disabled',
      'dropped: subscription deleted',
      'dropped: a stale message (the delivery moved on without it)',
      'dropped: delivered meanwhile',
      'dropped: a stale message (the delivery moved on without it)',
      'dropped: a stale message (the delivery moved on without it)',
    ]);
    expect(receiver.received.length).toBe(before);
  });

  it('puts on record the request an earlier receipt of a message may have sent, when the message turns out stale', async () => {
    // A fan-out that ran again queued a copy that carried the delivery on; this one's own receipt had been cut short.
    const moved = world(subscription(), { ...aRecord(), liveToken: 'token-of-the-copy' });

    const decision = await deliver(message, moved.ports, settings, { count: 2, firstReceivedAt: t0 });

    expect(decision).toMatchObject({
      kind: 'done',
      summary: expect.stringMatching(/^dropped: a stale message/),
    });
    expect(moved.state.writes).toEqual([
      expect.objectContaining({
        attempts: [expect.objectContaining({ error: 'outcome_unknown' })],
        change: { kind: 'append' },
      }),
    ]);
  });

  it('ends the pending record of a retry whose subscription was paused, saying why, so recover can resend it', async () => {
    const paused = world(subscription({ status: 'paused' }), { ...aRecord(), liveToken: 'token-2' });

    const decision = await deliver(
      { ...message, attempt: 2, trigger: 'retry', token: 'token-2' },
      paused.ports,
      settings,
    );

    expect(decision).toMatchObject({ kind: 'done', summary: 'dropped: subscription paused' });
    expect(paused.state.writes).toEqual([
      expect.objectContaining({
        attempts: [],
        change: { kind: 'fail', token: 'token-2', reason: 'Not sent: the subscription was paused' },
      }),
    ]);
  });

  it("dead-letters, on its lane's last receive, a delivery whose processing throws, with the error and its receives counted as interrupted", async () => {
    const broken = world(subscription());
    const failing = {
      ...broken.ports,
      subscription: async () => {
        throw new TypeError('a bug that throws every time');
      },
    };
    const retry = { ...message, attempt: 2, trigger: 'retry' as const, token: 'token-2', interrupted: 1 };

    // Before the last receive SQS hands the message back.
    await expect(deliver(retry, failing, settings, { count: 4, firstReceivedAt: t0 })).rejects.toThrow(
      'a bug that throws every time',
    );
    const decision = await deliver(retry, failing, settings, { count: 5, firstReceivedAt: t0 });

    expect(decision).toEqual({
      kind: 'deadLettered',
      reason:
        'Not processed: each of its 5 receives failed; the last with TypeError: a bug that throws every time',
    });
    expect(broken.state.deadLetters).toEqual([{ ...retry, interrupted: 6 }]);
    expect(broken.state.writes).toEqual([]);
  });

  it('carries a redriven delivery on, putting the receives it was dead-lettered after on record as outcome_unknown', async () => {
    receiver.answerWith(() => ({ status: 200 }));
    const { ports, state } = world(subscription(), { ...aRecord(), liveToken: 'token-2' });
    const redriven = { ...message, attempt: 2, trigger: 'retry' as const, token: 'token-2', interrupted: 5 };

    // A redriven message is a new one to SQS: received for the first time.
    const decision = await deliver(redriven, ports, settings, { count: 1, firstReceivedAt: t0 });
    await receiver.next();

    expect(decision).toMatchObject({ kind: 'done', summary: 'delivered' });
    expect(state.writes).toEqual([
      expect.objectContaining({
        attempts: [
          ...Array(5).fill(expect.objectContaining({ error: 'outcome_unknown' })),
          expect.anything(),
        ],
        change: { kind: 'succeed', scheduledAttempt: 2 },
      }),
    ]);
  });

  it('sends nothing twice on a redrive: a delivery that succeeded meanwhile is dropped, its unknown receives still on record', async () => {
    const before = receiver.received.length;
    const { ports, state } = world(subscription(), { ...aRecord(), status: 'succeeded' });

    const decision = await deliver({ ...message, interrupted: 5 }, ports, settings, {
      count: 1,
      firstReceivedAt: t0,
    });

    expect(decision).toMatchObject({ kind: 'done', summary: 'dropped: delivered meanwhile' });
    expect(receiver.received.length).toBe(before);
    expect(state.writes).toEqual([
      expect.objectContaining({ attempts: Array(5).fill(expect.anything()), change: { kind: 'append' } }),
    ]);
  });

  it('reads the record of a first attempt whose message comes long after its fan-out (a redrive SQS made), and sends nothing twice', async () => {
    const before = receiver.received.length;
    const { ports } = world(subscription(), { ...aRecord(), status: 'succeeded' });
    // Its id says when fan-out took the event: longer ago than a lane's receives before its DLQ.
    const redriven = {
      ...message,
      id: deliveryIdOf(
        { id: 'bus-event-1', time: new Date(t0 - redriveAfterMs - 1000).toISOString() },
        subscriptionId,
      ),
    };

    const decision = await deliver(redriven, ports, settings, { count: 1, firstReceivedAt: t0 });

    expect(decision).toMatchObject({ kind: 'done', summary: 'dropped: delivered meanwhile' });
    expect(receiver.received.length).toBe(before);
  });

  it('reads no record for a fresh first attempt (the common path): fan-out’s message, received at once', async () => {
    receiver.answerWith(() => ({ status: 200 }));
    const { ports } = world(subscription(), { ...aRecord(), status: 'succeeded' });
    const fresh = {
      ...message,
      id: deliveryIdOf({ id: 'bus-event-1', time: new Date(t0 - 1000).toISOString() }, subscriptionId),
    };

    const decision = await deliver(fresh, ports, settings, { count: 1, firstReceivedAt: t0 });
    await receiver.next();

    expect(decision).toMatchObject({ kind: 'done', summary: 'delivered' });
  });

  it('records an attempt of unknown outcome for each earlier receipt that stopped before recording it', async () => {
    receiver.answerWith(() => ({ status: 200 }));
    const { ports, state } = world(subscription());

    await deliver(
      { ...message, interrupted: 1 },
      ports,
      { ...settings, successRecords: 0 },
      {
        count: 3,
        firstReceivedAt: t0 - 60_000,
      },
    );
    await receiver.next();

    expect(state.writes).toHaveLength(1);
    expect(state.writes[0]?.attempts.map((attempt) => attempt.error ?? attempt.statusCode)).toEqual([
      'outcome_unknown',
      'outcome_unknown',
      'outcome_unknown',
      200,
    ]);
    expect(state.writes[0]?.attempts[0]).toMatchObject({ at: at(-60_000) });
    expect(state.writes[0]?.attempts[0]).not.toHaveProperty('latencyMs');
  });

  it('starts no attempt that could not end before the invocation’s timeout, and hands its message back', async () => {
    const before = receiver.received.length;
    const { ports, state } = world(subscription());
    state.remainingMs = settings.timeoutMs + settings.attemptReserveMs - 1;

    const decision = await deliver(message, ports, settings, { count: 2, firstReceivedAt: t0 });

    expect(decision).toMatchObject({ kind: 'done', summary: expect.stringMatching(/^handed back/) });
    expect(state.forwarded).toEqual([
      { message: { ...message, interrupted: 1 }, lane: 'slow', delaySeconds: 1 },
    ]);
    expect(state.writes).toEqual([]);
    expect(receiver.received.length).toBe(before);
  });

  it('records a success even when a concurrent copy moved the delivery on, and a failure that lost the race as an attempt', async () => {
    receiver.answerWith(() => ({ status: 200 }));
    const success = world(subscription());
    success.ports = {
      ...success.ports,
      recordAttempts: async (write) => {
        success.state.writes.push(write);
        return write.change.kind !== 'advance';
      },
    };
    const raced = world(subscription());
    let first = true;
    raced.ports = {
      ...raced.ports,
      recordAttempts: async (write) => {
        raced.state.writes.push(write);
        const held = !first;
        first = false;
        return held;
      },
    };

    await deliver(message, success.ports, settings);
    await receiver.next();
    receiver.answerWith(() => ({ status: 500 }));
    const lost = await deliver(message, raced.ports, settings);
    await receiver.next();

    expect(success.state.writes.map((write) => write.change.kind)).toEqual(['succeed']);
    expect(lost).toMatchObject({ kind: 'done', summary: expect.stringContaining('concurrent copy') });
    expect(raced.state.writes.map((write) => write.change.kind)).toEqual(['advance', 'append']);
    expect(raced.state.writes[1]?.attempts).toEqual(raced.state.writes[0]?.attempts);
  });

  it('signs with both secrets during a rotation overlap, and only the current one after it', async () => {
    receiver.answerWith(() => ({ status: 200 }));
    const previous = newSigningSecret();
    const rotating = subscription({ previousSecrets: [{ secret: previous, expiresAt: at(60_000) }] });
    const { ports, state } = world(rotating);

    await deliver(message, ports, settings);
    const during = await receiver.next();
    state.clock = t0 + 61_000;
    await deliver(message, ports, settings);
    const after = await receiver.next();

    expect((during.headers['webhook-signature'] as string).split(' ')).toHaveLength(2);
    expect(
      new SvixWebhook(previous).verify(during.body, during.headers as Record<string, string>),
    ).toBeTruthy();
    expect((after.headers['webhook-signature'] as string).split(' ')).toHaveLength(1);
  });
});

describe('deliver, against endpoints that are rate-limited or down', () => {
  const circuit = {
    openedAt: at(-10_000),
    probeAt: at(5000),
    probeDelaySeconds: 5,
    token: 'probe-token',
  };

  it('holds a scheduled delivery while its circuit is open: kept, recorded as held, no request, no attempt used', async () => {
    const before = receiver.received.length;
    const { ports, state } = world(subscription({ circuit }), { ...aRecord(), liveToken: 'live' });

    const decision = await deliver(
      { ...message, attempt: 2, trigger: 'retry', token: 'live', slotAt: t0 - 10, turnRetaken: true },
      ports,
      settings,
      {
        count: 1,
        firstReceivedAt: t0,
      },
    );

    expect(decision).toMatchObject({ kind: 'held' });
    expect(receiver.received.length).toBe(before);
    // Kept before the record says so: a crash in between leaves the message, which holds it again.
    expect(state.steps).toEqual(['hold', 'record hold']);
    expect(state.held[0]).toMatchObject({ id: message.id, attempt: 2, token: 'live' });
    // A turn (and its one retake) belongs to the moment it was given: released, it takes a new one.
    expect(state.held[0]).not.toHaveProperty('slotAt');
    expect(state.held[0]).not.toHaveProperty('turnRetaken');
    expect(state.writes[0]).toMatchObject({
      attempts: [],
      change: { kind: 'hold', token: 'live', probeAt: circuit.probeAt },
    });
  });

  it('releases what it held when the circuit closed between the read that found it open and the hold', async () => {
    const { ports, state } = world(subscription({ circuit }));
    state.circuitStillOpen = false;

    const decision = await deliver(message, ports, settings);

    expect(decision).toMatchObject({ kind: 'held' });
    expect(state.steps).toEqual(['hold', 'record hold', 'release']);
  });

  it('still makes a client’s attempt while the circuit is open, and a 2xx closes it', async () => {
    receiver.answerWith(() => ({ status: 200 }));
    const { ports, state } = world(subscription({ circuit, failingSince: at(-60_000) }));

    const decision = await deliver({ ...message, trigger: 'manual' }, ports, settings);
    await receiver.next();

    expect(decision).toMatchObject({ kind: 'done', summary: 'delivered', changes: { circuit: 'closed' } });
    expect(state.health).toEqual(['circuit closed', 'recovered']);
  });

  it('opens the circuit when failures in a row reach the bound, after the retry is queued; a 4xx does not count', async () => {
    receiver.answerWith(() => ({ status: 503 }));
    const fourth = world(subscription({ failingSince: at(-60_000), consecutiveFailures: 3 }));
    const fifth = world(subscription({ failingSince: at(-60_000), consecutiveFailures: 4 }));

    const notYet = await deliver(message, fourth.ports, settings);
    await receiver.next();
    const opening = await deliver(message, fifth.ports, settings);
    await receiver.next();
    receiver.answerWith(() => ({ status: 422 }));
    const rejected = world(subscription({ failingSince: at(-60_000), consecutiveFailures: 4 }));
    await deliver(message, rejected.ports, settings);
    await receiver.next();

    expect(notYet).toMatchObject({ kind: 'retry', changes: {} });
    expect(fourth.state.failuresInARow).toBe(4);
    expect(opening).toMatchObject({ kind: 'retry', changes: { circuit: 'opened' } });
    expect(fifth.state.health).toEqual(['circuit opened']);
    expect(fifth.state.steps).toEqual(['forward slow', 'record advance']);
    expect(rejected.state.failuresInARow).toBe(4);
    expect(rejected.state.health).toEqual([]);
  });

  it('never opens a circuit when the breaker is off (bound 0)', async () => {
    receiver.answerWith(() => ({ status: 500 }));
    const { ports, state } = world(subscription({ failingSince: at(-60_000), consecutiveFailures: 50 }));

    const decision = await deliver(message, ports, { ...settings, circuitBreakAfter: 0 });
    await receiver.next();

    expect(decision).toMatchObject({ kind: 'retry', changes: {} });
    expect(state.health).toEqual([]);
  });

  it('sends a rate-limited delivery whose turn is within a second (after a sleep), and one whose turn is later to wait in SQS for the whole seconds before it', async () => {
    receiver.answerWith(() => ({ status: 200 }));
    const limited = subscription({ rateLimit: 2 });
    const { ports, state } = world(limited);
    state.nextTurn = t0 + 800;

    const soon = await deliver(message, ports, settings);
    await receiver.next();
    state.nextTurn = t0 + 7600;
    const before = receiver.received.length;
    const later = await deliver(message, ports, settings);

    expect(soon).toMatchObject({ kind: 'done', summary: 'delivered' });
    expect(state.slept).toBe(800);
    expect(later).toMatchObject({ kind: 'throttled', until: t0 + 7600 });
    expect(receiver.received.length).toBe(before);
    // Up to a second before its turn, never after it: the rest is slept for when it arrives.
    expect(state.forwarded).toEqual([
      { message: { ...message, slotAt: t0 + 7600, interrupted: 0 }, lane: 'slow', delaySeconds: 7 },
    ]);
    expect(state.writes.map((write) => write.change.kind)).toEqual(['succeed']);
  });

  it('sleeps for a turn exactly a second away, and waits in SQS a whole second, never none, for one just over', async () => {
    receiver.answerWith(() => ({ status: 200 }));
    const { ports, state } = world(subscription({ rateLimit: 2 }));
    state.nextTurn = t0 + 1000;

    const second = await deliver(message, ports, settings);
    await receiver.next();
    state.nextTurn = t0 + 1999;
    const overASecond = await deliver(message, ports, settings);

    expect(second).toMatchObject({ kind: 'done', summary: 'delivered' });
    expect(state.slept).toBe(1000);
    expect(overASecond).toMatchObject({ kind: 'throttled', until: t0 + 1999 });
    expect(state.forwarded.map((forward) => forward.delaySeconds)).toEqual([1]);
  });

  it('sleeps until the turn it carries when it came early for it, taking no other', async () => {
    receiver.answerWith(() => ({ status: 200 }));
    const { ports, state } = world(subscription({ rateLimit: 1 }));
    state.nextTurn = t0 + 60_000;

    const decision = await deliver({ ...message, slotAt: t0 + 600 }, ports, settings);
    await receiver.next();

    expect(decision).toMatchObject({ kind: 'done', summary: 'delivered' });
    expect(state.slept).toBe(600);
    expect(state.nextTurn).toBe(t0 + 60_000);
  });

  it('hands back, before sleeping, a delivery without the time left for its sleep and attempt, giving up its turn for a new one', async () => {
    const before = receiver.received.length;
    const { ports, state } = world(subscription({ rateLimit: 2 }));
    state.nextTurn = t0 + 900;
    // Enough for the attempt alone, not for the 900 ms sleep before it.
    state.remainingMs = settings.connectMs + settings.timeoutMs + settings.attemptReserveMs + 500;

    const decision = await deliver({ ...message, turnRetaken: true }, ports, settings);

    expect(decision).toMatchObject({ kind: 'done', summary: expect.stringMatching(/^handed back/) });
    expect(state.slept).toBe(0);
    expect(state.forwarded).toEqual([
      { message: { ...message, interrupted: 0 }, lane: 'slow', delaySeconds: 1 },
    ]);
    expect(receiver.received.length).toBe(before);
  });

  it('sends a delivery that came a little late for its turn at once, without taking another', async () => {
    receiver.answerWith(() => ({ status: 200 }));
    const { ports, state } = world(subscription({ rateLimit: 1 }));
    state.nextTurn = t0 + 60_000;

    const decision = await deliver({ ...message, slotAt: t0 - 800 }, ports, settings);
    await receiver.next();

    expect(decision).toMatchObject({ kind: 'done', summary: 'delivered' });
    expect(state.nextTurn).toBe(t0 + 60_000);
  });

  it('takes a new turn, once, for a delivery that came too late for its own: late ones never go out at once', async () => {
    receiver.answerWith(() => ({ status: 200 }));
    const { ports, state } = world(subscription({ rateLimit: 1 }));
    state.nextTurn = t0 + 30_000;
    const before = receiver.received.length;

    const late = await deliver({ ...message, slotAt: t0 - 20_000 }, ports, settings);
    const lateAgain = await deliver({ ...message, slotAt: t0 - 20_000, turnRetaken: true }, ports, settings);
    await receiver.next();

    expect(late).toMatchObject({ kind: 'throttled', until: t0 + 30_000 });
    expect(state.forwarded[0]?.message).toMatchObject({ slotAt: t0 + 30_000, turnRetaken: true });
    expect(lateAgain).toMatchObject({ kind: 'done', summary: 'delivered' });
    expect(receiver.received.length).toBe(before + 1);
  });

  it('always records the success of a delivery released from a circuit, whose record says it was held', async () => {
    receiver.answerWith(() => ({ status: 200 }));
    const { ports, state } = world(subscription(), { ...aRecord(), attemptCount: 0, heldSince: at(-60_000) });

    await deliver({ ...message, released: true }, ports, { ...settings, successRecords: 0 });
    await receiver.next();

    expect(state.writes.map((write) => write.change.kind)).toEqual(['succeed']);
  });

  it('keeps a rate-limited delivery’s turn through a back-off, which moves only the turns not given yet', async () => {
    receiver.answerWith(() => ({ status: 200 }));
    const { ports, state } = world(subscription({ rateLimit: 5, backOffUntil: at(20_000) }));
    state.nextTurn = t0;

    const given = await deliver({ ...message, slotAt: t0 - 10 }, ports, settings);
    await receiver.next();
    const fresh = await deliver(message, ports, settings);

    expect(given).toMatchObject({ kind: 'done', summary: 'delivered' });
    expect(fresh).toMatchObject({ kind: 'throttled', until: t0 + 20_000 });
  });

  it('sends a delivery that waited for its turn without taking another', async () => {
    receiver.answerWith(() => ({ status: 200 }));
    const { ports, state } = world(subscription({ rateLimit: 1 }));
    state.nextTurn = t0 + 60_000;

    const decision = await deliver({ ...message, slotAt: t0 - 5 }, ports, settings);
    await receiver.next();

    expect(decision).toMatchObject({ kind: 'done', summary: 'delivered' });
    expect(state.nextTurn).toBe(t0 + 60_000);
  });

  it('holds back the endpoint’s other deliveries after a 429 with Retry-After, and spreads them after it', async () => {
    receiver.answerWith(() => ({ status: 429, headers: { 'retry-after': '30' } }));
    const asked = world(subscription());
    await deliver(message, asked.ports, settings);
    await receiver.next();
    const backOffUntil = at(30_000);
    const waiting = world(subscription({ backOffUntil }));
    const before = receiver.received.length;

    const decision = await deliver(message, waiting.ports, settings);

    expect(asked.state.backOffs.map((until) => until.getTime())).toEqual([t0 + 30_000]);
    expect(decision.kind).toBe('throttled');
    const until = decision.kind === 'throttled' ? decision.until : 0;
    expect(until).toBeGreaterThanOrEqual(t0 + 30_000);
    expect(until).toBeLessThan(t0 + 35_000);
    expect(receiver.received.length).toBe(before);
  });
});
