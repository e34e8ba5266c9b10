import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll } from 'vitest';
import * as z from 'zod/mini';
import { documentClient } from '#core/aws/dynamodb.ts';
import { heldPrefix, webhookPartition } from '#core/storage/table-keys.ts';
import { type DeliveryView, deliveryViewSchema } from '../../functions/api/delivery-view.ts';
import {
  type SubscriptionView,
  subscriptionViewSchema,
  subscriptionWithSecretSchema,
} from '../../functions/api/subscription-view.ts';
import { api, awsClients, credentials, orderStatusUpdated } from './clients.ts';
import { eventually } from './eventually.ts';
import type { FarmEndpoint } from './receiver-farm.ts';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

/** A sandbox started as a user starts it, `bin/sandbox.ts` in a process of its own. */
export interface SandboxProcess {
  readonly child: ChildProcess;
  readonly endpoint: string;
  readonly apiKey: string;
  readonly eventBus: string;
  /** Every line it printed so far. */
  readonly output: string[];
  /** Resolves with the first printed line that contains `text`. */
  waitForOutput(text: string, timeoutMs?: number): Promise<string>;
  /** Kills it at once, as a crash would, and waits for it to exit. */
  kill(): Promise<void>;
  /**
   * Sends SIGINT as Ctrl+C in a terminal does: to the whole process group when it was started `asNpmStart`
   * (npm, the shell and node all get it), else to the one process.
   */
  interrupt(): void;
  /** Resolves when it has exited, with its exit code (null when a signal ended it) and that signal. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** How a sandbox process is started, beyond its arguments. */
export interface SandboxProcessOptions {
  /**
   * Variables added to the child's environment, e.g. `NODE_EXTRA_CA_CERTS` (the receiver farm's `testCaPath`),
   * which Node reads only at process start, so that the sandbox trusts the farm's test CA.
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Started as a user starts it, `npm start -- <args>` (npm's script, its wrappers and their signal relays
   * included), as the leader of a process group of its own, so that {@link SandboxProcess.interrupt} is a
   * terminal's Ctrl+C and a kill ends every process of it. @default false: `node --import tsx bin/sandbox.ts`
   */
  readonly asNpmStart?: boolean;
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

/**
 * Starts `bin/sandbox.ts` with `args` and waits (at most `startTimeoutMs`) until it prints its endpoint, API
 * key and event bus; a sandbox that does not get there is killed.
 */
export async function startSandboxProcess(
  args: string[],
  startTimeoutMs = 30_000,
  options: SandboxProcessOptions = {},
): Promise<SandboxProcess> {
  const group = options.asNpmStart === true;
  const [command, commandArgs] = group
    ? ['npm', ['start', '--silent', '--', ...args]]
    : [process.execPath, ['--import', 'tsx', 'bin/sandbox.ts', ...args]];
  const child = spawn(command, commandArgs, {
    cwd: projectRoot,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: group,
  });
  const exit = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  /** Sends `signal` to the process, or to its whole group (npm's children too). */
  const send = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    if (group) process.kill(-child.pid, signal);
    else child.kill(signal);
  };
  const output: string[] = [];
  const listeners: ((line: string) => void)[] = [];
  let buffered = '';
  const onData = (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      output.push(line);
      for (const listener of [...listeners]) listener(line);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  const waitForOutput = (text: string, timeoutMs = 30_000) => {
    const seen = output.find((line) => line.includes(text));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`The sandbox did not print "${text}". Output:\n${output.join('\n')}`));
      }, timeoutMs);
      const listener = (line: string) => {
        if (!line.includes(text)) return;
        clearTimeout(timer);
        listeners.splice(listeners.indexOf(listener), 1);
        resolve(line);
      };
      listeners.push(listener);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`The sandbox exited with ${code}. Output:\n${output.join('\n')}`));
      });
    });
  };

  const printed = async (label: string) =>
    (await waitForOutput(`${label}: `, startTimeoutMs)).split(`${label}: `)[1]?.trim() ?? '';
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    send('SIGKILL');
    await exit;
  };
  let endpoint: string;
  let apiKey: string;
  let eventBus: string;
  try {
    endpoint = await printed('Endpoint');
    apiKey = await printed('API key');
    eventBus = await printed('Event bus');
  } catch (error) {
    await kill();
    throw error;
  }
  return {
    child,
    endpoint,
    apiKey,
    eventBus,
    output,
    waitForOutput,
    kill,
    interrupt: () => send('SIGINT'),
    exited: () => exit,
  };
}

/**
 * Sandboxes started as processes for one test file, killed after it, with a data directory of their own
 * (removed after it) so that a restart finds the state a crash left; each started with `options`.
 */
