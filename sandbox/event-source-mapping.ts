import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { EventSourceMappingDefinition } from '../functions/core/platform.ts';
import type { CallLog } from './call-log.ts';
import type { LocalFunction } from './lambda-runtime.ts';
import type { Meter } from './meter.ts';
import { messageSize } from './sqs/message.ts';
import type { ReceivedMessage } from './sqs/types.ts';

/** The part of the SQS emulator a mapping polls through. */
export interface PolledQueues {
  receiveMessages(
    queue: string,
    options: { maxNumberOfMessages: number; waitTimeSeconds: number; signal?: AbortSignal },
  ): Promise<ReceivedMessage[]>;
  deleteMessage(queue: string, receiptHandle: string): void;
  queueArn(queue: string): string;
}

function recordOf(message: ReceivedMessage, queueArn: string, region: string): SQSRecord {
  const attributes = Object.fromEntries(
    Object.entries(message.messageAttributes).map(([name, value]) => [
      name,
      {
        dataType: value.dataType,
        ...(value.stringValue === undefined ? {} : { stringValue: value.stringValue }),
        ...(value.binaryValue === undefined ? {} : { binaryValue: value.binaryValue }),
        stringListValues: [],
        binaryListValues: [],
      },
    ]),
  );
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: message.attributes,
    messageAttributes: attributes,
    md5OfBody: message.md5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/**
 * The messages of a batch that Lambda deletes after an invocation. With `ReportBatchItemFailures`, all but
 * the reported ones; a thrown error, or a response naming an unknown or empty identifier, fails the whole batch.
 */
export function messagesToDelete(batch: readonly ReceivedMessage[], outcome: unknown): ReceivedMessage[] {
  if (outcome instanceof Error) return [];
  const failures = (outcome as SQSBatchResponse | undefined)?.batchItemFailures;
  if (failures === undefined || failures === null) return [...batch];
  if (!Array.isArray(failures)) return [];
  const ids = new Set(batch.map((message) => message.messageId));
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown })?.itemIdentifier;
    if (typeof id !== 'string' || !ids.has(id)) return [];
    failed.add(id);
  }
  return batch.filter((message) => !failed.has(message.messageId));
}

/** The most entries a DeleteMessageBatch call takes. */
const deleteBatchSize = 10;

/**
 * Plays Lambda's SQS event source mapping: pollers long-poll the queue, invoke the function with a batch, and
 * delete what succeeded. Failed messages stay, invisible until their visibility timeout ends (which a handler
 * may have changed), exactly as on AWS. Given a meter, the pollers' calls count as the billed SQS requests they
 * are on AWS: every receive (empty ones too) and one DeleteMessageBatch per ten messages deleted. Given a call
 * log, the same calls are logged as the function's: Lambda makes them with the function's role.
 */
export class EventSourceMapping {
  private readonly abort = new AbortController();
  private readonly pollers: Promise<void>[] = [];
  #inFlight = 0;

  constructor(
    private readonly queues: PolledQueues,
    private readonly queueName: string,
    private readonly fn: LocalFunction,
    private readonly definition: EventSourceMappingDefinition,
    private readonly region: string,
    private readonly meter?: Meter,
    private readonly calls?: CallLog,
  ) {}

  private logCall(operation: 'ReceiveMessage' | 'DeleteMessageBatch'): void {
    this.calls?.madeFor(this.fn.name, { service: 'sqs', operation, resource: this.queueName });
  }

  start(): void {
    for (let i = 0; i < this.definition.maximumConcurrency; i++) this.pollers.push(this.poll());
  }

  private async poll(): Promise<void> {
    const queueArn = this.queues.queueArn(this.queueName);
    while (!this.abort.signal.aborted) {
      let batch: ReceivedMessage[];
      try {
        batch = await this.queues.receiveMessages(this.queueName, {
          maxNumberOfMessages: this.definition.batchSize,
          waitTimeSeconds: 20,
          signal: this.abort.signal,
        });
      } catch (error) {
        if (this.abort.signal.aborted) return;
        console.error(`[event-source-mapping] receive from ${this.queueName} failed:`, error);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      this.meter?.sqs(
        this.queueName,
        'ReceiveMessage',
        batch.reduce((bytes, message) => bytes + receivedSize(message), 0),
        batch.length,
      );
      this.logCall('ReceiveMessage');
      if (batch.length === 0) continue;
      const event: SQSEvent = { Records: batch.map((message) => recordOf(message, queueArn, this.region)) };
      this.#inFlight += batch.length;
      const outcome = await this.fn
        .invoke(event)
        .catch((error: unknown) => {
          console.error(`[event-source-mapping] ${this.fn.name} failed; the batch will be retried:`, error);
          return error instanceof Error ? error : new Error(String(error));
        })
        .finally(() => {
          this.#inFlight -= batch.length;
        });
      const done = messagesToDelete(batch, outcome);
      for (const message of done) this.queues.deleteMessage(this.queueName, message.receiptHandle);
      for (let start = 0; start < done.length; start += deleteBatchSize) {
        this.meter?.sqs(
          this.queueName,
          'DeleteMessageBatch',
          0,
          Math.min(deleteBatchSize, done.length - start),
        );
        this.logCall('DeleteMessageBatch');
      }
    }
  }

  /** Messages of the batches its function is being invoked with now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Stops polling (a long poll under way ends at once, taking nothing) and resolves once the invocations in
   * flight have finished, each within its function's timeout, and their messages were deleted or left to
   * SQS's rules, as after any invocation.
   */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.pollers);
  }
}

/** What a received message weighs in a receive's payload: its body and attributes. */
function receivedSize(message: ReceivedMessage): number {
  try {
    return messageSize(message.body, message.messageAttributes);
  } catch {
    return Buffer.byteLength(message.body);
  }
}
