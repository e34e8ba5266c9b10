import { beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryMessage } from '#core/deliveries/delivery-message.ts';
import { HeldDeliveryStore } from '#core/deliveries/held-delivery-store.ts';
import { RateLimitStore } from '#core/deliveries/rate-limit-store.ts';
import { SubscriptionHealthStore } from '#core/subscriptions/subscription-health.ts';
import { SubscriptionRecordStore } from '#core/subscriptions/subscription-records.ts';
import { useLocalSecretKey } from '../support/local-kms.ts';
import { useLocalTable } from '../support/local-table.ts';
import { aSubscription } from '../support/subscriptions.ts';

const table = useLocalTable();
const secretKey = useLocalSecretKey();
let rateLimits: RateLimitStore;
let held: HeldDeliveryStore;
let health: SubscriptionHealthStore;
let records: SubscriptionRecordStore;

beforeAll(() => {
  const db = table();
  rateLimits = new RateLimitStore(db, 'webhooks');
  held = new HeldDeliveryStore(db, 'webhooks');
  health = new SubscriptionHealthStore(db, 'webhooks', secretKey().opener);
  records = new SubscriptionRecordStore(db, 'webhooks', secretKey().sealer);
});

describe('RateLimitStore', () => {
  it('hands out turns 1000/rate ms apart, from the taker’s time when idle, never two the same under concurrency', async () => {
    const from = 1_800_000_000_000;
    const first = await rateLimits.take('sub_rate1', 3, 10, from);
    const next = await rateLimits.take('sub_rate1', 1, 10, from);
    const concurrent = await Promise.all(
      Array.from({ length: 20 }, () => rateLimits.take('sub_rate1', 1, 10, from + 50)),
    );
    const idleAgain = await rateLimits.take('sub_rate1', 1, 10, from + 60_000);

    expect(first).toBe(from);
    expect(next).toBe(from + 300);
    // 20 takers at once get 20 distinct turns, each 100 ms after another, right after the ones taken before.
    expect([...concurrent].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, index) => from + 400 + index * 100),
    );
    expect(idleAgain).toBe(from + 60_000);
  });
});

describe('HeldDeliveryStore', () => {
  const message = (id: string): DeliveryMessage => ({
    id,
    accountId: 'acct_held',
    subscriptionId: 'sub_held',
    eventId: `evt_${id}`,
    eventType: 'order.created',
    body: '{"big":"body not kept"}',
    attempt: 2,
    trigger: 'retry',
    token: `token-${id}`,
  });

  it('keeps held messages without their bodies, oldest first, pages after a cursor, and forgets them', async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    for (const id of ['msg_c', 'msg_a', 'msg_b', 'msg_a']) await held.hold(message(id), expiresAt);

    const all = await held.oldest('sub_held', 10);
    const afterA = await held.oldest('sub_held', 1, 'msg_a');
    await held.remove('sub_held', ['msg_a', 'msg_b']);
    const left = await held.oldest('sub_held', 10);

    expect(all.map((item) => item.id)).toEqual(['msg_a', 'msg_b', 'msg_c']);
    expect(all[0]).toEqual({ ...message('msg_a'), body: undefined });
    expect(afterA.map((item) => item.id)).toEqual(['msg_b']);
    expect(left.map((item) => item.id)).toEqual(['msg_c']);
  });
});

describe('SubscriptionHealthStore: circuit, lane evidence, failures in a row, back-off', () => {
  it('counts failures in a row, opens one circuit, hands it only to the live probe, and closes it', async () => {
    const subscription = aSubscription({ id: 'sub_circuit1', accountId: 'acct_health' });
    await records.create(subscription, 100);
    const now = new Date();
    const counts = [];
    for (let n = 0; n < 3; n++)
      counts.push(await health.noteFailure('acct_health', 'sub_circuit1', now, true));
    const notCounted = await health.noteFailure('acct_health', 'sub_circuit1', now, false);
    const circuit = {
      openedAt: now.toISOString(),
      probeAt: now.toISOString(),
      probeDelaySeconds: 5,
      token: 'a',
    };

    const opened = [
      await health.openCircuit('acct_health', 'sub_circuit1', circuit),
      await health.openCircuit('acct_health', 'sub_circuit1', { ...circuit, token: 'b' }),
    ];
    const stale = await health.reprobeCircuit('acct_health', 'sub_circuit1', 'b', { ...circuit, token: 'c' });
    const live = await health.reprobeCircuit('acct_health', 'sub_circuit1', 'a', { ...circuit, token: 'c' });
    const whileOpen = await health.get('acct_health', 'sub_circuit1');
    const closedByStale = await health.closeCircuit('acct_health', 'sub_circuit1', 'a');
    const closed = await health.closeCircuit('acct_health', 'sub_circuit1', 'c');
    const after = await health.get('acct_health', 'sub_circuit1');

    expect(counts).toEqual([1, 2, 3]);
    expect(notCounted).toBe(3);
    expect(opened).toEqual([true, false]);
    expect([stale, live]).toEqual([false, true]);
    expect(whileOpen?.circuit?.token).toBe('c');
    expect(whileOpen?.failingSince).toBe(now.toISOString());
    expect([closedByStale, closed]).toEqual([false, true]);
    expect(after?.circuit).toBeUndefined();
    expect(after?.consecutiveFailures).toBeUndefined();
  });

  it('counts lane evidence, moves the lane (forgetting the count), and never shortens a back-off', async () => {
    await records.create(aSubscription({ id: 'sub_lane1', accountId: 'acct_health' }), 100);
    const evidence = [
      await health.addLaneEvidence('acct_health', 'sub_lane1'),
      await health.addLaneEvidence('acct_health', 'sub_lane1'),
    ];
    const marked = await health.markSlow('acct_health', 'sub_lane1', new Date());
    const slow = await health.get('acct_health', 'sub_lane1');
    const later = new Date(Date.now() + 60_000);
    const backOffs = [
      await health.backOff('acct_health', 'sub_lane1', later),
      await health.backOff('acct_health', 'sub_lane1', new Date(Date.now() + 30_000)),
    ];
    const gone = await health.addLaneEvidence('acct_health', 'sub_missing');

    expect(evidence).toEqual([1, 2]);
    expect(marked).toBe(true);
    expect(slow?.slowSince).toBeDefined();
    expect(slow?.laneEvidence).toBeUndefined();
    expect(backOffs).toEqual([true, false]);
    expect((await health.get('acct_health', 'sub_lane1'))?.backOffUntil).toBe(later.toISOString());
    expect(gone).toBeUndefined();
  });
});
