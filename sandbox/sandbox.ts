import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ApiKeyStore, newApiKey } from '../functions/core/accounts/api-key-store.ts';
import { documentClient } from '../functions/core/aws/dynamodb.ts';
import { defaultEventBusName, functions, httpApi, type QueueName } from '../functions/core/platform.ts';
import { type SettingValues, settingsEnvironment } from '../functions/core/settings.ts';
import { LocalHttpApi } from './api-gateway.ts';
import { type AwsCall, CallLog } from './call-log.ts';
import { platformEventsQueue, startBus } from './compose/bus.ts';
import { applyEnvironment, functionEnvironment } from './compose/environment.ts';
import { loadFunctions } from './compose/functions.ts';
import {
  ensureQueues,
  eventSourceMappingsOf,
  openSqs,
  queueUrlOf,
  workQueueDepth,
} from './compose/queues.ts';
import { listen, sandboxRoute } from './compose/router.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { LocalDynamoDb } from './dynamodb.ts';
import type { EventSourceMapping } from './event-source-mapping.ts';
import type { RuleMetrics } from './eventbridge/event-bus.ts';
import type { UndeliverableEvent } from './eventbridge/undeliverable.ts';
import { KmsEmulator } from './kms/index.ts';
import { Meter, type MeterSnapshot } from './meter.ts';

const region = 'us-east-1';
const awsAccountId = '000000000000';
const tableName = 'webhooks';
/** The alias of the sandbox's KMS key for the subscriptions' signing secrets, made at the first start. */
export const signingSecretKeyAlias = 'alias/hookbridge/signing-secrets';
/** The account the sandbox creates at start, with the API key it prints. */
export const demoAccountId = 'demo';

/**
 * How to start the sandbox. The settings of functions/core/settings.ts (`retrySchedule`, `disableAfterSeconds`,
 * `deliveryTimeoutSeconds`, ..., `mainLaneConcurrency`, `slowLaneBatchSize`, `subscriptionsPerAccount`) are
 * options by their names there, in their units (seconds, days), with their defaults; a value outside their bounds
 * is refused. The functions read theirs from their environment; the lanes' capacity sizes their mappings.
 */
export interface SandboxOptions extends Partial<SettingValues> {
  /** Port on 127.0.0.1; 0 picks a free one. @default 4566 */
  readonly port?: number;
  /** Where state lives across restarts; undefined keeps everything in memory. @default undefined */
  readonly dataDir?: string;
  /** The demo account's API key. @default a key generated once and kept in dataDir */
  readonly apiKey?: string;
  /** @default platform's defaultEventBusName */
  readonly eventBusName?: string;
  /** Lets webhooks go to loopback and private addresses (a local receiver). @default true */
  readonly allowPrivateTargets?: boolean;
  /** Powertools log level of the functions. @default 'INFO' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  /**
   * Counts what AWS would bill (PutEvents entries, SQS requests, DynamoDB units, Lambda invocations and
   * duration), for {@link Sandbox.meter}. Off by default: it costs every DynamoDB request a little time.
   * @default false
   */
  readonly meter?: boolean;
  /**
   * Caps every event source mapping's concurrent invocations (platform.ts's `maximumConcurrency`, for a lane
   * its concurrency setting), for measurements: with one invocation at a time per mapping, each invocation's
   * duration is its own, not stretched by its neighbours sharing the sandbox's one CPU. @default each mapping's own
   */
  readonly maximumConcurrency?: number;
  /**
   * Logs which function made which AWS call, for {@link Sandbox.calls} (the least-privilege proof). Off by
   * default: it reads every DynamoDB request's body.
   * @default false
   */
  readonly recordCalls?: boolean;
}

