/**
 * AWS calls per delivery, counted by the sandbox's meter, and what they cost per million deliveries at
 * published us-east-1 prices: at fan-out 1 and 10, with every success recorded, none, and a sample of them
 * (`successRecords` 1, 0 and 0.1), for batched traffic and one event at a time. Each setting of `successRecords` runs in a
 * sandbox process of its own (the functions read it when they load).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { MeterSnapshot } from '../sandbox/meter.ts';
import { startReceivers } from './receiver-process.ts';
import {
  createSubscriptions,
  orderEvent,
  publish,
  startBenchSandbox,
  untilSettled,
} from './sandbox-bench.ts';
import { benchRuns, fixed, ranged, spread, usd, waitFor } from './stats.ts';

const run = promisify(execFile);
const runs = benchRuns(3);
const shares = [1, 0.1, 0] as const;
const fanOuts = [1, 10] as const;

/**
 * Traffic, in rounds: a round puts `perCall` events in one PutEvents call and waits for all their deliveries.
 * Batched: ten events a call, so fan-out and delivery batches are full. One at a time: one event a call, as on
 * a platform with little traffic, where nothing shares a batch but an event's own deliveries.
 */
const traffic = {
  batched: { perCall: 10, events: { 1: 400, 10: 200 } },
  'one at a time': { perCall: 1, events: { 1: 100, 10: 60 } },
} as const satisfies Record<string, { perCall: number; events: Record<(typeof fanOuts)[number], number> }>;
type Traffic = keyof typeof traffic;

/**
 * us-east-1 list prices, each with where it was read and that page's date. Secondary sources where AWS's own
 * pricing pages could not be read here (they render their tables in the browser): see BENCHMARKS.md.
 */
export const prices = {
  lambdaRequest: {
    usd: 0.2 / 1e6,
    what: 'Lambda requests (arm64 and x86), per request',
    source:
      'cloudchipr.com, “AWS Lambda Pricing Breakdown: Ultimate Guide 2025” (us-east-1, arm); aws.amazon.com/lambda/pricing (web.archive.org, 2026-06-18) for 1 ms rounding and init billed',
  },
  lambdaGbSecond: {
    usd: 0.0000133334,
    what: 'Lambda duration, arm64, first 7.5 billion GB-s a month, per GB-second',
    source:
      'cloudchipr.com, “AWS Lambda Pricing Breakdown: Ultimate Guide 2025”; the same figure in mariano/lambda_local_runner docs (2026)',
  },
  sqsRequest: {
    usd: 0.4 / 1e6,
    what: 'SQS standard queue requests, first 100 billion a month, per 64 KB request',
    source: 'cloudburn.io, “Amazon SQS Pricing: Complete Guide” (2026-03-14); factualminds.com (2026-06-13)',
  },
  sqsFifoRequest: {
    usd: 0.5 / 1e6,
    what: 'SQS FIFO queue requests (send, receive, delete, change visibility), per 64 KB request',
    source: 'cloudburn.io, “Amazon SQS Pricing: Complete Guide” (2026-03-14); factualminds.com (2026-06-13)',
  },
  sqsFairQueueSurcharge: {
    usd: 0.1 / 1e6,
    what: 'SQS fair queues (messages with a MessageGroupId on a standard queue), surcharge per request: NOT confirmed on AWS’s page',
    source: 'cloudburn.io, “Amazon SQS Pricing: Complete Guide” (2026-03-14) only',
  },
  dynamoWrite: {
    usd: 0.625 / 1e6,
    what: 'DynamoDB on-demand write request unit (since 2024-11-01)',
    source: 'airbyte.com, “Amazon DynamoDB Pricing” (2025-07-21); jusdb.com (2025-08-19)',
  },
  dynamoRead: {
    usd: 0.125 / 1e6,
    what: 'DynamoDB on-demand read request unit (since 2024-11-01)',
    source: 'airbyte.com, “Amazon DynamoDB Pricing” (2025-07-21)',
  },
  eventBridgeEvent: {
    usd: 1 / 1e6,
    what: 'EventBridge custom events put on a bus, per 64 KB chunk',
    source:
      'cloudburn.io, “Amazon EventBridge Pricing: Complete Guide” (2026-03-13); factualminds.com (June 2026)',
  },
  kmsRequest: {
    usd: 0.03 / 1e4,
    what: 'KMS requests to a symmetric key (Encrypt, Decrypt), beyond 20,000 free a month, per request ($0.03 per 10,000)',
    source:
      'wring.co, “AWS KMS Pricing Guide”; factualminds.com, “AWS KMS Pricing” (June 2026); aws.amazon.com/kms/pricing for the free tier and the key’s $1 a month',
  },
} as const;

