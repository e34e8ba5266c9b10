/**
 * Dead-letter queue redrive: `StartMessageMoveTask`, `ListMessageMoveTasks` and `CancelMessageMoveTask`, with the
 * rules of SQS's API Reference and Developer Guide ("Learn how to configure a dead-letter queue redrive"), and
 * AWS's answers as LocalStack's AWS-validated tests recorded them (tests/aws/services/sqs/test_sqs_move_task.py):
 * - the source must be the dead-letter queue of some queue (`InvalidParameterValue`); source and destination must
 *   exist (`ResourceNotFoundException`, 404) and be of one type, FIFO or standard;
 * - without a destination, each message goes back to the queue it was dead-lettered from (its
 *   `DeadLetterQueueSourceArn`);
 * - one active task per source; at most 500 messages a second; oldest first;
 * - a moved message is a new one: a new message id, a new enqueue time (its retention starts again), received
 *   0 times, its body and message attributes kept, on a FIFO queue its group and de-duplication id too;
 * - a task whose destination is gone fails (`FailureReason`), the messages not yet moved staying where they are.
 *
 * Where AWS documents nothing, the sandbox chooses and says so: a message with no recorded source (one sent to the
 * dead-letter queue directly) in a task without a destination fails the task, and stays; messages in flight in the
 * source are left for a later task; the tasks are kept in memory (a restart forgets them, not what they moved).
 */
import { randomUUID } from 'node:crypto';
import { AwsServiceError } from '../aws-json-protocol.ts';
import { invalidParameterValue } from './errors.ts';
import type { StoredMessage } from './types.ts';

/** What a move task needs of the emulator. */
export interface MoveTaskQueues {
  /** The queue's kind by ARN, or undefined when there is none. */
  queueType(arn: string): 'standard' | 'fifo' | undefined;
  /** Whether some queue's redrive policy names this ARN as its dead-letter queue. */
  isDeadLetterQueue(arn: string): boolean;
  /** How many messages the queue holds (visible, in flight or delayed). */
  messageCount(arn: string): number;
  /** The queue's oldest visible message, if any. */
  oldestVisible(arn: string): StoredMessage | undefined;
  /** Sends a copy of `message` to the queue `destinationArn` as a new message and deletes it from `sourceArn`. */
  move(message: StoredMessage, sourceArn: string, destinationArn: string): void;
}

export type MoveTaskStatus = 'RUNNING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';

/** A task as `ListMessageMoveTasks` answers it. */
export interface MoveTaskEntry {
  readonly TaskHandle?: string;
  readonly Status: MoveTaskStatus;
  readonly SourceArn: string;
  readonly DestinationArn?: string;
  readonly MaxNumberOfMessagesPerSecond?: number;
  readonly ApproximateNumberOfMessagesMoved: number;
  readonly ApproximateNumberOfMessagesToMove: number;
  readonly FailureReason?: string;
  readonly StartedTimestamp: number;
}

interface Task {
  readonly id: string;
  readonly handle: string;
  readonly sourceArn: string;
  readonly destinationArn: string | undefined;
  readonly perSecond: number | undefined;
  readonly toMove: number;
  readonly startedAt: number;
  status: MoveTaskStatus;
  moved: number;
  failureReason?: string;
  timer?: NodeJS.Timeout;
}

/** SQS moves at most 500 messages a second, and this many when the rate is left to it. */
const MAX_PER_SECOND = 500;
/** Tasks `ListMessageMoveTasks` can show per source: the 10 most recent. */
const KEPT_PER_SOURCE = 10;
/** The failure reason AWS gives a task whose destination queue no longer exists. */
const NON_EXISTENT_QUEUE = 'AWS.SimpleQueueService.NonExistentQueue';

function resourceNotFound(message: string): AwsServiceError {
  return new AwsServiceError('ResourceNotFoundException', message, {
    queryErrorCode: 'ResourceNotFoundException',
    statusCode: 404,
  });
}

const notFound = (parameter: 'SourceArn' | 'DestinationArn') =>
  resourceNotFound(`The resource that you specified for the ${parameter} parameter doesn't exist.`);

/** A task handle as AWS writes it: base64 of `{"taskId":...,"sourceArn":...}`. */
function handleOf(taskId: string, sourceArn: string): string {
  return Buffer.from(JSON.stringify({ taskId, sourceArn })).toString('base64');
}

function parseHandle(handle: string): { taskId: string; sourceArn: string } | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(handle, 'base64').toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { taskId, sourceArn } = parsed as Record<string, unknown>;
    return typeof taskId === 'string' && typeof sourceArn === 'string' ? { taskId, sourceArn } : undefined;
  } catch {
    return undefined;
  }
}

/** The message move tasks of one emulator. */
export class MessageMoveTasks {
  /** Per source ARN, newest first. */
  readonly #tasks = new Map<string, Task[]>();

  constructor(
    private readonly queues: MoveTaskQueues,
    private readonly now: () => number,
  ) {}

