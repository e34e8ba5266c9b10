/**
 * The platform's shape, defined once: the event bus rules, the queues and their settings, the Lambda
 * functions with the environment each one reads, and the event source mappings between them.
 *
 * The CDK app (`lib/`) deploys exactly this, and the sandbox (`sandbox/`) runs exactly this, so the two cannot
 * drift. Everything here is plain data: no AWS SDK, no CDK.
 */

import { type SettingValues, type SettingVariable, settings } from './settings.ts';

/** A rule on the event bus that routes matching events to a queue. */
export interface RuleDefinition {
  /** Logical name, unique on the bus. */
  readonly name: string;
  readonly description: string;
  /** An EventBridge event pattern. */
  readonly eventPattern: Readonly<Record<string, unknown>>;
  /** The queue (a key of {@link queues}) the rule sends matching events to. */
  readonly targetQueue: QueueName;
}

/** A work queue and the dead-letter queue beside it. */
export interface QueueDefinition {
  /** How long a received message stays invisible; at least 6x the consuming function's timeout. */
  readonly visibilityTimeoutSeconds: number;
  readonly retentionPeriodSeconds: number;
  /** Receives after which SQS moves a message to the dead-letter queue. */
  readonly maxReceiveCount: number;
  readonly deadLetterRetentionPeriodSeconds: number;
  /**
   * A FIFO queue (`.fifo`, its dead-letter queue too) in high-throughput mode: deduplication per message group,
   * throughput per message group.
   */
  readonly fifo?: true;
}

/**
 * Environment variables a function reads: the resources' names (from the resources in CDK, or the sandbox), where
 * webhooks may go, and the settings of settings.ts. `SIGNING_SECRET_KEY_ARN` names the KMS key that seals the
 * signing secrets: the API may encrypt under it, the delivery functions decrypt.
 */
export type EnvironmentVariable =
  | 'TABLE_NAME'
  | 'SIGNING_SECRET_KEY_ARN'
  | 'DELIVERY_QUEUE_URL'
  | 'SLOW_DELIVERY_QUEUE_URL'
  | 'ORDERED_DELIVERY_QUEUE_URL'
  | 'RETRY_QUEUE_URL'
  | 'FAN_OUT_DLQ_URL'
  | 'DELIVERY_DLQ_URL'
  | 'FAN_OUT_QUEUE_URL'
  | 'EVENT_BUS_NAME'
  | 'ALLOW_PRIVATE_TARGETS'
  | FunctionSettingVariable;

/** The settings' variables a function may read: all but those of the lanes' capacity, which no function reads. */
type FunctionSettingVariable = Exclude<SettingVariable, (typeof settings)[LaneCapacitySetting]['env']>;

