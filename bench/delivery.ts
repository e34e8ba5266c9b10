/**
 * The delivery path against the wire: signed webhooks per second through the delivery code path (`deliver()`
 * with its subscription and record in memory: signing, the request, the address guard, the HTTP client and the
 * outcome's record) to a receiver on loopback in a process of its own, against raw undici `Pool` POSTs of the
 * same bodies, with headers of the same size, to the same receiver, in the same run.
 */
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { deliveryIdOf } from '#core/deliveries/delivery-id.ts';
import type { DeliveryMessage } from '#core/deliveries/delivery-message.ts';
import { WebhookSender } from '#core/egress/webhook-sender.ts';
import { newSigningSecret, webhookHeaders } from '#core/payloads/signing.ts';
import { defaults } from '#core/platform.ts';
import { settings as deploymentSettings } from '#core/settings.ts';
import { type DeliveryPorts, type DeliverySettings, deliver } from '../functions/core/deliveries/deliver.ts';
import { healthIgnored } from '../test/support/delivery-ports.ts';
import { aSubscription } from '../test/support/subscriptions.ts';
import { startReceivers } from './receiver-process.ts';
import { benchRuns, fixed, int, ranged, spread } from './stats.ts';

const runs = benchRuns(5);
const requestsPerRun = 5000;
const concurrency = 50;

const body = JSON.stringify({
  id: 'evt_9v662v45j1z8g60apc6ckd85xp',
  type: 'order.status_updated',
  occurred_at: '2026-11-27T10:14:59.120Z',
  data: { id: 'ord_01JD4X7K2M', order_number: '1042', status: 'Shipped', total: '149.50' },
  previous: { status: 'Initiated' },
});

type Send = (n: number) => Promise<void>;

/** Webhooks per second: `requestsPerRun` sends, `concurrency` at a time. */
async function throughput(send: Send): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requestsPerRun) await send(next++);
    }),
  );
  return requestsPerRun / ((performance.now() - started) / 1000);
}

export async function runDeliveryBench(): Promise<string> {
  const receivers = await startReceivers();
  const url = `${receivers.origin}/webhooks`;
  const at = new Date().toISOString();
  const subscription = aSubscription({
    id: 'sub_0bench0000000000000000000',
    accountId: 'acct_bench',
    url,
    secret: newSigningSecret(),
    createdAt: at,
    updatedAt: at,
  });
  const sender = new WebhookSender('allow-private', deploymentSettings.deliveryTimeoutSeconds.default * 1000);
  const ports: DeliveryPorts = {
    subscription: async () => subscription,
    record: async () => undefined,
    send: (request, bounds) => sender.send(request, bounds),
    recordAttempts: async () => true,
    forward: async () => undefined,
    deadLetter: async () => undefined,
    newToken: () => 'token',
    remainingMs: () => Number.POSITIVE_INFINITY,
    ...healthIgnored,
    now: Date.now,
  };
  const settings: DeliverySettings = {
    lane: 'main',
    schedule: [...deploymentSettings.retrySchedule.default],
    mainLaneWaitMs: defaults.mainLaneWaitMs,
    timeoutMs: deploymentSettings.deliveryTimeoutSeconds.default * 1000,
    disableAfterMs: deploymentSettings.disableAfterSeconds.default * 1000,
    retentionSeconds: deploymentSettings.deliveryRetentionDays.default * 86_400,
    successRecords: 1,
    attemptReserveMs: defaults.attemptReserveMs,
    connectMs: defaults.connectMs,
    laneRule: defaults.laneEvidence,
    circuitBreakAfter: deploymentSettings.circuitBreakAfter.default,
    maxBackOffSeconds: defaults.maxBackOffSeconds,
  };
  // The messages as the queue hands them over, made before the clock starts.
  const messages: DeliveryMessage[] = Array.from({ length: requestsPerRun }, (_, n) => ({
    id: deliveryIdOf({ id: `bus-event-${n}`, time: at }, subscription.id),
    accountId: subscription.accountId,
    subscriptionId: subscription.id,
    eventId: 'evt_9v662v45j1z8g60apc6ckd85xp',
    eventType: 'order.status_updated',
    body,
    attempt: 1,
    trigger: 'event',
  }));
  const viaDeliver: Send = async (n) => {
    const decision = await deliver(messages[n] as DeliveryMessage, ports, settings);
    if (decision.kind !== 'done' || decision.summary !== 'delivered')
      throw new Error(JSON.stringify(decision));
  };
  // The same bytes on the wire: headers of the same names and sizes, signed once.
  const rawHeaders = {
    ...webhookHeaders([subscription.secret], { id: `msg_${'0'.repeat(40)}`, timestamp: 1_800_000_000, body }),
    'content-type': 'application/json',
    'user-agent': 'Hookbridge/0.1.0 (webhooks; +https://www.standardwebhooks.com/)',
  };
  const pool = new Pool(receivers.origin, { connections: concurrency });
  const viaPool: Send = async () => {
    const response = await pool.request({ path: '/webhooks', method: 'POST', body, headers: rawHeaders });
    await response.body.dump();
    if (response.statusCode !== 204) throw new Error(`HTTP ${response.statusCode}`);
  };

  const ours: number[] = [];
  const raw: number[] = [];
  let rssGrowthMb = 0;
  try {
    await throughput(viaDeliver);
    await throughput(viaPool);
    const rssBefore = process.memoryUsage().rss;
    for (let run = 0; run < runs; run++) {
      // Alternating, so that both see the same machine.
      raw.push(await throughput(viaPool));
      ours.push(await throughput(viaDeliver));
    }
    rssGrowthMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
  } finally {
    await pool.close();
    await sender.close();
    receivers.close();
  }
  const ratios = ours.map((value, index) => value / (raw[index] ?? value));
  const ratio = spread(ratios).median;
  return [
    '## Delivery path against the wire',
    '',
    `Signed webhooks per second through the delivery code path (\`deliver()\` with its subscription and record in`,
    'memory: the body, the Standard Webhooks signature, the request, the address guard, the HTTP client, the',
    'outcome and what it records), against raw undici `Pool` POSTs of the same body with headers of the same size',
    `(the baseline), to one receiver on loopback in a process of its own that answers 204. ${int(requestsPerRun)} POSTs a run,`,
    `${concurrency} at a time; ${runs} runs of each, alternating; median (min–max).`,
    '',
    '| Sender | Webhooks/s | vs raw undici Pool |',
    '| --- | ---: | ---: |',
    `| baseline: undici \`Pool\`, ${concurrency} connections | ${ranged(raw)} | 1.00 |`,
    `| delivery path (\`deliver()\` + \`WebhookSender\`) | ${ranged(ours)} | ${ranged(ratios, (v) => fixed(v))} |`,
    '',
    `The delivery path sends ${Math.round(ratio * 100)} % of what raw undici sends (target: at least 50 %). It is undici too: its`,
    '`Agent` with a dispatch handler per attempt (`functions/core/egress/attempt.ts`) that keeps only the status,',
    '`Retry-After` and the start of the body, each URL parsed once, and one ticking deadline check while attempts',
    'are in flight. Through `request()` with an abort signal per attempt, as before, it sent 28 % of raw.',
    `Resident memory grew by ${fixed(rssGrowthMb, 1)} MiB over the ${int(runs * 2 * requestsPerRun)} measured requests.`,
    '',
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(await runDeliveryBench());
}
