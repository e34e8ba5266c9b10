/**
 * Ordered delivery against unordered, through the sandbox: deliveries a second and cost per million deliveries
 * at fan-out 1 and 10, for the same events sent to subscriptions with `ordering: "resource"` (the ordered lane:
 * a FIFO queue, a group per subscription and resource) and without (the main lane). Throughput runs in a sandbox
 * with the lanes' own concurrency; cost in one with one invocation at a time per mapping, as the cost section
 * does, and priced by its model (cost.ts). Each in a process of its own (a sandbox per process).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { settings } from '#core/settings.ts';
import { type Line, linesOf, type Metered, medianRun, perMillion, prices } from './cost.ts';
import { type Arrival, startReceivers } from './receiver-process.ts';
import {
  createSubscriptions,
  orderEvent,
  publish,
  startBenchSandbox,
  untilSettled,
} from './sandbox-bench.ts';
import { benchRuns, fixed, int, ranged, spread, usd, waitFor } from './stats.ts';

const run = promisify(execFile);
const runs = benchRuns(3);
const fanOuts = [1, 10] as const;
type FanOut = (typeof fanOuts)[number];
const lanes = ['unordered', 'ordered'] as const;
type Lane = (typeof lanes)[number];
const modes = ['throughput', 'cost'] as const;
type Mode = (typeof modes)[number];

/** The resources of the fan-out 1 throughput runs (`BENCH_ORDERED_RESOURCES`); the other sizes follow it. */
const resources = Math.max(10, Number(process.env.BENCH_ORDERED_RESOURCES ?? 200));

/**
 * The events of a run: `resources` orders, each changing status `changes` times (a second apart). The events go
 * on the bus a round of changes at a time (every resource's first change, then every second one, ...), in
 * PutEvents calls of ten, two calls in flight. Fan-out 10 has fewer resources, so that a run stays within
 * seconds: its ordered groups (subscription and resource) are still ten times its resources.
 */
const sizes: Record<Mode, Record<FanOut, { readonly resources: number; readonly changes: number }>> = {
  throughput: {
    1: { resources, changes: 5 },
    10: { resources: Math.round(resources / 4), changes: 3 },
  },
  cost: {
    1: { resources: Math.round(resources / 2), changes: 3 },
    10: { resources: Math.round(resources / 10), changes: 3 },
  },
};

interface Measured extends Metered {
  readonly mode: Mode;
  readonly lane: Lane;
  readonly fanOut: FanOut;
  /** Each subscription's receipt of each event, the first one only. */
  readonly received: number;
  /** From the first PutEvents call to the last first receipt. */
  readonly seconds: number;
  /** First receipts of a resource's change after a newer change of it (per subscription). */
  readonly outOfOrder: number;
  /** Deliveries that ended superseded: a newer change of their resource was delivered first. */
  readonly superseded: number;
}

const accountOf = (lane: Lane, fanOut: FanOut) => `acct_ordered_${lane}_${fanOut}`;

/** Receipts of a resource's change after a newer one of it, per receiver (a receiver is a subscription). */
function outOfOrder(arrivals: readonly Arrival[]): number {
  const newest = new Map<string, number>();
  let late = 0;
  for (const [path, dataId, _at] of [...arrivals].sort((a, b) => a[2] - b[2])) {
    const dot = dataId.lastIndexOf('.');
    const key = `${path} ${dataId.slice(0, dot)}`;
    const change = Number(dataId.slice(dot + 1));
    if (change < (newest.get(key) ?? -1)) late++;
    else newest.set(key, change);
  }
  return late;
}

