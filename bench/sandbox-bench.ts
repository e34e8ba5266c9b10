/**
 * What the sandbox benchmarks share: a quiet, metered sandbox, subscriptions written straight into its table
 * (as many as a benchmark needs, faster than the API), and publishers that put order events on its bus, in a
 * burst or at a steady rate, noting when each event was sent.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { documentClient } from '#core/aws/dynamodb.ts';
import { KmsSecretSealer } from '#core/aws/kms-secrets.ts';
import { DeliveryStore } from '#core/deliveries/delivery-store.ts';
import { newId } from '#core/ids.ts';
import { newSigningSecret } from '#core/payloads/signing.ts';
import type { Ordering } from '#core/subscriptions/subscription.ts';
import { SubscriptionRecordStore } from '#core/subscriptions/subscription-records.ts';
import { type Sandbox, type SandboxOptions, startSandbox } from '../sandbox/sandbox.ts';
import { aSubscription } from '../test/support/subscriptions.ts';
import { now, waitFor } from './stats.ts';

const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench' };
const tableName = 'webhooks';

/** A sandbox for measuring: in memory, metered, its functions silent. */
export interface BenchSandbox {
  readonly sandbox: Sandbox;
  readonly bus: EventBridgeClient;
  readonly subscriptions: SubscriptionRecordStore;
  readonly deliveries: DeliveryStore;
  close(): Promise<void>;
}

export async function startBenchSandbox(options: SandboxOptions = {}): Promise<BenchSandbox> {
  const sandbox = await startSandbox({ port: 0, logLevel: 'SILENT', meter: true, ...options });
  const dynamo = new DynamoDBClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials });
  const bus = new EventBridgeClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials });
  const kms = new KMSClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials });
  return {
    sandbox,
    bus,
    // Secrets sealed as the API seals them, so the delivery functions' decrypts are metered as on AWS.
    subscriptions: new SubscriptionRecordStore(
      documentClient(dynamo),
      tableName,
      new KmsSecretSealer(kms, sandbox.signingSecretKeyArn),
    ),
    deliveries: new DeliveryStore(documentClient(dynamo), tableName),
    close: async () => {
      bus.destroy();
      kms.destroy();
      dynamo.destroy();
      await sandbox.close();
    },
  };
}

/**
 * Until every invocation has ended (records written, messages deleted): the meter's Lambda and DynamoDB counts
 * do not move for `quietMs`.
 */
export async function untilSettled(sandbox: Sandbox, timeoutMs = 60_000, quietMs = 500): Promise<void> {
  let last = '';
  await waitFor(
    () => {
      const usage = sandbox.meter();
      const moved = JSON.stringify([usage.lambda, usage.dynamodb]);
      const settled = moved === last;
      last = moved;
      return settled;
    },
    timeoutMs,
    'the pipeline to settle',
    quietMs,
  );
}

/**
 * Creates an account's subscriptions to `order.*`, one per URL, straight in the table (with the store the API
 * uses, so they are exactly what the API would have written), `concurrency` at a time (16 by default), with
 * the `ordering` given (none by default).
 */
export async function createSubscriptions(
  store: SubscriptionRecordStore,
  accountId: string,
  urls: readonly string[],
  limit: number,
  options: { readonly ordering?: Ordering; readonly concurrency?: number } = {},
): Promise<string[]> {
  const { ordering = 'none', concurrency = 16 } = options;
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, urls.length) }, async () => {
      while (next < urls.length) {
        const url = urls[next++] as string;
        const at = new Date().toISOString();
        const subscription = aSubscription({
          id: newId('sub'),
          accountId,
          name: 'bench',
          url,
          secret: newSigningSecret(),
          createdAt: at,
          updatedAt: at,
          // As the API stores it: only an ordered subscription has the field.
          ...(ordering === 'resource' ? { ordering } : {}),
        });
        await store.create(subscription, limit);
        ids.push(subscription.id);
      }
    }),
  );
  return ids;
}

/**
 * An order status change of `accountId`, as a publisher puts it on the bus; `data.id` is `orderId` (what the
 * receivers tell webhooks apart by). The resource it changes (`detail.id`, what ordered subscriptions keep the
 * order of) is `orderId` too unless `change.resourceId` names another, and it occurred now unless
 * `change.occurredAt` says when.
 */
export function orderEvent(
  busName: string,
  accountId: string,
  orderId: string,
  change: { readonly resourceId?: string; readonly occurredAt?: string } = {},
): PutEventsRequestEntry {
  return {
    EventBusName: busName,
    Source: 'shipping.orders',
    DetailType: 'order.status_updated',
    Detail: JSON.stringify({
      account_id: accountId,
      id: change.resourceId ?? orderId,
      occurred_at: change.occurredAt ?? new Date().toISOString(),
      data: { id: orderId, order_number: orderId.slice(-6), status: 'Shipped', total: '149.50' },
      previous: { status: 'Initiated' },
    }),
  };
}

/** How events go on the bus: as fast as PutEvents takes them, or `eventsPerSecond` in batches of ten. */
export type Pace =
  | { readonly kind: 'burst'; readonly inFlight: number }
  | { readonly kind: 'steady'; readonly eventsPerSecond: number; readonly batch?: number };

/**
 * Puts the events on the bus in PutEvents calls of up to ten, at the pace given; answers when each event
 * (by its `data.id`) was sent. Throws if the bus refuses any.
 */
export async function publish(
  bus: EventBridgeClient,
  entries: readonly { readonly orderId: string; readonly entry: PutEventsRequestEntry }[],
  pace: Pace,
): Promise<Map<string, number>> {
  const batchSize = pace.kind === 'steady' ? (pace.batch ?? 10) : 10;
  const batches: (typeof entries)[] = [];
  for (let start = 0; start < entries.length; start += batchSize)
    batches.push(entries.slice(start, start + batchSize));
  const sentAt = new Map<string, number>();
  const put = async (batch: typeof entries) => {
    const at = now();
    for (const { orderId } of batch) sentAt.set(orderId, at);
    const result = await bus.send(new PutEventsCommand({ Entries: batch.map(({ entry }) => entry) }));
    if ((result.FailedEntryCount ?? 0) > 0)
      throw new Error(`bench: PutEvents refused ${result.FailedEntryCount} entries`);
  };
  if (pace.kind === 'burst') {
    let next = 0;
    await Promise.all(
      Array.from({ length: pace.inFlight }, async () => {
        while (next < batches.length) await put(batches[next++] as typeof entries);
      }),
    );
    return sentAt;
  }
  const begin = performance.now();
  const interval = (1000 * batchSize) / pace.eventsPerSecond;
  const calls: Promise<void>[] = [];
  for (let index = 0; index < batches.length; index++) {
    const due = begin + index * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    // Not awaited: a slow answer must not slow the pace down.
    calls.push(put(batches[index] as typeof entries));
  }
  await Promise.all(calls);
  return sentAt;
}
