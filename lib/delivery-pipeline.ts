import { Duration } from 'aws-cdk-lib';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { RecursiveLoop } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  type EnvironmentVariable,
  type EventSourceMappingDefinition,
  eventSourceMappingDeclarations,
  eventSourceMappingsWith,
  type FunctionName,
  functions,
  queues as platformQueues,
  type QueueName,
} from '../functions/core/platform.ts';
import type { SettingValues } from '../functions/core/settings.ts';
import { blockPrivateTargets, PlatformFunction } from './platform-function.ts';
import type { SecretKey } from './secret-key.ts';
import { bindSettings, checkedSetting, settingOfProp } from './setting-props.ts';
import { tableAccess } from './table-access.ts';
import type { WebhookTable } from './webhook-table.ts';
import type { WorkQueue } from './work-queue.ts';

/** Lambda requires a queue's visibility timeout to be at least this many times its consumer's timeout. */
export const VISIBILITY_TO_TIMEOUT_RATIO = 6;

/** The delivery lanes' functions, which share a handler and its environment. */
type LaneFunction = 'delivery' | 'slowDelivery' | 'orderedDelivery';

/** The lanes' queues, each by the variable that names it to the delivery functions. */
const laneQueueVariables = {
  delivery: 'DELIVERY_QUEUE_URL',
  slowDelivery: 'SLOW_DELIVERY_QUEUE_URL',
  orderedDelivery: 'ORDERED_DELIVERY_QUEUE_URL',
  retry: 'RETRY_QUEUE_URL',
} as const satisfies Partial<Record<QueueName, EnvironmentVariable>>;

type LaneQueue = keyof typeof laneQueueVariables;

/**
 * What each lane's code does with the lanes' queues: the queues it sends to, and the one whose messages'
 * visibility it changes. Every lane binds every queue's URL (one handler, one environment); a queue it neither
 * sends to nor changes is only bound.
 */
const laneQueueAccess: Record<
  LaneFunction,
  { sendsTo: readonly LaneQueue[]; changesVisibilityOn?: LaneQueue }
> = {
  // A retry is a new message, delayed: to its lane, or to the retry queue to wait longer than 15 minutes; an
  // endpoint too slow for the main lane moves to the slow lane; an opened circuit's probe goes to the slow lane,
  // a closed circuit's release to the main lane.
  delivery: { sendsTo: ['delivery', 'slowDelivery', 'retry'] },
  // The same on the slow lane (a failed probe sends the next one, a probe answered the release).
  slowDelivery: { sendsTo: ['delivery', 'slowDelivery', 'retry'] },
  // An ordered retry keeps its message and waits by visibility in its group, and the messages a batch held up
  // behind it are made visible again; an ordered delivery that opens a circuit sends its probe to the slow lane,
  // one that closes it the release to the main lane. It never sends to its own queue nor to the retry queue.
  orderedDelivery: { sendsTo: ['delivery', 'slowDelivery'], changesVisibilityOn: 'orderedDelivery' },
};

