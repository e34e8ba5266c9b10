/**
 * Real endpoints (issue 15): 100 HTTPS endpoints on the receiver farm (test/support/receiver-farm.ts) at
 * internet distances, with internet answer times, some slow, some down, one rate-limited, take deliveries through
 * the whole sandbox at a steady rate and as a burst. Baseline, in the same run: the same farm at zero distance
 * with instant answers. A third variant turns the circuit breaker off, for the attempts it saves.
 *
 * The farm runs in this process; the sandbox in a child (./real-endpoints-runner.ts) whose environment has
 * `NODE_EXTRA_CA_CERTS`, so that the delivery functions trust the farm's test CA as they would a public one, and
 * whose busy event loop does not delay the farm's timers (which would count as distance).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { SettingValues } from '#core/settings.ts';
import {
  type EndpointSpec,
  type FarmEndpoint,
  type ReceiverFarm,
  type RequestRecord,
  startReceiverFarm,
  testCaPath,
} from '../test/support/receiver-farm.ts';
import { type PhaseFigures, type RecordCounts, render, type VariantName } from './real-endpoints-report.ts';
import type {
  PublishOrder,
  RunnerCommand,
  RunnerEndpoint,
  RunnerMessage,
  RunnerSetup,
  RunnerState,
} from './real-endpoints-runner.ts';
import { now, percentile } from './stats.ts';

/** The farm: its endpoints by role (the rest are healthy), and how their subscriptions are grouped in accounts. */
export const layout = {
  endpoints: 100,
  rttsMs: [20, 80, 150],
  healthyAnswer: { p50Ms: 150, p99Ms: 900 },
  slow: { count: 5, answer: { p50Ms: 4000, p99Ms: 5000 } },
  /** Down: one answers 503 at once (no Retry-After), one refuses connections. */
  down: ['unavailable', 'refuse'] as const,
  /** The rate-limited endpoint accepts this many requests in any second (429, Retry-After: 1, beyond); its subscription's `rate_limit`. */
  limitPerSecond: 20,
  /** The 99 other endpoints' subscriptions, in this many accounts of equal size: each event fans out to 11. */
  fleetAccounts: 9,
} as const;

export type Role = 'healthy' | 'slow' | 'down' | 'limited';

/** The rate-limited endpoint's place in the farm: after the slow and down ones. */
const limitedIndex = layout.slow.count + layout.down.length;

/** The role of the endpoint at `index`: slow first, then down, then the limited one, then healthy ones. */
export function roleOf(index: number): Role {
  if (index < layout.slow.count) return 'slow';
  if (index < limitedIndex) return 'down';
  if (index === limitedIndex) return 'limited';
  return 'healthy';
}

const rttOf = (index: number) => layout.rttsMs[index % layout.rttsMs.length] ?? 0;

const fleetAccountIds = Array.from({ length: layout.fleetAccounts }, (_, n) => `acct_fleet_${n}`);
const limitedAccountId = 'acct_limited';
const fleetSize = layout.endpoints - 1;

/** The account of the endpoint at `index`: the fleet's taken in turn, so that every account has every role. */
function accountOf(index: number): string {
  if (index === limitedIndex) return limitedAccountId;
  const ordinal = index < limitedIndex ? index : index - 1;
  return fleetAccountIds[ordinal % layout.fleetAccounts] as string;
}

/** The farm's endpoints: as the layout says, or for the baseline all healthy at zero distance, answering at once. */
function farmSpecs(ideal: boolean): EndpointSpec[] {
  return Array.from({ length: layout.endpoints }, (_, index): EndpointSpec => {
    const name = `e${String(index).padStart(3, '0')}`;
    const role = roleOf(index);
    if (ideal) return { name, rttMs: 0, answerTime: { fixedMs: 0 }, behaviour: 'healthy' };
    const rttMs = rttOf(index);
    if (role === 'slow') return { name, rttMs, answerTime: layout.slow.answer };
    if (role === 'down')
      return { name, rttMs, behaviour: layout.down[index - layout.slow.count] ?? 'refuse' };
    if (role === 'limited') {
      const behaviour = { kind: 'capacity', perSecond: layout.limitPerSecond } as const;
      return { name, rttMs, answerTime: layout.healthyAnswer, behaviour };
    }
    return { name, rttMs, answerTime: layout.healthyAnswer };
  });
}

