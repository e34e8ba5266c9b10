import { Duration, Token } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
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
 * A work queue and its dead-letter queue, both encrypted (SQS-managed SSE) and reachable over TLS only.
 * SQS moves a message to the dead-letter queue after `maxReceiveCount` receives.
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

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.seconds(definition.deadLetterRetentionPeriodSeconds),
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(definition.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(definition.retentionPeriodSeconds),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: definition.maxReceiveCount },
    });
  }

  /** Lets the function send to the work queue and binds the queue's URL to `variable`. */
  public grantSendTo(fn: PlatformFunction, variable: EnvironmentVariable): void {
    this.queue.grantSendMessages(fn);
    fn.bindEnvironment(variable, this.queue.queueUrl);
  }

  /** Lets the function send to the dead-letter queue and binds its URL to `variable`. */
  public grantDeadLetterSendTo(fn: PlatformFunction, variable: EnvironmentVariable): void {
    this.deadLetterQueue.grantSendMessages(fn);
    fn.bindEnvironment(variable, this.deadLetterQueue.queueUrl);
  }
}

function checkDefinition(path: string, definition: QueueDefinition): void {
  const {
    visibilityTimeoutSeconds: visibility,
    retentionPeriodSeconds: retention,
    deadLetterRetentionPeriodSeconds: deadLetterRetention,
    maxReceiveCount,
  } = definition;
  for (const [name, value] of Object.entries(definition)) {
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
  // A standard queue's message keeps its first enqueue time in the DLQ, so a shorter DLQ retention would
  // delete dead letters on arrival.
  if (deadLetterRetention <= retention) {
    throw new Error(
      `${path}: deadLetterRetentionPeriodSeconds (${deadLetterRetention}) must exceed retentionPeriodSeconds ` +
        `(${retention}): dead letters keep their original enqueue time`,
    );
  }
  if (maxReceiveCount < 1 || maxReceiveCount > 1000) {
    throw new Error(`${path}: maxReceiveCount must be 1 to 1000, got ${maxReceiveCount}`);
  }
}
