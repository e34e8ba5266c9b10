import { once } from 'node:events';
import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { table } from '../functions/core/platform.ts';
import { readBodyBytes } from './aws-json-protocol.ts';
import type { CallLog } from './call-log.ts';
import type { Meter } from './meter.ts';
import { ensurePlatformTable } from './table-definition.ts';

/** dynalite's own bound on a request body. */
const maxRequestBytes = 16 * 1024 * 1024;

/** Operations that report consumed capacity, with whether they write. */
const capacityOperations: Readonly<Record<string, 'read' | 'write'>> = {
  GetItem: 'read',
  BatchGetItem: 'read',
  Query: 'read',
  Scan: 'read',
  PutItem: 'write',
  UpdateItem: 'write',
  DeleteItem: 'write',
  BatchWriteItem: 'write',
};

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The prefix of a key value (`WEBHOOK#sub_1` is `WEBHOOK`), naming the kind of item. */
const prefixOf = (value: unknown) => {
  const text = isObject(value) && typeof value.S === 'string' ? value.S : '';
  const hash = text.indexOf('#');
  return hash === -1 ? text : text.slice(0, hash);
};

/**
 * The kind of item a request is about, from its key's prefixes (`WEBHOOK/DELIVERY`, `EVENT/FANNED-OUT`,
 * `ACCOUNT/SUBSCRIPTION`): for a query, the prefixes of its key condition's values.
 */
function itemKind(operation: string, data: Json): string {
  const keyed = (key: unknown) =>
    isObject(key)
      ? [prefixOf(key[table.partitionKey]), prefixOf(key[table.sortKey])].filter(Boolean).join('/')
      : '';
  if (isObject(data.Key)) return keyed(data.Key);
  if (isObject(data.Item)) return keyed(data.Item);
  if (operation === 'Query' && isObject(data.ExpressionAttributeValues)) {
    const prefixes = Object.values(data.ExpressionAttributeValues)
      .map(prefixOf)
      .filter((prefix) => /^[A-Z][A-Z-]*$/.test(prefix));
    return [...new Set(prefixes)].slice(0, 2).join('/');
  }
  if (isObject(data.RequestItems)) {
    const first = Object.values(data.RequestItems)[0];
    if (isObject(first) && Array.isArray(first.Keys)) return keyed(first.Keys[0]);
    if (Array.isArray(first)) {
      const request = first[0] as Json | undefined;
      const put = isObject(request?.PutRequest) ? request.PutRequest.Item : undefined;
      const del = isObject(request?.DeleteRequest) ? request.DeleteRequest.Key : undefined;
      return keyed(put ?? del);
    }
  }
  return '';
}

/** The capacity units in a `ConsumedCapacity` answer (one object, or a list for batch operations). */
function unitsOf(consumed: unknown): number {
  if (Array.isArray(consumed)) return consumed.reduce((sum: number, entry) => sum + unitsOf(entry), 0);
  return isObject(consumed) && typeof consumed.CapacityUnits === 'number' ? consumed.CapacityUnits : 0;
}

/** A response that dynalite writes into, for the meter to read before the client gets it. */
class CapturedResponse {
  statusCode = 200;
  readonly headers: OutgoingHttpHeaders = {};
  contentType: string | undefined;
  readonly done: Promise<Buffer>;
  #resolve: (body: Buffer) => void = () => undefined;

  constructor() {
    this.done = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  setHeader(name: string, value: string | number): this {
    this.headers[name.toLowerCase()] = value;
    return this;
  }

  getHeader(name: string): unknown {
    return this.headers[name.toLowerCase()];
  }

  end(body?: string | Buffer): void {
    this.#resolve(body === undefined ? Buffer.alloc(0) : Buffer.from(body));
  }
}

/**
 * The write units a put adds in the events log's index, which dynalite leaves out of its consumed capacity:
 * DynamoDB bills a write to a global secondary index per 1 KB of the item as the index projects it (its keys,
 * the table's keys and the projected attributes), when the item carries the index's keys. (Only fan-out's
 * claim puts such an item; an update of an attribute the index does not project writes nothing there.)
 */
function indexWriteUnits(operation: string, data: Json): number {
  const item = data.Item;
  const index = table.accountEventsIndex;
  if (operation !== 'PutItem' || !isObject(item) || item[index.partitionKey] === undefined) return 0;
  const projected = [
    table.partitionKey,
    table.sortKey,
    index.partitionKey,
    index.sortKey,
    ...index.projected,
  ];
  const bytes = projected.reduce(
    (sum, name) => sum + (item[name] === undefined ? 0 : name.length + JSON.stringify(item[name]).length),
    0,
  );
  return Math.max(1, Math.ceil(bytes / 1024));
}

/**
 * DynamoDB, served by dynalite inside the sandbox's process. Given a meter, every request that can report
 * its consumed capacity asks dynalite for it (`ReturnConsumedCapacity: TOTAL`, which dynalite computes as
 * DynamoDB does: reads per 4 KB, halved when eventually consistent; writes per 1 KB of the larger of the old
 * and new item), the meter counts it, and the answer goes back as the client asked (without it, unless it
 * asked). A refused conditional write counts as one write unit, as DynamoDB bills it; a put into the events
 * log's index counts that index's write too. Given a call log, every
 * request is logged once answered.
 */
export class LocalDynamoDb {
  private constructor(
    private readonly server: Server,
    private readonly meter?: Meter,
    private readonly calls?: CallLog,
  ) {}