/** A variant of the run: the baseline's ideal endpoints, or the real ones with the breaker on or off. */
export interface Variant {
  readonly name: VariantName;
  readonly ideal: boolean;
  readonly circuitBreakAfter: number;
}

const variants: readonly Variant[] = [
  { name: 'baseline', ideal: true, circuitBreakAfter: 5 },
  { name: 'real', ideal: false, circuitBreakAfter: 5 },
  { name: 'breaker off', ideal: false, circuitBreakAfter: 0 },
];

/**
 * A phase's size and pace. The 20,000 deliveries the issue names take the sandbox far longer than this section
 * may run on a 2-core machine (see BENCHMARKS.md): these are what it measures, each settable for a longer run.
 */
export const workload = {
  /** Events per fleet account: each makes one delivery per subscription of its account (11). */
  eventsPerAccount: Number(process.env.BENCH_REAL_EVENTS ?? 20),
  limitedEvents: Number(process.env.BENCH_REAL_LIMITED_EVENTS ?? 240),
  /** The steady phase's rate, in the fleet's deliveries a second (the limited endpoint is offered its own). */
  steadyDeliveriesPerSecond: Number(process.env.BENCH_REAL_RATE ?? 25),
  /** The limited endpoint is offered this many times its limit, in the steady phase. */
  limitedOffered: 1.5,
  /** After the last delivery to an endpoint that is up: time for the breaker-off run's 5 s retries to land. */
  graceMs: 8000,
  runs: Math.max(1, Number(process.env.BENCH_REAL_RUNS ?? 1)),
};

/** The sandbox's settings beside the defaults (functions/core/settings.ts), for every variant. */
export const sandboxSettings: Partial<SettingValues> = {
  mainLaneConcurrency: Number(process.env.BENCH_REAL_MAIN_LANE_CONCURRENCY ?? 20),
};

/** The limited account's events a second in the steady phase. */
const limitedOfferedPerSecond = layout.limitPerSecond * workload.limitedOffered;

export const phases = ['steady', 'burst'] as const;
export type Phase = (typeof phases)[number];

const perEndpoint = (index: number) =>
  index === limitedIndex ? workload.limitedEvents : workload.eventsPerAccount;

function orderOf(phase: Phase, label: string): PublishOrder {
  const fleet = { accountIds: fleetAccountIds, events: workload.eventsPerAccount };
  const limited = { accountId: limitedAccountId, events: workload.limitedEvents };
  if (phase === 'burst') {
    return {
      label,
      fleet: { ...fleet, pace: { kind: 'burst', inFlight: 4 } },
      limited: { ...limited, pace: { kind: 'burst', inFlight: 1 } },
    };
  }
  const fanOut = fleetSize / layout.fleetAccounts;
  return {
    label,
    fleet: {
      ...fleet,
      pace: { kind: 'steady', eventsPerSecond: workload.steadyDeliveriesPerSecond / fanOut, batch: 1 },
    },
    limited: {
      ...limited,
      pace: { kind: 'steady', eventsPerSecond: limitedOfferedPerSecond, batch: 10 },
    },
  };
}

/** The sandbox process of a run, driven over IPC. */
interface Runner {
  ask<T>(command: RunnerCommand): Promise<T>;
  close(): Promise<void>;
}