/** Queues that are fair queues (their messages carry a MessageGroupId). */
const fairQueues = new Set(['delivery', 'delivery-slow']);

/** A standard queue's request, a fair queue's with its surcharge, or a FIFO queue's (its name ends in `.fifo`). */
const sqsRequestPrice = (queue: string): number =>
  queue.endsWith('.fifo')
    ? prices.sqsFifoRequest.usd
    : prices.sqsRequest.usd + (fairQueues.has(queue) ? prices.sqsFairQueueSurcharge.usd : 0);

/** What a run's cost is computed from: the meter's count, and the deliveries it made. */
export interface Metered {
  readonly deliveries: number;
  readonly meter: MeterSnapshot;
}

interface Measured extends Metered {
  readonly share: number;
  readonly fanOut: number;
  readonly traffic: Traffic;
  readonly events: number;
}

/** One run in this process's sandbox: reset the meter, publish, wait for every receipt and for quiet. */
async function measureInSandbox(share: number): Promise<Measured[]> {
  // One invocation at a time per mapping: each invocation's billed duration is its own (see SandboxOptions).
  const bench = await startBenchSandbox({ successRecords: share, maximumConcurrency: 1 });
  const receivers = await startReceivers();
  const measured: Measured[] = [];
  try {
    const accounts: Record<number, string> = {};
    for (const fanOut of fanOuts) {
      accounts[fanOut] = `acct_cost_${fanOut}`;
      await createSubscriptions(
        bench.subscriptions,
        `acct_cost_${fanOut}`,
        Array.from({ length: fanOut }, (_, n) => `${receivers.origin}/cost/${fanOut}/${n}`),
        100,
      );
    }
    const once = async (fanOut: number, kind: Traffic, label: string) => {
      const count = traffic[kind].events[fanOut as 1 | 10];
      await receivers.reset();
      bench.sandbox.resetMeter();
      const entries = Array.from({ length: count }, (_, n) => {
        const orderId = `ord_${label}_${n}`;
        return {
          orderId,
          entry: orderEvent(bench.sandbox.eventBusName, accounts[fanOut] as string, orderId),
        };
      });
      const perCall = traffic[kind].perCall;
      for (let start = 0; start < count; start += perCall) {
        await publish(bench.bus, entries.slice(start, start + perCall), { kind: 'burst', inFlight: 1 });
        const expected = Math.min(count, start + perCall) * fanOut;
        await waitFor(async () => (await receivers.count()) >= expected, 60_000, `${label} deliveries`, 5);
      }
      await untilSettled(bench.sandbox);
      return {
        share,
        fanOut,
        traffic: kind,
        deliveries: count * fanOut,
        events: count,
        meter: bench.sandbox.meter(),
      };
    };
    // Warm-up: environments loaded, connections open.
    await once(10, 'batched', 'warm');
    for (let n = 0; n < runs; n++) {
      for (const fanOut of fanOuts) {
        for (const kind of Object.keys(traffic) as Traffic[])
          measured.push(await once(fanOut, kind, `r${n}f${fanOut}${kind.replaceAll(' ', '')}`));
      }
    }
  } finally {
    receivers.close();
    await bench.close();
  }
  return measured;
}

/** A priced line of one run, per delivery: what it is, how many billed units, what they cost. */
export interface Line {
  readonly service: 'EventBridge' | 'SQS' | 'DynamoDB' | 'Lambda' | 'KMS';
  readonly what: string;
  readonly units: number;
  readonly usd: number;
}

