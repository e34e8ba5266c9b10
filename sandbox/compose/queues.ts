/**
 * The sandbox's queues as platform.ts defines them: the SQS emulator, each queue with its dead-letter queue,
 * and the event source mappings that feed the functions from them.
 */
import { join } from 'node:path';
import {
  type EventSourceMappingDefinition,
  eventSourceMappingsWith,
  type FunctionName,
  type LaneCapacitySetting,
  type QueueName,
  queues,
} from '../../functions/core/platform.ts';
import type { SettingValues } from '../../functions/core/settings.ts';
import type { CallLog } from '../call-log.ts';
import { EventSourceMapping } from '../event-source-mapping.ts';
import type { LocalFunction } from '../lambda-runtime.ts';
import type { Meter } from '../meter.ts';
import { SqsEmulator } from '../sqs/index.ts';

/**
 * The sandbox's name of each of platform.ts's queues; a queue's dead-letter queue is `<name>-dlq` (a FIFO
 * queue's `<name>-dlq.fifo`: both FIFO names end in `.fifo`).
 */
export const queueNames: Readonly<Record<QueueName, string>> = {
  fanOut: 'fan-out',
  delivery: 'delivery',
  slowDelivery: 'delivery-slow',
  orderedDelivery: 'delivery-ordered.fifo',
  retry: 'delivery-retry',
};

/** The name of a queue's dead-letter queue. */
export const deadLetterQueueName = (queue: QueueName): string => {
  const name = queueNames[queue];
  return name.endsWith('.fifo') ? `${name.slice(0, -'.fifo'.length)}-dlq.fifo` : `${name}-dlq`;
};

/**
 * A FIFO queue's attributes: high-throughput mode, deduplication by id (never by content), as lib/work-queue.ts
 * deploys them (test/infra checks that the two agree).
 */
export const fifoAttributes = {
  FifoQueue: 'true',
  ContentBasedDeduplication: 'false',
  DeduplicationScope: 'messageGroup',
  FifoThroughputLimit: 'perMessageGroupId',
} as const;

/** Opens the SQS emulator, replaying what `<dataDir>/sqs` keeps if a data directory is given. */
export function openSqs(options: {
  readonly endpoint: string;
  readonly accountId: string;
  readonly region: string;
  readonly dataDir: string | undefined;
  readonly meter: Meter | undefined;
}): Promise<SqsEmulator> {
  return SqsEmulator.open({
    baseUrl: options.endpoint,
    accountId: options.accountId,
    region: options.region,
    ...(options.dataDir === undefined ? {} : { dataDir: join(options.dataDir, 'sqs') }),
    // Written before every answer (a crashed or killed sandbox loses nothing), synced to the disk in batches
    // off the event loop, as dynalite's store is: one fdatasync per change cost the whole sandbox a quarter
    // of its throughput.
    fsync: 'batched',
    ...(options.meter === undefined ? {} : { meter: options.meter }),
  });
}

/** Creates (or keeps) every queue of platform.ts and its dead-letter queue, with their settings and redrive. */
export function ensureQueues(sqs: SqsEmulator): void {
  for (const [queue, definition] of Object.entries(queues) as [QueueName, (typeof queues)[QueueName]][]) {
    const dlqName = deadLetterQueueName(queue);
    const fifo = 'fifo' in definition ? fifoAttributes : {};
    sqs.ensureQueue(dlqName, {
      ...fifo,
      MessageRetentionPeriod: String(definition.deadLetterRetentionPeriodSeconds),
    });
    sqs.ensureQueue(queueNames[queue], {
      ...fifo,
      VisibilityTimeout: String(definition.visibilityTimeoutSeconds),
      MessageRetentionPeriod: String(definition.retentionPeriodSeconds),
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: sqs.queueArn(dlqName),
        maxReceiveCount: definition.maxReceiveCount,
      }),
    });
  }
}

/** The URL of one of platform.ts's queues, or of its dead-letter queue (`<queue>Dlq`). */
export function queueUrlOf(sqs: SqsEmulator, queue: QueueName | `${QueueName}Dlq`): string {
  return sqs.queueUrl(
    queue.endsWith('Dlq')
      ? deadLetterQueueName(queue.slice(0, -3) as QueueName)
      : queueNames[queue as QueueName],
  );
}

/** What sizes the sandbox's mappings: the lanes' capacity settings, and a cap on every mapping's concurrency. */
export interface MappingCapacity extends Partial<Pick<SettingValues, LaneCapacitySetting>> {
  /** Caps each mapping's own concurrency (see SandboxOptions.maximumConcurrency). */
  readonly maximumConcurrency?: number | undefined;
}

/**
 * platform.ts's event source mappings as the sandbox runs them: the lanes' batch sizes and concurrency from the
 * settings given (checked already; their defaults otherwise), each concurrency capped by `maximumConcurrency`.
 */
export function mappingDefinitionsOf(capacity: MappingCapacity): EventSourceMappingDefinition[] {
  const cap = capacity.maximumConcurrency ?? Number.POSITIVE_INFINITY;
  return eventSourceMappingsWith(capacity).map((mapping) => ({
    ...mapping,
    maximumConcurrency: Math.min(mapping.maximumConcurrency, cap),
  }));
}

/** platform.ts's event source mappings (see {@link mappingDefinitionsOf}), not yet started. */
export function eventSourceMappingsOf(
  sqs: SqsEmulator,
  lambdas: Readonly<Record<FunctionName, LocalFunction>>,
  options: MappingCapacity & {
    readonly region: string;
    readonly meter: Meter | undefined;
    /** Logs the mappings' receives and deletes as their functions' calls. */
    readonly calls?: CallLog | undefined;
  },
): EventSourceMapping[] {
  return mappingDefinitionsOf(options).map(
    (mapping) =>
      new EventSourceMapping(
        sqs,
        queueNames[mapping.queue],
        lambdas[mapping.function],
        mapping,
        options.region,
        options.meter,
        options.calls,
      ),
  );
}

/**
 * Messages in platform.ts's work queues (visible, in flight and delayed): the work a stopped sandbox keeps for
 * its next start. Dead-letter queues are not counted: their messages wait for an operator, not for a start.
 */
export function workQueueDepth(sqs: SqsEmulator): number {
  let depth = 0;
  for (const queue of Object.keys(queues) as QueueName[]) {
    const attributes = sqs.getQueueAttributes(queueUrlOf(sqs, queue), [
      'ApproximateNumberOfMessages',
      'ApproximateNumberOfMessagesNotVisible',
      'ApproximateNumberOfMessagesDelayed',
    ]);
    for (const count of Object.values(attributes)) depth += Number(count);
  }
  return depth;
}