async function startRunner(setup: RunnerSetup): Promise<Runner> {
  const child: ChildProcess = fork(
    fileURLToPath(new URL('real-endpoints-runner.ts', import.meta.url)),
    [JSON.stringify(setup)],
    {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, NODE_EXTRA_CA_CERTS: testCaPath },
      // Its stdout is not the section's: anything it prints goes to stderr.
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    },
  );
  child.stdout?.pipe(process.stderr);
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let next = 0;
  const exited = once(child, 'exit');
  let ready: () => void = () => {};
  const isReady = new Promise<void>((resolve) => {
    ready = resolve;
  });
  child.on('message', (message: RunnerMessage) => {
    if (message.type === 'ready') return ready();
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    if (message.type === 'answer') waiting?.resolve(message.value);
    else waiting?.reject(new Error(`bench: the sandbox process failed: ${message.message}`));
  });
  void exited.then(() => {
    for (const waiting of pending.values()) waiting.reject(new Error('bench: the sandbox process exited'));
  });
  await Promise.race([
    isReady,
    exited.then(() => {
      throw new Error('bench: the sandbox process exited before it was ready');
    }),
  ]);
  return {
    ask: <T>(command: RunnerCommand) =>
      new Promise<T>((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ ...command, id });
      }),
    close: async () => {
      if (child.exitCode !== null) return;
      child.send({ type: 'close', id: next++ });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const isSuccess = (status: number) => status >= 200 && status < 300;

/** The order ids (`data.id`) of webhook-ids seen so far: each body parsed once. */
const orderIds = new Map<string, string>();

function orderIdOf(request: RequestRecord & { readonly webhookId: string }): string {
  let orderId = orderIds.get(request.webhookId);
  if (orderId === undefined) {
    try {
      orderId = String((JSON.parse(request.body) as { data?: { id?: unknown } }).data?.id);
    } catch {
      orderId = '';
    }
    orderIds.set(request.webhookId, orderId);
  }
  return orderId;
}

/**
 * An endpoint's requests for the phase's events (`sent` has them; a warm-up delivery that arrives late is left
 * out): the first request of each webhook-id, with its event's publish time, and the ids it accepted.
 */
function phaseRequests(endpoint: FarmEndpoint, sent: ReadonlyMap<string, number>) {
  const first = new Map<string, { readonly request: RequestRecord; readonly sentAt: number }>();
  const accepted = new Set<string>();
  for (const request of endpoint.requests) {
    if (request.webhookId === undefined) continue;
    const sentAt = sent.get(orderIdOf({ ...request, webhookId: request.webhookId }));
    if (sentAt === undefined) continue;
    if (!first.has(request.webhookId)) first.set(request.webhookId, { request, sentAt });
    if (isSuccess(request.status)) accepted.add(request.webhookId);
  }
  return { first, accepted };
}

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return true;
}

/** Probes made so far by an open circuit: its wait starts at 5 s and doubles after each failed probe. */
const probesOf = (delaySeconds: number) => (delaySeconds > 0 ? Math.round(Math.log2(delaySeconds / 5)) : 0);

