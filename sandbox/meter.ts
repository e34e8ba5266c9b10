/**
 * What AWS would bill for, counted by the sandbox's emulators as requests pass through them: EventBridge
 * PutEvents entries, each SQS action (the event source mappings' own polling included), DynamoDB read and write
 * units, KMS requests, and Lambda invocations with their billed duration. One meter per sandbox; a benchmark reads a
 * {@link MeterSnapshot} and resets it between runs.
 */

import { entryOf } from './map-entry.ts';

/** AWS bills SQS requests and EventBridge events per 64 KB chunk of payload. */
export const billingChunkBytes = 64 * 1024;

/** How many billed units a payload of `bytes` is: one per started 64 KB, at least one. */
export const billedChunks = (bytes: number): number => Math.max(1, Math.ceil(bytes / billingChunkBytes));

/** One SQS action on one queue. */
export interface SqsUsage {
  /** API calls made. */
  readonly requests: number;
  /** Billed requests: each call's payload in 64 KB chunks (a batch call is one request per 64 KB). */
  readonly billed: number;
  /** Messages sent, received or deleted by those calls. */
  readonly messages: number;
  /** Receives that answered no message (long polls that ran out), part of `requests`. */
  readonly empty: number;
}

/** One DynamoDB operation on one kind of item (the keys' prefixes, e.g. `WEBHOOK/DELIVERY`). */
export interface DynamoDbUsage {
  readonly requests: number;
  /** Read request units (on-demand): 1 per 4 KB strongly consistent, 0.5 eventually consistent. */
  readonly readUnits: number;
  /** Write request units: 1 per 1 KB of the larger of the old and new item. */
  readonly writeUnits: number;
  /** Conditional writes refused (AWS still bills them: counted here as 1 write unit each). */
  readonly failedConditions: number;
}

/** One Lambda function. */
export interface LambdaUsage {
  readonly invocations: number;
  /** Execution environments created (cold starts), each with its module's init time. */
  readonly coldStarts: number;
  readonly initMs: number;
  /** Wall time of the invocations, and as billed: each rounded up to the millisecond. */
  readonly durationMs: number;
  readonly billedMs: number;
  readonly memoryMb: number;
  /** `billedMs` times the memory size, in GB-seconds. */
  readonly gbSeconds: number;
}

export interface MeterSnapshot {
  readonly eventBridge: {
    readonly putEventsCalls: number;
    /** Entries accepted; billed per 64 KB chunk of each entry. */
    readonly entries: number;
    readonly billed: number;
  };
  /** By queue name, then action. */
  readonly sqs: Readonly<Record<string, Readonly<Record<string, SqsUsage>>>>;
  /** By `<operation> <item kind>`. */
  readonly dynamodb: Readonly<Record<string, DynamoDbUsage>>;
  /** By function name. */
  readonly lambda: Readonly<Record<string, LambdaUsage>>;
  /** KMS requests answered, by operation (`Encrypt`, `Decrypt`): billed per request, whatever their size. */
  readonly kms: Readonly<Record<string, number>>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const emptySqs = (): Mutable<SqsUsage> => ({ requests: 0, billed: 0, messages: 0, empty: 0 });
const emptyDynamoDb = (): Mutable<DynamoDbUsage> => ({
  requests: 0,
  readUnits: 0,
  writeUnits: 0,
  failedConditions: 0,
});

/** The sandbox's meter: the emulators add to it, a benchmark reads and resets it. */
export class Meter {
  #eventBridge = { putEventsCalls: 0, entries: 0, billed: 0 };
  #sqs = new Map<string, Map<string, Mutable<SqsUsage>>>();
  #dynamodb = new Map<string, Mutable<DynamoDbUsage>>();
  #lambda = new Map<string, Mutable<LambdaUsage>>();
  #kms = new Map<string, number>();

  /** A PutEvents call, with the sizes of the entries it accepted. */
  putEvents(acceptedEntryBytes: readonly number[]): void {
    this.#eventBridge.putEventsCalls++;
    this.#eventBridge.entries += acceptedEntryBytes.length;
    for (const bytes of acceptedEntryBytes) this.#eventBridge.billed += billedChunks(bytes);
  }

  /** One SQS call on `queue`, carrying `payloadBytes` of messages (sent or received) and `messages` of them. */
  sqs(queue: string, action: string, payloadBytes: number, messages: number): void {
    const actions = entryOf(this.#sqs, queue, () => new Map<string, Mutable<SqsUsage>>());
    const usage = entryOf(actions, action, emptySqs);
    usage.requests++;
    usage.billed += billedChunks(payloadBytes);
    usage.messages += messages;
    if (action === 'ReceiveMessage' && messages === 0) usage.empty++;
  }

  /** One DynamoDB request and the capacity it consumed. */
  dynamodb(key: string, readUnits: number, writeUnits: number, failedCondition = false): void {
    const usage = entryOf(this.#dynamodb, key, emptyDynamoDb);
    usage.requests++;
    usage.readUnits += readUnits;
    usage.writeUnits += writeUnits;
    if (failedCondition) usage.failedConditions++;
  }

  /** One KMS request answered. */
  kms(operation: string): void {
    this.#kms.set(operation, (this.#kms.get(operation) ?? 0) + 1);
  }

  /** One invocation of `fn` that took `durationMs`. */
  invocation(fn: string, memoryMb: number, durationMs: number): void {
    const usage = this.#function(fn, memoryMb);
    usage.invocations++;
    usage.durationMs += durationMs;
    const billedMs = Math.max(1, Math.ceil(durationMs));
    usage.billedMs += billedMs;
    usage.gbSeconds += (billedMs / 1000) * (memoryMb / 1024);
  }

  /** An execution environment of `fn` created, its module loaded in `initMs`. */
  coldStart(fn: string, memoryMb: number, initMs: number): void {
    const usage = this.#function(fn, memoryMb);
    usage.coldStarts++;
    usage.initMs += initMs;
  }

  /** Everything counted since the start or the last {@link reset}, as plain data. */
  snapshot(): MeterSnapshot {
    const copy = <T extends object>(map: Map<string, T>) =>
      Object.fromEntries([...map].map(([key, value]) => [key, { ...value }]));
    return {
      eventBridge: { ...this.#eventBridge },
      sqs: Object.fromEntries([...this.#sqs].map(([queue, actions]) => [queue, copy(actions)])),
      dynamodb: copy(this.#dynamodb),
      lambda: copy(this.#lambda),
      kms: Object.fromEntries(this.#kms),
    };
  }

  /** Starts counting from zero. */
  reset(): void {
    this.#eventBridge = { putEventsCalls: 0, entries: 0, billed: 0 };
    this.#sqs.clear();
    this.#dynamodb.clear();
    this.#lambda.clear();
    this.#kms.clear();
  }

  #function(fn: string, memoryMb: number): Mutable<LambdaUsage> {
    return entryOf(this.#lambda, fn, () => ({
      invocations: 0,
      coldStarts: 0,
      initMs: 0,
      durationMs: 0,
      billedMs: 0,
      memoryMb,
      gbSeconds: 0,
    }));
  }
}
