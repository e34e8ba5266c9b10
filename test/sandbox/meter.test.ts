/**
 * The sandbox's meter: each emulator counts what AWS would bill, as AWS counts it (64 KB chunks, capacity
 * units, billed milliseconds), whether the call came over the wire or from the sandbox itself.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { functions } from '#core/platform.ts';
import { LocalDynamoDb } from '#sandbox/dynamodb.ts';
import { EventSourceMapping } from '#sandbox/event-source-mapping.ts';
import { LocalEventBuses } from '#sandbox/eventbridge/event-bus.ts';
import { LocalFunction } from '#sandbox/lambda-runtime.ts';
import { billedChunks, Meter } from '#sandbox/meter.ts';
import { type SqsTestServer, startSqsServer } from './sqs/sqs-server.ts';

const kb = (n: number) => 'x'.repeat(n * 1024);
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('billedChunks', () => {
  it('bills every started 64 KB, and at least one', () => {
    expect([0, 1, 65_536, 65_537, 256 * 1024].map(billedChunks)).toEqual([1, 1, 1, 2, 4]);
  });
});

describe('the SQS emulator’s meter', () => {
  async function sqs(meter: Meter): Promise<SqsTestServer> {
    const server = await startSqsServer({ meter });
    cleanups.push(() => server.close());
    server.emulator.createQueue('work');
    return server;
  }

  it('counts each wire call by queue and action, a batch as one request per 64 KB of its messages', async () => {
    const meter = new Meter();
    const { client, emulator } = await sqs(meter);
    const QueueUrl = emulator.queueUrl('work');

    await client.send(new SendMessageCommand({ QueueUrl, MessageBody: kb(1) }));
    await client.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: Array.from({ length: 10 }, (_, i) => ({ Id: String(i), MessageBody: kb(10) })),
      }),
    );
    const received = await client.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: (received.Messages ?? []).map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );

    const usage = meter.snapshot().sqs.work ?? {};
    expect(usage.SendMessage).toEqual({ requests: 1, billed: 1, messages: 1, empty: 0 });
    expect(usage.SendMessageBatch).toEqual({ requests: 1, billed: 2, messages: 10, empty: 0 });
    // Ten of the eleven messages: over 64 KB in all, so two billed requests.
    expect(usage.ReceiveMessage).toEqual({ requests: 1, billed: 2, messages: 10, empty: 0 });
    expect(usage.DeleteMessageBatch).toEqual({
      requests: 1,
      billed: 1,
      messages: 10,
      empty: 0,
    });
  });

  it('counts an empty receive as a billed request, and nothing for a call that failed', async () => {
    const meter = new Meter();
    const { client, emulator } = await sqs(meter);

    await client.send(new ReceiveMessageCommand({ QueueUrl: emulator.queueUrl('work'), WaitTimeSeconds: 0 }));
    await client
      .send(new SendMessageCommand({ QueueUrl: emulator.queueUrl('nowhere'), MessageBody: 'x' }))
      .catch(() => {});

    expect(meter.snapshot().sqs).toEqual({
      work: { ReceiveMessage: { requests: 1, billed: 1, messages: 0, empty: 1 } },
    });
  });

  it('counts an event source mapping’s polling: its receives, and a DeleteMessageBatch per ten deleted', async () => {
    const meter = new Meter();
    const { emulator } = await sqs(meter);
    for (let i = 0; i < 12; i++) emulator.sendMessage('work', `m${i}`);
    const seen: number[] = [];
    const fn = new LocalFunction(
      'fanOut',
      functions.fanOut,
      async () => async (event) => {
        seen.push((event as SQSEvent).Records.length);
        return { batchItemFailures: [] };
      },
      'us-east-1',
      meter,
    );
    const mapping = new EventSourceMapping(
      emulator,
      'work',
      fn,
      {
        queue: 'fanOut',
        function: 'fanOut',
        batchSize: 10,
        maxBatchingWindowSeconds: 0,
        maximumConcurrency: 1,
      },
      'us-east-1',
      meter,
    );
    mapping.start();
    cleanups.push(() => mapping.stop());
    while (seen.reduce((a, b) => a + b, 0) < 12) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 20));

    const { sqs: queues, lambda } = meter.snapshot();
    expect(queues.work?.ReceiveMessage).toMatchObject({ requests: 2, messages: 12, empty: 0 });
    expect(queues.work?.DeleteMessageBatch).toEqual({ requests: 2, billed: 2, messages: 12, empty: 0 });
    expect(lambda.fanOut).toMatchObject({
      invocations: 2,
      coldStarts: 1,
      memoryMb: functions.fanOut.memorySizeMb,
    });
  });
});

describe('LocalFunction’s meter', () => {
  it('bills each invocation rounded up to the millisecond, times the memory size', async () => {
    const meter = new Meter();
    const fn = new LocalFunction(
      'delivery',
      functions.delivery,
      async () => async () => new Promise((resolve) => setTimeout(resolve, 20)),
      'us-east-1',
      meter,
    );

    await fn.invoke({});
    await fn.invoke({});

    const usage = meter.snapshot().lambda.delivery;
    expect(usage).toMatchObject({ invocations: 2, coldStarts: 1, memoryMb: 512 });
    expect(usage?.billedMs).toBeGreaterThanOrEqual(40);
    expect(Number.isInteger(usage?.billedMs)).toBe(true);
    expect(usage?.gbSeconds).toBeCloseTo(((usage?.billedMs ?? 0) / 1000) * 0.5, 9);
  });
});

describe('the event bus’s meter', () => {
  it('counts accepted entries only, each per 64 KB chunk', () => {
    const meter = new Meter();
    const buses = new LocalEventBuses('000000000000', 'us-east-1', undefined, undefined, undefined, meter);
    buses.addBus('bus', []);
    const entry = { EventBusName: 'bus', Source: 'shipping.orders', DetailType: 'order.created' };

    buses.putEvents({
      Entries: [
        { ...entry, Detail: '{"a":1}' },
        { ...entry, Detail: JSON.stringify({ big: kb(100) }) },
        { ...entry, Detail: 'not json' },
      ],
    });

    expect(meter.snapshot().eventBridge).toEqual({ putEventsCalls: 1, entries: 2, billed: 3 });
  });
});

describe('the DynamoDB meter', () => {
  async function dynamo(meter: Meter) {
    const local = await LocalDynamoDb.start(undefined, meter);
    const server = createServer((req, res) => void local.handle(req, res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    cleanups.push(async () => {
      client.destroy();
      server.closeAllConnections();
      server.close();
      await local.close();
    });
    await local.ensureTable(client, 'webhooks');
    meter.reset();
    return DynamoDBDocumentClient.from(client);
  }

  it('counts units as DynamoDB bills them, per operation and kind of item', async () => {
    const meter = new Meter();
    const db = await dynamo(meter);
    const Key = { pk: 'WEBHOOK#sub_1', sk: 'DELIVERY#msg_1' };

    await db.send(new PutCommand({ TableName: 'webhooks', Item: { ...Key, body: kb(1) } }));
    await db.send(new GetCommand({ TableName: 'webhooks', Key, ConsistentRead: true }));
    await db.send(new GetCommand({ TableName: 'webhooks', Key }));
    await db.send(
      new UpdateCommand({
        TableName: 'webhooks',
        Key,
        UpdateExpression: 'SET body = :small',
        ExpressionAttributeValues: { ':small': 'x' },
      }),
    );
    const refused = await db
      .send(
        new PutCommand({ TableName: 'webhooks', Item: Key, ConditionExpression: 'attribute_not_exists(pk)' }),
      )
      .catch((error: Error) => error.name);

    expect(refused).toBe('ConditionalCheckFailedException');
    expect(meter.snapshot().dynamodb).toEqual({
      // Over 1 KB: two units.
      'PutItem WEBHOOK/DELIVERY': { requests: 2, readUnits: 0, writeUnits: 3, failedConditions: 1 },
      'GetItem WEBHOOK/DELIVERY': { requests: 2, readUnits: 1.5, writeUnits: 0, failedConditions: 0 },
      // The larger of the old (over 1 KB) and the new item.
      'UpdateItem WEBHOOK/DELIVERY': { requests: 1, readUnits: 0, writeUnits: 2, failedConditions: 0 },
    });
  });

  it('answers as the client asked: consumed capacity only when it asked for it', async () => {
    const meter = new Meter();
    const db = await dynamo(meter);
    const Key = { pk: 'EVENT#evt_1', sk: 'EVENT' };

    const plain = await db.send(new PutCommand({ TableName: 'webhooks', Item: Key }));
    const asked = await db.send(
      new PutCommand({ TableName: 'webhooks', Item: Key, ReturnConsumedCapacity: 'TOTAL' }),
    );

    expect(plain.ConsumedCapacity).toBeUndefined();
    expect(asked.ConsumedCapacity).toEqual({ CapacityUnits: 1, TableName: 'webhooks' });
    expect(meter.snapshot().dynamodb['PutItem EVENT/EVENT']?.writeUnits).toBe(2);
  });

  it('counts a put into the events log’s index as one more write, per 1 KB it projects', async () => {
    const meter = new Meter();
    const db = await dynamo(meter);
    const event = (id: string, body: string) => ({
      pk: `EVENT#${id}`,
      sk: 'EVENT',
      accountEventsPk: 'EVENTS#acct_1',
      accountEventsSk: `1765000000000#${id}`,
      eventType: 'order.created',
      resourceId: 'ord_1',
      fannedOutAt: 1_765_000_000_000,
      expiresAt: 1_767_000_000,
      body,
    });

    // A 2 KB body (with the rest, three units in the table) is not projected: one unit in the index.
    await db.send(new PutCommand({ TableName: 'webhooks', Item: event('evt_1', kb(2)) }));
    // An item without the index's keys (another kind of item) writes nothing there.
    await db.send(new PutCommand({ TableName: 'webhooks', Item: { pk: 'EVENT#evt_2', sk: 'EVENT' } }));

    expect(meter.snapshot().dynamodb['PutItem EVENT/EVENT']?.writeUnits).toBe(3 + 1 + 1);
  });
});
