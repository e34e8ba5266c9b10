/**
 * The sandbox side of the real-endpoints benchmark (./real-endpoints.ts), in a process of its own: started with
 * `NODE_EXTRA_CA_CERTS` naming the receiver farm's test CA (Node reads it only at start, and the delivery
 * functions must trust the farm's certificates as they would a public CA's), and driven by the section over IPC.
 * It starts a metered sandbox, writes the subscriptions, publishes, and reads back what the platform kept: the
 * subscriptions' lanes and circuits, the down endpoints' delivery records, and the meter.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '#core/aws/dynamodb.ts';
import type { DeliveryStatus } from '#core/deliveries/delivery-record.ts';
import { DeliveryStore } from '#core/deliveries/delivery-store.ts';
import { newId } from '#core/ids.ts';
import { newSigningSecret } from '#core/payloads/signing.ts';
import type { SettingValues } from '#core/settings.ts';
import { rateLimitKey } from '#core/storage/table-keys.ts';
import type { MeterSnapshot } from '../sandbox/meter.ts';
import { aSubscription } from '../test/support/subscriptions.ts';
import { orderEvent, type Pace, publish, startBenchSandbox } from './sandbox-bench.ts';

/** One endpoint's subscription, as the section asks for it. */
export interface RunnerEndpoint {
  readonly name: string;
  readonly url: string;
  /** The account it belongs to: one of the fleet's, or the rate-limited endpoint's own. */
  readonly accountId: string;
  readonly rateLimit?: number;
  /** Whether its delivery records are read back (the down endpoints': held or pending, none failed). */
  readonly readRecords: boolean;
  /** Whether its circuit is watched (read every 500 ms), so that every opening is counted. */
  readonly watchCircuit: boolean;
}

/** The subscriptions of a run, and the sandbox's settings (functions/core/settings.ts) that differ from the defaults. */
export interface RunnerSetup {
  readonly endpoints: readonly RunnerEndpoint[];
  readonly settings: Partial<SettingValues>;
}

/**
 * Events to publish, at two paces at once: the fleet's, `events` for each of its accounts taken in turn (each
 * event makes one delivery per subscription of its account), and the limited account's.
 */
export interface PublishOrder {
  readonly label: string;
  readonly fleet: { readonly accountIds: readonly string[]; readonly events: number; readonly pace: Pace };
  readonly limited: { readonly accountId: string; readonly events: number; readonly pace: Pace };
}

/** What the platform kept of one subscription. */
export interface SubscriptionState {
  readonly name: string;
  readonly slowSince: string | null;
  readonly circuitOpen: boolean;
  /** The open circuit's current wait between probes (5 s doubled per failed probe), 0 when closed. */
  readonly probeDelaySeconds: number;
  /** How often its circuit opened since the runner started, when it is watched. */
  readonly circuitOpenings: number;
  /**
   * For a rate-limited subscription, its turn clock read every 500 ms since the runner started: when it was
   * read (epoch ms) and the time of its next free turn then (`nextTurnAt`; absent before its first turn). A
   * clock ahead of the time it was read means turns were given beyond that moment: deliveries were waiting on
   * the limit, not on the platform.
   */
  readonly turnClock?: readonly (readonly [at: number, nextTurnAt: number | undefined])[];
  /** Of its delivery records (when read): how many of each status, attempts on them, and how many held. */
  readonly records?: {
    readonly byStatus: Readonly<Partial<Record<DeliveryStatus, number>>>;
    readonly attempts: number;
    /** The attempts by what became of them: the error kind, or `HTTP <status>`. */
    readonly attemptsByKind: Readonly<Record<string, number>>;
    readonly held: number;
  };
}

export interface RunnerState {
  readonly subscriptions: readonly SubscriptionState[];
  readonly meter: MeterSnapshot;
  /** CPU time the sandbox's process has used since it started (user and system), ms. */
  readonly cpuMs: number;
}

/** What the section asks of the runner. */
export type RunnerCommand =
  | { readonly type: 'publish'; readonly order: PublishOrder }
  | { readonly type: 'state' }
  | { readonly type: 'resetMeter' }
  | { readonly type: 'close' };

/** A command as it travels, with the id its answer carries. */
export type RunnerRequest = RunnerCommand & { readonly id: number };

/** What the runner says: ready (after setup), or the answer to a request. */
export type RunnerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'answer'; readonly id: number; readonly value: unknown }
  | { readonly type: 'error'; readonly id: number; readonly message: string };

/**
 * `count` order events for each of the accounts, taken in turn, labelled so that a body's `data.id` says which
 * run and publisher.
 */
function eventsOf(busName: string, accountIds: readonly string[], label: string, count: number) {
  return Array.from({ length: count * accountIds.length }, (_, n) => {
    const orderId = `ord_${label}_${n}`;
    const accountId = accountIds[n % accountIds.length] as string;
    return { orderId, entry: orderEvent(busName, accountId, orderId) };
  });
}

