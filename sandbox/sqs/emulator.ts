/**
 * The sandbox's SQS: standard and FIFO queues by name, with delays, visibility timeouts, long polling,
 * retention, redrive to a dead-letter queue, fair-queue receives for messages with a `MessageGroupId` on a
 * standard queue, ordered groups and deduplication on a FIFO queue (see fifo.ts) and (given a directory)
 * durable state. Its typed methods are used in-process by the sandbox (event source mappings,
 * EventBridge targets); {@link SqsEmulator.handle} serves the wire API.
 */
import { randomUUID } from 'node:crypto';
import type { Meter } from '../meter.ts';
import { dispatchSqsOperation, type SqsOperations, wirePayload } from './api.ts';
import {
  invalidAttributeName,
  invalidParameter,
  invalidParameterValue,
  purgeQueueInProgress,
  queueDeletedRecently,
  queueDoesNotExist,
  queueNameExists,
  receiptHandleExpired,
  receiptHandleIsInvalid,
} from './errors.ts';
import { pickFairly, tenantOf } from './fairness.ts';
import { checkFifoBatch, checkFifoSend, deduplicationScopeOf, pickInGroupOrder } from './fifo.ts';
import { Journal, type JournalOptions } from './journal.ts';
import { md5Hex, md5OfMessageAttributes } from './md5.ts';
import {
  checkIntegerParameter,
  checkMessageAttributes,
  checkMessageBody,
  checkMessageCharacters,
  checkMessageGroupId,
  MAX_DELAY_SECONDS,
  MAX_VISIBILITY_SECONDS,
  messageSize,
} from './message.ts';
import { MessageMoveTasks, type MoveTaskEntry } from './move-tasks.ts';
import { Queue } from './queue.ts';
import { checkQueueName, queueNameOf } from './queue-name.ts';
import { newReceiptHandle, parseReceiptHandle } from './receipt-handle.ts';
import {
  type COMPUTED_ATTRIBUTES,
  DEFAULT_SETTINGS,
  FIFO_DEFAULT_SETTINGS,
  integerSetting,
  normalizeSettings,
  READABLE_ATTRIBUTES,
  redrivePolicyOf,
} from './settings.ts';
import { type Change, SqsState } from './state.ts';
import type {
  MessageAttributeValue,
  QueueSettings,
  ReceivedMessage,
  ReceiveMessagesOptions,
  SendMessageOptions,
  SendMessageResult,
  StoredMessage,
} from './types.ts';

/** Options of {@link SqsEmulator.open}. */
export interface SqsEmulatorOptions {
  /** Origin that queue URLs start with, e.g. `http://localhost:4566`. May differ from one start to the next. */
  readonly baseUrl: string;
  readonly accountId: string;
  readonly region: string;
  /** Directory to keep state in; without it everything is in memory. */
  readonly dataDir?: string;
  /** Clock in epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /** When journal appends reach the disk (see {@link JournalOptions.fsync}). @default true */
  readonly fsync?: boolean | 'batched';
  /** Journal size after which it is compacted into a snapshot. @default 4 MiB */
  readonly compactAfterBytes?: number;
  /** Counts every wire request as SQS bills it (per queue and action, in 64 KB chunks). */
  readonly meter?: Meter;
}

export class SqsEmulator implements SqsOperations {
  readonly #baseUrl: string;
  readonly #accountId: string;
  readonly #region: string;
  readonly #now: () => number;
  readonly #state: SqsState;
  readonly #journal: Journal | undefined;
  readonly #meter: Meter | undefined;
  /**
   * Long polls sleeping per queue name, each as the callback that resumes it. `#wake` calls every one of a
   * queue's callbacks; each poll then looks at the queue again and goes back to sleep if it finds nothing.
   */
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #abortWakes = new WeakMap<AbortSignal, Set<() => void>>();
  /**
   * Per queue, the one timer that wakes its long polls when its earliest delayed message becomes visible: a poll
   * already asleep when the message was sent would otherwise find it only at its own deadline (up to 20 s late).
   */
  readonly #delayWakes = new Map<string, { readonly at: number; readonly timer: NodeJS.Timeout }>();
  /** When each queue was last purged: SQS allows one purge a minute (not journalled, as it only guards). */
  readonly #purgedAt = new Map<string, number>();
  /**
   * When each queue name was last deleted: SQS refuses CreateQueue for that name for 60 s (not journalled, as it
   * only guards).
   */
  readonly #deletedAt = new Map<string, number>();
  /** Dead-letter queue redrives under way and done (in memory: see move-tasks.ts). */
  readonly #moveTasks: MessageMoveTasks;
  #closed = false;

