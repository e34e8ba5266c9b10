import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  SQSServiceException,
} from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsServiceError } from '#sandbox/aws-json-protocol.ts';
import { SqsEmulator } from '#sandbox/sqs/index.ts';
import { type SqsTestServer, startSqsServer, useSqsServerOnAClock } from './sqs-server.ts';

const START = 1_700_000_000_000;
const { sqs, clock, advance } = useSqsServerOnAClock(START);

async function createQueue(server: SqsTestServer, name: string, visibilityTimeout = 600): Promise<string> {
  const { QueueUrl } = await server.client.send(
    new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: String(visibilityTimeout) } }),
  );
  return QueueUrl ?? '';
}

/** Sends one message per body, ten to a batch, all in `group` (none when `undefined`). */
async function send(
  QueueUrl: string,
  group: string | undefined,
  bodies: readonly string[],
  server = sqs,
): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    const Entries: SendMessageBatchRequestEntry[] = bodies.slice(i, i + 10).map((body) => ({
      Id: body.replace(/[^A-Za-z0-9_-]/g, '_'),
      MessageBody: body,
      ...(group === undefined ? {} : { MessageGroupId: group }),
    }));
    const { Failed = [] } = await server.client.send(new SendMessageBatchCommand({ QueueUrl, Entries }));
    expect(Failed).toEqual([]);
  }
}

const range = (prefix: string, from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `${prefix}-${from + i}`);

async function receive(QueueUrl: string, max: number, server = sqs): Promise<Message[]> {
  const { Messages = [] } = await server.client.send(
    new ReceiveMessageCommand({
      QueueUrl,
      MaxNumberOfMessages: max,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ['MessageGroupId'],
    }),
  );
  return Messages;
}

/** Receives `count` messages and keeps them in flight (does not delete them). */
async function hold(QueueUrl: string, count: number, server = sqs): Promise<Message[]> {
  const held: Message[] = [];
  while (held.length < count) {
    const batch = await receive(QueueUrl, Math.min(10, count - held.length), server);
    if (batch.length === 0) break;
    held.push(...batch);
  }
  return held;
}

const bodies = (messages: readonly Message[]) => messages.map((message) => message.Body);

/** The SDK's exception for a call that must fail. */
async function failure(call: Promise<unknown>): Promise<SQSServiceException> {
  const error = await call.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(error instanceof SQSServiceException)) throw new Error(`expected an SQS error, got ${String(error)}`);
  return error;
}

const INVALID_GROUP_REASON =
  'MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.';