export function useSandboxProcesses(prefix: string, options: SandboxProcessOptions = {}) {
  const started: SandboxProcess[] = [];
  let dataDir: string | undefined;
  afterAll(async () => {
    await Promise.all(started.map((sandbox) => sandbox.kill()));
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });
  return {
    /** The arguments of a sandbox on a free port with the file's data directory. */
    async args(...extra: string[]): Promise<string[]> {
      dataDir ??= await mkdtemp(join(tmpdir(), prefix));
      return ['--port', String(await freePort()), '--data-dir', dataDir, ...extra];
    },
    /** Starts one; `startTimeoutMs` bounds the wait for its endpoint (a restart replays what a crash left). */
    async start(args: string[], startTimeoutMs?: number): Promise<SandboxProcess> {
      const sandbox = await startSandboxProcess(args, startTimeoutMs, options);
      started.push(sandbox);
      return sandbox;
    },
  };
}

/*
 * What a test asks of a sandbox process, through the same doors a user has: the management API, the bus, the
 * platform-events queue, and (behind the API's back, for what it does not show) the table.
 */

/** A subscription as the API shows it, with its secret as created. */
export type CreatedWebhook = SubscriptionView & { readonly secret: string };

/** Creates a subscription for the demo account (`events: order.*` unless given); throws with the answer if refused. */
export async function createWebhook(
  sandbox: SandboxProcess,
  fields: Record<string, unknown>,
): Promise<CreatedWebhook> {
  const created = await api(sandbox.endpoint, sandbox.apiKey, 'POST', '/v1/webhooks', {
    name: 'Orders',
    events: ['order.*'],
    ...fields,
  });
  if (created.status !== 201)
    throw new Error(`Creating a webhook: ${created.status} ${JSON.stringify(created.json)}`);
  return z.parse(subscriptionWithSecretSchema, created.json);
}

/** A subscription as `GET /v1/webhooks/{id}` shows it. */
export async function webhookOf(sandbox: SandboxProcess, webhookId: string): Promise<SubscriptionView> {
  const read = await api(sandbox.endpoint, sandbox.apiKey, 'GET', `/v1/webhooks/${webhookId}`);
  if (read.status !== 200)
    throw new Error(`Reading ${webhookId}: ${read.status} ${JSON.stringify(read.json)}`);
  return z.parse(subscriptionViewSchema, read.json);
}

/** Every delivery of a subscription, as `GET /v1/webhooks/{id}/deliveries` lists them, page by page. */
export async function deliveriesOf(sandbox: SandboxProcess, webhookId: string): Promise<DeliveryView[]> {
  const all: DeliveryView[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? '?limit=100' : `?limit=100&cursor=${encodeURIComponent(cursor)}`;
    const page = await api(
      sandbox.endpoint,
      sandbox.apiKey,
      'GET',
      `/v1/webhooks/${webhookId}/deliveries${query}`,
    );
    if (page.status !== 200)
      throw new Error(`Listing deliveries of ${webhookId}: ${page.status} ${JSON.stringify(page.json)}`);
    const body = z.parse(deliveryPageSchema, page.json);
    all.push(...body.data);
    cursor = body.next_cursor;
  } while (cursor !== null);
  return all;
}

const deliveryPageSchema = z.object({
  data: z.array(deliveryViewSchema),
  next_cursor: z.nullable(z.string()),
});

/**
 * Waits (at most `timeoutMs`) until the subscription has `count` delivery records and none of them is pending;
 * answers them as they are then, settled or not (a test's assertions say what is missing).
 */