export interface DeliveryPipelineProps {
  /** The platform's table (subscriptions, deliveries, attempts). */
  readonly table: WebhookTable;
  /** The key the signing secrets are sealed with: the delivery functions decrypt them to sign. */
  readonly secretKey: SecretKey;
  /** The platform's queues, by their platform.ts name. */
  readonly queues: Readonly<Record<QueueName, WorkQueue>>;
  /**
   * The bus the platform's own events (webhook.disabled, delivery.failed, delivery.recovered,
   * webhook.circuit_opened, webhook.circuit_closed) go on.
   */
  readonly eventBus: IEventBus;
  /**
   * Seconds between attempts.
   * @default - `retrySchedule` of functions/core/settings.ts, which holds its bounds too
   */
  readonly retryScheduleSeconds?: readonly number[];
  /**
   * How long a subscription may fail without a single success before it is disabled.
   * @default - `disableAfterSeconds` of functions/core/settings.ts, which holds its bounds too
   */
  readonly disableAfter?: Duration;
  /**
   * How long an endpoint may take to answer: success is a 2xx within this.
   * @default - `deliveryTimeoutSeconds` of functions/core/settings.ts, which holds its bounds too
   */
  readonly deliveryTimeout?: Duration;
  /**
   * The share of deliveries that succeed at their first attempt which get a record (each record is a write):
   * 1 records every one, 0 none; deliveries with a failure are always recorded.
   * @default - `successRecords` of functions/core/settings.ts
   */
  readonly successRecords?: number;
  /**
   * How long delivery records (and the event bodies they need for retries) are kept, in days.
   * @default - `deliveryRetentionDays` of functions/core/settings.ts, which holds its bounds too
   */
  readonly deliveryRetentionDays?: number;
  /**
   * The main lane's most concurrent invocations (its mapping's SQS `MaximumConcurrency`).
   * @default - `mainLaneConcurrency` of functions/core/settings.ts, which holds its bounds too
   */
  readonly mainLaneConcurrency?: number;
  /**
   * Deliveries per main-lane invocation (its mapping's batch size).
   * @default - `mainLaneBatchSize` of functions/core/settings.ts, which holds its bounds too
   */
  readonly mainLaneBatchSize?: number;
  /**
   * The slow lane's most concurrent invocations: all slow endpoints together hold at most this many.
   * @default - `slowLaneConcurrency` of functions/core/settings.ts, which holds its bounds too
   */
  readonly slowLaneConcurrency?: number;
  /**
   * Deliveries per slow-lane invocation (its mapping's batch size).
   * @default - `slowLaneBatchSize` of functions/core/settings.ts, which holds its bounds too
   */
  readonly slowLaneBatchSize?: number;
  /**
   * The ordered lane's most concurrent invocations (its mapping's SQS `MaximumConcurrency`): Lambda takes a FIFO
   * queue's message groups (one per ordered subscription and resource) in parallel up to this.
   * @default - `orderedLaneConcurrency` of functions/core/settings.ts, which holds its bounds too
   */
  readonly orderedLaneConcurrency?: number;
  /**
   * How long the functions' logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * The fan-out, delivery (main, slow and ordered lane) and retry-relay functions, and the SQS event source
 * mappings of platform.ts that feed them, with partial batch responses so one bad message never fails its batch
 * (on the ordered lane's FIFO queue, Lambda returns a group's messages after its first failure, in order).
 */
export class DeliveryPipeline extends Construct {
  /** Turns each bus event into one delivery per matching subscription. */
  public readonly fanOut: PlatformFunction;
  /** Sends signed webhooks from the main lane, waiting briefly for each answer. */
  public readonly delivery: PlatformFunction;
  /** Sends signed webhooks to slow endpoints, waiting the full timeout. */
  public readonly slowDelivery: PlatformFunction;
  /** Sends signed webhooks of ordered subscriptions from the FIFO ordered lane, one at a time per resource. */
  public readonly orderedDelivery: PlatformFunction;
  /** Moves retries that waited out their delay to the main lane. */
  public readonly retryRelay: PlatformFunction;