/** Every billed line of a run, per delivery (empty receives left out: they cost per hour, not per delivery). */
export function linesOf(m: Metered): Line[] {
  const per = (value: number) => value / m.deliveries;
  const lines: Line[] = [];
  const eb = m.meter.eventBridge;
  lines.push({
    service: 'EventBridge',
    what: 'PutEvents entries',
    units: per(eb.billed),
    usd: per(eb.billed) * prices.eventBridgeEvent.usd,
  });
  for (const [queue, actions] of Object.entries(m.meter.sqs)) {
    for (const [action, usage] of Object.entries(actions)) {
      const billed = action === 'ReceiveMessage' ? usage.billed - usage.empty : usage.billed;
      if (billed === 0) continue;
      lines.push({
        service: 'SQS',
        what: `${queue} ${action}`,
        units: per(billed),
        usd: per(billed) * sqsRequestPrice(queue),
      });
    }
  }
  for (const [operation, usage] of Object.entries(m.meter.dynamodb)) {
    if (usage.readUnits > 0)
      lines.push({
        service: 'DynamoDB',
        what: `${operation} (RRU)`,
        units: per(usage.readUnits),
        usd: per(usage.readUnits) * prices.dynamoRead.usd,
      });
    if (usage.writeUnits > 0)
      lines.push({
        service: 'DynamoDB',
        what: `${operation} (WRU)`,
        units: per(usage.writeUnits),
        usd: per(usage.writeUnits) * prices.dynamoWrite.usd,
      });
  }
  // The delivery functions' decrypts of signing secrets (once per environment and secret) and the API's encrypts.
  for (const [operation, requests] of Object.entries(m.meter.kms)) {
    lines.push({
      service: 'KMS',
      what: `${operation} requests`,
      units: per(requests),
      usd: per(requests) * prices.kmsRequest.usd,
    });
  }
  for (const [fn, usage] of Object.entries(m.meter.lambda)) {
    if (usage.invocations === 0) continue;
    lines.push({
      service: 'Lambda',
      what: `${fn} invocations`,
      units: per(usage.invocations),
      usd: per(usage.invocations) * prices.lambdaRequest.usd,
    });
    lines.push({
      service: 'Lambda',
      what: `${fn} GB-s (${usage.memoryMb} MB)`,
      units: per(usage.gbSeconds),
      usd: per(usage.gbSeconds) * prices.lambdaGbSecond.usd,
    });
  }
  return lines;
}

/** Dollars per million deliveries of a run's lines, all of them or one service's. */
export const perMillion = (lines: readonly Line[], service?: Line['service']): number =>
  lines
    .filter((line) => service === undefined || line.service === service)
    .reduce((sum, line) => sum + line.usd, 0) * 1e6;

/** The median run (by total cost), for the detail tables. */
export function medianRun<T extends Metered>(rows: readonly T[]): T {
  const totals = rows.map((row) => perMillion(linesOf(row)));
  const target = spread(totals).median;
  return rows[totals.indexOf(target)] ?? (rows[0] as T);
}