export async function settledDeliveries(
  sandbox: SandboxProcess,
  webhookId: string,
  count: number,
  timeoutMs: number,
): Promise<DeliveryView[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const records = await deliveriesOf(sandbox, webhookId);
    const settled = records.length >= count && records.every((record) => record.status !== 'pending');
    if (settled || Date.now() > deadline) return records;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Delivery records one line each, with their attempts (status code or error), for a failure's message. */
export function describeDeliveries(records: readonly DeliveryView[]): string {
  return records
    .map(
      (record) =>
        `  ${record.id} ${record.status}, ${record.attempt_count} attempts: ${record.attempts
          .map((attempt) => `${attempt.at.slice(11, 23)} ${attempt.status_code ?? attempt.error}`)
          .join(', ')}`,
    )
    .join('\n');
}

/** A content filter that passes the events {@link publishOrders} makes for order ids starting with `prefix`. */
export const ordersStartingWith = (prefix: string) => ({ data: { id: [{ prefix }] } });

/** The order id of a webhook body {@link publishOrders} caused (the envelope's `data.id`). */
export const orderIdOf = (body: string): string => (JSON.parse(body) as { data: { id: string } }).data.id;

/**
 * What a receiver farm's endpoint saw, for a failure's message: its totals, then each request (`+ms` after
 * `since`, its `webhook-id`, the order it carried, and the answer).
 */
export function describeRequests(endpoint: FarmEndpoint, since: number): string {
  const requests = endpoint.requests.map(
    (request) =>
      `  +${Math.round(request.arrivedAt - since)} ms ${request.webhookId} ` +
      `${request.body === '' ? '' : orderIdOf(request.body)} -> ` +
      (request.status === 0
        ? 'no answer'
        : `${request.status} after ${Math.round(request.answeredAt - request.arrivedAt)} ms`),
  );
  return [`${endpoint.name} saw ${JSON.stringify(endpoint.totals())}:`, ...requests].join('\n');
}

/**
 * Puts one `order.status_updated` event per order id on the sandbox's bus (account `demo`), `perCall` to a
 * PutEvents call, `gapMs` between calls, as a publisher's stream would. Answers when each event's call was made
 * (epoch ms, on the receiver farm's clock).
 */
export async function publishOrders(
  sandbox: SandboxProcess,
  orderIds: readonly string[],
  { perCall = 10, gapMs = 0 }: { perCall?: number; gapMs?: number } = {},
): Promise<Map<string, number>> {
  const { eventBridge } = awsClients(sandbox.endpoint);
  const publishedAt = new Map<string, number>();
  try {
    for (let start = 0; start < orderIds.length; start += perCall) {
      if (start > 0 && gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
      const orders = orderIds.slice(start, start + perCall);
      const at = performance.timeOrigin + performance.now();
      const result = await eventBridge.send(
        new PutEventsCommand({
          Entries: orders.map((orderId) => ({
            EventBusName: sandbox.eventBus,
            Source: 'shipping.orders',
            DetailType: 'order.status_updated',
            Detail: JSON.stringify(orderStatusUpdated('demo', orderId)),
          })),
        }),
      );
      if ((result.FailedEntryCount ?? 0) > 0)
        throw new Error(`PutEvents refused events: ${JSON.stringify(result.Entries)}`);
      for (const orderId of orders) publishedAt.set(orderId, at);
    }
  } finally {
    eventBridge.destroy();
  }
  return publishedAt;
}

/**
 * Delivers one webhook to `endpoint` through the whole sandbox and waits for it: the functions' first
 * invocations load their modules and open connections, which is not what a test of the delivery path measures.
 */
export async function warmUp(sandbox: SandboxProcess, endpoint: FarmEndpoint): Promise<void> {
  await createWebhook(sandbox, { url: endpoint.url, filter: ordersStartingWith('ord_warm_up') });
  await publishOrders(sandbox, ['ord_warm_up']);
  await eventually(async () => (endpoint.accepted().length > 0 ? true : undefined), 'the warm-up webhook');
}

/** One of the platform's own events, as the sandbox's platform-events queue holds it. */
export interface PlatformEventSeen {
  readonly 'detail-type': string;
  readonly source: string;
  readonly time: string;
  readonly detail: Record<string, unknown>;
}

/**
 * The platform's own events a sandbox put on its bus (`webhook.circuit_opened`, `delivery.failed`, ...), read
 * from its platform-events queue. Reading takes them off the queue, so one reader per sandbox keeps them all:
 * each call answers every event read so far.
 */
export function platformEventsOf(sandbox: SandboxProcess): () => Promise<PlatformEventSeen[]> {
  const seen: PlatformEventSeen[] = [];
  const QueueUrl = `${sandbox.endpoint}/000000000000/platform-events`;
  return async () => {
    const { sqs } = awsClients(sandbox.endpoint);
    try {
      for (;;) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }),
        );
        if (Messages.length === 0) return [...seen];
        for (const message of Messages) seen.push(JSON.parse(message.Body ?? '{}') as PlatformEventSeen);
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl,
            Entries: Messages.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle,
            })),
          }),
        );
      }
    } finally {
      sqs.destroy();
    }
  };
}

/**
 * The ids of a subscription's held deliveries (held while its circuit is open), oldest first: read from the
 * sandbox's table directly, as the API does not list them, with a strongly consistent query.
 */
export async function heldDeliveries(sandbox: SandboxProcess, subscriptionId: string): Promise<string[]> {
  const client = new DynamoDBClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials });
  const held: string[] = [];
  try {
    const db = documentClient(client);
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await db.send(
        new QueryCommand({
          TableName: sandboxTableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :held)',
          ExpressionAttributeValues: { ':pk': webhookPartition(subscriptionId), ':held': heldPrefix },
          ProjectionExpression: 'sk',
          ConsistentRead: true,
          ExclusiveStartKey,
        }),
      );
      for (const { sk } of page.Items ?? []) held.push(z.parse(z.string(), sk).slice(heldPrefix.length));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey !== undefined);
  } finally {
    client.destroy();
  }
  return held;
}

/** The sandbox's table (sandbox/sandbox.ts). */
const sandboxTableName = 'webhooks';

/** A line the sandbox's functions logged (Powertools' JSON: `level`, `message`, `timestamp`, and context). */
export type FunctionLog = Readonly<Record<string, unknown>> & {
  readonly message: string;
  readonly timestamp: string;
};

/** The functions' log lines a sandbox printed so far (started without `--quiet` for those below warnings). */
export function functionLogs(sandbox: SandboxProcess): FunctionLog[] {
  return sandbox.output.flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      return typeof parsed.message === 'string' && typeof parsed.timestamp === 'string'
        ? [parsed as FunctionLog]
        : [];
    } catch {
      return [];
    }
  });
}
