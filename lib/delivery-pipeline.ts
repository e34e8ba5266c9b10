import { Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  type EventSourceMappingDefinition,
  eventSourceMappings,
  type FunctionName,
  functions,
  type QueueName,
} from '../functions/core/platform.ts';
import { blockPrivateTargets, PlatformFunction } from './platform-function.ts';
import type { WebhookTable } from './webhook-table.ts';
import type { WorkQueue } from './work-queue.ts';

/** Lambda requires a queue's visibility timeout to be at least this many times its consumer's timeout. */
export const VISIBILITY_TO_TIMEOUT_RATIO = 6;

export interface DeliveryPipelineProps {
  /** The platform's table (subscriptions, deliveries, attempts). */
  readonly table: WebhookTable;
  /** The platform's queues, by their platform.ts name. */
  readonly queues: Readonly<Record<QueueName, WorkQueue>>;
  /**
   * How long the functions' logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * The fan-out and delivery functions and the SQS event source mappings of platform.ts that feed them, with
 * partial batch responses so one bad message never fails its batch.
 */
export class DeliveryPipeline extends Construct {
  /** Turns each bus event into one delivery per matching subscription. */
  public readonly fanOut: PlatformFunction;
  /** Sends signed webhooks and schedules retries. */
  public readonly delivery: PlatformFunction;

  public constructor(scope: Construct, id: string, props: DeliveryPipelineProps) {
    super(scope, id);
    const { table, queues } = props;
    for (const name of new Set<QueueName>([
      'fanOut',
      'delivery',
      ...eventSourceMappings.map((m) => m.queue),
    ])) {
      if (queues[name] === undefined) {
        throw new Error(`${this.node.path}: props.queues has no '${name}' queue`);
      }
    }

    this.fanOut = new PlatformFunction(this, 'FanOut', {
      definition: functions.fanOut,
      logRetention: props.logRetention,
    });
    // Fan-out only lists subscriptions; what it produces goes to the delivery queue.
    table.grantReadTo(this.fanOut);
    queues.delivery.grantSendTo(this.fanOut, 'DELIVERY_QUEUE_URL');
    queues.fanOut.grantDeadLetterSendTo(this.fanOut, 'FAN_OUT_DLQ_URL');

    this.delivery = new PlatformFunction(this, 'Delivery', {
      definition: functions.delivery,
      logRetention: props.logRetention,
    });
    // Delivery reads the subscription and disables it when the endpoint answers 410 Gone.
    table.grantReadWriteTo(this.delivery);
    // A retry waits on the same message: the function sets its visibility timeout to the retry's wait.
    queues.delivery.grantChangeVisibilityTo(this.delivery, 'DELIVERY_QUEUE_URL');
    queues.delivery.grantDeadLetterSendTo(this.delivery, 'DELIVERY_DLQ_URL');
    blockPrivateTargets(this.delivery);

    const consumers: Partial<Record<FunctionName, PlatformFunction>> = {
      fanOut: this.fanOut,
      delivery: this.delivery,
    };
    for (const mapping of eventSourceMappings) {
      const consumer = consumers[mapping.function];
      if (consumer === undefined) {
        throw new Error(
          `${this.node.path}: platform.ts maps queue '${mapping.queue}' to function '${mapping.function}', ` +
            `which is not part of the delivery pipeline (${Object.keys(consumers).join(', ')})`,
        );
      }
      const queue = queues[mapping.queue];
      checkMapping(this.node.path, mapping, queue, consumer);
      consumer.function.addEventSource(
        new SqsEventSource(queue.queue, {
          batchSize: mapping.batchSize,
          maxBatchingWindow: Duration.seconds(mapping.maxBatchingWindowSeconds),
          maxConcurrency: mapping.maximumConcurrency,
          reportBatchItemFailures: true,
        }),
      );
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
