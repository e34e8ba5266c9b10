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
   * The tenant of a fair queue (a standard queue's `MessageGroupId`): only chooses which messages a receive
   * prefers, with no FIFO ordering, group lock or deduplication.
   */
  readonly messageGroupId?: string;
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
   * The tenant, making the queue a fair queue: 1-128 alphanumeric or punctuation characters. Receives then
   * prefer quiet tenants' messages over a noisy tenant's; there is no FIFO ordering, group lock or
   * deduplication on a standard queue.
   */
  readonly messageGroupId?: string;
}

/** What {@link SqsEmulator.sendMessage} answers. */
export interface SendMessageResult {
  readonly messageId: string;
  readonly md5OfMessageBody: string;
  readonly md5OfMessageAttributes?: string;
  readonly md5OfMessageSystemAttributes?: string;
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