/** Runs one phase of one variant in a sandbox and farm of its own, after a warm-up; answers its figures. */
export async function measure(variant: Variant, phase: Phase, round: number): Promise<PhaseFigures> {
  const farm = await startReceiverFarm(farmSpecs(variant.ideal));
  // Endpoints that are up (all of the baseline's) and, of those, the fleet's: the limited one is paced apart.
  const up = (index: number) => variant.ideal || roleOf(index) !== 'down';
  const endpoints: RunnerEndpoint[] = farm.endpoints.map((endpoint, index) => ({
    name: endpoint.name,
    url: endpoint.url,
    accountId: accountOf(index),
    ...(index === limitedIndex ? { rateLimit: layout.limitPerSecond } : {}),
    readRecords: roleOf(index) === 'down' || index === limitedIndex,
    watchCircuit: index === limitedIndex,
  }));
  const runner = await startRunner({
    endpoints,
    settings: { ...sandboxSettings, circuitBreakAfter: variant.circuitBreakAfter },
  });
  try {
    // Warm-up: the functions' environments loaded and connections open, as on a platform already running. The
    // quick endpoints' deliveries are waited for; the slow and down ones' go on into the phase.
    const warm = `warm${round}`;
    const warmSent = new Map(
      await runner.ask<[string, number][]>({
        type: 'publish',
        order: {
          label: warm,
          fleet: { accountIds: fleetAccountIds, events: 1, pace: { kind: 'burst', inFlight: 1 } },
          limited: { accountId: limitedAccountId, events: 1, pace: { kind: 'burst', inFlight: 1 } },
        },
      }),
    );
    await waitUntil(
      () =>
        farm.endpoints.every(
          (endpoint, index) =>
            !(variant.ideal || roleOf(index) === 'healthy' || roleOf(index) === 'limited') ||
            phaseRequests(endpoint, warmSent).accepted.size >= 1,
        ),
      60_000,
    );
    for (const endpoint of farm.endpoints) endpoint.clearRecords();
    const before = await runner.ask<RunnerState>({ type: 'state' });
    await runner.ask({ type: 'resetMeter' });

    const startedAt = now();
    const sent = new Map(
      await runner.ask<[string, number][]>({ type: 'publish', order: orderOf(phase, `${phase}${round}`) }),
    );
    const publishedAt = now();
    const acceptedAll = (index: number) =>
      phaseRequests(farm.endpoints[index] as FarmEndpoint, sent).accepted.size >= perEndpoint(index);
    const fleetComplete = await waitUntil(
      () => farm.endpoints.every((_, index) => index === limitedIndex || !up(index) || acceptedAll(index)),
      6 * 60_000,
    );
    const deliveredAt = now();
    // The limited endpoint's deliveries take their turns: at least events ÷ limit seconds after they are all
    // published, more when its circuit opens. Waited for half as long again and 30 s more, or the fleet's time.
    const limitedPublished = phase === 'steady' ? workload.limitedEvents / limitedOfferedPerSecond : 0;
    const limitedDeadline =
      startedAt + (limitedPublished + (1.5 * workload.limitedEvents) / layout.limitPerSecond) * 1000 + 30_000;
    const limitedComplete = await waitUntil(
      () => acceptedAll(limitedIndex),
      Math.max(0, limitedDeadline - now()),
    );
    if (!variant.ideal) await new Promise((resolve) => setTimeout(resolve, workload.graceMs));
    const after = await runner.ask<RunnerState>({ type: 'state' });
    return figuresOf({
      variant,
      phase,
      farm,
      sent,
      startedAt,
      publishedAt,
      deliveredAt,
      complete: fleetComplete && limitedComplete,
      before,
      after,
    });
  } finally {
    await runner.close();
    await farm.close();
  }
}

