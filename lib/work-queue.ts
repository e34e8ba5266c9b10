import { Duration, Names, Token } from 'aws-cdk-lib';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { EventSourceMappingOptions } from 'aws-cdk-lib/aws-lambda';
import {
  DeduplicationScope,
  FifoThroughputLimit,
  Queue,
  QueueEncryption,
  type QueueProps,
} from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { EnvironmentVariable, QueueDefinition } from '../functions/core/platform.ts';
import type { PlatformFunction } from './platform-function.ts';

/** SQS limits (seconds). */
const MAX_VISIBILITY_TIMEOUT = 12 * 3600;
const MIN_RETENTION = 60;
const MAX_RETENTION = 14 * 24 * 3600;

export interface WorkQueueProps {
  /** The queue as `platform.ts` defines it. */
  readonly definition: QueueDefinition;
}

/**
 * The attributes of a FIFO queue of platform.ts, and of its dead-letter queue (a FIFO queue's must be FIFO
 * too): high-throughput mode, in which SQS de-duplicates and limits throughput per message group rather than
 * per queue, and de-duplication only by the `MessageDeduplicationId` each sender gives (fan-out a delivery's id,
 * the API a client's retry its own), never by the body. The sandbox creates its FIFO queues with the same.
 */
export const fifoQueueProps = {
  fifo: true,
  deduplicationScope: DeduplicationScope.MESSAGE_GROUP,
  fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
  contentBasedDeduplication: false,
} as const satisfies QueueProps;

/**
 * A work queue and its dead-letter queue, both encrypted (SQS-managed SSE) and reachable over TLS only; for a
 * definition with `fifo`, both are FIFO queues in high-throughput mode ({@link fifoQueueProps}, their
 * generated names end in `.fifo`). SQS moves a message to the dead-letter queue after `maxReceiveCount`
 * receives.
 */
export class WorkQueue extends Construct {
  /** The definition this queue was built from. */
  public readonly definition: QueueDefinition;
  /** The work queue. */
  public readonly queue: Queue;
  /** Where messages go that could not be processed; also the target's DLQ of bus rules into this queue. */
  public readonly deadLetterQueue: Queue;

  public constructor(scope: Construct, id: string, props: WorkQueueProps) {
    super(scope, id);
    const { definition } = props;
    checkDefinition(this.node.path, definition);
    this.definition = definition;
    const fifo = definition.fifo === true ? fifoQueueProps : {};

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      ...fifo,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.seconds(definition.deadLetterRetentionPeriodSeconds),
    });
    this.queue = new Queue(this, 'Queue', {
      ...fifo,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(definition.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(definition.retentionPeriodSeconds),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: definition.maxReceiveCount },
    });
  }

  /**
   * Lets the function send to the work queue (`sqs:SendMessage`, which `SendMessageBatch` needs too; not
   * `GetQueueUrl` or `GetQueueAttributes`, which CDK's `grantSendMessages` adds and no function calls) and binds
   * the queue's URL to `variable`.
   */
  public grantSendTo(fn: PlatformFunction, variable: EnvironmentVariable): void {
    grantOn(fn, this.queue, ['sqs:SendMessage']);
    fn.bindEnvironment(variable, this.queue.queueUrl);
  }

  /**
   * Feeds the work queue to the function through an SQS event source mapping, and lets the function's role do
   * what the mapping does with it: `sqs:ReceiveMessage`, `sqs:DeleteMessage` and `sqs:GetQueueAttributes`, the
   * three the SQS Developer Guide requires of a Lambda trigger's execution role. Not `ChangeMessageVisibility`
   * or `GetQueueUrl`, which CDK's `SqsEventSource` grants as well: only the ordered lane's code changes
   * visibility ({@link grantChangeVisibilityTo}).
   */
  public feedTo(fn: PlatformFunction, options: Omit<EventSourceMappingOptions, 'eventSourceArn'>): void {
    // SqsEventSource's id, so that the mappings keep their logical ids.
    fn.function.addEventSourceMapping(`SqsEventSource:${Names.nodeUniqueId(this.queue.node)}`, {
      ...options,
      eventSourceArn: this.queue.queueArn,
    });
    grantOn(fn, this.queue, ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']);
  }

  /**
   * Lets the function change the visibility of the work queue's messages (`sqs:ChangeMessageVisibility`, which
   * the batch call needs too) and binds the queue's URL to `variable`: for the ordered lane, whose retry waits
   * by visibility in its group and which releases the messages a batch left behind a wait.
   */
  public grantChangeVisibilityTo(fn: PlatformFunction, variable: EnvironmentVariable): void {
    grantOn(fn, this.queue, ['sqs:ChangeMessageVisibility']);
    fn.bindEnvironment(variable, this.queue.queueUrl);
  }

  /**
   * Binds the work queue's URL to `variable` and grants nothing: for functions that share a consumer's handler
   * and environment but never call the queue.
   */
  public bindUrlTo(fn: PlatformFunction, variable: EnvironmentVariable): void {
    fn.bindEnvironment(variable, this.queue.queueUrl);
  }

  /** Lets the function send to the dead-letter queue (`sqs:SendMessage` only) and binds its URL to `variable`. */
  public grantDeadLetterSendTo(fn: PlatformFunction, variable: EnvironmentVariable): void {
    grantOn(fn, this.deadLetterQueue, ['sqs:SendMessage']);
    fn.bindEnvironment(variable, this.deadLetterQueue.queueUrl);
  }
}

