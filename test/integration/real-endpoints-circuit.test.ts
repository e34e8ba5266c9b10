import { afterAll, beforeAll, describe, type ExpectStatic, it } from 'vitest';
import type { CircuitView } from '../../functions/api/subscription-view.ts';
import { eventually } from '../support/eventually.ts';
import {
  type FarmEndpoint,
  type ReceiverFarm,
  type RequestRecord,
  startReceiverFarm,
  testCaPath,
} from '../support/receiver-farm.ts';
import {
  createWebhook,
  deliveriesOf,
  describeDeliveries,
  describeRequests,
  functionLogs,
  heldDeliveries,
  orderIdOf,
  ordersStartingWith,
  type PlatformEventSeen,
  platformEventsOf,
  publishOrders,
  type SandboxProcess,
  settledDeliveries,
  useSandboxProcesses,
  warmUp,
  webhookOf,
} from '../support/sandbox-process.ts';

/**
 * Issue 15, the circuit breaker, against the receiver farm (HTTPS endpoints on 127.0.0.x) and sandboxes started
 * as a user starts them, trusting the farm's test CA, with probes at most 5 s apart: an endpoint that is down
 * (refusing connections, or answering 503) opens its circuit, its deliveries are held without using attempts,
 * one probe at a time tests it, and when it is back every held delivery arrives, once. And a kill -9 of the
 * sandbox while a circuit is open and while a rate limit's deliveries wait for their turns loses none of them
 * (one kill for both: a kill waits out the main lane's 60 s visibility for what was in flight).
 * The three run at once, the crash in a sandbox of its own.
 */
const env = { NODE_EXTRA_CA_CERTS: testCaPath };
// The functions' JSON records: functionLogs() reads them.
const flags = ['--circuit-probe-max', '5s', '--log-format', 'json'];
const sharedSandboxes = useSandboxProcesses('real-endpoints-circuit-', { env });
const crashedSandboxes = useSandboxProcesses('real-endpoints-circuit-crash-', { env });
let farm: ReceiverFarm | undefined;
let sandbox: SandboxProcess | undefined;
let platformEvents: (() => Promise<PlatformEventSeen[]>) | undefined;

/** How long an endpoint stays down after its circuit opened: probes come 5 s after it, and 5 s apart. */
const downAfterOpenMs = 12_000;
/** Attempts in flight when the circuit opened may start a little after it (their batch read it closed). */
const openingSlackMs = 1000;

beforeAll(async () => {
  farm = await startReceiverFarm([
    { name: 'warm-up' },
    { name: 'refusing', rttMs: 30, answerTime: { p50Ms: 30, p99Ms: 150 }, behaviour: 'refuse' },
    { name: 'unavailable', rttMs: 30, answerTime: { p50Ms: 30, p99Ms: 150 }, behaviour: 'unavailable' },
    { name: 'down-through-a-crash', rttMs: 30, answerTime: { fixedMs: 30 }, behaviour: 'unavailable' },
    { name: 'paced-through-a-crash', rttMs: 30, answerTime: { p50Ms: 30, p99Ms: 150 } },
  ]);
  sandbox = await sharedSandboxes.start(await sharedSandboxes.args(...flags));
  platformEvents = platformEventsOf(sandbox);
  await warmUp(sandbox, farm.endpoint('warm-up'));
}, 60_000);

afterAll(async () => {
  await farm?.close();
});