/** A Lambda function: where its handler lives and what it needs. */
export interface FunctionDefinition {
  /** Path of the handler module, relative to the project root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly timeoutSeconds: number;
  readonly memorySizeMb: number;
  readonly environment: readonly EnvironmentVariable[];
}

/** An SQS event source mapping: which function consumes which queue, and how. */
export interface EventSourceMappingDefinition {
  readonly queue: QueueName;
  readonly function: FunctionName;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  /** Upper bound on concurrent invocations for this mapping (SQS `MaximumConcurrency`, at least 2). */
  readonly maximumConcurrency: number;
}

/**
 * The settings of settings.ts that size a delivery lane. No function reads them (their variables exist only
 * because every setting has one, and no function's `environment` lists them): the lanes' mappings take them.
 */
export type LaneCapacitySetting =
  | 'mainLaneConcurrency'
  | 'mainLaneBatchSize'
  | 'slowLaneConcurrency'
  | 'slowLaneBatchSize'
  | 'orderedLaneConcurrency';

/**
 * A mapping as declared here: its batch size and concurrency are numbers, or for a delivery lane the settings
 * that give them (their defaults, unless a deployment sets them).
 */
export interface EventSourceMappingDeclaration
  extends Omit<EventSourceMappingDefinition, 'batchSize' | 'maximumConcurrency'> {
  readonly batchSize: number | LaneCapacitySetting;
  readonly maximumConcurrency: number | LaneCapacitySetting;
}

export const queues = {
  fanOut: {
    // Fan-out is quick (5 s timeout): an event in flight during a crash comes back within half a minute.
    visibilityTimeoutSeconds: 30,
    retentionPeriodSeconds: 4 * 24 * 3600,
    maxReceiveCount: 5,
    deadLetterRetentionPeriodSeconds: 14 * 24 * 3600,
  },
  /** The main lane: a fair queue (one message group per subscription) of deliveries due now. */
  delivery: {
    // The main lane's function is quick (10 s: it waits at most 2 s for a connection and 3 s for each answer).
    visibilityTimeoutSeconds: 60,
    retentionPeriodSeconds: 4 * 24 * 3600,
    // The delivery function decides a delivery's end itself (after its last attempt); this bound only catches
    // messages whose invocation kept crashing before it could decide.
    maxReceiveCount: 5,
    deadLetterRetentionPeriodSeconds: 14 * 24 * 3600,
  },
  /** The slow lane: deliveries of subscriptions whose endpoints answer slower than the main lane waits. */
  slowDelivery: {
    visibilityTimeoutSeconds: 180,
    retentionPeriodSeconds: 4 * 24 * 3600,
    maxReceiveCount: 5,
    deadLetterRetentionPeriodSeconds: 14 * 24 * 3600,
  },
  /**
   * The ordered lane: deliveries of subscriptions with `ordering: "resource"`, one message group per subscription
   * and resource, so a resource's deliveries go one at a time, in the order fan-out queued them. A retry keeps
   * its message (and its group's place) and waits by visibility, never by a new message (design notes:
   * Ordered delivery).
   */
  orderedDelivery: {
    // The lane waits the full timeout (up to 30 s): 6x the function's timeout.
    visibilityTimeoutSeconds: 180,
    // SQS's most: a resource's messages wait behind its head for as long as its endpoint fails (up to the
    // deployment's disableAfter, 5 days by default), and an expired message goes to no dead-letter queue.
    retentionPeriodSeconds: 14 * 24 * 3600,
    // Every wait (a retry's, a turn's, an open circuit's) is a receive: SQS's most, so that only a message whose
    // invocations keep crashing ever reaches the dead-letter queue.
    maxReceiveCount: 1000,
    deadLetterRetentionPeriodSeconds: 14 * 24 * 3600,
    fifo: true,
  },
  /**
   * Retries that wait longer than SQS's 15-minute delay: each message hops through this queue in delays of
   * up to 15 minutes until its attempt is due, then moves to its lane. Delayed messages are not in flight.
   */
  retry: {
    visibilityTimeoutSeconds: 60,
    // Retries wait up to about a day in all (see the retry schedule); keep them well beyond that.
    retentionPeriodSeconds: 4 * 24 * 3600,
    maxReceiveCount: 5,
    deadLetterRetentionPeriodSeconds: 14 * 24 * 3600,
  },
} as const satisfies Record<string, QueueDefinition>;

export type QueueName = keyof typeof queues;

/** The delivery functions' shared settings, and where each lane's queue is. */
const deliveryEnvironment = [
  'TABLE_NAME',
  'SIGNING_SECRET_KEY_ARN',
  'DELIVERY_QUEUE_URL',
  'SLOW_DELIVERY_QUEUE_URL',
  'ORDERED_DELIVERY_QUEUE_URL',
  'RETRY_QUEUE_URL',
  'DELIVERY_DLQ_URL',
  'EVENT_BUS_NAME',
  'ALLOW_PRIVATE_TARGETS',
  'RETRY_SCHEDULE',
  'DISABLE_AFTER_SECONDS',
  'DELIVERY_TIMEOUT_SECONDS',
  'DELIVERY_RETENTION_DAYS',
  'SUCCESS_RECORDS',
  'CIRCUIT_BREAK_AFTER',
  'CIRCUIT_PROBE_MAX_SECONDS',
] as const satisfies readonly EnvironmentVariable[];

export const functions = {
  authorizer: {
    entry: 'functions/authorizer/handler.ts',
    description: 'Resolves the API key in the Authorization header to an account',
    timeoutSeconds: 5,
    memorySizeMb: 256,
    environment: ['TABLE_NAME'],
  },
  api: {
    entry: 'functions/api/handler.ts',
    description: 'The webhook management HTTP API',
    timeoutSeconds: 10,
    memorySizeMb: 512,
    environment: [
      'TABLE_NAME',
      'SIGNING_SECRET_KEY_ARN',
      'ALLOW_PRIVATE_TARGETS',
      'FAN_OUT_QUEUE_URL',
      'DELIVERY_QUEUE_URL',
      'ORDERED_DELIVERY_QUEUE_URL',
      'SUBSCRIPTIONS_PER_ACCOUNT',
      'DELIVERY_RETENTION_DAYS',
    ],
  },
  fanOut: {
    entry: 'functions/fan-out/handler.ts',
    description: 'Turns one bus event into one delivery per matching subscription',
    timeoutSeconds: 5,
    memorySizeMb: 512,
    environment: [
      'TABLE_NAME',
      'DELIVERY_QUEUE_URL',
      'ORDERED_DELIVERY_QUEUE_URL',
      'FAN_OUT_DLQ_URL',
      'DELIVERY_RETENTION_DAYS',
    ],
  },
  delivery: {
    entry: 'functions/delivery/handler.ts',
    description: 'Sends signed webhooks from the main lane, giving each endpoint a short time to answer',
    timeoutSeconds: 10,
    memorySizeMb: 512,
    environment: deliveryEnvironment,
  },
  slowDelivery: {
    entry: 'functions/delivery/handler.ts',
    description: 'Sends signed webhooks to slow endpoints, giving each the full timeout',
    timeoutSeconds: 30,
    memorySizeMb: 512,
    environment: deliveryEnvironment,
  },
  orderedDelivery: {
    entry: 'functions/delivery/handler.ts',
    description: 'Sends signed webhooks of ordered subscriptions, one at a time per resource, in order',
    timeoutSeconds: 30,
    memorySizeMb: 512,
    environment: deliveryEnvironment,
  },
  retryRelay: {
    entry: 'functions/retry-relay/handler.ts',
    description: 'Moves retries that waited out their delay to their lane',
    timeoutSeconds: 10,
    memorySizeMb: 256,
    environment: ['DELIVERY_QUEUE_URL', 'RETRY_QUEUE_URL'],
  },
} as const satisfies Record<string, FunctionDefinition>;

export type FunctionName = keyof typeof functions;

/** The source of the events the platform itself makes (test events, and its operational events). */
export const platformEventSource = 'hookbridge';

/**
 * Publishers' events are routed by resource; the platform's own events (its source) never are, so they reach
 * operators' rules only, never subscribers.
 * One rule per resource family, all into the fan-out queue.
 */
export const rules: readonly RuleDefinition[] = [
  {
    name: 'orders',
    description: 'Order events to the fan-out queue',
    eventPattern: {
      source: [{ 'anything-but': platformEventSource }],
      'detail-type': [{ prefix: 'order.' }],
    },
    targetQueue: 'fanOut',
  },
  {
    name: 'shipments',
    description: 'Shipment events to the fan-out queue',
    eventPattern: {
      source: [{ 'anything-but': platformEventSource }],
      'detail-type': [{ prefix: 'shipment.' }],
    },
    targetQueue: 'fanOut',
  },
  {
    name: 'drafts',
    description: 'Draft shipment events to the fan-out queue',
    eventPattern: {
      source: [{ 'anything-but': platformEventSource }],
      'detail-type': [{ prefix: 'draft.' }],
    },
    targetQueue: 'fanOut',
  },
];

/**
 * Which function consumes which queue, and how. A delivery lane's batch size and concurrency are settings
 * (README: Settings): the main lane makes at most `mainLaneConcurrency` × `mainLaneBatchSize` attempts at once,
 * and slow endpoints together hold at most `slowLaneConcurrency` × `slowLaneBatchSize`, never the main lane's.
 */
export const eventSourceMappingDeclarations = [
  { queue: 'fanOut', function: 'fanOut', batchSize: 10, maxBatchingWindowSeconds: 0, maximumConcurrency: 5 },
  {
    queue: 'delivery',
    function: 'delivery',
    batchSize: 'mainLaneBatchSize',
    maxBatchingWindowSeconds: 0,
    maximumConcurrency: 'mainLaneConcurrency',
  },
  {
    queue: 'slowDelivery',
    function: 'slowDelivery',
    batchSize: 'slowLaneBatchSize',
    maxBatchingWindowSeconds: 0,
    maximumConcurrency: 'slowLaneConcurrency',
  },
  {
    // Lambda takes a FIFO queue's batch in order and scales with its message groups; the function attempts a
    // batch's groups in parallel and each group's messages one after the other.
    queue: 'orderedDelivery',
    function: 'orderedDelivery',
    batchSize: 10,
    maxBatchingWindowSeconds: 0,
    maximumConcurrency: 'orderedLaneConcurrency',
  },
  {
    queue: 'retry',
    function: 'retryRelay',
    batchSize: 10,
    maxBatchingWindowSeconds: 0,
    maximumConcurrency: 2,
  },
] as const satisfies readonly EventSourceMappingDeclaration[];

/**
 * The mappings with the lanes' capacity from the settings given (already checked against settings.ts), each
 * one not given at its default: what the CDK app deploys and the sandbox runs.
 */
export function eventSourceMappingsWith(
  values: Partial<Pick<SettingValues, LaneCapacitySetting>>,
): EventSourceMappingDefinition[] {
  const numberOf = (given: number | LaneCapacitySetting) =>
    typeof given === 'number' ? given : (values[given] ?? settings[given].default);
  return eventSourceMappingDeclarations.map((declaration) => ({
    ...declaration,
    batchSize: numberOf(declaration.batchSize),
    maximumConcurrency: numberOf(declaration.maximumConcurrency),
  }));
}

/** The mappings with every lane at its settings' defaults. */
export const eventSourceMappings: readonly EventSourceMappingDefinition[] = eventSourceMappingsWith({});

/**
 * The HTTP API: one Lambda serves every request, on the `$default` route (so `/` and unknown paths reach it
 * and get a problem+json 404), behind one Lambda authorizer. The authorizer has no identity source so that it
 * runs on every request, and a missing or wrong key reaches the API function, which answers with a
 * problem+json 401 (API Gateway's own 401/403 bodies are not problem+json and cannot be changed on HTTP APIs).
 */
export const httpApi = {
  routeKey: '$default',
  function: 'api',
  authorizer: 'authorizer',
  /** API Gateway HTTP APIs end every integration at 30 s. */
  integrationTimeoutSeconds: 29,
} as const satisfies {
  routeKey: '$default';
  function: FunctionName;
  authorizer: FunctionName;
  integrationTimeoutSeconds: number;
};

/**
 * The single table's keys: `pk` partition key, `sk` sort key, `expiresAt` TTL attribute (epoch seconds).
 * DynamoDB deletes expired items late, so readers filter them out themselves.
 */
export const table = {
  partitionKey: 'pk',
  sortKey: 'sk',
  timeToLiveAttribute: 'expiresAt',
  /**
   * The events log (`GET /v1/events`): a sparse global secondary index over the kept events' items only (no
   * other item has its keys), an account's events in one partition, newest last by the time fan-out took them.
   * It projects the small attributes a list shows, never the body.
   */
  accountEventsIndex: {
    name: 'AccountEvents',
    partitionKey: 'accountEventsPk',
    sortKey: 'accountEventsSk',
    projected: ['eventType', 'resourceId', 'fannedOutAt', 'occurredAt', 'expiresAt'],
  },
} as const;

/** The default name of the bus publishers put events on. */
export const defaultEventBusName = 'webhooks';

/** The type of the event `POST /v1/webhooks/{id}/test` sends; not in the catalog, so nobody subscribes to it. */
export const testEventType = 'webhook.test';

/**
 * The delivery functions' fixed timings. What a deployment may set (the retry schedule, the timeout, ...) is in
 * settings.ts.
 */
export const defaults = {
  /**
   * How long the main lane waits for an endpoint's answer, from the moment its request was written (setting up a
   * connection is not counted: it has {@link defaults.connectMs}). An attempt not answered by then is cut off and
   * goes on, as the same attempt, in the slow lane, which waits the full timeout.
   */
  mainLaneWaitMs: 3000,
  /** How long either lane waits for a connection (DNS, TCP, TLS, or a free one from the pool) before sending. */
  connectMs: 2000,
  /**
   * What moves a subscription between lanes: its endpoint's recent answers, not one. `toSlow` answers in a row
   * cut off by the main lane's wait move it to the slow lane; `toMain` answers in a row within `quickMs` there
   * bring it back (a stricter bound than the one that moved it, so an endpoint near the bound does not flap).
   */
  laneEvidence: { toSlow: 3, toMain: 5, quickMs: 1500 },
  /** The first probe of an open circuit comes this long after it opened; each failed probe doubles the wait. */
  firstProbeSeconds: 5,
  /**
   * The longest a `Retry-After` on a 429 or 503 holds back an endpoint's other deliveries (the delivery that got
   * it waits as its retry schedule says, up to 6 h).
   */
  maxBackOffSeconds: 900,
  /**
   * Time an invocation keeps after an attempt's longest wait for what follows it (the follow-up message, the
   * record, the subscription's health, a platform event): an attempt that could not end with this much left
   * before the function's timeout is not started, and its message goes back to its queue for as long. On AWS
   * those calls take milliseconds; in the sandbox, whose one process serves every emulator and function, a
   * burst of 900 failing deliveries measured record writes at p99 1.6 to 2.5 s (design notes, Deliveries).
   */
  attemptReserveMs: 2000,
} as const;

/**
 * The delivery functions' CloudWatch metrics, in embedded metric format (Powertools Metrics): one namespace
 * and fixed names, so the functions that emit them and the dashboard and alarms that read them agree.
 *
 * Every metric carries Powertools' `service` dimension ({@link deliveryMetrics.service}) and the `Lane`
 * (`main` | `slow` | `ordered`); `DeliveryFailures` also comes per `ErrorKind` (the attempt's error kind, as its record
 * keeps it). Dimensions have a handful of values only: never an account, subscription or delivery id.
 */
export const deliveryMetrics = {
  namespace: 'Hookbridge',
  /** The value of the `service` dimension, which Powertools Metrics puts on every metric. */
  service: 'delivery',
  dimensions: { lane: 'Lane', errorKind: 'ErrorKind' },
  lanes: ['main', 'slow', 'ordered'],
  names: {
    /** Attempts made: one per POST sent (Count). */
    attempts: 'DeliveryAttempts',
    /** Attempts answered with a 2xx within the timeout (Count). */
    successes: 'DeliverySuccesses',
    /** Attempts that failed, in all and per `ErrorKind` (Count). */
    failures: 'DeliveryFailures',
    /** Time from sending an attempt to its answer or cut-off (Milliseconds). */
    attemptLatency: 'AttemptLatency',
    /** Deliveries that failed for good (their endpoint's failure): `failed` on record, in no DLQ (Count). */
    deliveriesFailed: 'DeliveriesFailed',
    /** Deliveries moved from the main lane to the slow lane (Count). */
    movedToSlowLane: 'MovedToSlowLane',
    /** Subscriptions moved to the slow lane by their endpoints' answers (Count). */
    endpointsSlowed: 'EndpointsMovedToSlowLane',
    /** Subscriptions brought back to the main lane by their endpoints' answers (Count). */
    endpointsRestored: 'EndpointsMovedToMainLane',
    /** Circuits opened: endpoints whose deliveries are held (Count). */
    circuitsOpened: 'CircuitsOpened',
    /** Circuits closed by a probe's (or any attempt's) 2xx (Count). */
    circuitsClosed: 'CircuitsClosed',
    /** Probes of open circuits sent (Count). */
    circuitProbes: 'CircuitProbes',
    /** Deliveries held because their endpoint's circuit was open (Count). */
    deliveriesHeld: 'DeliveriesHeld',
    /** Deliveries that waited for their turn under a rate limit or an endpoint's Retry-After (Count). */
    deliveriesThrottled: 'DeliveriesThrottled',
    /** Connections opened to endpoints (Count). */
    newConnections: 'NewConnections',
    /** Time to set up a new connection: DNS, TCP and TLS (Milliseconds). */
    connectionSetupTime: 'ConnectionSetupTime',
  },
} as const;

/** The version the platform's User-Agent names; kept equal to package.json's by a test. */
export const productVersion = '0.1.0';