/** The runs of one mode in this process's sandbox, both lanes alternating at each fan-out. */
async function measureInSandbox(mode: Mode): Promise<Measured[]> {
  // Cost: one invocation at a time per mapping, so each invocation's billed duration is its own (see cost.ts).
  const begun = Date.now();
  const bench = await startBenchSandbox(mode === 'cost' ? { maximumConcurrency: 1 } : {});
  const receivers = await startReceivers();
  const measured: Measured[] = [];
  try {
    const subscriptionIds = new Map<string, readonly string[]>();
    for (const lane of lanes) {
      for (const fanOut of fanOuts) {
        const ids = await createSubscriptions(
          bench.subscriptions,
          accountOf(lane, fanOut),
          Array.from({ length: fanOut }, (_, n) => `${receivers.origin}/${lane}/${fanOut}/${n}`),
          100,
          { ordering: lane === 'ordered' ? 'resource' : 'none' },
        );
        subscriptionIds.set(accountOf(lane, fanOut), ids);
      }
    }
    /** The account's deliveries that ended superseded so far (read after the meter, so not counted in it). */
    const supersededOf = async (lane: Lane, fanOut: FanOut) => {
      let count = 0;
      for (const id of subscriptionIds.get(accountOf(lane, fanOut)) ?? [])
        count += (await bench.deliveries.page(id, { limit: 100_000, status: 'superseded' })).items.length;
      return count;
    };
    const superseded = new Map<string, number>();
    const once = async (lane: Lane, fanOut: FanOut, label: string, size = sizes[mode][fanOut]) => {
      await receivers.reset();
      bench.sandbox.resetMeter();
      const base = Date.now() - 3_600_000;
      const entries = Array.from({ length: size.resources * size.changes }, (_, n) => {
        const change = Math.floor(n / size.resources);
        const resourceId = `ord_${label}_${n % size.resources}`;
        const orderId = `${resourceId}.${change}`;
        const occurredAt = new Date(base + change * 1000).toISOString();
        return {
          orderId,
          entry: orderEvent(bench.sandbox.eventBusName, accountOf(lane, fanOut), orderId, {
            resourceId,
            occurredAt,
          }),
        };
      });
      const expected = entries.length * fanOut;
      const started = Date.now();
      await publish(bench.bus, entries, { kind: 'burst', inFlight: 2 });
      // Every receipt, or (an ordered delivery superseded never arrives) nothing moving for 3 s.
      let seen = -1;
      let movedAt = Date.now();
      await waitFor(
        async () => {
          const count = await receivers.count();
          if (count >= expected) return true;
          if (count !== seen) {
            seen = count;
            movedAt = Date.now();
          }
          return Date.now() - movedAt > 3000;
        },
        300_000,
        `${label} deliveries`,
        10,
      );
      await untilSettled(bench.sandbox, 120_000);
      // Only this run's: a delivery of an earlier run that came back late (after a timeout) is not one of them.
      const arrivals = (await receivers.collect()).filter(([, dataId]) => dataId.startsWith(`ord_${label}_`));
      const last = Math.max(...arrivals.map(([, , at]) => at));
      let figures: Measured = {
        mode,
        lane,
        fanOut,
        deliveries: expected,
        received: arrivals.length,
        seconds: (last - started) / 1000,
        outOfOrder: outOfOrder(arrivals),
        superseded: 0,
        meter: bench.sandbox.meter(),
      };
      const before = superseded.get(accountOf(lane, fanOut)) ?? 0;
      const after = await supersededOf(lane, fanOut);
      superseded.set(accountOf(lane, fanOut), after);
      figures = { ...figures, superseded: after - before };
      console.error(
        `[ordered] ${mode} ${lane} fan-out ${fanOut}: ${figures.received}/${expected} in ${fixed(figures.seconds)} s, ` +
          `${int(figures.received / figures.seconds)}/s, ${usd(perMillion(linesOf(figures)))} per million, ` +
          `${figures.outOfOrder} out of order, ${figures.superseded} superseded (${fixed((Date.now() - begun) / 1000, 1)} s in)`,
      );
      return figures;
    };
    // Warm-up: environments loaded, connections open, on both lanes.
    for (const lane of lanes) await once(lane, 10, `warm${lane}`, { resources: 20, changes: 2 });
    for (let n = 0; n < runs; n++) {
      for (const fanOut of fanOuts) {
        // Alternating which lane goes first, so that neither always follows the other's leftovers.
        const order = n % 2 === 0 ? lanes : [...lanes].reverse();
        for (const lane of order) measured.push(await once(lane, fanOut, `r${n}f${fanOut}${lane}`));
      }
    }
  } finally {
    receivers.close();
    await bench.close();
  }
  return measured;
}

const services: readonly Line['service'][] = ['EventBridge', 'SQS', 'DynamoDB', 'Lambda'];

