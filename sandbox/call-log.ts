/**
 * Which function made which AWS call, as the sandbox serves them: what the least-privilege proof
 * (test/integration/least-privilege.test.ts) holds against each function's role in the template.
 *
 * Every invocation (and cold start) runs inside {@link runAs}, an AsyncLocalStorage naming its function. When the
 * AWS SDK's request leaves (Node's `http.client.request.start` diagnostics channel, in the caller's async
 * context), the log notes the request's `amz-sdk-invocation-id` (one per command, the same across its retries)
 * with the function running. The emulators report each request they serve ({@link CallLog.request}: its target,
 * its parsed input, and for KMS the answer, which names the key) with the same header, and the two halves are
 * joined by it. The sandbox's own event source mappings, which call the SQS emulator directly, report their
 * receives and deletes as the mapped function's ({@link CallLog.madeFor}), as Lambda makes them with its role.
 *
 * Node publishes that channel when the request's body is written, which for a request that waited for a free
 * socket of its client's pool happens in the context of the request that freed it. That one is the same
 * function's: each function loads its own handler module instances (sandbox/lambda-runtime.ts), whose scope makes
 * its SDK clients, and so its connection pools.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingHttpHeaders } from 'node:http';
import { type FunctionName, table } from '../functions/core/platform.ts';

/** The services the functions call, by their IAM prefix. */
export type AwsService = 'dynamodb' | 'sqs' | 'events' | 'kms';

/** One AWS call a function made, as the emulator served it. */
export interface AwsCall {
  readonly caller: FunctionName;
  readonly service: AwsService;
  /** The API operation, e.g. `SendMessageBatch` (the IAM action may differ: `sqs:SendMessage`). */
  readonly operation: string;
  /** What it was made on: the table's, queue's or bus's name, or the key's id or ARN. */
  readonly resource: string;
  /** For DynamoDB: the partition key of every item the request names (none for a Scan). */
  readonly leadingKeys?: readonly string[];
  /** For KMS: the request's encryption context. */
  readonly encryptionContext?: Readonly<Record<string, string>>;
}

/** The `X-Amz-Target` prefixes of the services, and the IAM prefix each stands for. */
const servicesByTarget: Readonly<Record<string, AwsService>> = {
  DynamoDB_20120810: 'dynamodb',
  AmazonSQS: 'sqs',
  AWSEvents: 'events',
  TrentService: 'kms',
};

const running = new AsyncLocalStorage<FunctionName>();

/** Runs `work` as function `name`: the AWS calls it makes, however deep, are that function's. */
export function runAs<T>(name: FunctionName, work: () => T): T {
  return running.run(name, work);
}

/** A request an emulator served, not yet joined to its caller. */
interface Served {
  readonly invocationId: string | undefined;
  readonly call: Omit<AwsCall, 'caller'>;
}

const startChannel = 'http.client.request.start';

/** The calls of one sandbox, from {@link CallLog.start} until {@link CallLog.stop}. */
export class CallLog {
  private readonly callers = new Map<string, FunctionName>();
  private readonly served: Served[] = [];
  private readonly made: AwsCall[] = [];
  private readonly onRequest = (message: unknown) => {
    const caller = running.getStore();
    if (caller === undefined) return;
    const id = (message as { request: ClientRequest }).request.getHeader('amz-sdk-invocation-id');
    if (typeof id === 'string') this.callers.set(id, caller);
  };

  private constructor() {
    subscribe(startChannel, this.onRequest);
  }

  /** Starts noting which function sends each AWS SDK request from this process. */
  static start(): CallLog {
    return new CallLog();
  }

  /** Stops noting requests; what was logged stays readable. */
  stop(): void {
    unsubscribe(startChannel, this.onRequest);
  }

  /**
   * A request an emulator served: `target` is its `X-Amz-Target`, `input` its parsed body, `output` the answer
   * (KMS's names the key a `Decrypt` used, which its request need not). Targets of other services are ignored.
   */
  request(headers: IncomingHttpHeaders, target: string, input: unknown, output?: unknown): void {
    const [prefix = '', operation = ''] = target.split('.');
    const service = servicesByTarget[prefix];
    if (service === undefined) return;
    const id = headers['amz-sdk-invocation-id'];
    for (const call of callsOf(service, operation, input, output)) {
      this.served.push({ invocationId: typeof id === 'string' ? id : undefined, call });
    }
  }

  /** A call the sandbox made itself on a function's behalf (its event source mapping's receives and deletes). */
  madeFor(caller: FunctionName, call: Omit<AwsCall, 'caller'>): void {
    this.made.push({ caller, ...call });
  }

