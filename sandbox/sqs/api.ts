/**
 * The SQS JSON wire API (as @aws-sdk/client-sqs speaks it: `X-Amz-Target: AmazonSQS.<Operation>`): checks each
 * operation's input the way SQS does and maps it to the emulator's typed methods and back.
 */
import { AwsServiceError, unknownOperationError } from '../aws-json-protocol.ts';
import {
  batchEntryIdsNotDistinct,
  batchRequestTooLong,
  emptyBatchRequest,
  invalidBatchEntryId,
  invalidParameter,
  invalidParameterValue,
  missingParameter,
  tooManyEntriesInBatchRequest,
} from './errors.ts';
import { md5OfMessageAttributes } from './md5.ts';
import { messageSize } from './message.ts';
import type { MoveTaskEntry } from './move-tasks.ts';
import type {
  MessageAttributeValue,
  ReceivedMessage,
  ReceiveMessagesOptions,
  SendMessageOptions,
  SendMessageResult,
} from './types.ts';

/** The `X-Amz-Target` prefix of SQS operations. */
export const SQS_TARGET_PREFIX = 'AmazonSQS';

/**
 * What the wire API needs of the emulator: its typed operations, declared here where they are used so that
 * this module does not import the emulator (which imports this module to serve wire requests).
 */
export interface SqsOperations {
  createQueue(name: string, attributes?: Readonly<Record<string, string>>): string;
  getQueueUrl(name: string): string;
  listQueues(prefix?: string): string[];
  setQueueAttributes(queueUrlOrName: string, attributes: Readonly<Record<string, string>>): void;
  getQueueAttributes(queueUrlOrName: string, names: readonly string[]): Record<string, string>;
  deleteQueue(queueUrlOrName: string): void;
  purgeQueue(queueUrlOrName: string): void;
  sendMessage(queueUrlOrName: string, body: string, options?: SendMessageOptions): SendMessageResult;
  checkSendMessageBatch(queueUrlOrName: string, entries: readonly SendMessageOptions[]): void;
  receiveMessages(queueUrlOrName: string, options?: ReceiveMessagesOptions): Promise<ReceivedMessage[]>;
  deleteMessage(queueUrlOrName: string, receiptHandle: string): void;
  changeMessageVisibility(queueUrlOrName: string, receiptHandle: string, seconds: number): void;
  startMessageMoveTask(
    sourceArn: string,
    destinationArn?: string,
    maxNumberOfMessagesPerSecond?: number,
  ): string;
  listMessageMoveTasks(sourceArn: string, maxResults?: number): readonly MoveTaskEntry[];
  cancelMessageMoveTask(taskHandle: string): number;
}

type Input = Readonly<Record<string, unknown>>;
type Operation = (emulator: SqsOperations, input: Input, signal: AbortSignal | undefined) => unknown;

const MAX_BATCH_ENTRIES = 10;
const MAX_BATCH_BYTES = 1_048_576;