/** The figures of a phase, from the farm's records and what the sandbox kept. */
function figuresOf(run: {
  variant: Variant;
  phase: Phase;
  farm: ReceiverFarm;
  sent: ReadonlyMap<string, number>;
  startedAt: number;
  publishedAt: number;
  deliveredAt: number;
  complete: boolean;
  before: RunnerState;
  after: RunnerState;
}): PhaseFigures {
  const { farm, sent, variant } = run;
  const real = !variant.ideal;
  const overhead: { readonly sentAt: number; readonly ms: number }[] = [];
  let slowDuplicates = 0;
  let lastFleetArrival = run.startedAt;
  let fleetDelivered = 0;
  let lost = 0;
  let duplicates = 0;
  let limitedRequests: readonly RequestRecord[] = [];
  let limitedUnaccepted = 0;
  // Every request the 503 endpoint received in the phase: probes test with the oldest held delivery, which may
  // be the warm-up's.
  let farm503Requests = 0;
  for (const [index, endpoint] of farm.endpoints.entries()) {
    const role = roleOf(index);
    const { first, accepted } = phaseRequests(endpoint, sent);
    duplicates += endpoint.accepted().length - accepted.size;
    if (role === 'slow') slowDuplicates += endpoint.accepted().length - accepted.size;
    if (real && role === 'down') {
      if (endpoint.behaviour.kind === 'unavailable') farm503Requests = endpoint.requests.length;
      continue;
    }
    const missing = Math.max(0, perEndpoint(index) - accepted.size);
    if (index === limitedIndex) {
      limitedRequests = endpoint.requests;
      limitedUnaccepted = missing;
      continue;
    }
    lost += missing;
    for (const { request, sentAt } of first.values()) {
      // Throughput over the same endpoints in every variant: the healthy and slow ones.
      if (role === 'healthy' || role === 'slow') {
        fleetDelivered++;
        lastFleetArrival = Math.max(lastFleetArrival, request.arrivedAt);
      }
      // The farm holds every request back half an RTT before it arrives (and 2 RTT more on a new connection:
      // that setup is the platform's to avoid, so it stays in).
      if (role === 'healthy') overhead.push({ sentAt, ms: request.arrivedAt - sentAt - endpoint.rttMs / 2 });
    }
  }

  // Endpoints whose answers all come well within the main lane's wait: every one of the baseline's; of the real
  // farm's, the healthy ones and the limited one (its 429s come at once, its 200s as a healthy one's).
  const quick = (index: number) => variant.ideal || roleOf(index) === 'healthy' || index === limitedIndex;
  const wronglySlowed = run.after.subscriptions.filter(
    (subscription, index) => quick(index) && subscription.slowSince !== null,
  ).length;
  const slowMoved = run.after.subscriptions.filter(
    (subscription, index) => real && roleOf(index) === 'slow' && subscription.slowSince !== null,
  ).length;

  // Down endpoints: the attempts on their deliveries' records (a failed probe is on the record of the held delivery
  // it tested), and of those the probes, from the circuit's probe wait.
  const down = {
    attempts: 0,
    probes: 0,
    due: 0,
    records: emptyCounts(),
    attempts503: 0,
    attemptsByKind: {} as Record<string, number>,
  };
  for (const index of farm.endpoints.keys()) {
    if (!real || roleOf(index) !== 'down') continue;
    const was = run.before.subscriptions[index];
    const is = run.after.subscriptions[index];
    const attempts = (is?.records?.attempts ?? 0) - (was?.records?.attempts ?? 0);
    const probes = probesOf(is?.probeDelaySeconds ?? 0) - probesOf(was?.probeDelaySeconds ?? 0);
    down.attempts += attempts;
    down.probes += probes;
    for (const [kind, count] of Object.entries(is?.records?.attemptsByKind ?? {})) {
      const made = count - (was?.records?.attemptsByKind[kind] ?? 0);
      if (made > 0) down.attemptsByKind[kind] = (down.attemptsByKind[kind] ?? 0) + made;
    }
    if (farm.endpoints[index]?.behaviour.kind === 'unavailable') down.attempts503 = attempts;
    // The warm-up's delivery is due too.
    down.due += perEndpoint(index) + 1;
    addCounts(down.records, is?.records);
  }

  // The limited endpoint's requests (accepted or not, and accepted) in whole windows of 3 s from its first
  // request to its last. The limit binds in a window where its turn clock stayed at least a second ahead of the
  // time (turns given beyond it: deliveries waiting on the limit); elsewhere its deliveries were not there yet
  // (still in the platform's queues, behind a backlog) or ran out, and fewer requests are what they should be.
  const windowMs = 3000;
  const clock = run.after.subscriptions[limitedIndex]?.turnClock ?? [];
  /** A reading of the clock a second or more ahead of its time: deliveries waited on the limit then. */
  const waitingOnLimit = ([at, nextTurnAt]: readonly [number, number | undefined]) =>
    nextTurnAt !== undefined && nextTurnAt - at >= 1000;
  const limitBinds = (start: number) => {
    const samples = clock.filter(([at]) => at >= start && at < start + windowMs);
    return samples.length > 0 && samples.every(waitingOnLimit);
  };
  const windows: { readonly rate: number; readonly accepted: number; readonly binds: boolean }[] = [];
  const firstLimited = limitedRequests[0]?.arrivedAt;
  const lastLimited = limitedRequests.at(-1)?.arrivedAt;
  if (firstLimited !== undefined && lastLimited !== undefined) {
    const count = Math.floor((lastLimited - firstLimited) / windowMs);
    const all = new Array<number>(count).fill(0);
    const accepted = new Array<number>(count).fill(0);
    for (const request of limitedRequests) {
      const at = Math.floor((request.arrivedAt - firstLimited) / windowMs);
      if (at >= count) continue;
      all[at] = (all[at] ?? 0) + 1;
      if (isSuccess(request.status)) accepted[at] = (accepted[at] ?? 0) + 1;
    }
    for (let n = 0; n < count; n++) {
      windows.push({
        rate: (all[n] ?? 0) / (windowMs / 1000),
        accepted: (accepted[n] ?? 0) / (windowMs / 1000),
        binds: limitBinds(firstLimited + n * windowMs),
      });
    }
  }
  const bound = windows.filter((window) => window.binds);
  // The last moment its deliveries waited on the limit: the overhead of others' deliveries is split there.
  const lastBound = clock.findLast(waitingOnLimit)?.[0];
  const limitedRecords = emptyCounts();
  addCounts(limitedRecords, run.after.subscriptions[limitedIndex]?.records);

  const totals = farm.totals();
  return {
    variant: variant.name,
    phase: run.phase,
    deliveries: fleetSize * workload.eventsPerAccount + workload.limitedEvents,
    complete: run.complete,
    deliveriesPerSecond: fleetDelivered / ((lastFleetArrival - run.startedAt) / 1000),
    publishSeconds: (run.publishedAt - run.startedAt) / 1000,
    deliveredSeconds: (run.deliveredAt - run.startedAt) / 1000,
    overhead: percentiles(overhead.map((sample) => sample.ms)),
    // Split at the last moment the limited endpoint's deliveries waited on its limit, and after.
    overheadBeside: percentiles(
      overhead.filter((sample) => sample.sentAt <= (lastBound ?? 0)).map((sample) => sample.ms),
    ),
    overheadAfter: percentiles(
      overhead.filter((sample) => sample.sentAt > (lastBound ?? 0)).map((sample) => sample.ms),
    ),
    wronglySlowed,
    slowMoved,
    down: { ...down, farm503Requests },
    limited: {
      rates: bound.map((window) => window.rate),
      acceptedRates: bound.map((window) => window.accepted),
      windows: windows.length,
      busiest: Math.max(0, ...windows.map((window) => window.rate)),
      requests: limitedRequests.length,
      rejected: limitedRequests.filter((request) => request.status === 429).length,
      unaccepted: limitedUnaccepted,
      records: limitedRecords,
      circuitOpenings:
        (run.after.subscriptions[limitedIndex]?.circuitOpenings ?? 0) -
        (run.before.subscriptions[limitedIndex]?.circuitOpenings ?? 0),
    },
    lost,
    duplicates,
    slowDuplicates,
    newConnections: totals.newConnections,
    failedHandshakes: totals.failedHandshakes,
    meter: run.after.meter,
    cpuMs: run.after.cpuMs - run.before.cpuMs,
  };
}