async function serve(setup: RunnerSetup): Promise<void> {
  const bench = await startBenchSandbox(setup.settings);
  const dynamo = new DynamoDBClient({
    endpoint: bench.sandbox.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const documents = documentClient(dynamo);
  const deliveries = new DeliveryStore(documents, 'webhooks');
  const ids = new Map<string, RunnerEndpoint & { readonly id: string }>();
  for (const endpoint of setup.endpoints) {
    const at = new Date().toISOString();
    const subscription = aSubscription({
      id: newId('sub'),
      accountId: endpoint.accountId,
      name: endpoint.name,
      url: endpoint.url,
      secret: newSigningSecret(),
      createdAt: at,
      updatedAt: at,
      ...(endpoint.rateLimit === undefined ? {} : { rateLimit: endpoint.rateLimit }),
    });
    await bench.subscriptions.create(subscription, 100);
    ids.set(endpoint.name, { ...endpoint, id: subscription.id });
  }

  const recordsOf = async (subscriptionId: string) => {
    const byStatus: Partial<Record<DeliveryStatus, number>> = {};
    let attempts = 0;
    const attemptsByKind: Record<string, number> = {};
    let held = 0;
    let after: string | undefined;
    do {
      const page = await deliveries.page(subscriptionId, { limit: 500, ...(after ? { after } : {}) });
      for (const record of page.items) {
        byStatus[record.status] = (byStatus[record.status] ?? 0) + 1;
        attempts += record.attempts.length;
        for (const attempt of record.attempts) {
          const kind =
            attempt.error === undefined || attempt.error === 'http_status'
              ? `HTTP ${attempt.statusCode}`
              : attempt.error;
          attemptsByKind[kind] = (attemptsByKind[kind] ?? 0) + 1;
        }
        if (record.heldSince !== undefined) held++;
      }
      after = page.lastId;
    } while (after !== undefined);
    return { byStatus, attempts, attemptsByKind, held };
  };

  // Watched circuits: the distinct times they opened, read often enough to see one that opens and soon closes;
  // and rate-limited subscriptions' turn clocks.
  const openings = new Map<string, Set<string>>();
  const clocks = new Map<string, [number, number | undefined][]>();
  const watched = [...ids.values()].filter((endpoint) => endpoint.watchCircuit);
  const limited = [...ids.values()].filter((endpoint) => endpoint.rateLimit !== undefined);
  const watch = setInterval(() => {
    for (const endpoint of watched) {
      void bench.subscriptions.get(endpoint.accountId, endpoint.id).then((subscription) => {
        const openedAt = subscription?.circuit?.openedAt;
        if (openedAt === undefined) return;
        const seen = openings.get(endpoint.name) ?? new Set<string>();
        seen.add(openedAt);
        openings.set(endpoint.name, seen);
      });
    }
    for (const endpoint of limited) {
      const at = Date.now();
      void documents
        .send(new GetCommand({ TableName: 'webhooks', Key: rateLimitKey(endpoint.id) }))
        .then(({ Item }) => {
          const samples = clocks.get(endpoint.name) ?? [];
          samples.push([at, Item?.nextTurnAt === undefined ? undefined : Number(Item.nextTurnAt)]);
          clocks.set(endpoint.name, samples);
        });
    }
  }, 500);

  const state = async (): Promise<RunnerState> => {
    const subscriptions: SubscriptionState[] = [];
    for (const endpoint of ids.values()) {
      const subscription = await bench.subscriptions.get(endpoint.accountId, endpoint.id);
      subscriptions.push({
        name: endpoint.name,
        slowSince: subscription?.slowSince ?? null,
        circuitOpen: subscription?.circuit !== undefined,
        probeDelaySeconds: subscription?.circuit?.probeDelaySeconds ?? 0,
        circuitOpenings: openings.get(endpoint.name)?.size ?? 0,
        ...(endpoint.rateLimit === undefined ? {} : { turnClock: clocks.get(endpoint.name) ?? [] }),
        ...(endpoint.readRecords ? { records: await recordsOf(endpoint.id) } : {}),
      });
    }
    const cpu = process.cpuUsage();
    return { subscriptions, meter: bench.sandbox.meter(), cpuMs: (cpu.user + cpu.system) / 1000 };
  };

  const send = (message: RunnerMessage) => process.send?.(message);
  process.on('message', (request: RunnerRequest) => {
    const answer = async (): Promise<unknown> => {
      switch (request.type) {
        case 'publish': {
          const { label, fleet, limited } = request.order;
          const bus = bench.sandbox.eventBusName;
          const sent = await Promise.all([
            publish(bench.bus, eventsOf(bus, fleet.accountIds, `${label}f`, fleet.events), fleet.pace),
            publish(bench.bus, eventsOf(bus, [limited.accountId], `${label}l`, limited.events), limited.pace),
          ]);
          return sent.flatMap((sentAt) => [...sentAt]);
        }
        case 'state':
          return state();
        case 'resetMeter':
          bench.sandbox.resetMeter();
          return null;
        case 'close':
          clearInterval(watch);
          dynamo.destroy();
          await bench.close();
          setImmediate(() => process.exit(0));
          return null;
      }
    };
    answer().then(
      (value) => send({ type: 'answer', id: request.id, value }),
      (error: unknown) =>
        send({
          type: 'error',
          id: request.id,
          message: error instanceof Error ? (error.stack ?? error.message) : String(error),
        }),
    );
  });
  // A section that stopped (killed, or failed) leaves no sandbox behind.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' });
}

const setupArgument = process.argv[2];
if (setupArgument !== undefined) await serve(JSON.parse(setupArgument) as RunnerSetup);