const OPERATIONS: Readonly<Record<string, Operation>> = {
  CreateQueue: (emulator, input) => ({
    QueueUrl: emulator.createQueue(
      requiredString(input, 'QueueName'),
      optionalStringMap(input, 'Attributes') ?? {},
    ),
  }),
  GetQueueUrl: (emulator, input) => ({ QueueUrl: emulator.getQueueUrl(requiredString(input, 'QueueName')) }),
  ListQueues: (emulator, input) => listQueues(emulator, input),
  GetQueueAttributes: (emulator, input) => {
    const attributes = emulator.getQueueAttributes(
      requiredString(input, 'QueueUrl'),
      optionalStringArray(input, 'AttributeNames') ?? [],
    );
    // SQS leaves `Attributes` out when there is none to give: without AttributeNames, or when the names asked
    // for are unset on the queue (e.g. RedrivePolicy).
    return Object.keys(attributes).length === 0 ? {} : { Attributes: attributes };
  },
  SetQueueAttributes: (emulator, input) => {
    const attributes = optionalStringMap(input, 'Attributes');
    if (attributes === undefined) throw missingParameter('Attributes');
    emulator.setQueueAttributes(requiredString(input, 'QueueUrl'), attributes);
    return {};
  },
  DeleteQueue: (emulator, input) => {
    emulator.deleteQueue(requiredString(input, 'QueueUrl'));
    return {};
  },
  PurgeQueue: (emulator, input) => {
    emulator.purgeQueue(requiredString(input, 'QueueUrl'));
    return {};
  },
  SendMessage: (emulator, input) => sendMessage(emulator, requiredString(input, 'QueueUrl'), input),
  SendMessageBatch: (emulator, input) => {
    const queueUrl = requiredString(input, 'QueueUrl');
    emulator.getQueueUrl(queueUrl);
    const entries = batchEntries(input, 'SendMessageBatchRequestEntry');
    const size = entries.reduce((total, entry) => total + entrySize(entry), 0);
    if (size > MAX_BATCH_BYTES) throw batchRequestTooLong(MAX_BATCH_BYTES, size);
    emulator.checkSendMessageBatch(
      queueUrl,
      entries.map((entry) => ({
        ...(typeof entry.MessageGroupId === 'string' ? { messageGroupId: entry.MessageGroupId } : {}),
        ...(typeof entry.MessageDeduplicationId === 'string'
          ? { messageDeduplicationId: entry.MessageDeduplicationId }
          : {}),
      })),
    );
    return runBatch(entries, (entry) => {
      const result = sendMessage(emulator, queueUrl, entry);
      return { Id: entry.Id, ...result };
    });
  },
  ReceiveMessage: (emulator, input, signal) => receiveMessage(emulator, input, signal),
  DeleteMessage: (emulator, input) => {
    emulator.deleteMessage(requiredString(input, 'QueueUrl'), requiredString(input, 'ReceiptHandle'));
    return {};
  },
  DeleteMessageBatch: (emulator, input) => {
    const queueUrl = requiredString(input, 'QueueUrl');
    emulator.getQueueUrl(queueUrl);
    return runBatch(batchEntries(input, 'DeleteMessageBatchRequestEntry'), (entry) => {
      emulator.deleteMessage(queueUrl, requiredString(entry, 'ReceiptHandle'));
      return { Id: entry.Id };
    });
  },
  ChangeMessageVisibility: (emulator, input) => {
    emulator.changeMessageVisibility(
      requiredString(input, 'QueueUrl'),
      requiredString(input, 'ReceiptHandle'),
      requiredInteger(input, 'VisibilityTimeout'),
    );
    return {};
  },
  StartMessageMoveTask: (emulator, input) => {
    const destinationArn = optionalString(input, 'DestinationArn');
    const perSecond = optionalInteger(input, 'MaxNumberOfMessagesPerSecond');
    return {
      TaskHandle: emulator.startMessageMoveTask(
        requiredString(input, 'SourceArn'),
        destinationArn === '' ? undefined : destinationArn,
        perSecond,
      ),
    };
  },
  ListMessageMoveTasks: (emulator, input) => ({
    Results: emulator.listMessageMoveTasks(
      requiredString(input, 'SourceArn'),
      optionalInteger(input, 'MaxResults'),
    ),
  }),
  CancelMessageMoveTask: (emulator, input) => ({
    ApproximateNumberOfMessagesMoved: emulator.cancelMessageMoveTask(requiredString(input, 'TaskHandle')),
  }),
  ChangeMessageVisibilityBatch: (emulator, input) => {
    const queueUrl = requiredString(input, 'QueueUrl');
    emulator.getQueueUrl(queueUrl);
    return runBatch(batchEntries(input, 'ChangeMessageVisibilityBatchRequestEntry'), (entry) => {
      emulator.changeMessageVisibility(
        queueUrl,
        requiredString(entry, 'ReceiptHandle'),
        requiredInteger(entry, 'VisibilityTimeout'),
      );
      return { Id: entry.Id };
    });
  },
};

/** SQS operations the emulator does not implement (answered with `UnknownOperationException`). */
const NOT_IMPLEMENTED = new Set([
  'AddPermission',
  'RemovePermission',
  'TagQueue',
  'UntagQueue',
  'ListQueueTags',
  'ListDeadLetterSourceQueues',
]);

/** Runs one wire operation against the emulator; throws {@link AwsServiceError}s in SQS's shapes. */
export async function dispatchSqsOperation(
  emulator: SqsOperations,
  operation: string,
  input: unknown,
  signal?: AbortSignal,
): Promise<unknown> {
  const run = Object.hasOwn(OPERATIONS, operation) ? OPERATIONS[operation] : undefined;
  if (run === undefined) {
    throw unknownOperationError(
      operation,
      NOT_IMPLEMENTED.has(operation)
        ? `The sandbox SQS emulator does not implement ${operation}.`
        : undefined,
    );
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalidParameterValue('The request body must be a JSON object.');
  }
  return run(emulator, input as Input, signal);
}