  /** Starts moving the source's messages; answers the task's handle. */
  start(sourceArn: string, destinationArn?: string, perSecond?: number): string {
    const sourceType = this.queues.queueType(sourceArn);
    if (sourceType === undefined) throw notFound('SourceArn');
    if (!this.queues.isDeadLetterQueue(sourceArn)) {
      throw invalidParameterValue('Source queue must be configured as a Dead Letter Queue.');
    }
    if (destinationArn !== undefined) {
      const destinationType = this.queues.queueType(destinationArn);
      if (destinationType === undefined) throw notFound('DestinationArn');
      if (destinationType !== sourceType) {
        throw invalidParameterValue('The source queue and destination queue must be of the same queue type.');
      }
    }
    if (perSecond !== undefined && (perSecond < 1 || perSecond > MAX_PER_SECOND)) {
      throw invalidParameterValue(
        `Value for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: You must enter a number that's between 1 and ${MAX_PER_SECOND}.`,
      );
    }
    const tasks = this.#tasks.get(sourceArn) ?? [];
    if (tasks.some((task) => task.status === 'RUNNING')) {
      throw invalidParameterValue(
        'There is already a task running. Only one active task is allowed for a source queue arn at a given time.',
      );
    }
    const id = randomUUID();
    const task: Task = {
      id,
      handle: handleOf(id, sourceArn),
      sourceArn,
      destinationArn,
      perSecond,
      toMove: this.queues.messageCount(sourceArn),
      startedAt: this.now(),
      status: 'RUNNING',
      moved: 0,
    };
    this.#tasks.set(sourceArn, [task, ...tasks].slice(0, KEPT_PER_SOURCE));
    // Asynchronous, as on AWS: the start answers before anything moved.
    this.#schedule(task, 0);
    return task.handle;
  }

  /** The source's most recent tasks, newest first (`maxResults` 1 to 10, 1 by default). */
  list(sourceArn: string, maxResults = 1): MoveTaskEntry[] {
    if (this.queues.queueType(sourceArn) === undefined) throw notFound('SourceArn');
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > KEPT_PER_SOURCE) {
      throw invalidParameterValue(
        `Value for parameter MaxResults is invalid. Reason: You must enter a number that's between 1 and ${KEPT_PER_SOURCE}.`,
      );
    }
    return (this.#tasks.get(sourceArn) ?? []).slice(0, maxResults).map((task) => ({
      // AWS gives the handle only while it can be used: to cancel a running task.
      ...(task.status === 'RUNNING' ? { TaskHandle: task.handle } : {}),
      Status: task.status,
      SourceArn: task.sourceArn,
      ...(task.destinationArn === undefined ? {} : { DestinationArn: task.destinationArn }),
      ...(task.perSecond === undefined ? {} : { MaxNumberOfMessagesPerSecond: task.perSecond }),
      ApproximateNumberOfMessagesMoved: task.moved,
      ApproximateNumberOfMessagesToMove: task.toMove,
      ...(task.failureReason === undefined ? {} : { FailureReason: task.failureReason }),
      StartedTimestamp: task.startedAt,
    }));
  }

  /**
   * Stops a running task; what it moved stays moved. Answers how many it moved. A task that is no longer running
   * is answered as one that does not exist (the sandbox's choice: AWS says only that a running one can be cancelled).
   */
  cancel(handle: string): number {
    const parsed = parseHandle(handle);
    if (parsed === undefined) throw invalidParameterValue('Value for parameter TaskHandle is invalid.');
    if (this.queues.queueType(parsed.sourceArn) === undefined) throw notFound('SourceArn');
    const task = this.#tasks.get(parsed.sourceArn)?.find((one) => one.id === parsed.taskId);
    if (task === undefined || task.status !== 'RUNNING') throw resourceNotFound('Task does not exist.');
    this.#end(task, 'CANCELLED');
    return task.moved;
  }

  /** Stops every running task's timer (the emulator closes). */
  close(): void {
    for (const tasks of this.#tasks.values()) for (const task of tasks) clearTimeout(task.timer);
  }

  #schedule(task: Task, delayMs: number): void {
    task.timer = setTimeout(() => this.#step(task), delayMs);
    task.timer.unref();
  }

  /** Moves the next messages: one at its rate, or as many as SQS would in a second when the rate is its own. */
  #step(task: Task): void {
    if (task.status !== 'RUNNING') return;
    const batch = task.perSecond === undefined ? MAX_PER_SECOND : 1;
    for (let moved = 0; moved < batch; moved++) {
      const message = this.queues.oldestVisible(task.sourceArn);
      if (message === undefined || task.moved >= task.toMove) {
        this.#end(task, 'COMPLETED');
        return;
      }
      const destination = task.destinationArn ?? message.deadLetterSourceArn;
      if (destination === undefined) {
        // The sandbox's choice (AWS documents nothing): no queue to return it to, so it stays.
        this.#end(
          task,
          'FAILED',
          `Message ${message.id} has no source queue to return to: name a DestinationArn`,
        );
        return;
      }
      if (this.queues.queueType(destination) === undefined) {
        this.#end(task, 'FAILED', NON_EXISTENT_QUEUE);
        return;
      }
      try {
        this.queues.move(message, task.sourceArn, destination);
      } catch (error) {
        // The destination refused it (too large for it, say): it stays, and the task ends there, as on AWS.
        if (!(error instanceof AwsServiceError)) throw error;
        this.#end(task, 'FAILED', error.queryErrorCode ?? error.code);
        return;
      }
      task.moved++;
    }
    this.#schedule(task, task.perSecond === undefined ? 0 : 1000 / task.perSecond);
  }

  #end(task: Task, status: Exclude<MoveTaskStatus, 'RUNNING'>, failureReason?: string): void {
    clearTimeout(task.timer);
    task.status = status;
    if (failureReason !== undefined) task.failureReason = failureReason;
  }
}
