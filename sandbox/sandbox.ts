import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ApiKeyStore, newApiKey } from '../functions/core/accounts/api-key-store.ts';
import { documentClient } from '../functions/core/dynamodb.ts';
import {
  defaultEventBusName,
  type EnvironmentVariable,
  eventSourceMappings,
  type FunctionName,
  functions,
  httpApi,
  platformEventSource,
  type QueueName,
  queues,
  rules,
} from '../functions/core/platform.ts';
import { type SettingValues, settingsEnvironment } from '../functions/core/settings.ts';
import { LocalHttpApi } from './api-gateway.ts';
import { handleAwsJsonRequest, unknownOperationError } from './aws-json-protocol.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { LocalDynamoDb } from './dynamodb.ts';
import { EventSourceMapping } from './event-source-mapping.ts';
import {
  LocalEventBuses,
  type RuleMetrics,
  refusalReason,
  type TargetFailure,
} from './eventbridge/event-bus.ts';
import { testEventPattern } from './eventbridge/test-event-pattern.ts';
import { type UndeliverableEvent, UndeliverableEvents } from './eventbridge/undeliverable.ts';
import { LocalFunction } from './lambda-runtime.ts';
import { refusalOf, refuse } from './local-callers.ts';
import { Meter, type MeterSnapshot } from './meter.ts';
import { SQS_NAMESPACE, SQS_TARGET_PREFIX, SqsEmulator } from './sqs/index.ts';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const region = 'us-east-1';
const awsAccountId = '000000000000';
const tableName = 'webhooks';
/** The account the sandbox creates at start, with the API key it prints. */
export const demoAccountId = 'demo';

/**
 * How to start the sandbox. The settings of functions/core/settings.ts (`retrySchedule`, `disableAfterSeconds`,
 * `deliveryTimeoutSeconds`, `deliveryRetentionDays`, `successRecords`, `subscriptionsPerAccount`) are options by
 * their names there, in their units (seconds, days), with their defaults; a value outside their bounds is refused.
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
   * Caps every event source mapping's concurrent invocations (platform.ts's `maximumConcurrency`), for
   * measurements: with one invocation at a time per mapping, each invocation's duration is its own, not
   * stretched by its neighbours sharing the sandbox's one CPU. @default each mapping's own
   */
  readonly maximumConcurrency?: number;
}

