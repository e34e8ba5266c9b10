import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReceiverFarm, startReceiverFarm, testCaPath } from '../support/receiver-farm.ts';
import {
  createWebhook,
  describeDeliveries,
  describeRequests,
  orderIdOf,
  ordersStartingWith,
  publishOrders,
  type SandboxProcess,
  settledDeliveries,
  useSandboxProcesses,
  warmUp,
  webhookOf,
} from '../support/sandbox-process.ts';

/**
 * Issue 15, rate limits, against the receiver farm (HTTPS endpoints on 127.0.0.x) and a sandbox started as a
 * user starts it, trusting the farm's test CA: a subscription's `rate_limit` paces its deliveries, which wait for
 * their turns in SQS, use no attempt and lose nothing. (A kill -9 while deliveries wait for their turns is in
 * real-endpoints-circuit.test.ts, with the one while a circuit is open.) Nothing else runs in this sandbox, so
 * that the arrivals measure the pacing, not a busy machine.
 */
const sandboxes = useSandboxProcesses('real-endpoints-rate-', { env: { NODE_EXTRA_CA_CERTS: testCaPath } });
let farm: ReceiverFarm | undefined;
let sandbox: SandboxProcess | undefined;

beforeAll(async () => {
  farm = await startReceiverFarm([
    { name: 'warm-up' },
    { name: 'paced', rttMs: 30, answerTime: { p50Ms: 30, p99Ms: 150 } },
  ]);
  sandbox = await sandboxes.start(await sandboxes.args());
  await warmUp(sandbox, farm.endpoint('warm-up'));
}, 60_000);

afterAll(async () => {
  await farm?.close();
});

/** Arrivals in each 3 s window from the first one (epoch ms). */
function countsPer3Seconds(arrivals: readonly number[]): number[] {
  const first = Math.min(...arrivals);
  const windows: number[] = [];
  for (const at of arrivals) {
    const index = Math.floor((at - first) / 3000);
    while (windows.length <= index) windows.push(0);
    windows[index] = (windows[index] ?? 0) + 1;
  }
  return windows;
}

describe('a rate-limited subscription', () => {
  it('receives at its rate, measured over 3 s windows, and loses nothing', async () => {
    // Arrange: 4 deliveries a second, and 60 events (15 s of turns) published at 10 a second: a backlog builds.
    if (farm === undefined || sandbox === undefined)
      throw new Error('The farm and the sandbox did not start');
    const paced = farm.endpoint('paced');
    const webhook = await createWebhook(sandbox, {
      url: paced.url,
      filter: ordersStartingWith('ord_rate_'),
      rate_limit: 4,
    });
    const orders = Array.from({ length: 60 }, (_, n) => `ord_rate_${n}`);
    const since = performance.timeOrigin + performance.now();

    // Act
    await publishOrders(sandbox, orders, { perCall: 5, gapMs: 500 });
    const records = await settledDeliveries(sandbox, webhook.id, orders.length, 40_000);

    // Assert: nothing lost, and waiting for a turn used no attempt: one request and one attempt per delivery ...
    const view = await webhookOf(sandbox, webhook.id);
    const arrivals = paced.requests.map((request) => request.arrivedAt);
    const windows = countsPer3Seconds(arrivals);
    const report = [
      `arrivals per 3 s window: ${windows.join(' ')}`,
      describeRequests(paced, since),
      `records:\n${describeDeliveries(records)}`,
    ].join('\n');
    expect(view.rate_limit, report).toBe(4);
    expect(records.map((record) => record.status).sort(), report).toEqual(orders.map(() => 'succeeded'));
    expect(
      records.filter((record) => record.attempt_count !== 1).map((record) => record.id),
      report,
    ).toEqual([]);
    expect(paced.idsAccepted().sort(), report).toEqual(records.map((record) => record.id).sort());
    expect(
      paced
        .accepted()
        .map((request) => orderIdOf(request.body))
        .sort(),
      report,
    ).toEqual([...orders].sort());
    // ... at its rate: 12 in each whole 3 s window after the first arrival, within 10 % plus one (the first
    // and the last left out: the backlog builds up in one and runs out in the other).
    // ... each at its turn, not bunched: arrivals 250 ms apart, so the median gap stays near it (deliveries
    // sent to arrive "at their turn or up to a second after" came in bunches, gaps of a few ms).
    const sorted = [...arrivals].sort((a, b) => a - b);
    const gaps = sorted.slice(1).map((at, n) => at - (sorted[n] ?? at));
    const medianGap = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)] ?? 0;
    expect(medianGap, `median gap ${Math.round(medianGap)} ms\n${report}`).toBeGreaterThanOrEqual(150);
    expect(windows.length, report).toBeGreaterThanOrEqual(4);
    expect(
      windows.slice(1, -1).filter((count) => Math.abs(count - 12) > 12 * 0.1 + 1),
      `3 s windows off 12 by more than 10 % plus one\n${report}`,
    ).toEqual([]);
  }, 60_000);
});