/**
 * What one successful wire call weighs as SQS bills it: the bytes of the messages it carried (sent, or
 * received) and how many. Other calls carry no message payload (one billed request each).
 */
export function wirePayload(
  operation: string,
  input: unknown,
  result: unknown,
): { readonly bytes: number; readonly messages: number } {
  const request = (input ?? {}) as Input;
  switch (operation) {
    case 'SendMessage':
      return { bytes: entrySize(request), messages: 1 };
    case 'SendMessageBatch': {
      const entries = Array.isArray(request.Entries) ? (request.Entries as Input[]) : [];
      return {
        bytes: entries.reduce((total, entry) => total + entrySize(entry), 0),
        messages: entries.length,
      };
    }
    case 'ReceiveMessage': {
      const messages = ((result as { Messages?: Input[] } | undefined)?.Messages ?? []) as Input[];
      return {
        bytes: messages.reduce((total, message) => {
          const body = typeof message.Body === 'string' ? message.Body : '';
          return total + entrySize({ MessageBody: body, MessageAttributes: message.MessageAttributes });
        }, 0),
        messages: messages.length,
      };
    }
    case 'DeleteMessageBatch':
    case 'ChangeMessageVisibilityBatch':
      return { bytes: 0, messages: Array.isArray(request.Entries) ? request.Entries.length : 0 };
    case 'DeleteMessage':
    case 'ChangeMessageVisibility':
      return { bytes: 0, messages: 1 };
    default:
      return { bytes: 0, messages: 0 };
  }
}

function sendMessage(emulator: SqsOperations, queueUrl: string, input: Input) {
  const body = input.MessageBody;
  if (body === undefined || body === null) throw missingParameter('MessageBody');
  if (typeof body !== 'string') throw invalidParameterValue('MessageBody must be a string.');
  const delaySeconds = optionalInteger(input, 'DelaySeconds');
  const messageAttributes = wireAttributes(input);
  const awsTraceHeader = systemAttributes(input);
  // The emulator checks both ids against the queue's type: MessageGroupId names a fair queue's tenant on a
  // standard queue and a message group on a FIFO queue; MessageDeduplicationId is FIFO-only.
  const messageGroupId = optionalString(input, 'MessageGroupId');
  const messageDeduplicationId = optionalString(input, 'MessageDeduplicationId');
  const result = emulator.sendMessage(queueUrl, body, {
    ...(delaySeconds === undefined ? {} : { delaySeconds }),
    ...(messageAttributes === undefined ? {} : { messageAttributes }),
    ...(awsTraceHeader === undefined ? {} : { awsTraceHeader }),
    ...(messageGroupId === undefined ? {} : { messageGroupId }),
    ...(messageDeduplicationId === undefined ? {} : { messageDeduplicationId }),
  });
  return {
    MessageId: result.messageId,
    MD5OfMessageBody: result.md5OfMessageBody,
    ...(result.md5OfMessageAttributes === undefined
      ? {}
      : { MD5OfMessageAttributes: result.md5OfMessageAttributes }),
    ...(result.md5OfMessageSystemAttributes === undefined
      ? {}
      : { MD5OfMessageSystemAttributes: result.md5OfMessageSystemAttributes }),
    ...(result.sequenceNumber === undefined ? {} : { SequenceNumber: result.sequenceNumber }),
  };
}

const SYSTEM_ATTRIBUTE_NAMES = new Set([
  'All',
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
  'SequenceNumber',
  'MessageDeduplicationId',
  'MessageGroupId',
  'AWSTraceHeader',
  'DeadLetterQueueSourceArn',
]);