/** Lets the function's role take exactly `actions` on the queue. */
function grantOn(fn: PlatformFunction, queue: Queue, actions: readonly string[]): void {
  Grant.addToPrincipal({ grantee: fn, actions: [...actions], resourceArns: [queue.queueArn] });
}

function checkDefinition(path: string, definition: QueueDefinition): void {
  const {
    visibilityTimeoutSeconds: visibility,
    retentionPeriodSeconds: retention,
    deadLetterRetentionPeriodSeconds: deadLetterRetention,
    maxReceiveCount,
    fifo,
  } = definition;
  if (fifo !== undefined && fifo !== true) {
    throw new Error(`${path}: fifo must be true or left out, got ${String(fifo)}`);
  }
  for (const [name, value] of Object.entries(definition)) {
    if (name === 'fifo') continue;
    if (Token.isUnresolved(value) || !Number.isInteger(value)) {
      throw new Error(`${path}: ${name} must be a whole number, got ${String(value)}`);
    }
  }
  if (visibility < 0 || visibility > MAX_VISIBILITY_TIMEOUT) {
    throw new Error(
      `${path}: visibilityTimeoutSeconds must be 0 to ${MAX_VISIBILITY_TIMEOUT}, got ${visibility}`,
    );
  }
  for (const [name, value] of [
    ['retentionPeriodSeconds', retention],
    ['deadLetterRetentionPeriodSeconds', deadLetterRetention],
  ] as const) {
    if (value < MIN_RETENTION || value > MAX_RETENTION) {
      throw new Error(`${path}: ${name} must be ${MIN_RETENTION} to ${MAX_RETENTION}, got ${value}`);
    }
  }
  // A standard queue's message keeps its first enqueue time in the DLQ, so a DLQ retention no longer than the
  // queue's would delete old dead letters on arrival. A FIFO queue's message gets a new enqueue time when SQS
  // moves it to its DLQ, and stays there the DLQ's whole retention, whatever it spent in the queue (SQS
  // Developer Guide: Setting-up dead-letter queue retention): no relation between the two is needed.
  if (fifo !== true && deadLetterRetention <= retention) {
    throw new Error(
      `${path}: deadLetterRetentionPeriodSeconds (${deadLetterRetention}) must exceed retentionPeriodSeconds ` +
        `(${retention}): dead letters keep their original enqueue time`,
    );
  }
  if (maxReceiveCount < 1 || maxReceiveCount > 1000) {
    throw new Error(`${path}: maxReceiveCount must be 1 to 1000, got ${maxReceiveCount}`);
  }
}
