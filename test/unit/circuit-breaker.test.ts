import { describe, expect, it } from 'vitest';
import {
  type CircuitPorts,
  type CircuitSettings,
  countsAgainstCircuit,
  openCircuit,
  probeCircuit,
  releaseHeld,
  releasePageSize,
} from '#core/deliveries/circuit-breaker.ts';
import type { CircuitMessage, DeliveryMessage } from '#core/deliveries/delivery-message.ts';
import type { AttemptWrite } from '#core/deliveries/delivery-store.ts';
import type { HeldDelivery } from '#core/deliveries/held-delivery-store.ts';
import type { AttemptOutcome } from '#core/egress/attempt.ts';
import type { PlatformEvent } from '#core/events/platform-events.ts';
import type { Circuit, Subscription } from '#core/subscriptions/subscription.ts';
import { aSubscription } from '../support/subscriptions.ts';

const t0 = Date.parse('2026-12-06T12:00:00Z');
const settings: CircuitSettings = {
  breakAfter: 5,
  firstProbeSeconds: 5,
  probeMaxSeconds: 300,
  probeBounds: { connectMs: 2000, answerMs: 15_000 },
  retentionSeconds: 86_400,
};
const answered = (statusCode: number): AttemptOutcome => ({
  kind: 'response',
  statusCode,
  excerpt: '',
  latencyMs: 12,
  setupMs: 2,
  answerMs: 10,
});
const refused: AttemptOutcome = {
  kind: 'error',
  errorKind: 'connection_refused',
  error: 'ECONNREFUSED',
  latencyMs: 1,
  setupMs: 1,
};

const heldOf = (n: number): HeldDelivery => ({
  id: `msg_${String(n).padStart(4, '0')}`,
  accountId: 'acct_1',
  subscriptionId: 'sub_1',
  eventId: `evt_${n}`,
  eventType: 'order.created',
  attempt: 1,
  trigger: 'event',
});

/** The circuit breaker's world in memory: the subscription, what is held, and every side effect in order. */
function world(subscription: Subscription | undefined, held: HeldDelivery[], answer: AttemptOutcome) {
  const state = {
    subscription,
    held: [...held],
    steps: [] as string[],
    sent: [] as { message: CircuitMessage; delaySeconds: number }[],
    resent: [] as DeliveryMessage[],
    writes: [] as AttemptWrite[],
    events: [] as PlatformEvent[],
    requests: 0,
    tokens: 0,
  };
  const ports: CircuitPorts = {
    subscription: async () => state.subscription,
    oldestHeld: async (_id, limit, after) =>
      state.held.filter((item) => after === undefined || item.id > after).slice(0, limit),
    removeHeld: async (_id, ids) => {
      state.held = state.held.filter((item) => !ids.includes(item.id));
      state.steps.push(`remove ${ids.length}`);
    },
    eventBodies: async (ids) =>
      new Map(ids.filter((id) => id !== 'evt_expired').map((id) => [id, `{"e":"${id}"}`])),
    request: (s, message) => ({
      url: s.url,
      body: message.body,
      contentType: 'application/json',
      headers: {},
      proof: { signature: 'v1,c2lnbmVk', digest: 'digest' },
    }),
    send: async () => {
      state.requests++;
      state.steps.push('send');
      return answer;
    },
    recordAttempts: async (write) => {
      state.writes.push(write);
      state.steps.push(`record ${write.change.kind}`);
      return true;
    },
    sendCircuitMessage: async (message, delaySeconds) => {
      state.sent.push({ message, delaySeconds });
      state.steps.push(`queue ${message.circuit}`);
    },
    resend: async (messages) => {
      state.resent.push(...messages);
      state.steps.push(`resend ${messages.length}`);
    },
    openCircuit: async (_s, circuit) => {
      state.steps.push('open');
      if (state.subscription?.circuit !== undefined) return false;
      state.subscription = { ...(state.subscription as Subscription), circuit };
      return true;
    },
    reprobeCircuit: async (_s, token, next) => {
      state.steps.push('reprobe');
      if (state.subscription?.circuit?.token !== token) return false;
      state.subscription = { ...state.subscription, circuit: next };
      return true;
    },
    closeCircuit: async () => {
      state.steps.push('close');
      state.subscription = { ...(state.subscription as Subscription), circuit: undefined };
      return true;
    },
    noteFailedProbe: async () => undefined,
    recovered: async () => {
      state.steps.push('recovered');
    },
    publish: async (event) => {
      state.events.push(event);
    },
    newToken: () => `token-${++state.tokens}`,
    now: () => t0,
  };
  return { ports, state };
}

const open: Circuit = {
  openedAt: new Date(t0 - 60_000).toISOString(),
  probeAt: new Date(t0).toISOString(),
  probeDelaySeconds: 20,
  token: 'live',
};
const probe: CircuitMessage = {
  circuit: 'probe',
  accountId: 'acct_1',
  subscriptionId: 'sub_1',
  token: 'live',
};