async function receiveMessage(emulator: SqsOperations, input: Input, signal: AbortSignal | undefined) {
  const queueUrl = requiredString(input, 'QueueUrl');
  const maxNumberOfMessages = optionalInteger(input, 'MaxNumberOfMessages');
  const waitTimeSeconds = optionalInteger(input, 'WaitTimeSeconds');
  const visibilityTimeout = optionalInteger(input, 'VisibilityTimeout');
  // Unknown names are ignored: the deprecated AttributeNames is typed as queue attribute names.
  const systemNames = new Set(
    [
      ...(optionalStringArray(input, 'AttributeNames') ?? []),
      ...(optionalStringArray(input, 'MessageSystemAttributeNames') ?? []),
    ].filter((name) => SYSTEM_ATTRIBUTE_NAMES.has(name)),
  );
  const attributeNames = optionalStringArray(input, 'MessageAttributeNames') ?? [];
  // ReceiveRequestAttemptId (FIFO queues) is accepted and ignored: SQS would answer a retried attempt with the
  // same messages and handles, while here a retry receives anew (the earlier ones stay in flight until their
  // visibility timeout ends).
  const messages = await emulator.receiveMessages(queueUrl, {
    ...(maxNumberOfMessages === undefined ? {} : { maxNumberOfMessages }),
    ...(waitTimeSeconds === undefined ? {} : { waitTimeSeconds }),
    ...(visibilityTimeout === undefined ? {} : { visibilityTimeout }),
    ...(signal === undefined ? {} : { signal }),
  });
  if (messages.length === 0) return {};
  return { Messages: messages.map((message) => toWireMessage(message, systemNames, attributeNames)) };
}

function toWireMessage(
  message: ReceivedMessage,
  systemNames: ReadonlySet<string>,
  attributeNames: readonly string[],
) {
  const all = systemNames.has('All');
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.attributes)) {
    if (value !== undefined && (all || systemNames.has(name))) attributes[name] = value;
  }
  const selected: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(message.messageAttributes)) {
    if (attributeNameSelected(name, attributeNames)) selected[name] = value;
  }
  const md5 = md5OfMessageAttributes(selected);
  return {
    MessageId: message.messageId,
    ReceiptHandle: message.receiptHandle,
    MD5OfBody: message.md5OfBody,
    Body: message.body,
    ...(Object.keys(attributes).length === 0 ? {} : { Attributes: attributes }),
    ...(md5 === undefined
      ? {}
      : {
          MD5OfMessageAttributes: md5,
          MessageAttributes: Object.fromEntries(
            Object.entries(selected).map(([name, value]) => [
              name,
              {
                DataType: value.dataType,
                ...(value.stringValue === undefined ? {} : { StringValue: value.stringValue }),
                ...(value.binaryValue === undefined ? {} : { BinaryValue: value.binaryValue }),
              },
            ]),
          ),
        }),
  };
}

/** `All` and `.*` select every attribute, `prefix.*` those starting with `prefix.`, anything else itself. */
function attributeNameSelected(name: string, patterns: readonly string[]): boolean {
  return patterns.some(
    (pattern) =>
      pattern === 'All' ||
      pattern === '.*' ||
      pattern === name ||
      (pattern.endsWith('.*') && name.startsWith(pattern.slice(0, -1))),
  );
}

function listQueues(emulator: SqsOperations, input: Input) {
  const prefix = optionalString(input, 'QueueNamePrefix') ?? '';
  const maxResults = optionalInteger(input, 'MaxResults');
  const nextToken = optionalString(input, 'NextToken');
  if (maxResults !== undefined && (maxResults < 1 || maxResults > 1000)) {
    throw invalidParameter('MaxResults', maxResults, 'MaxResults must be an integer between 1 and 1000.');
  }
  let urls = emulator.listQueues(prefix);
  if (nextToken !== undefined) {
    const after = Buffer.from(nextToken, 'base64url').toString('utf8');
    urls = urls.filter((url) => (url.split('/').pop() ?? '') > after);
  }
  if (maxResults === undefined) return urls.length === 0 ? {} : { QueueUrls: urls };
  const page = urls.slice(0, maxResults);
  const last = page.at(-1)?.split('/').pop();
  return {
    ...(page.length === 0 ? {} : { QueueUrls: page }),
    ...(urls.length > maxResults && last !== undefined
      ? { NextToken: Buffer.from(last).toString('base64url') }
      : {}),
  };
}

/** A batch entry after the envelope checks: an object with a valid, distinct `Id`. */
type BatchEntry = Input & { readonly Id: string };

const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

function batchEntries(input: Input, entryName: string): BatchEntry[] {
  const entries = input.Entries;
  if (entries === undefined || entries === null || (Array.isArray(entries) && entries.length === 0)) {
    throw emptyBatchRequest(entryName);
  }
  if (!Array.isArray(entries)) throw invalidParameterValue('Entries must be a list.');
  if (entries.length > MAX_BATCH_ENTRIES) throw tooManyEntriesInBatchRequest(entries.length);
  const ids = new Set<string>();
  for (const entry of entries) {
    if (typeof entry !== 'object' || entry === null)
      throw invalidParameterValue(`Each ${entryName} must be an object.`);
    const id = (entry as Input).Id;
    if (id === undefined) throw missingParameter(`${entryName}.Id`);
    if (typeof id !== 'string' || !BATCH_ENTRY_ID.test(id)) throw invalidBatchEntryId();
    if (ids.has(id)) throw batchEntryIdsNotDistinct(id);
    ids.add(id);
  }
  return entries as BatchEntry[];
}

