/**
 * End to end: 2,000 order events for an account with 10 subscriptions, put on the sandbox's bus with
 * PutEvents, fanned out and delivered to receivers on loopback (in a process of their own): deliveries per
 * second, and publish-to-receipt latency, as a burst and at a steady rate well under capacity.
 */
import { pathToFileURL } from 'node:url';
import { type Arrival, startReceivers } from './receiver-process.ts';
import { createSubscriptions, orderEvent, type Pace, publish, startBenchSandbox } from './sandbox-bench.ts';
import { benchRuns, int, percentile, ranged, waitFor } from './stats.ts';

const events = Number(process.env.BENCH_E2E_EVENTS ?? 2000);
const fanOut = 10;
const runs = benchRuns(3);
/** The steady rate: a quarter or so of what the burst shows the sandbox delivers, so latency is not queueing. */
const steadyEventsPerSecond = Number(process.env.BENCH_E2E_RATE ?? 20);

interface RunFigures {
  readonly deliveriesPerSecond: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly seconds: number;
}

function figures(sentAt: Map<string, number>, arrivals: readonly Arrival[]): RunFigures {
  const latencies = arrivals.map(([, order, at]) => at - (sentAt.get(order) ?? at));
  const first = Math.min(...sentAt.values());
  const last = Math.max(...arrivals.map(([, , at]) => at));
  const seconds = (last - first) / 1000;
  return {
    deliveriesPerSecond: arrivals.length / seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    seconds,
  };
}

export async function runEndToEndBench(): Promise<string> {
  const bench = await startBenchSandbox({ meter: false });
  const receivers = await startReceivers();
  const results: Record<'burst' | 'steady', RunFigures[]> = { burst: [], steady: [] };
  try {
    const accountId = 'acct_e2e';
    await createSubscriptions(
      bench.subscriptions,
      accountId,
      Array.from({ length: fanOut }, (_, n) => `${receivers.origin}/e2e/${n}`),
      100,
    );
    const run = async (label: string, count: number, pace: Pace) => {
      await receivers.reset();
      const entries = Array.from({ length: count }, (_, n) => {
        const orderId = `ord_${label}_${n}`;
        return { orderId, entry: orderEvent(bench.sandbox.eventBusName, accountId, orderId) };
      });
      const sentAt = await publish(bench.bus, entries, pace);
      await waitFor(
        async () => (await receivers.count()) >= count * fanOut,
        600_000,
        `${label} deliveries`,
        100,
      );
      return figures(sentAt, await receivers.collect());
    };
    // Warm-up: every function's environments loaded and the connections open, as in the runs that follow.
    await run('warm', 200, { kind: 'burst', inFlight: 4 });
    for (let n = 0; n < runs; n++) {
      results.burst.push(await run(`burst${n}`, events, { kind: 'burst', inFlight: 4 }));
      console.error(
        `[e2e] burst run ${n + 1}: ${int(results.burst.at(-1)?.deliveriesPerSecond ?? 0)} deliveries/s`,
      );
      results.steady.push(
        await run(`steady${n}`, events, { kind: 'steady', eventsPerSecond: steadyEventsPerSecond, batch: 1 }),
      );
      console.error(`[e2e] steady run ${n + 1}: p50 ${int(results.steady.at(-1)?.p50 ?? 0)} ms`);
    }
  } finally {
    receivers.close();
    await bench.close();
  }
  const row = (label: string, rows: RunFigures[]) =>
    `| ${label} | ${ranged(rows.map((r) => r.deliveriesPerSecond))} | ${ranged(rows.map((r) => r.p50))} | ${ranged(rows.map((r) => r.p95))} | ${ranged(rows.map((r) => r.p99))} |`;
  return [
    '## End to end',
    '',
    `${int(events)} \`order.status_updated\` events for one account with ${fanOut} subscriptions (${int(events * fanOut)} deliveries a run),`,
    'put on the sandbox’s bus with PutEvents (batches of 10) and taken through the whole pipeline: the bus rule, the',
    'fan-out queue and function, the delivery queue and function (signed POSTs), to receivers on loopback in a process',
    'of their own that answer 204. Latency is from the PutEvents call to the receipt of each webhook. A burst puts',
    `every event as fast as PutEvents answers (4 calls in flight); the steady rate is ${steadyEventsPerSecond} events a second, one per call`,
    `(${steadyEventsPerSecond * fanOut} deliveries a second). Median of ${runs} runs (min–max), after a warm-up of 200 events.`,
    '',
    '| Publishing | Deliveries/s | p50 (ms) | p95 (ms) | p99 (ms) |',
    '| --- | ---: | ---: | ---: | ---: |',
    row('burst', results.burst),
    row(`steady, ${steadyEventsPerSecond} events/s`, results.steady),
    '',
    'Deliveries per second count from the first PutEvents call to the last receipt. The sandbox is one Node process',
    '(the emulated AWS services and every function) on this machine, so these are its limits, not Lambda’s.',
    '',
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(await runEndToEndBench());
}