describe('SQS fair queues: MessageGroupId on a standard queue', () => {
  it('accepts MessageGroupId in SendMessage and SendMessageBatch and returns it as a system attribute', async () => {
    const QueueUrl = await createQueue(sqs, 'tenants');
    const punctuation = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
    await sqs.client.send(
      new SendMessageCommand({ QueueUrl, MessageBody: 'single', MessageGroupId: 'acct-1' }),
    );
    await sqs.client.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: 'punctuation', MessageBody: 'punctuation', MessageGroupId: `Az09${punctuation}` },
          { Id: 'longest', MessageBody: 'longest', MessageGroupId: 'g'.repeat(128) },
          { Id: 'none', MessageBody: 'none' },
        ],
      }),
    );

    const { Messages = [] } = await sqs.client.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] }),
    );
    await send(QueueUrl, 'acct-2', ['unasked']);
    const unasked = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 0 }));
    const onlyGroup = await sqs.client.send(
      new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['MessageGroupId'] }),
    );

    const groups = Object.fromEntries(Messages.map((m) => [m.Body, m.Attributes?.MessageGroupId]));
    expect(groups).toEqual({
      single: 'acct-1',
      punctuation: `Az09${punctuation}`,
      longest: 'g'.repeat(128),
      none: undefined,
    });
    expect(Object.keys(Messages.find((m) => m.Body === 'single')?.Attributes ?? {}).sort()).toEqual([
      'ApproximateFirstReceiveTimestamp',
      'ApproximateReceiveCount',
      'MessageGroupId',
      'SenderId',
      'SentTimestamp',
    ]);
    expect(unasked.Messages?.[0]?.Attributes).toBeUndefined();
    expect(onlyGroup.Messages?.[0]?.Attributes).toEqual({ MessageGroupId: 'acct-2' });
  });

  it('refuses invalid group ids with InvalidParameterValue, as a whole request or per batch entry', async () => {
    const QueueUrl = await createQueue(sqs, 'invalid-groups');
    const invalid = ['', 'with space', 'g'.repeat(129), 'ünïcode', 'tab\t'];

    const errors = await Promise.all(
      invalid.map((MessageGroupId) =>
        failure(sqs.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x', MessageGroupId }))),
      ),
    );
    const batch = await sqs.client.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: 'ok', MessageBody: 'ok', MessageGroupId: 'fine' },
          { Id: 'bad', MessageBody: 'bad', MessageGroupId: 'not fine' },
        ],
      }),
    );
    const deduplication = await failure(
      sqs.client.send(
        new SendMessageCommand({
          QueueUrl,
          MessageBody: 'x',
          MessageGroupId: 'g',
          MessageDeduplicationId: 'd',
        }),
      ),
    );
    const { Attributes } = await sqs.client.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );

    expect(
      errors.map((error) => ({
        name: error.name,
        message: error.message,
        status: error.$metadata.httpStatusCode,
        fault: error.$fault,
      })),
    ).toEqual(
      invalid.map((id) => ({
        name: 'InvalidParameterValue',
        message: `Value ${id} for parameter MessageGroupId is invalid. Reason: ${INVALID_GROUP_REASON}`,
        status: 400,
        fault: 'client',
      })),
    );
    expect(batch.Successful?.map((entry) => entry.Id)).toEqual(['ok']);
    expect(batch.Failed).toEqual([
      {
        Id: 'bad',
        SenderFault: true,
        Code: 'InvalidParameterValue',
        Message: `Value not fine for parameter MessageGroupId is invalid. Reason: ${INVALID_GROUP_REASON}`,
      },
    ]);
    expect({ name: deduplication.name, message: deduplication.message }).toEqual({
      name: 'InvalidParameterValue',
      message:
        'Value d for parameter MessageDeduplicationId is invalid. Reason: The request includes a parameter that is not valid for this queue type.',
    });
    expect(Attributes).toEqual({ ApproximateNumberOfMessages: '1' });
  });

  it('has no FIFO behaviour: one group has several messages in flight, and equal messages are not deduplicated', async () => {
    const QueueUrl = await createQueue(sqs, 'not-fifo');
    await send(QueueUrl, 'g', ['first', 'second']);
    await sqs.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'same', MessageGroupId: 'g' }));
    await sqs.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'same', MessageGroupId: 'g' }));

    const [first] = await receive(QueueUrl, 1);
    const [second] = await receive(QueueUrl, 1);
    const rest = await receive(QueueUrl, 10);
    const { Attributes } = await sqs.client.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }),
    );

    expect([first?.Body, second?.Body]).toEqual(['first', 'second']);
    expect(bodies(rest)).toEqual(['same', 'same']);
    expect(new Set(rest.map((message) => message.MessageId)).size).toBe(2);
    expect(Attributes).toEqual({ ApproximateNumberOfMessagesNotVisible: '4' });
  });
});