  /**
   * Starts dynalite, on disk under `dataDir` or in memory. It listens on an unexposed loopback port only so
   * that closing it flushes and closes its LevelDB store; requests reach it through {@link handle}.
   */
  static async start(dataDir?: string, meter?: Meter, calls?: CallLog): Promise<LocalDynamoDb> {
    const server = dynalite({
      ...(dataDir === undefined ? {} : { path: dataDir }),
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
    }) as Server;
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return new LocalDynamoDb(server, meter, calls);
  }

  /** Serves one DynamoDB wire request. */
  handle(req: IncomingMessage, res: ServerResponse): void | Promise<void> {
    if (this.meter === undefined && this.calls === undefined) {
      this.server.emit('request', req, res);
      return;
    }
    return this.inspected(req, res);
  }

  /** Serves a request whose body is read first: for the meter (see the class) and the call log. */
  private async inspected(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { meter } = this;
    const body = await readBodyBytes(req, maxRequestBytes);
    if (body === undefined) {
      res.writeHead(413, { 'transfer-encoding': 'chunked' }).end();
      return;
    }
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.split('.')[1] ?? '';
    const access =
      meter !== undefined && Object.hasOwn(capacityOperations, operation)
        ? capacityOperations[operation]
        : undefined;
    let data: Json | undefined;
    if (access !== undefined || this.calls !== undefined) {
      try {
        const parsed: unknown = JSON.parse(body.toString('utf8'));
        if (isObject(parsed)) data = parsed;
      } catch {
        // dynalite answers a body that is not JSON itself.
      }
    }
    const asked = data?.ReturnConsumedCapacity === 'TOTAL' || data?.ReturnConsumedCapacity === 'INDEXES';
    const forwarded =
      data !== undefined && access !== undefined && !asked
        ? Buffer.from(JSON.stringify({ ...data, ReturnConsumedCapacity: 'TOTAL' }))
        : body;
    const request = Object.assign(Readable.from([forwarded]), {
      headers: req.headers,
      method: req.method,
      url: req.url,
    });
    const captured = new CapturedResponse();
    this.server.emit('request', request, captured);
    let answer = await captured.done;
    if (data !== undefined) this.calls?.request(req.headers, target, data);
    if (meter !== undefined && data !== undefined && access !== undefined) {
      const kind = `${operation} ${itemKind(operation, data)}`.trim();
      if (captured.statusCode === 200) {
        const result: unknown = JSON.parse(answer.toString('utf8'));
        if (isObject(result)) {
          const units = unitsOf(result.ConsumedCapacity);
          const writes = access === 'write' ? units + indexWriteUnits(operation, data) : 0;
          meter.dynamodb(kind, access === 'read' ? units : 0, writes);
          if (!asked) {
            delete result.ConsumedCapacity;
            answer = Buffer.from(JSON.stringify(result));
            captured.setHeader('x-amz-crc32', crc32(answer));
            captured.setHeader('content-length', answer.length);
          }
        }
      } else if (access === 'write' && answer.includes('ConditionalCheckFailedException')) {
        meter.dynamodb(kind, 0, 1, true);
      } else {
        meter.dynamodb(kind, 0, 0);
      }
    }
    if (res.destroyed) return;
    res.writeHead(captured.statusCode, captured.headers);
    res.end(answer);
  }

  /**
   * Creates the platform's table as the CDK app deploys it, unless it exists (state lives on), and gives a table
   * from before the events log its index (sandbox/table-definition.ts).
   */
  async ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
    await ensurePlatformTable(client, tableName);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