export interface Sandbox {
  /** `http://127.0.0.1:<port>`: the HTTP API and every AWS API the handlers call. */
  readonly endpoint: string;
  readonly apiKey: string;
  readonly eventBusName: string;
  readonly queueUrl: (queue: QueueName | `${QueueName}Dlq`) => string;
  /**
   * A queue that gets every event the platform itself puts on the bus (webhook.disabled, delivery.failed,
   * delivery.recovered), as an operator's rule would route them.
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
  close(): Promise<void>;
}

/** Where the sandbox routes the platform's own events. */
const platformEventsQueue = 'platform-events';
const queueNames: Record<QueueName, string> = {
  fanOut: 'fan-out',
  delivery: 'delivery',
  slowDelivery: 'delivery-slow',
  retry: 'delivery-retry',
};

/**
 * Says on the console what became of an event a rule's target refused: a warning when it is in the rule's
 * dead-letter queue (whose alarm an operator watches on AWS), an error when nothing took it, which also keeps
 * the event (see {@link Sandbox.undeliverableEvents}).
 */
function reportTargetFailure(failure: TargetFailure, undeliverable: UndeliverableEvents): void {
  const refused =
    `rule ${failure.rule} could not deliver event ${failure.eventId} to its queue ` +
    `(${refusalReason(failure.error)})`;
  if (failure.outcome === 'sentToDlq') {
    console.warn(`[eventbridge] ${refused}; it is in the queue's dead-letter queue, with the reason.`);
    return;
  }
  const where = undeliverable.keep(failure);
  const deadLetter =
    failure.deadLetterError === undefined
      ? 'the rule has no dead-letter queue. On AWS only its FailedInvocations metric would count it'
      : `its dead-letter queue refused it too (${refusalReason(failure.deadLetterError)}). On AWS only the ` +
        "rule's FailedInvocations and InvocationsFailedToBeSentToDlq metrics would count it (the CDK app " +
        'alarms on them)';
  console.error(`[eventbridge] EVENT LOST: ${refused}, and ${deadLetter}. The event is kept in ${where}.`);
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
 * Starts the whole platform in this process: one HTTP server that serves DynamoDB (dynalite), SQS and
 * EventBridge over their wire protocols and the management API as API Gateway would, and runs the deployed
 * handler modules from event source mappings. Handlers read their configuration when they load, so there is
 * one sandbox per process.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  // Lambda runs Node.js 22; the SDK's notice about Node.js 20 is noise on a developer's machine.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const eventBusName = options.eventBusName ?? defaultEventBusName;
  // Checked before anything starts: a setting outside its bounds throws, naming the option.
  const settingsVariables = settingsEnvironment(options);
  let route: (req: IncomingMessage, res: ServerResponse) => Promise<void> = async (_req, res) => {
    res.writeHead(503).end('starting');
  };
  let port = 0;
  const server = createServer((req, res) => {
    // Before anything else: a page of another site reaching the port (DNS rebinding, or cross-origin) gets
    // nothing, not even whether the sandbox is still starting.
    const refusal = refusalOf(req, port);
    if (refusal !== undefined) {
      refuse(res, refusal);
      return;
    }
    route(req, res).catch((error: unknown) => {
      console.error('[sandbox] request failed:', error);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  // Server-side keep-alive longer than the SDK's, so pooled connections are not cut under a request.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 4566, '127.0.0.1', () => ready());
  });
  port = (server.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${port}`;

  // Stores started so far, closed in reverse order on close or when starting fails half-way. First the pollers
  // stop (their handlers still call the stores through the server), then the server, then the stores.
  const started: (() => Promise<void>)[] = [];
  const meter = options.meter ? new Meter() : undefined;
  const pollers: EventSourceMapping[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = () => {
    stopping ??= (async () => {
      await Promise.all(pollers.map((mapping) => mapping.stop()));
      const closed = new Promise<void>((done) => server.close(() => done()));
      server.closeAllConnections();
      await closed;
      for (const stop of [...started].reverse()) await stop();
    })();
    return stopping;
  };
  try {
    if (options.dataDir !== undefined) {
      await mkdir(options.dataDir, { recursive: true });
      started.push(await lockDataDir(options.dataDir));
    }
    const dynamo = await LocalDynamoDb.start(options.dataDir && join(options.dataDir, 'dynamodb'), meter);
    started.push(() => dynamo.close());
    const sqs = await SqsEmulator.open({
      baseUrl: endpoint,
      accountId: awsAccountId,
      region,
      ...(options.dataDir === undefined ? {} : { dataDir: join(options.dataDir, 'sqs') }),
      // Written before every answer (a crashed or killed sandbox loses nothing), synced to the disk in batches
      // off the event loop, as dynalite's store is: one fdatasync per change cost the whole sandbox a quarter
      // of its throughput.
      fsync: 'batched',
      ...(meter === undefined ? {} : { meter }),
    });
    started.push(() => sqs.close());
    for (const [queue, definition] of Object.entries(queues) as [QueueName, (typeof queues)[QueueName]][]) {
      const dlqName = `${queueNames[queue]}-dlq`;
      sqs.ensureQueue(dlqName, {
        MessageRetentionPeriod: String(definition.deadLetterRetentionPeriodSeconds),
      });
      sqs.ensureQueue(queueNames[queue], {
        VisibilityTimeout: String(definition.visibilityTimeoutSeconds),
        MessageRetentionPeriod: String(definition.retentionPeriodSeconds),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: sqs.queueArn(dlqName),
          maxReceiveCount: definition.maxReceiveCount,
        }),
      });
    }

    const environment: Record<EnvironmentVariable, string> = {
      TABLE_NAME: tableName,
      DELIVERY_QUEUE_URL: sqs.queueUrl(queueNames.delivery),
      FAN_OUT_DLQ_URL: sqs.queueUrl(`${queueNames.fanOut}-dlq`),
      DELIVERY_DLQ_URL: sqs.queueUrl(`${queueNames.delivery}-dlq`),
      FAN_OUT_QUEUE_URL: sqs.queueUrl(queueNames.fanOut),
      SLOW_DELIVERY_QUEUE_URL: sqs.queueUrl(queueNames.slowDelivery),
      RETRY_QUEUE_URL: sqs.queueUrl(queueNames.retry),
      EVENT_BUS_NAME: eventBusName,
      ALLOW_PRIVATE_TARGETS: String(options.allowPrivateTargets ?? true),
      ...settingsVariables,
    };
    Object.assign(process.env, environment, {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: 'sandbox',
      AWS_SECRET_ACCESS_KEY: 'sandbox',
      POWERTOOLS_LOG_LEVEL: options.logLevel ?? 'INFO',
      // CloudWatch embedded metrics are log lines; in the sandbox only DEBUG prints them.
      POWERTOOLS_METRICS_DISABLED: options.logLevel === 'DEBUG' ? 'false' : 'true',
    });

    const undeliverable = new UndeliverableEvents(
      options.dataDir === undefined ? undefined : join(options.dataDir, 'undeliverable'),
    );
    const buses = new LocalEventBuses(
      awsAccountId,
      region,
      (bus) =>
        console.warn(
          `[eventbridge] event put on bus "${bus}", which does not exist: AWS accepts and drops it`,
        ),
      (failure) => reportTargetFailure(failure, undeliverable),
      undefined,
      meter,
    );
    sqs.ensureQueue(platformEventsQueue, { MessageRetentionPeriod: String(4 * 24 * 3600) });
    buses.addBus(eventBusName, [
      ...rules.map((rule) => {
        const queue = queueNames[rule.targetQueue];
        return {
          ...rule,
          target: (event: string) => {
            sqs.sendMessage(queue, event);
            // EventBridge sends each event to its queue with a SendMessage of its own, billed by SQS.
            meter?.sqs(queue, 'SendMessage', Buffer.byteLength(event), 1);
          },
          // As deployed: an event the queue refuses goes to the queue's dead-letter queue, with the reason in
          // the attributes EventBridge gives it. The DLQ has the same limits as the queue, so an event too large
          // or with characters SQS refuses is refused there too: the bus counts it, says so and keeps it.
          deadLetter: (event: string, refusal: Error) => {
            sqs.sendMessage(`${queue}-dlq`, event, {
              messageAttributes: {
                ERROR_CODE: {
                  dataType: 'String',
                  stringValue: (refusal as { code?: string }).code ?? 'SQSError',
                },
                ERROR_MESSAGE: { dataType: 'String', stringValue: refusal.message.slice(0, 256) },
                RULE_ARN: {
                  dataType: 'String',
                  stringValue: `arn:aws:events:${region}:${awsAccountId}:rule/${eventBusName}/${rule.name}`,
                },
                TARGET_ARN: { dataType: 'String', stringValue: sqs.queueArn(queue) },
              },
            });
          },
        };
      }),
      {
        // Sandbox only: the rule an operator would add for the platform's own events, into a queue to read.
        name: 'platform-events',
        description: 'The platform’s own events, for whoever watches the sandbox',
        eventPattern: { source: [platformEventSource] },
        target: (event: string) => {
          sqs.sendMessage(platformEventsQueue, event);
        },
      },
    ]);

    let api: LocalHttpApi | undefined;
    route = async (req, res) => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const service = target.split('.')[0];
      if (service === 'DynamoDB_20120810') return dynamo.handle(req, res);
      if (service === SQS_TARGET_PREFIX) {
        return handleAwsJsonRequest(req, res, {
          namespace: SQS_NAMESPACE,
          targetPrefix: SQS_TARGET_PREFIX,
          handle: (name, input, signal) => sqs.handle(name, input, signal),
        });
      }
      if (service === 'AWSEvents') {
        return handleAwsJsonRequest(req, res, {
          namespace: 'com.amazonaws.eventbridge',
          jsonVersion: '1.1',
          targetPrefix: 'AWSEvents',
          handle: async (name, input) => {
            if (name === 'PutEvents') return buses.putEvents(input);
            if (name === 'TestEventPattern') return testEventPattern(input);
            throw unknownOperationError(name);
          },
        });
      }
      if (api === undefined) {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"message":"Service Unavailable"}');
        return;
      }
      return api.handle(req, res);
    };

    const dynamoClient = new DynamoDBClient({ endpoint, region });
    started.push(async () => dynamoClient.destroy());
    await dynamo.ensureTable(dynamoClient, tableName);
    const apiKey = await demoApiKey(options);
    await new ApiKeyStore(documentClient(dynamoClient), tableName).issue(demoAccountId, apiKey);

    const lambdas = Object.fromEntries(
      (Object.keys(functions) as FunctionName[]).map((name) => [
        name,
        LocalFunction.fromModule(name, projectRoot, region, undefined, meter),
      ]),
    ) as Record<FunctionName, LocalFunction>;
    // One environment of each now, so that a handler module that cannot load fails the start, not an event.
    await Promise.all(Object.values(lambdas).map((lambda) => lambda.prewarm()));
    api = new LocalHttpApi(lambdas[httpApi.authorizer], lambdas[httpApi.function], region);
    const mappings = eventSourceMappings.map(
      (mapping) =>
        new EventSourceMapping(
          sqs,
          queueNames[mapping.queue],
          lambdas[mapping.function],
          {
            ...mapping,
            maximumConcurrency: Math.min(
              mapping.maximumConcurrency,
              options.maximumConcurrency ?? Number.POSITIVE_INFINITY,
            ),
          },
          region,
          meter,
        ),
    );
    for (const mapping of mappings) {
      mapping.start();
      pollers.push(mapping);
    }

    return {
      endpoint,
      apiKey,
      eventBusName,
      queueUrl: (queue) =>
        sqs.queueUrl(
          queue.endsWith('Dlq')
            ? `${queueNames[queue.slice(0, -3) as QueueName]}-dlq`
            : queueNames[queue as QueueName],
        ),
      platformEventsQueueUrl: sqs.queueUrl(platformEventsQueue),
      meter: () => {
        if (meter === undefined) throw new Error('The sandbox was started without meter: true');
        return meter.snapshot();
      },
      resetMeter: () => meter?.reset(),
      ruleMetrics: () => buses.ruleMetrics(eventBusName),
      undeliverableEvents: () => undeliverable.list(),
      close: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