describe('circuit breaker', () => {
  it('counts only failures that say the endpoint is unavailable (not a 429, which asks for less)', () => {
    expect(
      [500, 503, 408, 429, 400, 404, 422, 200].map((status) => countsAgainstCircuit(answered(status))),
    ).toEqual([true, true, true, false, false, false, false, false]);
    expect(countsAgainstCircuit(refused)).toBe(true);
    expect(countsAgainstCircuit({ ...refused, errorKind: 'blocked_address' })).toBe(false);
  });

  it('opens with its probe queued first, and says so once', async () => {
    const { ports, state } = world(aSubscription({ id: 'sub_1' }), [], answered(500));

    const first = await openCircuit(state.subscription as Subscription, 'HTTP 500', 5, ports, settings);
    const second = await openCircuit(state.subscription as Subscription, 'HTTP 500', 6, ports, settings);

    expect([first, second]).toEqual([true, false]);
    expect(state.steps.slice(0, 2)).toEqual(['queue probe', 'open']);
    expect(state.sent[0]).toEqual({ message: { ...probe, token: 'token-1' }, delaySeconds: 5 });
    expect(state.subscription?.circuit).toMatchObject({
      token: 'token-1',
      probeDelaySeconds: 5,
      lastError: 'HTTP 500',
    });
    expect(state.events.map((event) => event.type)).toEqual(['webhook.circuit_opened']);
  });

  it('drops a probe whose token the circuit does not name: one probe at a time', async () => {
    const { ports, state } = world(aSubscription({ id: 'sub_1', circuit: open }), [heldOf(1)], answered(200));

    const decision = await probeCircuit({ ...probe, token: 'old' }, ports, settings);

    expect(decision.summary).toContain('stale');
    expect(state.requests).toBe(0);
  });

  it('a probe that finds the circuit closed with deliveries still held releases them', async () => {
    const { ports, state } = world(aSubscription({ id: 'sub_1' }), [heldOf(1)], answered(200));
    const nothingHeld = world(aSubscription({ id: 'sub_1' }), [], answered(200));

    const decision = await probeCircuit(probe, ports, settings);
    await probeCircuit(probe, nothingHeld.ports, settings);

    expect(decision.summary).toContain('released');
    expect(state.sent.map((sent) => sent.message.circuit)).toEqual(['release']);
    expect(state.requests).toBe(0);
    expect(nothingHeld.state.sent).toEqual([]);
  });

  it('a failed probe uses up no attempt, and the next waits twice as long, up to the most', async () => {
    const { ports, state } = world(aSubscription({ id: 'sub_1', circuit: open }), [heldOf(1)], refused);

    await probeCircuit(probe, ports, settings);
    const atMost = world(
      aSubscription({ id: 'sub_1', circuit: { ...open, probeDelaySeconds: 200 } }),
      [heldOf(1)],
      refused,
    );
    await probeCircuit(probe, atMost.ports, settings);

    expect(state.steps).toEqual(['send', 'record append', 'queue probe', 'reprobe']);
    // On record (every request that left is), as an attempt outside the schedule.
    expect(state.writes[0]).toMatchObject({
      id: 'msg_0001',
      change: { kind: 'append' },
      attempts: [{ error: 'connection_refused', errorDetail: expect.stringContaining('uses up none') }],
    });
    expect(state.sent[0]).toEqual({
      message: { ...probe, token: 'token-1', after: 'msg_0001' },
      delaySeconds: 40,
    });
    expect(state.subscription?.circuit).toMatchObject({ token: 'token-1', probeDelaySeconds: 40 });
    expect(atMost.state.sent[0]?.delaySeconds).toBe(300);
  });

  it('probes the held deliveries in turn, from the oldest again after the newest', async () => {
    const { ports, state } = world(
      aSubscription({ id: 'sub_1', circuit: open }),
      [heldOf(1), heldOf(2)],
      refused,
    );

    await probeCircuit({ ...probe, after: 'msg_0001' }, ports, settings);
    state.subscription = { ...(state.subscription as Subscription), circuit: { ...open, token: 'token-1' } };
    await probeCircuit({ ...probe, token: 'token-1', after: 'msg_0002' }, ports, settings);

    expect(state.writes.map((write) => write.id)).toEqual(['msg_0002', 'msg_0001']);
  });

  it('an answered probe delivers the oldest held delivery, closes the circuit and starts the release', async () => {
    const { ports, state } = world(
      aSubscription({ id: 'sub_1', circuit: open }),
      [heldOf(1), heldOf(2)],
      answered(204),
    );

    const decision = await probeCircuit(probe, ports, settings);

    // Named for the logs: the subscription, and the held delivery whose webhook-id the probe's request carried.
    expect(decision).toMatchObject({
      closed: true,
      subscriptionName: 'orders',
      probed: { deliveryId: 'msg_0001', eventType: 'order.created' },
    });
    expect(state.steps).toEqual([
      'send',
      'record succeed',
      'remove 1',
      'queue release',
      'close',
      'recovered',
    ]);
    expect(state.writes[0]).toMatchObject({ id: 'msg_0001', attempts: [{ statusCode: 204 }] });
    expect(state.events.map((event) => event.type)).toEqual(['webhook.circuit_closed']);
    expect(state.held.map((item) => item.id)).toEqual(['msg_0002']);
  });

  it('releases held deliveries oldest first, a page per message, the next page queued before this one is forgotten', async () => {
    const many = Array.from({ length: releasePageSize + 3 }, (_, n) => heldOf(n));
    const { ports, state } = world(aSubscription({ id: 'sub_1' }), many, answered(200));
    const release: CircuitMessage = { circuit: 'release', accountId: 'acct_1', subscriptionId: 'sub_1' };

    const first = await releaseHeld(release, ports, settings);
    const second = await releaseHeld(state.sent[0]?.message as CircuitMessage, ports, settings);

    expect([first.released, second.released]).toEqual([releasePageSize, 3]);
    expect(state.steps).toEqual([
      `resend ${releasePageSize}`,
      'queue release',
      `remove ${releasePageSize}`,
      'resend 3',
      'remove 3',
    ]);
    expect(state.resent.map((message) => message.id)).toEqual(many.map((item) => item.id));
    expect(state.resent[0]).toMatchObject({ body: '{"e":"evt_0"}', released: true });
    expect(state.held).toEqual([]);
  });
});