describe('SQS fair queues: receives prefer quiet tenants', () => {
  it('hands out a quiet tenant’s messages first while a noisy one holds most of the in-flight messages', async () => {
    const QueueUrl = await createQueue(sqs, 'concurrency');
    await send(QueueUrl, 'noisy', range('n', 1, 300));
    const held = await hold(QueueUrl, 250);
    await send(QueueUrl, 'quiet', ['q-1', 'q-2']);

    const quietFirst = await receive(QueueUrl, 2);
    await send(QueueUrl, 'quiet', ['q-3']);
    const trickle = await receive(QueueUrl, 5);
    const rest: Message[] = [];
    for (let batch = await receive(QueueUrl, 10); batch.length > 0; batch = await receive(QueueUrl, 10))
      rest.push(...batch);

    expect(held).toHaveLength(250);
    expect(new Set(held.map((message) => message.Attributes?.MessageGroupId))).toEqual(new Set(['noisy']));
    expect(bodies(quietFirst)).toEqual(['q-1', 'q-2']);
    // With no other quiet message waiting, the rest of the batch is the noisy tenant's: never starved.
    expect(bodies(trickle)).toEqual(['q-3', 'n-251', 'n-252', 'n-253', 'n-254']);
    expect(bodies(rest)).toEqual(range('n', 255, 300));
  });

  it('treats a tenant whose messages are held long as noisy by its share of processing time', async () => {
    const QueueUrl = await createQueue(sqs, 'processing-time', 300);
    await send(QueueUrl, 'slow', range('s', 1, 5));
    const slow = await hold(QueueUrl, 5);
    const fast: Message[] = [];
    for (const body of range('f', 1, 20)) {
      await send(QueueUrl, 'fast', [body]);
      const [message] = await receive(QueueUrl, 1);
      advance(0.1);
      await sqs.client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message?.ReceiptHandle }));
      if (message !== undefined) fast.push(message);
    }
    advance(30);
    await send(QueueUrl, 'slow', ['s-6', 's-7']);
    await send(QueueUrl, 'fast', ['f-21', 'f-22']);
    const preferred = await receive(QueueUrl, 2);
    const afterwards = await receive(QueueUrl, 2);

    // 5 slow messages in flight for 32 s each against 20 fast ones of 0.1 s: 99 % of the processing time,
    // though far from 30 messages in flight.
    expect(bodies(slow)).toEqual(range('s', 1, 5));
    expect(bodies(fast)).toEqual(range('f', 1, 20));
    expect(bodies(preferred)).toEqual(['f-21', 'f-22']);
    expect(bodies(afterwards)).toEqual(['s-6', 's-7']);
  });

  it('counts each message without a group id as a tenant of its own', async () => {
    const ungrouped = await createQueue(sqs, 'ungrouped');
    const grouped = await createQueue(sqs, 'grouped');
    await send(ungrouped, undefined, range('u', 1, 40));
    await send(grouped, 'x', range('x', 1, 40));
    await hold(ungrouped, 40);
    await hold(grouped, 40);
    advance(10);
    await send(ungrouped, undefined, ['u-new']);
    await send(ungrouped, 'g', ['g-new']);
    await send(grouped, 'x', ['x-new']);
    await send(grouped, 'g', ['g-new']);

    const [fromUngrouped] = await receive(ungrouped, 1);
    const [fromGrouped] = await receive(grouped, 1);

    // 40 messages in flight without a group are 40 tenants of one message each: none of them is noisy.
    expect(fromUngrouped?.Body).toBe('u-new');
    expect(fromGrouped?.Body).toBe('g-new');
  });

  it('serves the noisy tenant with the fewest in-flight messages first when several are noisy', async () => {
    const QueueUrl = await createQueue(sqs, 'two-noisy');
    await send(QueueUrl, 'a', range('a', 1, 35));
    await hold(QueueUrl, 35);
    await send(QueueUrl, 'b', range('b', 1, 31));
    await hold(QueueUrl, 31);
    await send(QueueUrl, 'a', range('a-late', 1, 3));
    await send(QueueUrl, 'b', range('b-late', 1, 3));

    const first = await receive(QueueUrl, 1);
    const rest = await receive(QueueUrl, 10);

    expect(bodies(first)).toEqual(['b-late-1']);
    // b (32 in flight, then 33, 34) keeps the fewest until its messages run out; then a's come.
    expect(bodies(rest)).toEqual(['b-late-2', 'b-late-3', 'a-late-1', 'a-late-2', 'a-late-3']);
  });

  it('lets a noisy tenant calm down after it sent nothing for 5 minutes', async () => {
    const QueueUrl = await createQueue(sqs, 'calm-down', 900);
    await send(QueueUrl, 'x', range('x', 1, 45));
    await hold(QueueUrl, 40);
    await send(QueueUrl, 'g', ['g-early']);
    const whileNoisy = await receive(QueueUrl, 1);
    advance(301);
    await send(QueueUrl, 'g', ['g-late']);
    const afterCalm = await receive(QueueUrl, 1);

    expect(bodies(whileNoisy)).toEqual(['g-early']);
    expect(bodies(afterCalm)).toEqual(['x-41']);
  });
});