const endpoint = (name: string): FarmEndpoint => {
  if (farm === undefined) throw new Error('The receiver farm did not start');
  return farm.endpoint(name);
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Epoch ms on the farm's clock. */
const now = () => performance.timeOrigin + performance.now();

/**
 * Publishes one event every `everyMs` (order ids `<prefix>0`, `<prefix>1`, ...), as a shop's stream goes on
 * whether its integrator's endpoint is up or not, until stopped; `stop` answers when each was published.
 */
function trickle(sandbox: SandboxProcess, prefix: string, everyMs: number) {
  const publishedAt = new Map<string, number>();
  let stopped = false;
  const running = (async () => {
    for (let n = 0; !stopped; n++) {
      for (const [orderId, at] of await publishOrders(sandbox, [`${prefix}${n}`]))
        publishedAt.set(orderId, at);
      await sleep(everyMs);
    }
  })();
  return {
    publishedAt,
    async stop(): Promise<Map<string, number>> {
      stopped = true;
      await running;
      return publishedAt;
    },
  };
}

/** Waits until the subscription's circuit is open; answers it. */
async function circuitOpened(sandbox: SandboxProcess, webhookId: string, timeoutMs: number) {
  return eventually(
    async () => {
      const { circuit } = await webhookOf(sandbox, webhookId);
      return circuit.state === 'open' ? circuit : undefined;
    },
    `the circuit of ${webhookId} to open`,
    timeoutMs,
  );
}

/** The most arrivals in any one second (a window sliding over the arrival times, epoch ms). */
function busiestSecond(arrivals: readonly number[]): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  let most = 0;
  let start = 0;
  for (const [end, at] of sorted.entries()) {
    while ((sorted[start] ?? at) <= at - 1000) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

/** Requests that overlapped: one arrived before the one before it was answered (or while it never was). */
function overlapping(requests: readonly RequestRecord[]): string[] {
  const sorted = [...requests].sort((a, b) => a.arrivedAt - b.arrivedAt);
  return sorted.flatMap((request, index) => {
    const before = sorted[index - 1];
    if (before === undefined) return [];
    const freed = before.status === 0 ? Number.POSITIVE_INFINITY : before.answeredAt;
    return request.arrivedAt < freed
      ? [`${request.webhookId} arrived while ${before.webhookId} was in flight`]
      : [];
  });
}

/** A failed probe as its delivery's record keeps it: an attempt outside the delivery's schedule. */
const isProbe = (attempt: { readonly error_detail: string | null }): boolean =>
  attempt.error_detail?.startsWith('A probe of the open circuit') === true;

/** The probes the sandbox's functions made of a subscription's circuit (their log lines), with their times. */
function probesOf(sandbox: SandboxProcess, webhookId: string) {
  return functionLogs(sandbox)
    .filter(
      (log) =>
        log.message === 'Circuit probed' &&
        log.subscriptionId === webhookId &&
        typeof log.summary === 'string' &&
        !log.summary.startsWith('dropped'),
    )
    .map((log) => ({ at: Date.parse(log.timestamp), summary: String(log.summary) }));
}

/**
 * An endpoint down (refusing, or answering 503) while events keep coming, then back: the circuit, the held
 * deliveries, the probes and the release, asserted from what the endpoint saw, the API, the table and the bus.
 */
async function downThenBack(expect: ExpectStatic, name: 'refusing' | 'unavailable') {
  // Arrange: a subscription to the endpoint, down, and one event every 400 ms from now on.
  if (sandbox === undefined || platformEvents === undefined) throw new Error('The sandbox did not start');
  const down = endpoint(name);
  const prefix = `ord_${name}_`;
  const webhook = await createWebhook(sandbox, { url: down.url, filter: ordersStartingWith(prefix) });
  const since = now();
  const stream = trickle(sandbox, prefix, 400);

  // Act: the endpoint stays down until its circuit has been open 12 s (probes at about 5 s and 10 s fail) ...
  let opened: Extract<CircuitView, { state: 'open' }>;
  try {
    opened = await circuitOpened(sandbox, webhook.id, 20_000);
  } catch (error) {
    await stream.stop();
    throw new Error(`${(error as Error).message}\n${describeRequests(down, since)}`);
  }
  const openedAt = Date.parse(opened.opened_at);
  await sleep(openedAt + downAfterOpenMs - Date.now());
  const [heldWhileDown, recordsWhileDown] = await Promise.all([
    heldDeliveries(sandbox, webhook.id),
    deliveriesOf(sandbox, webhook.id),
  ]);
  const snapshotAt = Date.now();
  // ... then comes back, while events keep coming for 3 s more.
  await down.behave('healthy');
  const backAt = now();
  await sleep(3000);
  const publishedAt = await stream.stop();
  const records = await settledDeliveries(sandbox, webhook.id, publishedAt.size, 30_000);
  const view = await webhookOf(sandbox, webhook.id);
  const heldAfter = await heldDeliveries(sandbox, webhook.id);
  const circuitEvents = (await platformEvents())
    .filter(
      (event) =>
        event.detail.webhook_id === webhook.id && event['detail-type'].startsWith('webhook.circuit_'),
    )
    .sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  const probes = probesOf(sandbox, webhook.id);

  const report = [
    `circuit opened at +${Math.round(openedAt - since)} ms, endpoint back at +${Math.round(backAt - since)} ms`,
    `probes: ${probes.map((probe) => `+${Math.round(probe.at - since)} ms ${probe.summary}`).join('; ')}`,
    `held while down: ${heldWhileDown.length}; records then: ${recordsWhileDown.length}`,
    describeRequests(down, since),
    `records:\n${describeDeliveries(records)}`,
  ].join('\n');

  // Assert: the circuit opened after 5 failures in a row, and closed once the endpoint was back.
  expect(
    circuitEvents.map((event) => event['detail-type']),
    report,
  ).toEqual(['webhook.circuit_opened', 'webhook.circuit_closed']);
  expect(circuitEvents[0]?.detail.consecutive_failures, report).toBeGreaterThanOrEqual(5);
  expect(view.circuit, report).toEqual({ state: 'closed' });

  // While it was open the endpoint got only probes, one at a time, 5 s apart, each on record as a probe (using
  // none of its delivery's attempts) and each with another held delivery, in turn ...
  const openWindow = (at: number) => at > openedAt + openingSlackMs && at < backAt;
  const probesWhileDown = probes.filter((probe) => openWindow(probe.at));
  const requestsWhileDown = down.requests.filter((request) => openWindow(request.arrivedAt));
  expect(probesWhileDown.length, report).toBeGreaterThanOrEqual(1);
  expect(probesWhileDown.length, report).toBeLessThanOrEqual(Math.floor(downAfterOpenMs / 5000) + 1);
  expect(
    probesWhileDown.slice(1).filter((probe, index) => probe.at - (probesWhileDown[index]?.at ?? 0) < 4000),
    `probes closer than 4 s\n${report}`,
  ).toEqual([]);
  expect(requestsWhileDown.length, report).toBeLessThanOrEqual(probesWhileDown.length);
  expect(overlapping(requestsWhileDown), report).toEqual([]);
  const attemptsWhileOpen = records
    .flatMap((record) => record.attempts.map((attempt) => ({ id: record.id, ...attempt })))
    .filter((attempt) => openWindow(Date.parse(attempt.at)))
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  expect(
    attemptsWhileOpen
      .filter((attempt) => !isProbe(attempt))
      .map((attempt) => `${attempt.id} at ${attempt.at}`),
    `attempts other than probes recorded while the circuit was open\n${report}`,
  ).toEqual([]);
  expect(attemptsWhileOpen.length, report).toBe(probesWhileDown.length);
  const closingProbe = down.requests.find((request) => request.arrivedAt >= backAt)?.webhookId;
  const probed = [...attemptsWhileOpen.map((attempt) => attempt.id), closingProbe];
  expect(
    probed.filter((id) => id === undefined || !heldWhileDown.includes(id)),
    `probes of deliveries that were not held\n${report}`,
  ).toEqual([]);
  expect(probed, `probes taking the held deliveries in turn\n${report}`).toEqual([...new Set(probed)].sort());
  // ... and its deliveries were held: pending, no attempt used but probes, beside a held item; among them every
  // event published while it was open (but for the last 2 s before the look, which may not be fanned out yet).
  const heldRecords = recordsWhileDown.filter((record) => record.attempts.every(isProbe));
  const publishedWhileOpen = [...publishedAt.values()].filter(
    (at) => at > openedAt + openingSlackMs && at < snapshotAt - 2000,
  );
  expect(
    heldRecords
      .filter(
        (record) =>
          record.status !== 'pending' || record.held_since === null || !heldWhileDown.includes(record.id),
      )
      .map((record) => `${record.id} ${record.status} held_since ${record.held_since}`),
    report,
  ).toEqual([]);
  expect(heldRecords.length, report).toBeGreaterThanOrEqual(publishedWhileOpen.length);
  expect(publishedWhileOpen.length, report).toBeGreaterThanOrEqual(15);

  // Once back: every held delivery arrived, each `webhook-id` accepted once, every record succeeded (the held
  // ones at their first attempt of the schedule, beside any probes), and nothing stays held.
  expect(records.length, report).toBe(publishedAt.size);
  expect(
    records.filter((record) => record.status !== 'succeeded').map((record) => record.id),
    report,
  ).toEqual([]);
  const acceptedTimes = new Map<string, number>();
  for (const id of down.idsAccepted()) acceptedTimes.set(id, (acceptedTimes.get(id) ?? 0) + 1);
  expect(
    records
      .filter((record) => acceptedTimes.get(record.id) !== 1)
      .map((record) => `${record.id} x${acceptedTimes.get(record.id) ?? 0}`),
    report,
  ).toEqual([]);
  expect(new Set(down.accepted().map((request) => orderIdOf(request.body))), report).toEqual(
    new Set(publishedAt.keys()),
  );
  const heldIds = new Set(heldRecords.map((record) => record.id));
  expect(
    records
      .filter((record) => heldIds.has(record.id))
      .filter((record) => record.attempts.filter((attempt) => !isProbe(attempt)).length !== 1)
      .map((record) => record.id),
    report,
  ).toEqual([]);
  expect(heldAfter, report).toEqual([]);
}

describe.concurrent('the circuit breaker, against an endpoint that is down', () => {
  it('holds the deliveries of an endpoint that refuses connections, probes it one at a time, and sends them all once it is back', async ({
    expect,
  }) => {
    await downThenBack(expect, 'refusing');
  }, 60_000);

  it('holds the deliveries of an endpoint that answers 503, probes it one at a time, and sends them all once it is back', async ({
    expect,
  }) => {
    await downThenBack(expect, 'unavailable');
  }, 60_000);

  it('loses nothing when the sandbox is killed while a circuit is open and while deliveries wait for their turns', async ({
    expect,
  }) => {
    // Arrange, in a sandbox of its own: an endpoint that answers 503, whose circuit 8 events open and 12 more
    // find open (all 20 held); a subscription limited to 3 deliveries a second, 90 events at once (30 s of
    // turns); and one more probe failed after the first few paced deliveries. The schedule's first wait is 1 s
    // rather than 5 s: the opening events' attempts that fail after the fifth come back, and are held, that much
    // sooner, and so the kill comes sooner (what it leaves in flight comes back 60 s after it).
    const args = await crashedSandboxes.args(...flags, '--retry-schedule', '1s,5m,30m,2h,5h,10h,10h');
    const first = await crashedSandboxes.start(args);
    const down = endpoint('down-through-a-crash');
    const paced = endpoint('paced-through-a-crash');
    const heldWebhook = await createWebhook(first, {
      url: down.url,
      filter: ordersStartingWith('ord_held_'),
    });
    const pacedWebhook = await createWebhook(first, {
      url: paced.url,
      filter: ordersStartingWith('ord_paced_'),
      rate_limit: 3,
    });
    const heldOrders = Array.from({ length: 20 }, (_, n) => `ord_held_${n}`);
    const pacedOrders = Array.from({ length: 90 }, (_, n) => `ord_paced_${n}`);
    const since = now();
    await publishOrders(first, heldOrders.slice(0, 8));
    const openedAt = Date.parse((await circuitOpened(first, heldWebhook.id, 20_000)).opened_at);
    await publishOrders(first, heldOrders.slice(8));
    const heldAtKill = await eventually(
      async () => {
        const held = await heldDeliveries(first, heldWebhook.id);
        return held.length === heldOrders.length ? held : undefined;
      },
      `all ${heldOrders.length} deliveries held\n${describeRequests(down, since)}`,
      20_000,
    );
    await publishOrders(first, pacedOrders);
    await eventually(
      async () => (paced.accepted().length >= 6 ? true : undefined),
      `6 paced deliveries\n${describeRequests(paced, since)}`,
      20_000,
    );
    const { circuit } = await webhookOf(first, heldWebhook.id);
    const probeDue = circuit.state === 'open' ? circuit.next_probe_at : undefined;
    await eventually(
      async () => {
        const { circuit: now } = await webhookOf(first, heldWebhook.id);
        return now.state === 'open' && now.next_probe_at !== probeDue ? true : undefined;
      },
      'a probe after every delivery was held',
      25_000,
    );

    // Act: kill -9 (the failed probe's successor and most paced deliveries wait in SQS), start again on the same
    // data 5 s later, and bring the endpoint back.
    await first.kill();
    const pacedAtKill = paced.accepted().length;
    // Down 5 s longer than a restart takes, as a machine slow to come back: 15 turns and more pass meanwhile.
    await sleep(5000);
    const restartedAt = now();
    const second = await crashedSandboxes.start(args, 60_000);
    await down.behave('healthy');
    const backAt = now();
    // Deliveries in flight at the kill come back after the main lane's visibility timeout (60 s).
    const [heldRecords, pacedRecords] = await Promise.all([
      settledDeliveries(second, heldWebhook.id, heldOrders.length, 90_000),
      settledDeliveries(second, pacedWebhook.id, pacedOrders.length, 90_000),
    ]);

    // Assert: every delivery arrived (one cut short by the kill may arrive twice, with the same webhook-id) and
    // is succeeded, one record per event; no record counts fewer attempts than its endpoint got requests (failed
    // probes included).
    const heldAfter = await heldDeliveries(second, heldWebhook.id);
    const view = await webhookOf(second, heldWebhook.id);
    const report = [
      `held at the kill: ${heldAtKill.length}; paced deliveries accepted at the kill: ${pacedAtKill}`,
      `circuit opened at +${Math.round(openedAt - since)} ms; restarted at +${Math.round(restartedAt - since)} ms;` +
        ` endpoint back at +${Math.round(backAt - since)} ms`,
      describeRequests(down, since),
      `records:\n${describeDeliveries(heldRecords)}`,
      describeRequests(paced, since),
      `records:\n${describeDeliveries(pacedRecords)}`,
      `sandbox after the restart:\n${second.output.slice(-10).join('\n')}`,
    ].join('\n');
    expect(
      pacedAtKill,
      `most paced deliveries still wait for their turns at the kill\n${report}`,
    ).toBeLessThanOrEqual(pacedOrders.length - 30);
    for (const [endpoint, orders, records] of [
      [down, heldOrders, heldRecords],
      [paced, pacedOrders, pacedRecords],
    ] as const) {
      expect(records.length, report).toBe(orders.length);
      expect(
        records.filter((record) => record.status !== 'succeeded').map((record) => record.id),
        report,
      ).toEqual([]);
      expect(new Set(endpoint.accepted().map((request) => orderIdOf(request.body))), report).toEqual(
        new Set(orders),
      );
      expect(new Set(endpoint.idsAccepted()), report).toEqual(new Set(records.map((record) => record.id)));
      const requests = new Map<string, number>();
      for (const { webhookId = '' } of endpoint.requests)
        requests.set(webhookId, (requests.get(webhookId) ?? 0) + 1);
      expect(
        records
          .filter((record) => record.attempt_count < (requests.get(record.id) ?? 0))
          .map(
            (record) => `${record.id}: ${record.attempt_count} attempts, ${requests.get(record.id)} requests`,
          ),
        report,
      ).toEqual([]);
    }
    // The held ones: nothing stays held, the circuit closed, and while it was open (across the kill) the endpoint
    // got one probe at a time, 5 s apart.
    expect(heldAfter, report).toEqual([]);
    expect(view.circuit, report).toEqual({ state: 'closed' });
    const probes = down.requests.filter(
      (request) => request.arrivedAt > openedAt + openingSlackMs && request.arrivedAt < backAt,
    );
    expect(overlapping(probes), report).toEqual([]);
    expect(probes.length, report).toBeLessThanOrEqual(Math.floor((backAt - openedAt) / 5000) + 1);
    // The paced ones: the limit holds after the restart too. The turns that passed while the sandbox was down
    // do not all go at once: at most three times the rate in any one second (the turns due as it came back, a
    // little grace for late ones, and the timing of a loaded machine).
    const afterRestart = paced.requests.map((request) => request.arrivedAt).filter((at) => at > restartedAt);
    expect(
      busiestSecond(afterRestart),
      `the busiest second after the restart\n${report}`,
    ).toBeLessThanOrEqual(3 * 3);
  }, 150_000);
});