function percentiles(values: readonly number[]) {
  return {
    count: values.length,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: values.length === 0 ? Number.NaN : Math.max(...values),
  };
}

function emptyCounts(): RecordCounts {
  return { pending: 0, succeeded: 0, failed: 0, held: 0, attempts: 0 };
}

/** Adds a subscription's record counts (when it was read) to a sum. */
function addCounts(sum: RecordCounts, records: RunnerState['subscriptions'][number]['records']): void {
  if (records === undefined) return;
  sum.pending += records.byStatus.pending ?? 0;
  sum.succeeded += records.byStatus.succeeded ?? 0;
  sum.failed += records.byStatus.failed ?? 0;
  sum.held += records.held;
  sum.attempts += records.attempts;
}

export async function runRealEndpointsBench(): Promise<string> {
  const measured: PhaseFigures[] = [];
  const started = Date.now();
  const [loadAtStart = 0] = loadavg();
  // `BENCH_REAL_PHASES=burst` (or `steady`) runs one phase only.
  const chosen = phases.filter((phase) =>
    (process.env.BENCH_REAL_PHASES ?? phases.join(',')).split(',').includes(phase),
  );
  for (let round = 0; round < workload.runs; round++) {
    for (const phase of chosen) {
      for (const variant of variants) {
        const figures = await measure(variant, phase, round);
        measured.push(figures);
        console.error(
          `[real-endpoints] run ${round + 1} ${phase} ${variant.name}: ${Math.round(figures.deliveriesPerSecond)} deliveries/s, ` +
            `overhead p50 ${Math.round(figures.overhead.p50)} ms p99 ${Math.round(figures.overhead.p99)} ms, ` +
            `delivered after ${Math.round(figures.deliveredSeconds)} s${figures.complete ? '' : ' (INCOMPLETE)'}; ` +
            `${Math.round((Date.now() - started) / 1000)} s so far`,
        );
      }
    }
  }
  return render(measured, {
    layout,
    workload,
    fleetSize,
    settings: sandboxSettings,
    seconds: (Date.now() - started) / 1000,
    loadAtStart,
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(await runRealEndpointsBench());
}