describe('SQS fair queues: durability and the in-process API', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sqs-fair-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps group ids across a restart, and counts the messages still in flight again', async () => {
    const before = await startSqsServer({ dataDir, fsync: false, now: () => clock.now });
    const QueueUrl = await createQueue(before, 'durable-fair');
    await send(QueueUrl, 'x', range('x', 1, 41), before);
    await hold(QueueUrl, 40, before);
    await before.close();

    const after = await startSqsServer({ dataDir, fsync: false, now: () => clock.now });
    const newUrl = after.emulator.getQueueUrl('durable-fair');
    await send(newUrl, 'g', ['g-1'], after);
    const received = await receive(newUrl, 10, after);
    await after.close();

    expect(received.map((message) => [message.Body, message.Attributes?.MessageGroupId])).toEqual([
      ['g-1', 'g'],
      ['x-41', 'x'],
    ]);
  });

  it('forgets processing time once it slides out of the 60 s window', async () => {
    const emulator = await SqsEmulator.open({
      baseUrl: 'http://localhost:4566',
      accountId: '123456789012',
      region: 'eu-west-1',
      now: () => clock.now,
    });
    emulator.createQueue('window', { VisibilityTimeout: '600' });
    const receiveOne = async () =>
      (await emulator.receiveMessages('window', { maxNumberOfMessages: 1 }))[0] ?? undefined;
    emulator.sendMessage('window', 'slow-1', { messageGroupId: 'slow' });
    const slow = await receiveOne();
    advance(50);
    emulator.deleteMessage('window', slow?.receiptHandle ?? '');
    emulator.sendMessage('window', 'slow-2', { messageGroupId: 'slow' });
    emulator.sendMessage('window', 'fast-1', { messageGroupId: 'fast' });
    const whileRecent = await receiveOne();
    emulator.deleteMessage('window', whileRecent?.receiptHandle ?? '');
    advance(70);
    emulator.sendMessage('window', 'fast-2', { messageGroupId: 'fast' });
    const afterWindow = await receiveOne();
    await emulator.close();

    expect(whileRecent?.body).toBe('fast-1');
    expect(afterWindow?.body).toBe('slow-2');
  });

  it('applies the same group ids and fair selection to in-process sends and receives', async () => {
    const emulator = await SqsEmulator.open({
      baseUrl: 'http://localhost:4566',
      accountId: '123456789012',
      region: 'eu-west-1',
      now: () => clock.now,
    });
    emulator.createQueue('work', { VisibilityTimeout: '600' });
    for (let i = 1; i <= 35; i++) emulator.sendMessage('work', `busy-${i}`, { messageGroupId: 'busy' });
    for (let i = 0; i < 3; i++) await emulator.receiveMessages('work', { maxNumberOfMessages: 10 });
    emulator.sendMessage('work', 'calm-1', { messageGroupId: 'calm' });
    let refused: unknown;
    try {
      emulator.sendMessage('work', 'bad', { messageGroupId: 'has space' });
    } catch (error) {
      refused = error;
    }

    const [next] = await emulator.receiveMessages('work', { maxNumberOfMessages: 1 });
    await emulator.close();

    expect(next).toMatchObject({ body: 'calm-1', attributes: { MessageGroupId: 'calm' } });
    expect(refused).toBeInstanceOf(AwsServiceError);
    expect(refused).toMatchObject({
      code: 'InvalidParameterValue',
      message: `Value has space for parameter MessageGroupId is invalid. Reason: ${INVALID_GROUP_REASON}`,
    });
  });
});