  /**
   * Every call a function made so far, in the order served. Requests sent outside any function (a test's own
   * clients, the sandbox's set-up) are left out: no role makes them.
   */
  calls(): AwsCall[] {
    const joined: AwsCall[] = [];
    for (const { invocationId, call } of this.served) {
      const caller = invocationId === undefined ? undefined : this.callers.get(invocationId);
      if (caller !== undefined) joined.push({ caller, ...call });
    }
    return [...joined, ...this.made];
  }
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const stringOf = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** What one request is a call on: one per table of a DynamoDB batch, one per bus of a PutEvents. */
function callsOf(
  service: AwsService,
  operation: string,
  input: unknown,
  output: unknown,
): Omit<AwsCall, 'caller'>[] {
  const data = isObject(input) ? input : {};
  switch (service) {
    case 'dynamodb':
      return tableCalls(operation, data).map(([resource, leadingKeys]) => ({
        service,
        operation,
        resource,
        leadingKeys,
      }));
    case 'sqs': {
      const url = stringOf(data.QueueUrl) ?? '';
      return [{ service, operation, resource: url.slice(url.lastIndexOf('/') + 1) }];
    }
    case 'events': {
      const entries = Array.isArray(data.Entries) ? data.Entries : [];
      const buses = new Set(
        entries.map((entry) => busName(isObject(entry) ? stringOf(entry.EventBusName) : undefined)),
      );
      return [...buses].map((resource) => ({ service, operation, resource }));
    }
    case 'kms': {
      const answered = isObject(output) ? stringOf(output.KeyId) : undefined;
      const context = isObject(data.EncryptionContext) ? data.EncryptionContext : {};
      const encryptionContext = Object.fromEntries(
        Object.entries(context).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
      );
      return [{ service, operation, resource: answered ?? stringOf(data.KeyId) ?? '', encryptionContext }];
    }
  }
}

/** A bus named by name or ARN; none is the default bus. */
const busName = (nameOrArn: string | undefined) =>
  nameOrArn === undefined ? 'default' : nameOrArn.slice(nameOrArn.lastIndexOf('/') + 1);

/** The partition key's value in an item or key (DynamoDB JSON). */
const leadingKeyOf = (key: unknown): string | undefined => {
  const attribute = isObject(key) ? key[table.partitionKey] : undefined;
  return isObject(attribute) ? stringOf(attribute.S) : undefined;
};

/** Each table a DynamoDB request names, with the partition keys of the items it names there. */
function tableCalls(operation: string, data: Json): [string, string[]][] {
  const keys = (values: (string | undefined)[]) => values.filter((v): v is string => v !== undefined);
  const requestItems = isObject(data.RequestItems) ? data.RequestItems : undefined;
  if (requestItems !== undefined) {
    return Object.entries(requestItems).map(([name, requests]) => {
      if (isObject(requests) && Array.isArray(requests.Keys))
        return [name, keys(requests.Keys.map(leadingKeyOf))];
      const writes = Array.isArray(requests) ? requests.filter(isObject) : [];
      return [
        name,
        keys(
          writes.map((write) =>
            isObject(write.PutRequest)
              ? leadingKeyOf(write.PutRequest.Item)
              : isObject(write.DeleteRequest)
                ? leadingKeyOf(write.DeleteRequest.Key)
                : undefined,
          ),
        ),
      ];
    });
  }
  const name = stringOf(data.TableName) ?? '';
  // A query of an index is a call on the index (IAM's resource `table/<name>/index/<index>`), and its leading
  // keys are the values of the index's partition key.
  const indexName = stringOf(data.IndexName);
  if (operation === 'Query' && indexName !== undefined) {
    const partitionKey =
      indexName === table.accountEventsIndex.name ? table.accountEventsIndex.partitionKey : undefined;
    return [[`${name}/index/${indexName}`, keys([queriedPartition(data, partitionKey)])]];
  }
  if (operation === 'Query') return [[name, keys([queriedPartition(data)])]];
  return [[name, keys([leadingKeyOf(data.Key ?? data.Item)])]];
}

/** The partition a Query's key condition names: the value of its `<partition key> = :value` part. */
function queriedPartition(data: Json, partitionKey: string = table.partitionKey): string | undefined {
  const names = isObject(data.ExpressionAttributeNames) ? data.ExpressionAttributeNames : {};
  const values = isObject(data.ExpressionAttributeValues) ? data.ExpressionAttributeValues : {};
  for (const part of String(data.KeyConditionExpression ?? '').split(/\s+AND\s+/i)) {
    const match = /^\s*\(?\s*([#\w]+)\s*=\s*(:\w+)\s*\)?\s*$/.exec(part);
    if (match === undefined || match === null) continue;
    const [, operand = '', placeholder = ''] = match;
    const attribute = operand.startsWith('#') ? stringOf(names[operand]) : operand;
    if (attribute === partitionKey) {
      const value = values[placeholder];
      return isObject(value) ? stringOf(value.S) : undefined;
    }
  }
  return undefined;
}