  public constructor(scope: Construct, id: string, props: DeliveryPipelineProps) {
    super(scope, id);
    const { table, queues } = props;
    for (const name of new Set<QueueName>([
      ...(Object.keys(platformQueues) as QueueName[]),
      ...eventSourceMappingDeclarations.map((m) => m.queue),
    ])) {
      if (queues[name] === undefined) {
        throw new Error(`${this.node.path}: props.queues has no '${name}' queue`);
      }
    }
    // Checked against settings.ts, each named by its prop here; bound to every function that reads it.
    const settings: Partial<SettingValues> = {
      retrySchedule: checkedSetting(
        this,
        'retrySchedule',
        props.retryScheduleSeconds,
        'retryScheduleSeconds',
      ),
      disableAfterSeconds: settingOfProp(this, 'disableAfterSeconds', props.disableAfter),
      deliveryTimeoutSeconds: settingOfProp(this, 'deliveryTimeoutSeconds', props.deliveryTimeout),
      successRecords: settingOfProp(this, 'successRecords', props.successRecords),
      deliveryRetentionDays: checkedSetting(this, 'deliveryRetentionDays', props.deliveryRetentionDays),
    };
    // The lanes' capacity: no function reads it, their event source mappings take it.
    const mappings = eventSourceMappingsWith({
      mainLaneConcurrency: checkedSetting(this, 'mainLaneConcurrency', props.mainLaneConcurrency),
      mainLaneBatchSize: checkedSetting(this, 'mainLaneBatchSize', props.mainLaneBatchSize),
      slowLaneConcurrency: checkedSetting(this, 'slowLaneConcurrency', props.slowLaneConcurrency),
      slowLaneBatchSize: checkedSetting(this, 'slowLaneBatchSize', props.slowLaneBatchSize),
      orderedLaneConcurrency: checkedSetting(this, 'orderedLaneConcurrency', props.orderedLaneConcurrency),
    });

    this.fanOut = new PlatformFunction(this, 'FanOut', {
      definition: functions.fanOut,
      logRetention: props.logRetention,
    });
    // Fan-out lists subscriptions, and keeps each event's body (and a test event's pending record).
    table.grantItemsTo(this.fanOut, tableAccess.fanOut);
    // Ordered subscriptions' deliveries to the ordered lane, the others to the main lane.
    queues.delivery.grantSendTo(this.fanOut, 'DELIVERY_QUEUE_URL');
    queues.orderedDelivery.grantSendTo(this.fanOut, 'ORDERED_DELIVERY_QUEUE_URL');
    queues.fanOut.grantDeadLetterSendTo(this.fanOut, 'FAN_OUT_DLQ_URL');
    bindSettings(this.fanOut, settings);

    const deliveryFunction = (id: string, name: LaneFunction, recursiveLoop: RecursiveLoop) => {
      const fn = new PlatformFunction(this, id, {
        definition: functions[name],
        logRetention: props.logRetention,
        recursiveLoop,
      });
      // Reads the subscription, records each attempt, and notes an endpoint's health on its subscription.
      table.grantItemsTo(fn, tableAccess[name]);
      // Signs with the subscription's secrets: the only functions that may decrypt them.
      props.secretKey.grantDecryptTo(fn);
      const { sendsTo, changesVisibilityOn } = laneQueueAccess[name];
      for (const [queue, variable] of Object.entries(laneQueueVariables) as [
        LaneQueue,
        EnvironmentVariable,
      ][]) {
        if (sendsTo.includes(queue)) queues[queue].grantSendTo(fn, variable);
        else if (changesVisibilityOn === queue) queues[queue].grantChangeVisibilityTo(fn, variable);
        else queues[queue].bindUrlTo(fn, variable);
      }
      // What a lane cannot process: not a delivery message, or one whose processing kept throwing.
      queues.delivery.grantDeadLetterSendTo(fn, 'DELIVERY_DLQ_URL');
      props.eventBus.grantPutEventsTo(fn);
      fn.bindEnvironment('EVENT_BUS_NAME', props.eventBus.eventBusName);
      bindSettings(fn, settings);
      blockPrivateTargets(fn);
      return fn;
    };
    // Each attempt of a delivery is invoked by the message of the one before (up to 21 with the longest
    // schedule), all in one chain of requests; the schedule bounds it, not Lambda's 16.
    this.delivery = deliveryFunction('Delivery', 'delivery', RecursiveLoop.ALLOW);
    this.slowDelivery = deliveryFunction('SlowDelivery', 'slowDelivery', RecursiveLoop.ALLOW);
    // The ordered lane keeps a delivery's message across its attempts and nothing sends to its queue but
    // fan-out and the API: no chain of requests leads back to it, so Lambda's loop detection stays on.
    this.orderedDelivery = deliveryFunction('OrderedDelivery', 'orderedDelivery', RecursiveLoop.TERMINATE);

    this.retryRelay = new PlatformFunction(this, 'RetryRelay', {
      definition: functions.retryRelay,
      logRetention: props.logRetention,
      // A retry waiting 10 hours comes back through this function 40 times in one chain; its due time
      // bounds the chain.
      recursiveLoop: RecursiveLoop.ALLOW,
    });
    queues.delivery.grantSendTo(this.retryRelay, 'DELIVERY_QUEUE_URL');
    queues.retry.grantSendTo(this.retryRelay, 'RETRY_QUEUE_URL');

    const consumers: Partial<Record<FunctionName, PlatformFunction>> = {
      fanOut: this.fanOut,
      delivery: this.delivery,
      slowDelivery: this.slowDelivery,
      orderedDelivery: this.orderedDelivery,
      retryRelay: this.retryRelay,
    };
    for (const mapping of mappings) {
      const consumer = consumers[mapping.function];
      if (consumer === undefined) {
        throw new Error(
          `${this.node.path}: platform.ts maps queue '${mapping.queue}' to function '${mapping.function}', ` +
            `which is not part of the delivery pipeline (${Object.keys(consumers).join(', ')})`,
        );
      }
      const queue = queues[mapping.queue];
      checkMapping(this.node.path, mapping, queue, consumer);
      // The mapping, with the grants of what Lambda does with the queue on the function's behalf.
      queue.feedTo(consumer, {
        batchSize: mapping.batchSize,
        // Lambda takes no batching window from a FIFO queue (checkMapping makes sure none is asked for).
        ...(queue.definition.fifo === true
          ? {}
          : { maxBatchingWindow: Duration.seconds(mapping.maxBatchingWindowSeconds) }),
        maxConcurrency: mapping.maximumConcurrency,
        reportBatchItemFailures: true,
      });
    }
  }
}

function checkMapping(
  path: string,
  mapping: EventSourceMappingDefinition,
  queue: WorkQueue,
  consumer: PlatformFunction,
): void {
  const name = `mapping ${mapping.queue} -> ${mapping.function}`;
  const visibility = queue.definition.visibilityTimeoutSeconds;
  const timeout = consumer.definition.timeoutSeconds;
  if (visibility < VISIBILITY_TO_TIMEOUT_RATIO * timeout) {
    throw new Error(
      `${path}: ${name}: the queue's visibilityTimeoutSeconds (${visibility}) must be at least ` +
        `${VISIBILITY_TO_TIMEOUT_RATIO}x the function's timeoutSeconds (${timeout})`,
    );
  }
  const { batchSize, maxBatchingWindowSeconds: window, maximumConcurrency } = mapping;
  if (!Number.isInteger(window) || window < 0 || window > 300) {
    throw new Error(`${path}: ${name}: maxBatchingWindowSeconds must be 0 to 300, got ${window}`);
  }
  if (queue.definition.fifo === true && window !== 0) {
    throw new Error(
      `${path}: ${name}: maxBatchingWindowSeconds must be 0 for a FIFO queue (Lambda batches none), got ${window}`,
    );
  }
  const maxBatch = window > 0 ? 10_000 : 10;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > maxBatch) {
    throw new Error(
      `${path}: ${name}: batchSize must be 1 to ${maxBatch} with a ${window} s batching window, got ${batchSize}`,
    );
  }
  if (!Number.isInteger(maximumConcurrency) || maximumConcurrency < 2 || maximumConcurrency > 1000) {
    throw new Error(`${path}: ${name}: maximumConcurrency must be 2 to 1000, got ${maximumConcurrency}`);
  }
}
