/** Data types shared by the SQS emulator's files. */

/** A message attribute as the sandbox passes it in-process (the shape of a Lambda SQS record's attribute). */
export interface MessageAttributeValue {
  /** `String`, `Number` or `Binary`, optionally with a custom suffix such as `Number.float`. */
  readonly dataType: string;
  readonly stringValue?: string;
  /** Base64 of the bytes, as on the wire and in Lambda events. */
  readonly binaryValue?: string;
}

/** One message as stored (and journalled). Timestamps are epoch milliseconds. */
export interface StoredMessage {
  readonly id: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly messageAttributes?: Record<string, MessageAttributeValue>;
  readonly awsTraceHeader?: string;
  /**
   * On a standard queue, the tenant of a fair queue: only chooses which messages a receive prefers, with no
   * ordering, group lock or deduplication. On a FIFO queue, the message group: ordered and locked in flight.
   */
  readonly messageGroupId?: string;
  /** FIFO queues only: the deduplication id given, or the SHA-256 of the body (content-based). */
  readonly deduplicationId?: string;
  /** FIFO queues only: the decimal sequence number, increasing within the queue (so within each group). */
  readonly sequenceNumber?: string;
  /** Original enqueue time (`SentTimestamp`); retention counts from it, also after a move to a DLQ. */
  readonly sentAt: number;
  /** When the message may next be received (end of its delay or of its visibility timeout). */
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  /** Time of the latest receive; the 12 h visibility limit counts from it. */
  receivedAt?: number;
  /** The receipt handle of the latest receive. */
  receiptHandle?: string;
  /** ARN of the queue this message was dead-lettered from. */
  deadLetterSourceArn?: string;
}

/** A message handed out by a receive. */
export interface ReceivedMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly md5OfBody: string;
  /** System attributes, as SQS names them. */
  readonly attributes: {
    readonly ApproximateReceiveCount: string;
    readonly ApproximateFirstReceiveTimestamp: string;
    readonly SentTimestamp: string;
    readonly SenderId: string;
    readonly AWSTraceHeader?: string;
    readonly DeadLetterQueueSourceArn?: string;
    readonly MessageGroupId?: string;
    readonly MessageDeduplicationId?: string;
    readonly SequenceNumber?: string;
  };
  readonly messageAttributes: Record<string, MessageAttributeValue>;
  /** MD5 of all message attributes; absent when there are none. */
  readonly md5OfMessageAttributes?: string;
}

/** A queue's settings as stored: attribute name -> value, both strings as in the API. */
export type QueueSettings = Record<string, string>;

/** Options of {@link SqsEmulator.sendMessage}. */
export interface SendMessageOptions {
  /** 0-900 s; defaults to the queue's `DelaySeconds`. */
  readonly delaySeconds?: number;
  readonly messageAttributes?: Readonly<Record<string, MessageAttributeValue>>;
  /** The X-Ray trace header (the only message system attribute SQS accepts). */
  readonly awsTraceHeader?: string;
  /**
   * 1-128 alphanumeric or punctuation characters. On a standard queue the tenant, making it a fair queue:
   * receives then prefer quiet tenants' messages over a noisy tenant's, with no ordering, group lock or
   * deduplication. On a FIFO queue the message group, which every send must give.
   */
  readonly messageGroupId?: string;
  /**
   * FIFO queues only (a standard queue refuses it): a send with an id already sent within the last 5 minutes is
   * accepted but not enqueued again. Without it, the queue must have `ContentBasedDeduplication`.
   */
  readonly messageDeduplicationId?: string;
}

/** What {@link SqsEmulator.sendMessage} answers. */
export interface SendMessageResult {
  readonly messageId: string;
  readonly md5OfMessageBody: string;
  readonly md5OfMessageAttributes?: string;
  readonly md5OfMessageSystemAttributes?: string;
  /** FIFO queues only: the message's sequence number (the original's, for a deduplicated send). */
  readonly sequenceNumber?: string;
}

/** Options of {@link SqsEmulator.receiveMessages}. */
export interface ReceiveMessagesOptions {
  /** 1-10. @default 1 */
  readonly maxNumberOfMessages?: number;
  /** 0-20 s of long polling; defaults to the queue's `ReceiveMessageWaitTimeSeconds`. */
  readonly waitTimeSeconds?: number;
  /** 0-43200 s; defaults to the queue's `VisibilityTimeout`. */
  readonly visibilityTimeout?: number;
  /** Stops a long poll early (it then answers what it has, usually nothing). */
  readonly signal?: AbortSignal;
}

/** What one receive does: the messages it hands out, in order, and those it moves to the dead-letter queue. */
export interface ReceivePick {
  readonly take: readonly StoredMessage[];
  readonly deadLetter: readonly StoredMessage[];
}