export function render(all: readonly Measured[]): string {
  const cell = (share: number, fanOut: number, kind: Traffic) =>
    all.filter((m) => m.share === share && m.fanOut === fanOut && m.traffic === kind);
  const recordsLabel = (share: number) =>
    share === 1 ? 'all' : share === 0 ? 'none' : `${share * 100} % sampled`;
  const summary: string[] = [];
  for (const fanOut of fanOuts) {
    for (const share of shares) {
      for (const kind of Object.keys(traffic) as Traffic[]) {
        const rows = cell(share, fanOut, kind);
        if (rows.length === 0) continue;
        const figure = (service?: Line['service']) =>
          ranged(
            rows.map((row) => perMillion(linesOf(row), service)),
            usd,
          );
        summary.push(
          `| ${fanOut} | ${recordsLabel(share)} | ${kind} | **${figure()}** | ${figure('EventBridge')} | ${figure('SQS')} | ${figure('DynamoDB')} | ${figure('Lambda')} | ${figure('KMS')} |`,
        );
      }
    }
  }
  const detail = (share: number, fanOut: number, kind: Traffic) => {
    const rows = cell(share, fanOut, kind);
    if (rows.length === 0) return [];
    const lines = linesOf(medianRun(rows)).sort((a, b) => b.usd - a.usd);
    return [
      `Fan-out ${fanOut}, success records ${recordsLabel(share)}, ${kind} traffic (the median run):`,
      '',
      '| Service | Call or unit | Per delivery | $ per million deliveries |',
      '| --- | --- | ---: | ---: |',
      ...lines.map(
        (line) =>
          `| ${line.service} | ${line.what} | ${fixed(line.units, line.units < 0.01 ? 5 : 3)} | ${usd(line.usd * 1e6)} |`,
      ),
      `| | **total** | | **${usd(perMillion(lines))}** |`,
      '',
    ];
  };
  const target = (share: number) => {
    const rows = cell(share, 10, 'batched');
    return rows.length === 0 ? Number.NaN : spread(rows.map((row) => perMillion(linesOf(row)))).median;
  };
  const withRecords = target(1);
  const withoutRecords = target(0);
  const base = medianRun(cell(1, 10, 'batched'));
  const baseLines = linesOf(base);
  const sumWhere = (test: (line: Line) => boolean, lines: readonly Line[] = baseLines) =>
    lines.filter(test).reduce((sum, line) => sum + line.usd, 0) * 1e6;
  const noneLines = linesOf(medianRun(cell(0, 10, 'batched')));
  const subscriptionReads = sumWhere((l) => /GetItem ACCOUNT\/SUBSCRIPTION/.test(l.what), noneLines);
  const perEventWrites = sumWhere((l) => /EVENT\//.test(l.what), noneLines);
  const fairSurcharge =
    noneLines
      .filter((l) => l.service === 'SQS' && fairQueues.has(l.what.split(' ')[0] ?? ''))
      .reduce((sum, l) => sum + l.units, 0) *
    prices.sqsFairQueueSurcharge.usd *
    1e6;
  const recordWrites = sumWhere((l) => /WEBHOOK\/DELIVERY \(WRU\)/.test(l.what));
  const deliveryQueueRequests = noneLines
    .filter((l) => l.service === 'SQS' && l.what.startsWith('delivery '))
    .reduce((sum, l) => sum + l.units, 0);
  const verdict = (figure: number, goal: number) => (figure <= goal ? 'met' : 'NOT met');
  const recordUnits = baseLines
    .filter((l) => /WEBHOOK\/DELIVERY \(WRU\)/.test(l.what))
    .reduce((s, l) => s + l.units, 0);
  return [
    '## AWS calls per delivery, and cost per million deliveries',
    '',
    'Counted by the sandbox’s meter (`startSandbox({ meter: true })`, `sandbox.meter()`): every PutEvents entry; every',
    'SQS call, the event source mappings’ own receives and deletes included, in 64 KB chunks; DynamoDB read and',
    'write units as DynamoDB computes them (dynalite’s `ReturnConsumedCapacity`, added to every request); Lambda',
    'invocations and their duration rounded up to the millisecond, times each function’s memory (platform.ts).',
    'KMS requests by operation: the delivery functions decrypt each signing secret once per execution environment,',
    'so after the warm-up a run makes next to none (design notes: Signing secrets at rest, for what that is on AWS).',
    'Each run publishes `order.status_updated` events for one account whose subscriptions all succeed at once.',
    'Traffic comes in rounds: one PutEvents call, then a wait for all its deliveries. Batched: ten events a call',
    `(${traffic.batched.events[10]} events at fan-out 10, ${traffic.batched.events[1]} at fan-out 1), so fan-out and delivery batches are full. One at a time: one event`,
    `a call (${traffic['one at a time'].events[10]} or ${traffic['one at a time'].events[1]}), as on a quiet platform. The sandbox runs one invocation at a time per mapping, so each`,
    'invocation’s billed duration is its own rather than stretched by its neighbours on the one CPU.',
    `Each \`successRecords\` setting in a sandbox of its own; median of ${runs} runs (min–max), after a warm-up.`,
    '',
    '| Fan-out | Success records | Traffic | $ per million deliveries | EventBridge | SQS | DynamoDB | Lambda | KMS |',
    '| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...summary,
    '',
    'Prices, us-east-1, each as published by the source named (AWS’s own pricing pages render their price tables',
    'in the browser and could not be read here, so most figures are from recent secondary sources that quote them):',
    '',
    '| Price | us-east-1 | Source (date) |',
    '| --- | ---: | --- |',
    ...Object.values(prices).map(
      (price) => `| ${price.what} | $${fixed(price.usd * 1e6, 4)} per million | ${price.source} |`,
    ),
    '',
    'Not counted: data transfer; CloudWatch Logs and the embedded metrics (the functions log one line per attempt at',
    'INFO, which at $0.50 per GB ingested is about $0.10 to $0.20 per million deliveries: set the log level to WARN',
    'where that matters); free tiers; the pollers’ empty receives while queues are idle (Lambda long-polls each',
    'queue: a few pollers times three 20-second polls a minute, about $0.26 a month per queue, whatever the traffic);',
    'cold starts (init is billed since August 2025, but a warm platform rarely starts environments). Lambda',
    'durations are the sandbox’s: its AWS services answer from the same process, without network latency but',
    'sharing one CPU, so on AWS each call to DynamoDB or SQS adds a few milliseconds and the duration lines move.',
    '',
    ...detail(1, 10, 'batched'),
    ...detail(0, 10, 'batched'),
    ...detail(1, 1, 'one at a time'),
    '### Against the targets',
    '',
    `At fan-out 10, batched: ${usd(withRecords)} per million with every attempt recorded (target $1.00: ${verdict(withRecords, 1)}), ${usd(withoutRecords)} with`,
    `success records off (target $0.40: ${verdict(withoutRecords, 0.4)}); before this change they were $1.23 and $0.59. Success records sampled at`,
    `10 % cost ${usd(target(0.1))}. What reached them (design notes: Packs; Duplicates from the bus):`,
    '',
    `- **Packs**: fan-out queues a batch’s deliveries together, a subscription’s up to ten in one main-lane message, so`,
    `  the delivery queue’s send, receive and delete take ${fixed(deliveryQueueRequests, 3)} requests per delivery (0.300 before) and`,
    `  a pack’s deliveries share one read of their subscription (${usd(subscriptionReads)}; $0.13 before) and one invocation.`,
    `- **One fanned-out marker per fan-out batch** instead of one per event: the per-event writes, the body kept`,
    `  for retries (with its events-log index entry since issue 19) and the marker, come to ${usd(perEventWrites)} (was $0.13 with a`,
    '  marker per event and no index).',
    '',
    'What bounds them now (the tables above):',
    '',
    `- **The record**: one write per attempt, ${fixed(recordUnits, 2)} WRU per delivery, ${usd(recordWrites)} per million: most of the`,
    '  full-record figure (a record stays at 1 WRU while it is under 1 KB: a long response excerpt makes it 2).',
    `- **EventBridge** ${usd(perMillion(noneLines, 'EventBridge'))} and **SQS** ${usd(perMillion(noneLines, 'SQS'))}, most of it the bus rule’s send to the fan-out queue, one per`,
    `  event. The fair-queue surcharge, if AWS bills it as quoted, is ${usd(fairSurcharge)}.`,
    `- **Lambda** ${usd(perMillion(noneLines, 'Lambda'))} with records off: loopback receivers answer at once; on AWS an invocation lasts as`,
    `  long as its slowest endpoint, and every 100 ms of endpoint latency adds ${usd((0.1 * 0.5 * prices.lambdaGbSecond.usd * 1e6) / 100)} per million deliveries in`,
    `  full batches of packs (${usd(0.1 * 0.5 * prices.lambdaGbSecond.usd * 1e6)} one at a time) at 512 MB.`,
    '',
    'KMS is next to nothing here: after the warm-up, warm environments decrypt nothing. On AWS each new execution',
    'environment decrypts each signing secret it signs with once ($0.03 per 10,000): at 1,000 active subscriptions,',
    '20 environments each delivering for all of them and a new generation of environments every two hours, that is',
    '$0.72 a day (design notes: Signing secrets at rest), so $0.07 per million deliveries at ten million a day and',
    '$0.72 at one million. With success records off, the $0.40 target then holds from about five million deliveries',
    'a day at that shape; a smaller platform with as many subscriptions pays more per delivery (data keys per',
    'account would cut it, design notes).',
    '',
    'Left, and why: a cache of subscriptions in the delivery function (a pack shares its read already, and a cache',
    'would let a paused or deleted subscription receive for its lifetime); 256 MB for the delivery functions (the',
    'sandbox times invocations on a whole core, so the saving would be on paper: 256 MB on Lambda is about a sixth',
    'of a vCPU, on which a batch of packs signs up to a hundred requests and opens their connections); records of',
    'one event sharing an item (lists by subscription would need an index, whose writes cost what sharing saves);',
    'a batching window on the mappings (it would move the one-at-a-time rows towards the batched ones, at up to its',
    'length in latency: a choice for an operator, not a default).',
    '',
  ].join('\n');
}

export async function runCostBench(): Promise<string> {
  const measured: Measured[] = [];
  for (const share of shares) {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--measure', String(share)],
      {
        maxBuffer: 64 * 1024 * 1024,
        env: process.env,
      },
    );
    measured.push(...(JSON.parse(stdout) as Measured[]));
    console.error(`[cost] successRecords ${share} measured`);
  }
  return render(measured);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const at = process.argv.indexOf('--measure');
  if (at !== -1) console.log(JSON.stringify(await measureInSandbox(Number(process.argv[at + 1]))));
  else console.log(await runCostBench());
}