export function render(all: readonly Measured[]): string {
  const rows = (mode: Mode, lane: Lane, fanOut: FanOut) =>
    all.filter((m) => m.mode === mode && m.lane === lane && m.fanOut === fanOut);
  /** Ordered against unordered, run by run (the n-th runs of both lanes ran side by side). */
  const ratios = (mode: Mode, fanOut: FanOut, figure: (m: Measured) => number) => {
    const unordered = rows(mode, 'unordered', fanOut);
    return rows(mode, 'ordered', fanOut).map((m, n) => figure(m) / figure(unordered[n] ?? m));
  };
  const rate = (m: Measured) => m.received / m.seconds;
  const cost = (m: Measured) => perMillion(linesOf(m));
  const sizeOf = (mode: Mode, fanOut: FanOut) => {
    const { resources: r, changes } = sizes[mode][fanOut];
    return `${int(r)} × ${changes}`;
  };
  const throughputRows = fanOuts.map((fanOut) => {
    const { resources: r, changes } = sizes.throughput[fanOut];
    return `| ${fanOut} | ${sizeOf('throughput', fanOut)} | ${int(r * fanOut)} | ${int(r * changes * fanOut)} | ${ranged(rows('throughput', 'unordered', fanOut).map(rate))} | ${ranged(rows('throughput', 'ordered', fanOut).map(rate))} | ${ranged(ratios('throughput', fanOut, rate), (v) => fixed(v))} |`;
  });
  const costRows = fanOuts.flatMap((fanOut) =>
    lanes.map((lane) => {
      const measured = rows('cost', lane, fanOut);
      const figure = (service?: Line['service']) =>
        ranged(
          measured.map((m) => perMillion(linesOf(m), service)),
          usd,
        );
      const ratio = lane === 'unordered' ? '1.00' : ranged(ratios('cost', fanOut, cost), (v) => fixed(v));
      return `| ${fanOut} | ${lane} | **${figure()}** | ${ratio} | ${services.map((service) => figure(service)).join(' | ')} |`;
    }),
  );
  const signed = (value: number) =>
    Math.abs(value) < 0.0005 ? usd(0) : `${value < 0 ? '−' : '+'}${usd(Math.abs(value))}`;
  /** The median runs' lines of both lanes side by side, per delivery, largest difference first. */
  const detail = (fanOut: FanOut) => {
    const unordered = linesOf(medianRun(rows('cost', 'unordered', fanOut)));
    const ordered = linesOf(medianRun(rows('cost', 'ordered', fanOut)));
    // The lanes' own queues and functions under one name, so that their lines meet.
    const common = (line: Line) =>
      line.what.replace(/^(delivery-ordered\.fifo|delivery|orderedDelivery) /, (_, name: string) =>
        name === 'orderedDelivery' || (name === 'delivery' && line.service === 'Lambda')
          ? 'delivery function '
          : 'delivery lane ',
      );
    const keys = new Map<string, { service: Line['service']; u?: Line; o?: Line }>();
    for (const line of unordered)
      keys.set(common(line), { ...keys.get(common(line)), service: line.service, u: line });
    for (const line of ordered)
      keys.set(common(line), { ...keys.get(common(line)), service: line.service, o: line });
    const table = [...keys.entries()]
      .map(([what, { service, u, o }]) => ({ what, service, u, o, diff: (o?.usd ?? 0) - (u?.usd ?? 0) }))
      .sort((a, b) => Math.abs(b.diff) - Math.abs(a.diff) || (b.o?.usd ?? 0) - (a.o?.usd ?? 0));
    const units = (line?: Line) => (line === undefined ? '–' : fixed(line.units, line.units < 0.01 ? 5 : 3));
    return [
      `Fan-out ${fanOut} (each lane’s median run), per delivery:`,
      '',
      '| Service | Call or unit | Unordered | Ordered | Ordered − unordered, $ per million |',
      '| --- | --- | ---: | ---: | ---: |',
      ...table.map(
        (row) =>
          `| ${row.service} | ${row.what} | ${units(row.u)} | ${units(row.o)} | ${signed(row.diff * 1e6)} |`,
      ),
      `| | **total** | ${usd(perMillion(unordered))} | ${usd(perMillion(ordered))} | **${signed(perMillion(ordered) - perMillion(unordered))}** |`,
      '',
    ];
  };
  const disorder = (lane: Lane) =>
    ranged(all.filter((m) => m.mode === 'throughput' && m.lane === lane).map((m) => m.outOfOrder));
  const missing = all.filter((m) => m.received < m.deliveries);
  const median = (values: readonly number[]) => spread(values).median;
  const extra = (fanOut: FanOut, service: Line['service']) =>
    median(rows('cost', 'ordered', fanOut).map((m) => perMillion(linesOf(m), service))) -
    median(rows('cost', 'unordered', fanOut).map((m) => perMillion(linesOf(m), service)));
  return [
    '## Ordered delivery',
    '',
    'The same `order.status_updated` events to subscriptions with `ordering: "resource"` (the ordered lane: the',
    'FIFO queue `delivery-ordered.fifo`, a message group per subscription and resource, `orderedDelivery` at',
    `\`orderedLaneConcurrency\` ${settings.orderedLaneConcurrency.default}, batches of 10) and without (the main lane, \`mainLaneConcurrency\` ${settings.mainLaneConcurrency.default}, batches of ${settings.mainLaneBatchSize.default}), to receivers`,
    'on loopback that answer 204 at once. A run is orders (resources) that each change status a few times, a second',
    'apart; the events go on the bus a round of changes at a time (every order’s first change, then every second one),',
    'ten a PutEvents call, two calls in flight, each subscription of the account getting each event. Throughput:',
    'first receipts from the first PutEvents call to the last receipt, in a sandbox with the lanes’ own concurrency.',
    'Cost: the AWS calls of the run from the sandbox’s meter, priced as in the cost section (every attempt recorded;',
    `FIFO requests at $${fixed(prices.sqsFifoRequest.usd * 1e6, 2)} per million against $${fixed(prices.sqsRequest.usd * 1e6, 2)} + $${fixed(prices.sqsFairQueueSurcharge.usd * 1e6, 2)} for the main lane’s fair queue), in a sandbox of its own`,
    'with one invocation at a time per mapping. Both lanes run alternately in each run; each ratio is of the two',
    `lanes’ runs side by side. Median of ${runs} runs (min–max), after a warm-up; \`BENCH_ORDERED_RESOURCES\` sizes them (${resources}).`,
    '',
    '| Fan-out | Orders × changes | Ordered groups | Deliveries a run | Unordered deliveries/s | Ordered deliveries/s | Ordered ÷ unordered |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...throughputRows,
    '',
    `Receipts of an order’s change after a newer change of it, per run: unordered ${disorder('unordered')}, ordered ${disorder('ordered')}.`,
    'The ordered lane has a group’s deliveries one after another and at most `orderedLaneConcurrency` batches in',
    'flight (the main lane `mainLaneConcurrency`); in the sandbox every lane shares one process on this machine’s',
    'cores, so the absolute rates are the sandbox’s and fan-out bounds both lanes at fan-out 1.',
    ...(missing.length === 0
      ? []
      : [
          `Runs where not every delivery arrived: ${missing.map((m) => `${m.mode} ${m.lane} fan-out ${m.fanOut}, ${m.received} of ${m.deliveries} (${m.superseded} superseded)`).join('; ')}.`,
        ]),
    '',
    `Cost (${sizeOf('cost', 1)} at fan-out 1, ${sizeOf('cost', 10)} at fan-out 10):`,
    '',
    '| Fan-out | Lane | $ per million deliveries | ÷ unordered | EventBridge | SQS | DynamoDB | Lambda |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...costRows,
    '',
    ...detail(10),
    ...detail(1),
    `What the difference comes from, at fan-out 10 and 1: DynamoDB ${signed(extra(10, 'DynamoDB'))} and ${signed(extra(1, 'DynamoDB'))} per million. Each`,
    'receive of an ordered delivery reads its resource’s position (`GetItem ORDER`, strongly consistent; its record',
    'only from its second receive on, as the main lane does), and each 2xx moves the position forward',
    '(`UpdateItem ORDER`, a conditional write of 1 WRU, $0.63 per million: the largest line).',
    `Lambda ${signed(extra(10, 'Lambda'))} and ${signed(extra(1, 'Lambda'))}: those calls’ time in the delivery function, and in the sandbox a longer`,
    'fan-out too (the functions share its one process, and the ordered lane’s invocations are busier while fan-out',
    `runs; fan-out does the same work for both lanes). SQS ${signed(extra(10, 'SQS'))} and ${signed(extra(1, 'SQS'))}: a FIFO request’s $${fixed(prices.sqsFifoRequest.usd * 1e6, 2)} is what the`,
    'main lane’s fair queue costs with its surcharge, so only how full the batches were differs (receives and deletes',
    'per delivery above; a FIFO receive takes a group’s messages in turn, then the next group’s).',
    '',
  ].join('\n');
}

export async function runOrderedBench(): Promise<string> {
  const measured: Measured[] = [];
  for (const mode of modes) {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--measure', mode],
      { maxBuffer: 64 * 1024 * 1024, env: process.env },
    );
    // Its progress, and what the sandbox said (a function that timed out, a batch retried).
    process.stderr.write(stderr);
    measured.push(...(JSON.parse(stdout) as Measured[]));
    console.error(`[ordered] ${mode} measured`);
  }
  return render(measured);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const at = process.argv.indexOf('--measure');
  if (at !== -1) console.log(JSON.stringify(await measureInSandbox(process.argv[at + 1] as Mode)));
  else console.log(await runOrderedBench());
}