export interface Sandbox {
  /** `http://127.0.0.1:<port>`: the HTTP API and every AWS API the handlers call. */
  readonly endpoint: string;
  readonly apiKey: string;
  readonly eventBusName: string;
  /** The KMS key the signing secrets are sealed with (what the functions' `SIGNING_SECRET_KEY_ARN` names). */
  readonly signingSecretKeyArn: string;
  readonly queueUrl: (queue: QueueName | `${QueueName}Dlq`) => string;
  /**
   * A queue that gets every event the platform itself puts on the bus (webhook.disabled, delivery.failed,
   * delivery.recovered, webhook.circuit_opened, webhook.circuit_closed), as an operator's rule would route them.
   */
  readonly platformEventsQueueUrl: string;
  /**
   * What AWS would have billed since the start or the last {@link resetMeter}, counted by the emulators
   * (start the sandbox with `meter: true`).
   */
  meter(): MeterSnapshot;
  /** Starts the meter from zero. */
  resetMeter(): void;
  /**
   * Every AWS call a function made since the start, its event source mapping's receives and deletes included
   * (start the sandbox with `recordCalls: true`).
   */
  calls(): AwsCall[];
  /**
   * What EventBridge would have published to CloudWatch for each rule of the bus since the start, by rule
   * name: `Invocations`, `FailedInvocations`, `InvocationsSentToDlq`, `InvocationsFailedToBeSentToDlq`.
   */
  ruleMetrics(): Record<string, RuleMetrics>;
  /**
   * Events the bus accepted that neither a rule's target nor its dead-letter queue took (on AWS: lost, counted
   * only in the rule's `FailedInvocations` and `InvocationsFailedToBeSentToDlq`), oldest first. Each is
   * printed on stderr when it happens and kept, under `<dataDir>/undeliverable/` (also across restarts) or in
   * memory.
   */
  undeliverableEvents(): UndeliverableEvent[];
  /** The work being done now: the HTTP API's requests and the messages of the event source mappings' invocations. */
  inFlight(): InFlight;
  /**
   * Stops the sandbox gracefully: the HTTP API answers 503 from now on and the event source mappings stop
   * polling; the API's requests in flight get their answers and invocations in flight finish (each within its
   * functions' timeouts) and their messages are deleted or left as SQS's rules say; then the server stops and the
   * stores close. Resolves with what the queues kept.
   */
  close(): Promise<StopReport>;
}

/** What the sandbox is doing at a moment, which a graceful stop lets finish. */
export interface InFlight {
  /** Requests to the HTTP API not answered yet. */
  readonly apiRequests: number;
  /** Messages the functions are being invoked with, on every event source mapping. */
  readonly messages: number;
}

/** How long a graceful stop waits for the API's requests: their authorizer's and function's timeouts. */
const apiRequestsBoundMs =
  (functions[httpApi.authorizer].timeoutSeconds + functions[httpApi.function].timeoutSeconds) * 1000;

/** What a stopped sandbox kept for its next start (or, in memory, lost). */
export interface StopReport {
  /** Messages in the platform's work queues (visible, in flight or delayed), dead-letter queues not counted. */
  readonly waitingMessages: number;
}

async function demoApiKey(options: SandboxOptions): Promise<string> {
  if (options.apiKey !== undefined) return options.apiKey;
  if (options.dataDir === undefined) return newApiKey();
  const file = join(options.dataDir, 'demo-api-key');
  const saved = await readFile(file, 'utf8').catch(() => undefined);
  if (saved?.trim()) return saved.trim();
  const key = newApiKey();
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  return key;
}

