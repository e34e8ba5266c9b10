/**
 * Isolation: a receiver that hangs 20 s gets 300 deliveries while a healthy one gets 300, through the whole
 * sandbox (bus, fan-out, both delivery lanes). Figures: the healthy deliveries' publish-to-receipt latency,
 * against the same 300 published with no hanging neighbour in the same run; and when the slow deliveries ended,
 * against the earliest their schedule allows.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ApiKeyStore, newApiKey } from '#core/accounts/api-key-store.ts';
import { documentClient } from '#core/aws/dynamodb.ts';
import { eventSourceMappings } from '#core/platform.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';
import { benchRuns, median, ms, percentile, waitFor } from './stats.ts';

const runs = benchRuns(3);
const perReceiver = 300;
const hangMs = 20_000;
const retrySchedule = [1, 2];
const deliveryTimeoutSeconds = 5;
const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench' };
const slowLane = eventSourceMappings.find((mapping) => mapping.queue === 'slowDelivery');
/** Attempts the slow lane makes at once: its invocations, each with a batch of records in parallel. */
const slowLaneAttempts = (slowLane?.maximumConcurrency ?? 0) * (slowLane?.batchSize ?? 0);

/** A receiver on loopback that notes when each order arrived; `hang` answers only after 20 s. */
async function receiver(hang: boolean) {
  const arrivals = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const order = JSON.parse(Buffer.concat(chunks).toString('utf8')).data.id as string;
      if (!arrivals.has(order)) arrivals.set(order, performance.timeOrigin + performance.now());
      if (!hang) res.writeHead(204).end();
      else setTimeout(() => res.destroyed || res.writeHead(204).end(), hangMs).unref();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/in`,
    arrivals,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

interface Tenant {
  readonly accountId: string;
  readonly apiKey: string;
  readonly webhookId: string;
}

async function tenant(sandbox: Sandbox, keys: ApiKeyStore, url: string): Promise<Tenant> {
  const accountId = `bench_${randomUUID().slice(0, 8)}`;
  const apiKey = newApiKey();
  await keys.issue(accountId, apiKey);
  const response = await fetch(`${sandbox.endpoint}/v1/webhooks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', url, events: ['order.*'] }),
  });
  const created = (await response.json()) as { id: string };
  return { accountId, apiKey, webhookId: created.id };
}

/** PutEvents batches per second: 100 events a second in all, well under what the sandbox delivers. */
const batchesPerSecond = 10;

/**
 * Publishes `count` order events for each tenant, interleaved in PutEvents batches of 10 at a steady rate (so
 * that latency measures isolation, not a queue of a burst); answers their send times.
 */
async function publish(sandbox: Sandbox, bus: EventBridgeClient, tenants: readonly Tenant[], count: number) {
  const sentAt = new Map<string, number>();
  const entries = tenants.flatMap((t) =>
    Array.from({ length: count }, (_, n) => ({ accountId: t.accountId, order: `ord_${t.accountId}_${n}` })),
  );
  entries.sort((a, b) => Number(a.order.split('_').at(-1)) - Number(b.order.split('_').at(-1)));
  const begin = performance.now();
  for (let start = 0; start < entries.length; start += 10) {
    const due = begin + (start / 10) * (1000 / batchesPerSecond);
    if (due > performance.now()) await new Promise((resolve) => setTimeout(resolve, due - performance.now()));
    const batch = entries.slice(start, start + 10);
    const now = performance.timeOrigin + performance.now();
    for (const entry of batch) sentAt.set(entry.order, now);
    await bus.send(
      new PutEventsCommand({
        Entries: batch.map((entry) => ({
          EventBusName: sandbox.eventBusName,
          Source: 'shipping.orders',
          DetailType: 'order.status_updated',
          Detail: JSON.stringify({
            account_id: entry.accountId,
            id: entry.order,
            occurred_at: new Date().toISOString(),
            data: { id: entry.order, status: 'Shipped' },
            previous: { status: 'Initiated' },
          }),
        })),
      }),
    );
  }
  return sentAt;
}