interface BatchResultErrorEntry {
  readonly Id: string;
  readonly SenderFault: boolean;
  readonly Code: string;
  readonly Message: string;
}

/** Runs each entry; an entry's {@link AwsServiceError} becomes its `Failed` result, as SQS reports them. */
function runBatch<T>(entries: readonly BatchEntry[], run: (entry: BatchEntry) => T) {
  const successful: T[] = [];
  const failed: BatchResultErrorEntry[] = [];
  for (const entry of entries) {
    try {
      successful.push(run(entry));
    } catch (error) {
      if (!(error instanceof AwsServiceError)) throw error;
      failed.push({ Id: entry.Id, SenderFault: error.senderFault, Code: error.code, Message: error.message });
    }
  }
  return { Successful: successful, Failed: failed };
}

/** Bytes an entry counts against the batch limit; malformed entries fail on their own later. */
function entrySize(entry: Input): number {
  const body = typeof entry.MessageBody === 'string' ? entry.MessageBody : '';
  try {
    return messageSize(body, wireAttributes(entry));
  } catch {
    return Buffer.byteLength(body, 'utf8');
  }
}

function wireAttributes(input: Input): Record<string, MessageAttributeValue> | undefined {
  const raw = input.MessageAttributes;
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw invalidParameterValue('MessageAttributes must be a map.');
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(raw as Input)) {
    if (typeof value !== 'object' || value === null) {
      throw invalidParameterValue(
        `The message attribute '${name}' must contain non-empty message attribute type.`,
      );
    }
    const { DataType, StringValue, BinaryValue } = value as Input;
    if (typeof DataType !== 'string' || DataType === '') {
      throw invalidParameterValue(
        `The message attribute '${name}' must contain non-empty message attribute type.`,
      );
    }
    attributes[name] = {
      dataType: DataType,
      ...(typeof StringValue === 'string' ? { stringValue: StringValue } : {}),
      ...(typeof BinaryValue === 'string' ? { binaryValue: BinaryValue } : {}),
    };
  }
  return attributes;
}

/** The `AWSTraceHeader` message system attribute, the only one SQS accepts. */
function systemAttributes(input: Input): string | undefined {
  const raw = input.MessageSystemAttributes;
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw invalidParameterValue('MessageSystemAttributes must be a map.');
  }
  let traceHeader: string | undefined;
  for (const [name, value] of Object.entries(raw as Input)) {
    const stringValue =
      typeof value === 'object' && value !== null ? (value as Input).StringValue : undefined;
    if (name !== 'AWSTraceHeader')
      throw invalidParameterValue(`Message system attribute name '${name}' is invalid.`);
    if (typeof stringValue !== 'string' || stringValue === '') {
      throw invalidParameterValue(
        `Message system attribute '${name}' must contain a non-empty value of type 'String'.`,
      );
    }
    traceHeader = stringValue;
  }
  return traceHeader;
}

function requiredString(input: Input, name: string): string {
  const value = input[name];
  if (value === undefined || value === null || value === '') throw missingParameter(name);
  if (typeof value !== 'string') throw invalidParameter(name, value, `${name} must be a string.`);
  return value;
}

function optionalString(input: Input, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidParameter(name, value, `${name} must be a string.`);
  return value;
}

function optionalInteger(input: Input, name: string): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number)) {
    throw invalidParameter(name, value, `${name} must be an integer.`);
  }
  return number;
}

function requiredInteger(input: Input, name: string): number {
  const value = optionalInteger(input, name);
  if (value === undefined) throw missingParameter(name);
  return value;
}

function optionalStringArray(input: Input, name: string): string[] | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw invalidParameterValue(`${name} must be a list of strings.`);
  }
  return value as string[];
}

function optionalStringMap(input: Input, name: string): Record<string, string> | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (
    typeof value !== 'object' ||
    Array.isArray(value) ||
    Object.values(value).some((v) => typeof v !== 'string')
  ) {
    throw invalidParameterValue(`${name} must be a map of strings.`);
  }
  return value as Record<string, string>;
}