/**
 * Starts the whole platform in this process: one HTTP server that serves DynamoDB (dynalite), SQS,
 * EventBridge and KMS over their wire protocols and the management API as API Gateway would, and runs the
 * deployed handler modules from event source mappings. Handlers read their configuration when they load, so there is
 * one sandbox per process.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  // Lambda runs Node.js 24; the SDK's notice about Node.js 20 is noise on a developer's machine.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const eventBusName = options.eventBusName ?? defaultEventBusName;
  const { dataDir } = options;
  // Checked before anything starts: a setting outside its bounds throws, naming the option.
  const settingsVariables = settingsEnvironment(options);
  const server = await listen(options.port ?? 4566);
  const { endpoint } = server;

  // Stores started so far, closed in reverse order on close or when starting fails half-way. First the pollers
  // stop (their handlers still call the stores through the server), then the server, then the stores.
  const started: (() => Promise<void>)[] = [];
  const meter = options.meter ? new Meter() : undefined;
  const calls = options.recordCalls ? CallLog.start() : undefined;
  const pollers: EventSourceMapping[] = [];
  let api: LocalHttpApi | undefined;
  let waitingMessages = () => 0;
  let stopping: Promise<StopReport> | undefined;
  const stopAll = () => {
    stopping ??= (async () => {
      // New work is refused (the API answers 503, as API Gateway does while it has no function); what is in
      // flight finishes and is recorded through the server, which stops only after it.
      const serving = api;
      api = undefined;
      await Promise.all([serving?.finish(apiRequestsBoundMs), ...pollers.map((mapping) => mapping.stop())]);
      const report = { waitingMessages: waitingMessages() };
      await server.close();
      for (const stop of [...started].reverse()) await stop();
      calls?.stop();
      return report;
    })();
    return stopping;
  };
  try {
    if (dataDir !== undefined) {
      await mkdir(dataDir, { recursive: true });
      started.push(await lockDataDir(dataDir));
    }
    const dynamo = await LocalDynamoDb.start(dataDir && join(dataDir, 'dynamodb'), meter, calls);
    started.push(() => dynamo.close());
    const sqs = await openSqs({ endpoint, accountId: awsAccountId, region, dataDir, meter });
    started.push(() => sqs.close());
    ensureQueues(sqs);
    waitingMessages = () => workQueueDepth(sqs);
    // Its keys under the data directory, so the signing secrets' ciphertexts decrypt after a restart.
    const kms = KmsEmulator.open({
      accountId: awsAccountId,
      region,
      dataDir: dataDir && join(dataDir, 'kms'),
      meter,
    });

    const signingSecretKeyArn = kms.ensureKey(signingSecretKeyAlias);
    applyEnvironment(
      functionEnvironment({
        sqs,
        tableName,
        eventBusName,
        signingSecretKeyArn,
        allowPrivateTargets: options.allowPrivateTargets ?? true,
        settingsVariables,
      }),
      { endpoint, region, logLevel: options.logLevel ?? 'INFO' },
    );

    const { buses, undeliverable } = startBus({
      sqs,
      eventBusName,
      accountId: awsAccountId,
      region,
      dataDir,
      meter,
    });

    server.route(sandboxRoute({ dynamo, sqs, buses, kms, calls, api: () => api }));

    const dynamoClient = new DynamoDBClient({ endpoint, region });
    started.push(async () => dynamoClient.destroy());
    await dynamo.ensureTable(dynamoClient, tableName);
    const apiKey = await demoApiKey(options);
    await new ApiKeyStore(documentClient(dynamoClient), tableName).issue(demoAccountId, apiKey);

    const lambdas = await loadFunctions(region, meter);
    api = new LocalHttpApi(lambdas[httpApi.authorizer], lambdas[httpApi.function], region);
    const served = api;
    const mappings = eventSourceMappingsOf(sqs, lambdas, {
      region,
      meter,
      calls,
      // Checked with the other settings above (settingsEnvironment).
      mainLaneConcurrency: options.mainLaneConcurrency,
      mainLaneBatchSize: options.mainLaneBatchSize,
      slowLaneConcurrency: options.slowLaneConcurrency,
      slowLaneBatchSize: options.slowLaneBatchSize,
      orderedLaneConcurrency: options.orderedLaneConcurrency,
      maximumConcurrency: options.maximumConcurrency,
    });
    for (const mapping of mappings) {
      mapping.start();
      pollers.push(mapping);
    }

    return {
      endpoint,
      apiKey,
      eventBusName,
      signingSecretKeyArn,
      queueUrl: (queue: QueueName | `${QueueName}Dlq`) => queueUrlOf(sqs, queue),
      platformEventsQueueUrl: sqs.queueUrl(platformEventsQueue),
      meter: () => {
        if (meter === undefined) throw new Error('The sandbox was started without meter: true');
        return meter.snapshot();
      },
      resetMeter: () => meter?.reset(),
      calls: () => {
        if (calls === undefined) throw new Error('The sandbox was started without recordCalls: true');
        return calls.calls();
      },
      ruleMetrics: () => buses.ruleMetrics(eventBusName),
      undeliverableEvents: () => undeliverable.list(),
      inFlight: () => ({
        apiRequests: served.inFlight,
        messages: pollers.reduce((sum, mapping) => sum + mapping.inFlight, 0),
      }),
      close: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