/** How long each of a tenant's deliveries took, from its first attempt to the end of its last, once all have failed. */
async function slowDurations(sandbox: Sandbox, slow: Tenant): Promise<number[]> {
  let endings: number[] = [];
  await waitFor(
    async () => {
      endings = [];
      let cursor: string | null = null;
      do {
        const response = await fetch(
          `${sandbox.endpoint}/v1/webhooks/${slow.webhookId}/deliveries?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
          { headers: { authorization: `Bearer ${slow.apiKey}` } },
        );
        const page = (await response.json()) as {
          data: { status: string; attempts: { at: string; latency_ms: number }[] }[];
          next_cursor: string | null;
        };
        for (const delivery of page.data) {
          const [first, last] = [delivery.attempts[0], delivery.attempts.at(-1)];
          if (delivery.status === 'failed' && first && last)
            endings.push(Date.parse(last.at) + last.latency_ms - Date.parse(first.at));
        }
        cursor = page.next_cursor;
      } while (cursor !== null);
      return endings.length === perReceiver;
    },
    10 * 60_000,
    'the slow deliveries to end',
    200,
  );
  return endings;
}

const latencies = (sentAt: Map<string, number>, arrivals: Map<string, number>) =>
  [...arrivals].map(([order, at]) => at - (sentAt.get(order) ?? at));

export async function runIsolationBench(): Promise<string> {
  const sandbox = await startSandbox({ port: 0, logLevel: 'SILENT', retrySchedule, deliveryTimeoutSeconds });
  const dynamo = new DynamoDBClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials });
  const keys = new ApiKeyStore(documentClient(dynamo), 'webhooks');
  const bus = new EventBridgeClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials });
  const alone: { p50: number; p95: number; p99: number }[] = [];
  const beside: { p50: number; p95: number; p99: number }[] = [];
  const lateness: { p50: number; max: number }[] = [];
  // The shortest a slow delivery's schedule allows, from its first attempt: the main lane's cut (1 s), then
  // each attempt's timeout and each wait with the least jitter.
  const earliestEndMs =
    1000 +
    (retrySchedule.length + 1) * deliveryTimeoutSeconds * 1000 +
    retrySchedule.reduce((a, b) => a + b, 0) * 800;
  try {
    // Warm up: every function's environments loaded, as in the runs that follow.
    const warm = await receiver(false);
    const warmTenant = await tenant(sandbox, keys, warm.url);
    await publish(sandbox, bus, [warmTenant], perReceiver);
    await waitFor(() => warm.arrivals.size === perReceiver, 120_000, 'the warm-up deliveries');
    warm.close();
    for (let run = 0; run < runs; run++) {
      const healthyAlone = await receiver(false);
      const soloTenant = await tenant(sandbox, keys, healthyAlone.url);
      const soloSent = await publish(sandbox, bus, [soloTenant], perReceiver);
      await waitFor(
        () => healthyAlone.arrivals.size === perReceiver,
        120_000,
        'the healthy deliveries (alone)',
      );
      const solo = latencies(soloSent, healthyAlone.arrivals);
      alone.push({ p50: median(solo), p95: percentile(solo, 95), p99: percentile(solo, 99) });
      healthyAlone.close();

      const hanging = await receiver(true);
      const healthy = await receiver(false);
      const slowTenant = await tenant(sandbox, keys, hanging.url);
      const healthyTenant = await tenant(sandbox, keys, healthy.url);
      const sent = await publish(sandbox, bus, [slowTenant, healthyTenant], perReceiver);
      await waitFor(() => healthy.arrivals.size === perReceiver, 120_000, 'the healthy deliveries');
      const next = latencies(sent, healthy.arrivals);
      beside.push({ p50: median(next), p95: percentile(next, 95), p99: percentile(next, 99) });
      const durations = await slowDurations(sandbox, slowTenant);
      const late = durations.map((duration) => duration - earliestEndMs);
      lateness.push({ p50: median(late), max: Math.max(...late) });
      hanging.close();
      healthy.close();
    }
  } finally {
    bus.destroy();
    dynamo.destroy();
    await sandbox.close();
  }

  const stat = <T extends object>(rows: T[], key: keyof T) => {
    const values = rows.map((row) => row[key] as number);
    return `${ms(median(values))} (${ms(Math.min(...values))}–${ms(Math.max(...values))})`;
  };
  const ratio = median(beside.map((row) => row.p99)) / median(alone.map((row) => row.p99));
  return [
    '## Isolation: a hanging endpoint beside a healthy one',
    '',
    `Through the whole sandbox (bus, fan-out, main and slow lanes): ${perReceiver} events for an endpoint that`,
    `answers only after ${hangMs / 1000} s and ${perReceiver} for a healthy one, interleaved in PutEvents batches of 10,`,
    `${batchesPerSecond * 10} events a second; a delivery timeout of ${deliveryTimeoutSeconds} s and a schedule of ${retrySchedule.map((s) => `${s} s`).join(', ')} (three attempts).`,
    `Baseline: the same ${perReceiver} healthy events with no hanging neighbour, in the same run. Median of ${runs} runs (min–max).`,
    '',
    '| Healthy endpoint, publish to receipt | p50 | p95 | p99 |',
    '| --- | ---: | ---: | ---: |',
    `| alone (baseline) | ${stat(alone, 'p50')} | ${stat(alone, 'p95')} | ${stat(alone, 'p99')} |`,
    `| beside the hanging one | ${stat(beside, 'p50')} | ${stat(beside, 'p95')} | ${stat(beside, 'p99')} |`,
    '',
    `p99 beside the hanging endpoint is ${ratio.toFixed(2)}x the p99 alone. Target: under 2,000 ms.`,
    '',
    'Every slow delivery made its three attempts and failed. From its first attempt to the end of its last it took the',
    `shortest its schedule allows (${ms(earliestEndMs)}: the main lane’s 1 s cut, three ${deliveryTimeoutSeconds} s timeouts, waits of ${retrySchedule.map((s) => `${s} s`).join(' and ')} less 20 % jitter)`,
    `plus ${stat(lateness, 'p50')} at the median and ${stat(lateness, 'max')} at the longest (the jitter’s other side, up to`,
    `1.2 s more, and each retry’s wait for a free slow-lane invocation). The slow lane holds ${slowLaneAttempts} attempts at a time for all slow endpoints together: more hanging`,
    'deliveries than that wait their turn there, and only there.',
    '',
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(await runIsolationBench());
}