  private constructor(options: SqsEmulatorOptions, state: SqsState, journal: Journal | undefined) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#accountId = options.accountId;
    this.#region = options.region;
    this.#now = options.now ?? Date.now;
    this.#state = state;
    this.#journal = journal;
    this.#meter = options.meter;
    this.#moveTasks = new MessageMoveTasks(
      {
        queueType: (arn) => {
          const queue = this.#queueByArn(arn);
          return queue === undefined ? undefined : queue.fifo === undefined ? 'standard' : 'fifo';
        },
        isDeadLetterQueue: (arn) =>
          [...this.#state.queues.values()].some(
            (queue) => redrivePolicyOf(queue.settings)?.deadLetterTargetArn === arn,
          ),
        messageCount: (arn) => {
          const counts = this.#queueByArn(arn)?.counts(this.#now());
          return counts === undefined ? 0 : counts.visible + counts.inFlight + counts.delayed;
        },
        oldestVisible: (arn) => {
          const queue = this.#queueByArn(arn);
          return queue === undefined ? undefined : queue.visibleMessages(this.#now()).next().value;
        },
        move: (message, sourceArn, destinationArn) => this.#move(message, sourceArn, destinationArn),
      },
      this.#now,
    );
  }

  /** Opens the emulator, replaying the state kept in `dataDir` if given. */
  static async open(options: SqsEmulatorOptions): Promise<SqsEmulator> {
    if (options.dataDir === undefined) return new SqsEmulator(options, new SqsState(), undefined);
    const { journal, contents } = Journal.open({
      dir: options.dataDir,
      ...(options.fsync === undefined ? {} : { fsync: options.fsync }),
      ...(options.compactAfterBytes === undefined ? {} : { compactAfterBytes: options.compactAfterBytes }),
    });
    const state = contents.snapshot === undefined ? new SqsState() : SqsState.fromSnapshot(contents.snapshot);
    for (const record of contents.records) for (const change of record) state.apply(change);
    const now = (options.now ?? Date.now)();
    for (const queue of state.queues.values()) queue.fairness.restore(queue.messages.values(), now);
    const emulator = new SqsEmulator(options, state, journal);
    if (contents.records.length > 0) emulator.compact();
    return emulator;
  }

  /**
   * Serves one wire request; `operation` is the part of `X-Amz-Target` after `AmazonSQS.`.
   * Throws {@link AwsServiceError}s in SQS's shapes.
   */
  async handle(operation: string, input: unknown, signal?: AbortSignal): Promise<unknown> {
    const result = await dispatchSqsOperation(this, operation, input, signal);
    if (this.#meter !== undefined) {
      const queueUrl = (input as { QueueUrl?: unknown }).QueueUrl;
      const queue = typeof queueUrl === 'string' ? (queueNameOf(queueUrl) ?? queueUrl) : '';
      const { bytes, messages } = wirePayload(operation, input, result);
      this.#meter.sqs(queue, operation, bytes, messages);
    }
    return result;
  }

  /** URL of the queue named `name` (whether or not it exists). */
  queueUrl(name: string): string {
    return `${this.#baseUrl}/${this.#accountId}/${name}`;
  }

  /** ARN of the queue named `name` (whether or not it exists). */
  queueArn(name: string): string {
    return `arn:aws:sqs:${this.#region}:${this.#accountId}:${name}`;
  }

  /**
   * Creates a queue and answers its URL. Idempotent when the attributes given match the existing queue's;
   * `QueueNameExists` when they differ, and `QueueDeletedRecently` within 60 s of deleting a queue of that name.
   */
  createQueue(name: string, attributes: Readonly<Record<string, string>> = {}): string {
    return this.#createQueue(name, attributes, true);
  }

  #createQueue(name: string, attributes: Readonly<Record<string, string>>, guardDeleted: boolean): string {
    const fifoQueue = attributes.FifoQueue;
    const fifo = typeof fifoQueue === 'string' && fifoQueue.toLowerCase() === 'true';
    checkQueueName(name, fifo);
    const existing = this.#state.queues.get(name);
    const settings = normalizeSettings(attributes, this.#settingsContext(), {
      fifo,
      ...(existing === undefined ? {} : { current: existing.settings }),
    });
    if (existing !== undefined) {
      for (const [attribute, value] of Object.entries(settings)) {
        const current = existing.settings[attribute] ?? DEFAULT_SETTINGS[attribute] ?? '';
        if (current !== value) throw queueNameExists(attribute);
      }
      return this.queueUrl(name);
    }
    const deletedAt = this.#deletedAt.get(name);
    if (guardDeleted && deletedAt !== undefined && this.#now() - deletedAt < 60_000)
      throw queueDeletedRecently();
    this.#deletedAt.delete(name);
    const initial: QueueSettings = { ...DEFAULT_SETTINGS, ...(fifo ? FIFO_DEFAULT_SETTINGS : {}) };
    for (const [attribute, value] of Object.entries(settings)) if (value !== '') initial[attribute] = value;
    this.#commit([{ type: 'createQueue', name, settings: initial, at: this.#now() }]);
    return this.queueUrl(name);
  }

  /**
   * Creates the queue, or brings an existing one's attributes to the given values (what a deployment does when
   * the definition changes). For the sandbox's own queues, where CreateQueue's `QueueNameExists` would stop a
   * restart after a settings change. Not subject to CreateQueue's 60 s wait after a delete: the sandbox's own
   * queues must come up whatever a client did to them just before.
   */
  ensureQueue(name: string, attributes: Readonly<Record<string, string>> = {}): string {
    if (!this.#state.queues.has(name)) return this.#createQueue(name, attributes, false);
    const queue = this.#queue(name);
    const settings = normalizeSettings(attributes, this.#settingsContext(), {
      fifo: queue.fifo !== undefined,
      current: queue.settings,
    });
    const changed = Object.entries(settings).filter(
      ([attribute, value]) => (queue.settings[attribute] ?? DEFAULT_SETTINGS[attribute] ?? '') !== value,
    );
    if (changed.length > 0) this.setQueueAttributes(name, Object.fromEntries(changed));
    return this.queueUrl(name);
  }

  /** URL of an existing queue; `QueueDoesNotExist` otherwise. */
  getQueueUrl(name: string): string {
    return this.queueUrl(this.#queue(name).name);
  }

  /** URLs of the queues whose names start with `prefix`, sorted by name. */
  listQueues(prefix = ''): string[] {
    return [...this.#state.queues.keys()]
      .filter((name) => name.startsWith(prefix))
      .sort()
      .map((name) => this.queueUrl(name));
  }

  /** Changes settable attributes; an empty `RedrivePolicy` removes the redrive policy. */
  setQueueAttributes(queueUrlOrName: string, attributes: Readonly<Record<string, string>>): void {
    const queue = this.#queue(queueUrlOrName);
    const settings = normalizeSettings(attributes, this.#settingsContext(), {
      fifo: queue.fifo !== undefined,
      current: queue.settings,
    });
    this.#commit([{ type: 'setQueueAttributes', name: queue.name, settings, at: this.#now() }]);
    this.#wake(queue.name);
  }

  /**
   * The named attributes (`All` for every one); `InvalidAttributeName` for unknown names. Counts are exact here,
   * where SQS's are approximate.
   */
  getQueueAttributes(queueUrlOrName: string, names: readonly string[]): Record<string, string> {
    const queue = this.#queue(queueUrlOrName);
    for (const name of names)
      if (name !== 'All' && !READABLE_ATTRIBUTES.has(name)) throw invalidAttributeName(name);
    const wanted = names.includes('All') ? READABLE_ATTRIBUTES : new Set(names);
    const counts = queue.counts(this.#now());
    const computed: Record<(typeof COMPUTED_ATTRIBUTES)[number], string> = {
      ApproximateNumberOfMessages: String(counts.visible),
      ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
      ApproximateNumberOfMessagesDelayed: String(counts.delayed),
      CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
      LastModifiedTimestamp: String(Math.floor(queue.lastModifiedAt / 1000)),
      QueueArn: this.queueArn(queue.name),
    };
    const all: Record<string, string> = { ...computed, ...queue.settings };
    const result: Record<string, string> = {};
    for (const name of wanted) {
      const value = all[name];
      if (value !== undefined) result[name] = value;
    }
    return result;
  }

  /**
   * Deletes a queue and its messages; long polls on it answer empty. As on SQS, CreateQueue refuses the name for
   * the next 60 s.
   */
  deleteQueue(queueUrlOrName: string): void {
    const queue = this.#queue(queueUrlOrName);
    this.#commit([{ type: 'deleteQueue', name: queue.name }]);
    this.#deletedAt.set(queue.name, this.#now());
    // A queue created later under this name is a new queue, with no purge to wait for.
    this.#purgedAt.delete(queue.name);
    this.#wake(queue.name);
  }

  /** Deletes every message in the queue; a second purge within 60 s is refused, as on SQS. */
  purgeQueue(queueUrlOrName: string): void {
    const queue = this.#queue(queueUrlOrName);
    const last = this.#purgedAt.get(queue.name);
    if (last !== undefined && this.#now() - last < 60_000) throw purgeQueueInProgress(queue.name);
    this.#commit([{ type: 'purgeQueue', name: queue.name }]);
    this.#purgedAt.set(queue.name, this.#now());
  }

  /**
   * Enqueues a message; it becomes receivable after its delay. On a FIFO queue a send needs a group id and
   * takes the queue's delay only; one whose deduplication id was accepted within the last 5 minutes is
   * answered with that message's id and sequence number and not enqueued again.
   */
  sendMessage(queueUrlOrName: string, body: string, options: SendMessageOptions = {}): SendMessageResult {
    const queue = this.#queue(queueUrlOrName);
    if (queue.fifo === undefined && options.messageDeduplicationId !== undefined) {
      throw invalidParameter(
        'MessageDeduplicationId',
        options.messageDeduplicationId,
        'The request includes a parameter that is not valid for this queue type.',
      );
    }
    checkMessageBody(body);
    const queueDelay = integerSetting(queue.settings, 'DelaySeconds');
    const delaySeconds = queue.fifo === undefined ? (options.delaySeconds ?? queueDelay) : queueDelay;
    checkIntegerParameter(
      'DelaySeconds',
      options.delaySeconds ?? delaySeconds,
      0,
      MAX_DELAY_SECONDS,
      `DelaySeconds must be >= 0 and <= ${MAX_DELAY_SECONDS}.`,
    );
    const messageAttributes = options.messageAttributes ?? {};
    checkMessageAttributes(messageAttributes);
    if (options.awsTraceHeader !== undefined) checkMessageCharacters(options.awsTraceHeader);
    const fifo = queue.fifo === undefined ? undefined : checkFifoSend(queue.settings, body, options);
    if (fifo === undefined && options.messageGroupId !== undefined)
      checkMessageGroupId(options.messageGroupId);
    const maxSize = integerSetting(queue.settings, 'MaximumMessageSize');
    if (messageSize(body, messageAttributes) > maxSize) {
      throw invalidParameterValue(
        `One or more parameters are invalid. Reason: Message must be shorter than ${maxSize} bytes.`,
      );
    }
    const now = this.#now();
    const md5OfBody = md5Hex(body);
    const duplicate =
      fifo === undefined
        ? undefined
        : queue.fifo?.duplicateOf(
            fifo.groupId,
            fifo.deduplicationId,
            deduplicationScopeOf(queue.settings),
            now,
          );
    if (duplicate !== undefined) {
      return sendResult(duplicate.messageId, md5OfBody, messageAttributes, options.awsTraceHeader, duplicate);
    }
    const groupId = fifo?.groupId ?? options.messageGroupId;
    const hasAttributes = Object.keys(messageAttributes).length > 0;
    const message: StoredMessage = {
      id: randomUUID(),
      body,
      md5OfBody,
      ...(hasAttributes ? { messageAttributes: { ...messageAttributes } } : {}),
      ...(options.awsTraceHeader === undefined ? {} : { awsTraceHeader: options.awsTraceHeader }),
      ...(groupId === undefined ? {} : { messageGroupId: groupId }),
      ...(fifo === undefined || queue.fifo === undefined
        ? {}
        : { deduplicationId: fifo.deduplicationId, sequenceNumber: queue.fifo.sequenceNumbers(now)() }),
      sentAt: now,
      visibleAt: now + delaySeconds * 1000,
      receiveCount: 0,
    };
    this.#commit([{ type: 'send', queue: queue.name, message }]);
    if (delaySeconds === 0) this.#wake(queue.name);
    else this.#wakeAt(queue.name, message.visibleAt);
    return sendResult(message.id, md5OfBody, messageAttributes, options.awsTraceHeader, message);
  }

  /**
   * The checks of a whole SendMessageBatch that come before its entries are sent one by one: on a FIFO queue,
   * every entry must carry a group id and (unless the queue deduplicates by content) a deduplication id.
   */
  checkSendMessageBatch(queueUrlOrName: string, entries: readonly SendMessageOptions[]): void {
    const queue = this.#queue(queueUrlOrName);
    if (queue.fifo !== undefined) checkFifoBatch(queue.settings, entries);
  }

  /**
   * Receives up to `maxNumberOfMessages` visible messages, hiding them for the visibility timeout. With
   * `waitTimeSeconds` > 0 it waits until at least one is available (or the time is up, the signal aborts, the
   * queue is deleted or the emulator closes). Messages already received `maxReceiveCount` times are moved to the
   * dead-letter queue instead of being returned again. As in a fair queue, quiet tenants' messages come before
   * noisy tenants' (see {@link pickFairly}); noisy tenants' messages are still returned when no quiet one waits.
   * A FIFO queue hands out each group's messages in order, none behind one in flight (see
   * {@link pickInGroupOrder}).
   */
  async receiveMessages(
    queueUrlOrName: string,
    options: ReceiveMessagesOptions = {},
  ): Promise<ReceivedMessage[]> {
    const queue = this.#queue(queueUrlOrName);
    const max = options.maxNumberOfMessages ?? 1;
    checkIntegerParameter('MaxNumberOfMessages', max, 1, 10, 'Must be between 1 and 10, if provided.');
    const waitSeconds =
      options.waitTimeSeconds ?? integerSetting(queue.settings, 'ReceiveMessageWaitTimeSeconds');
    checkIntegerParameter('WaitTimeSeconds', waitSeconds, 0, 20, 'Must be >= 0 and <= 20, if provided.');
    if (options.visibilityTimeout !== undefined) {
      checkIntegerParameter(
        'VisibilityTimeout',
        options.visibilityTimeout,
        0,
        MAX_VISIBILITY_SECONDS,
        `Must be >= 0 and <= ${MAX_VISIBILITY_SECONDS}, if provided.`,
      );
    }
    const deadline = this.#now() + waitSeconds * 1000;
    for (;;) {
      // An aborted poll takes nothing: a caller that gave up on it (a mapping stopping) would hold messages it
      // never processes, hidden for their visibility timeout, their receive count raised.
      if (this.#closed || options.signal?.aborted || this.#state.queues.get(queue.name) !== queue) return [];
      const received = this.#take(queue, max, options.visibilityTimeout);
      if (received.length > 0) return received;
      const now = this.#now();
      if (now >= deadline) return [];
      const nextVisible = queue.nextVisibleAt(now) ?? Number.POSITIVE_INFINITY;
      await this.#sleepUntilWoken(queue.name, Math.min(deadline, nextVisible) - now, options.signal);
    }
  }

  /**
   * Deletes the message a receipt handle was issued for. As on SQS, a handle from an earlier receive of a
   * message that is still in a standard queue is accepted (and deletes it), and deleting an already deleted
   * message succeeds; a handle that is not one of this queue's is `ReceiptHandleIsInvalid`. On a FIFO queue a
   * handle whose visibility timeout has ended is refused.
   */
  deleteMessage(queueUrlOrName: string, receiptHandle: string): void {
    const queue = this.#queue(queueUrlOrName);
    const parts = parseReceiptHandle(receiptHandle);
    if (parts === undefined || parts.queue !== queue.name) throw receiptHandleIsInvalid(receiptHandle);
    const message = queue.messages.get(parts.messageId);
    if (message === undefined) return;
    // On a FIFO queue a handle expires with its visibility timeout, and AWS refuses the delete (LocalStack's
    // AWS-validated test_fifo_delete_after_visibility_timeout): the message may already be someone else's.
    if (
      queue.fifo !== undefined &&
      (message.receiptHandle !== receiptHandle || !Queue.isInFlight(message, this.#now()))
    ) {
      throw receiptHandleExpired(receiptHandle);
    }
    this.#commit([{ type: 'delete', queue: queue.name, id: parts.messageId }]);
    // The next message of a FIFO group may be receivable now.
    if (queue.fifo !== undefined) this.#wake(queue.name);
  }

  /**
   * Sets an in-flight message's remaining visibility timeout to `seconds` from now (0 makes it visible at
   * once). The handle must be the latest one of a message still in the queue, and the total time since that
   * receive may not exceed 12 hours. When that message's visibility timeout is already over (it is visible
   * again), the call succeeds and changes nothing, as on SQS.
   */
  changeMessageVisibility(queueUrlOrName: string, receiptHandle: string, seconds: number): void {
    const queue = this.#queue(queueUrlOrName);
    checkIntegerParameter(
      'VisibilityTimeout',
      seconds,
      0,
      MAX_VISIBILITY_SECONDS,
      `Must be >= 0 and <= ${MAX_VISIBILITY_SECONDS}, if provided.`,
    );
    const parts = parseReceiptHandle(receiptHandle);
    if (parts === undefined || parts.queue !== queue.name) throw receiptHandleIsInvalid(receiptHandle);
    const now = this.#now();
    const message = queue.messages.get(parts.messageId);
    if (message === undefined || message.receiptHandle !== receiptHandle) {
      throw invalidParameter(
        'ReceiptHandle',
        receiptHandle,
        'Message does not exist or is not available for visibility timeout change.',
      );
    }
    // AWS answers 200 and leaves the message visible: LocalStack's AWS-validated test for localstack#9598
    // (PR #9632). floci-io/floci#902 says AWS answers MessageNotInflight, without validation; the validated
    // test wins.
    if (!Queue.isInFlight(message, now)) return;
    const visibleAt = now + seconds * 1000;
    if (visibleAt - (message.receivedAt ?? now) > MAX_VISIBILITY_SECONDS * 1000) {
      throw invalidParameter(
        'VisibilityTimeout',
        seconds,
        `Total VisibilityTimeout for the message is beyond the limit [${MAX_VISIBILITY_SECONDS} seconds]`,
      );
    }
    this.#commit([{ type: 'changeVisibility', queue: queue.name, id: message.id, visibleAt }]);
    if (seconds === 0) this.#wake(queue.name);
  }

  /**
   * Starts moving a dead-letter queue's messages back to the queues they came from, or to `destinationArn`
   * (`StartMessageMoveTask`, see move-tasks.ts); answers the task's handle.
   */
  startMessageMoveTask(
    sourceArn: string,
    destinationArn?: string,
    maxNumberOfMessagesPerSecond?: number,
  ): string {
    if (this.#closed) throw new Error('The SQS emulator is closed');
    return this.#moveTasks.start(sourceArn, destinationArn, maxNumberOfMessagesPerSecond);
  }

  /** The most recent move tasks of a dead-letter queue, newest first (`ListMessageMoveTasks`). */
  listMessageMoveTasks(sourceArn: string, maxResults?: number): readonly MoveTaskEntry[] {
    return this.#moveTasks.list(sourceArn, maxResults);
  }

  /** Stops a running move task; answers how many messages it moved (`CancelMessageMoveTask`). */
  cancelMessageMoveTask(taskHandle: string): number {
    return this.#moveTasks.cancel(taskHandle);
  }

  /**
   * A redrive's move of one message: a new message in the destination (new id, new enqueue time, received 0 times;
   * body, attributes, and on a FIFO queue group and de-duplication id kept), and the original deleted.
   */
  #move(message: StoredMessage, sourceArn: string, destinationArn: string): void {
    const source = this.#queueByArn(sourceArn);
    const destination = this.#queueByArn(destinationArn);
    if (source === undefined || destination === undefined) throw queueDoesNotExist();
    this.sendMessage(destination.name, message.body, {
      ...(message.messageAttributes === undefined ? {} : { messageAttributes: message.messageAttributes }),
      ...(message.awsTraceHeader === undefined ? {} : { awsTraceHeader: message.awsTraceHeader }),
      ...(message.messageGroupId === undefined ? {} : { messageGroupId: message.messageGroupId }),
      ...(destination.fifo === undefined || message.deduplicationId === undefined
        ? {}
        : { messageDeduplicationId: message.deduplicationId }),
    });
    this.#commit([{ type: 'delete', queue: source.name, id: message.id }]);
  }

  /** Writes the whole state as a snapshot and empties the journal (no-op in memory). */
  compact(): void {
    if (this.#journal === undefined) return;
    this.#journal.compact(this.#state.toSnapshot(this.#journal.seq));
  }

  /** Wakes long polls (they answer what they have), compacts and closes the journal. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#moveTasks.close();
    for (const { timer } of this.#delayWakes.values()) clearTimeout(timer);
    this.#delayWakes.clear();
    for (const name of [...this.#waiters.keys()]) this.#wake(name);
    if (this.#journal !== undefined) {
      this.compact();
      this.#journal.close();
    }
  }

  #queue(queueUrlOrName: string): Queue {
    if (this.#closed) throw new Error('The SQS emulator is closed');
    const name = queueNameOf(queueUrlOrName);
    const queue = name === undefined ? undefined : this.#state.queues.get(name);
    if (queue === undefined) throw queueDoesNotExist();
    return queue;
  }

  #queueByArn(arn: string): Queue | undefined {
    const parts = arn.split(':');
    if (parts.length !== 6 || parts[0] !== 'arn' || parts[2] !== 'sqs') return undefined;
    const name = parts[5];
    return name === undefined ? undefined : this.#state.queues.get(name);
  }

  #settingsContext() {
    return { queueExists: (arn: string) => this.#queueByArn(arn) !== undefined };
  }

  /** Journals the changes of one request, then applies them: nothing is acknowledged before it is on disk. */
  #commit(changes: readonly Change[]): void {
    if (changes.length === 0) return;
    this.#journal?.append(changes);
    const now = this.#now();
    for (const change of changes) {
      this.#countFairly(change, now);
      this.#state.apply(change);
    }
    if (this.#journal?.needsCompaction) this.compact();
  }

  /** Keeps the fair-queue counts of the queues a change touches in step with it; called before applying it. */
  #countFairly(change: Change, now: number): void {
    const queues = this.#state.queues;
    switch (change.type) {
      case 'send':
        queues.get(change.queue)?.fairness.arrived(tenantOf(change.message), change.message.sentAt);
        return;
      case 'receive': {
        const queue = queues.get(change.queue);
        const message = queue?.messages.get(change.id);
        if (message !== undefined)
          queue?.fairness.received(change.id, tenantOf(message), change.receivedAt, change.visibleAt);
        return;
      }
      case 'changeVisibility':
        queues.get(change.queue)?.fairness.visibilityChanged(change.id, change.visibleAt, now);
        return;
      case 'delete': {
        const queue = queues.get(change.queue);
        const message = queue?.messages.get(change.id);
        if (message !== undefined) queue?.fairness.removed(change.id, tenantOf(message), now);
        return;
      }
      case 'moveToDeadLetter': {
        const source = queues.get(change.queue);
        const message = source?.messages.get(change.id);
        const target = queues.get(change.target);
        if (message === undefined || target === undefined) return;
        source?.fairness.removed(change.id, tenantOf(message), change.at);
        target.fairness.arrived(tenantOf(message), change.at);
        return;
      }
      case 'purgeQueue':
        queues.get(change.name)?.fairness.purged(now);
        return;
      default:
        // Queues created or deleted bring or take their counts along; settings do not change them.
        return;
    }
  }

  #take(queue: Queue, max: number, visibilityTimeout: number | undefined): ReceivedMessage[] {
    const now = this.#now();
    queue.expireSoon(now);
    const policy = redrivePolicyOf(queue.settings);
    const deadLetterQueue = policy === undefined ? undefined : this.#queueByArn(policy.deadLetterTargetArn);
    const overReceived = (message: StoredMessage) =>
      policy !== undefined &&
      deadLetterQueue !== undefined &&
      deadLetterQueue !== queue &&
      message.receiveCount >= policy.maxReceiveCount;
    const visibilityMs = (visibilityTimeout ?? integerSetting(queue.settings, 'VisibilityTimeout')) * 1000;
    const { take, deadLetter } =
      queue.fifo === undefined
        ? pickFairly(queue.visibleMessages(now), queue.fairness, now, max, overReceived)
        : pickInGroupOrder(queue.messages.values(), now, queue.retentionMs, max, overReceived);
    const changes: Change[] = [];
    // A FIFO dead-letter queue gives arrivals sequence numbers of its own, after those it already gave.
    const sequenceNumber = deadLetterQueue?.fifo?.sequenceNumbers(now);
    for (const message of deadLetter) {
      if (deadLetterQueue === undefined) break;
      changes.push({
        type: 'moveToDeadLetter',
        queue: queue.name,
        id: message.id,
        target: deadLetterQueue.name,
        sourceArn: this.queueArn(queue.name),
        at: now,
        ...(sequenceNumber === undefined ? {} : { sequenceNumber: sequenceNumber() }),
      });
    }
    for (const message of take) {
      changes.push({
        type: 'receive',
        queue: queue.name,
        id: message.id,
        receiptHandle: newReceiptHandle(queue.name, message.id),
        receiveCount: message.receiveCount + 1,
        firstReceivedAt: message.firstReceivedAt ?? now,
        receivedAt: now,
        visibleAt: now + visibilityMs,
      });
    }
    this.#commit(changes);
    if (deadLetterQueue !== undefined && deadLetter.length > 0) this.#wake(deadLetterQueue.name);
    return take.map((message) => this.#toReceived(message));
  }

  #toReceived(message: StoredMessage): ReceivedMessage {
    const messageAttributes = message.messageAttributes ?? {};
    const md5 = md5OfMessageAttributes(messageAttributes);
    return {
      messageId: message.id,
      receiptHandle: message.receiptHandle ?? '',
      body: message.body,
      md5OfBody: message.md5OfBody,
      attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? message.receivedAt ?? 0),
        SentTimestamp: String(message.sentAt),
        SenderId: this.#accountId,
        ...(message.awsTraceHeader === undefined ? {} : { AWSTraceHeader: message.awsTraceHeader }),
        ...(message.deadLetterSourceArn === undefined
          ? {}
          : { DeadLetterQueueSourceArn: message.deadLetterSourceArn }),
        ...(message.messageGroupId === undefined ? {} : { MessageGroupId: message.messageGroupId }),
        ...(message.deduplicationId === undefined ? {} : { MessageDeduplicationId: message.deduplicationId }),
        ...(message.sequenceNumber === undefined ? {} : { SequenceNumber: message.sequenceNumber }),
      },
      messageAttributes: { ...messageAttributes },
      ...(md5 === undefined ? {} : { md5OfMessageAttributes: md5 }),
    };
  }

  /** Wakes the queue's long polls at `at` (epoch ms), unless a wake already comes sooner. */
  #wakeAt(queueName: string, at: number): void {
    const scheduled = this.#delayWakes.get(queueName);
    if (scheduled !== undefined && scheduled.at <= at) return;
    if (scheduled !== undefined) clearTimeout(scheduled.timer);
    const timer = setTimeout(
      () => {
        this.#delayWakes.delete(queueName);
        this.#wake(queueName);
      },
      Math.max(0, at - this.#now()),
    ).unref();
    this.#delayWakes.set(queueName, { at, timer });
  }

  #wake(queueName: string): void {
    const waiters = this.#waiters.get(queueName);
    if (waiters === undefined) return;
    this.#waiters.delete(queueName);
    for (const wake of waiters) wake();
  }

  /** Resolves after `ms`, or sooner when the queue is woken, `signal` aborts or the emulator closes. */
  #sleepUntilWoken(queueName: string, ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      let waiters = this.#waiters.get(queueName);
      if (waiters === undefined) {
        waiters = new Set();
        this.#waiters.set(queueName, waiters);
      }
      const wake = () => {
        clearTimeout(timer);
        unwatch?.();
        this.#waiters.get(queueName)?.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(0, Math.min(ms, 2 ** 31 - 1)));
      timer.unref();
      waiters.add(wake);
      const unwatch = signal === undefined ? undefined : this.#onAbort(signal, wake);
    });
  }

  /**
   * Calls `wake` when `signal` aborts, with one listener per signal however many polls share it (an event
   * source mapping's pollers do), so that Node does not warn about a listener leak.
   */
  #onAbort(signal: AbortSignal, wake: () => void): () => void {
    let wakes = this.#abortWakes.get(signal);
    if (wakes === undefined) {
      const created = new Set<() => void>();
      wakes = created;
      this.#abortWakes.set(signal, created);
      signal.addEventListener(
        'abort',
        () => {
          for (const callback of [...created]) callback();
        },
        { once: true },
      );
    }
    const registered = wakes;
    registered.add(wake);
    return () => registered.delete(wake);
  }
}

/** What a send answers; `fifo` carries the sequence number of the message it enqueued or duplicates. */
function sendResult(
  messageId: string,
  md5OfMessageBody: string,
  messageAttributes: Readonly<Record<string, MessageAttributeValue>>,
  awsTraceHeader: string | undefined,
  fifo: { readonly sequenceNumber?: string | undefined },
): SendMessageResult {
  const md5OfAttributes = md5OfMessageAttributes(messageAttributes);
  const md5OfSystemAttributes =
    awsTraceHeader === undefined
      ? undefined
      : md5OfMessageAttributes({ AWSTraceHeader: { dataType: 'String', stringValue: awsTraceHeader } });
  return {
    messageId,
    md5OfMessageBody,
    ...(md5OfAttributes === undefined ? {} : { md5OfMessageAttributes: md5OfAttributes }),
    ...(md5OfSystemAttributes === undefined ? {} : { md5OfMessageSystemAttributes: md5OfSystemAttributes }),
    ...(fifo.sequenceNumber === undefined ? {} : { sequenceNumber: fifo.sequenceNumber }),
  };
}
