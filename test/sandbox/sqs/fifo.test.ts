import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSServiceException,
} from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqsEmulator } from '#sandbox/sqs/index.ts';
import { startSqsServer, useSqsServerOnAClock } from './sqs-server.ts';

const START = 1_700_000_000_000;
const { sqs, clock, advance } = useSqsServerOnAClock(START);

async function createQueue(
  QueueName: string,
  attributes: Record<string, string> = {},
  server = sqs,
): Promise<string> {
  const fifo = QueueName.endsWith('.fifo') ? { FifoQueue: 'true' } : {};
  const { QueueUrl } = await server.client.send(
    new CreateQueueCommand({ QueueName, Attributes: { ...fifo, ...attributes } }),
  );
  if (QueueUrl === undefined) throw new Error('no QueueUrl');
  return QueueUrl;
}

/** Sends `body` in `group`, its deduplication id the body itself unless given. */
function send(
  QueueUrl: string,
  group: string,
  body: string,
  deduplicationId: string | null = body,
  server = sqs,
) {
  return server.client.send(
    new SendMessageCommand({
      QueueUrl,
      MessageBody: body,
      MessageGroupId: group,
      ...(deduplicationId === null ? {} : { MessageDeduplicationId: deduplicationId }),
    }),
  );
}

async function receive(
  QueueUrl: string,
  max = 10,
  extra: { VisibilityTimeout?: number; ReceiveRequestAttemptId?: string } = {},
  server = sqs,
): Promise<Message[]> {
  const { Messages = [] } = await server.client.send(
    new ReceiveMessageCommand({
      QueueUrl,
      MaxNumberOfMessages: max,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ['All'],
      ...extra,
    }),
  );
  return Messages;
}

const bodies = (messages: readonly Message[]) => messages.map((message) => message.Body);
const receiveCounts = (messages: readonly Message[]) =>
  messages.map((message) => [message.Body, message.Attributes?.ApproximateReceiveCount]);

async function attributes(QueueUrl: string, names: string[], server = sqs): Promise<Record<string, string>> {
  const { Attributes = {} } = await server.client.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: names as never }),
  );
  return Attributes;
}

const visibleCount = async (QueueUrl: string, server = sqs) =>
  (await attributes(QueueUrl, ['ApproximateNumberOfMessages'], server)).ApproximateNumberOfMessages;

/** The SDK's exception for a call that must fail, as name and message. */
async function failure(call: Promise<unknown>): Promise<{ name: string; message: string }> {
  const error = await call.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(error instanceof SQSServiceException)) throw new Error(`expected an SQS error, got ${String(error)}`);
  expect(error.$fault).toBe('client');
  return { name: error.name, message: error.message };
}

const NOT_FOR_THIS_QUEUE_TYPE = 'The request include parameter that is not valid for this queue type.';
const NO_DEDUPLICATION =
  'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly';
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('SQS FIFO queues: names and attributes', () => {
  it('creates a FIFO queue from a .fifo name with FifoQueue=true and reads its FIFO attributes back (SQS API Reference: CreateQueue)', async () => {
    const QueueUrl = await createQueue('orders.fifo', {
      FifoQueue: 'True',
      ContentBasedDeduplication: 'TRUE',
    });
    const again = await createQueue('orders.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
    const longest = await createQueue(`${'n'.repeat(75)}.fifo`);
    const tooLong = await failure(createQueue(`${'n'.repeat(76)}.fifo`));
    const { QueueUrl: found } = await sqs.client.send(new GetQueueUrlCommand({ QueueName: 'orders.fifo' }));
    const all = await attributes(QueueUrl, ['All']);

    expect(QueueUrl).toBe(`${sqs.endpoint}/000000000000/orders.fifo`);
    expect([again, found]).toEqual([QueueUrl, QueueUrl]);
    expect(longest).toBe(`${sqs.endpoint}/000000000000/${'n'.repeat(75)}.fifo`);
    expect(tooLong.name).toBe('InvalidParameterValue');
    expect(all).toMatchObject({
      FifoQueue: 'true',
      ContentBasedDeduplication: 'true',
      DeduplicationScope: 'queue',
      FifoThroughputLimit: 'perQueue',
      QueueArn: 'arn:aws:sqs:us-east-1:000000000000:orders.fifo',
      VisibilityTimeout: '30',
    });
  });

  it('refuses a .fifo name without FifoQueue=true and FifoQueue=true without a .fifo name, with InvalidParameterValue (SQS API Reference: CreateQueue, QueueName)', async () => {
    const standardNamedFifo = await failure(
      sqs.client.send(new CreateQueueCommand({ QueueName: 'orders.fifo' })),
    );
    const fifoWithoutSuffix = await failure(
      sqs.client.send(new CreateQueueCommand({ QueueName: 'orders', Attributes: { FifoQueue: 'true' } })),
    );

    expect(standardNamedFifo).toEqual({
      name: 'InvalidParameterValue',
      message: 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
    });
    expect(fifoWithoutSuffix).toEqual({
      name: 'InvalidParameterValue',
      message:
        'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length',
    });
  });

  it('refuses FIFO attributes on a standard queue, FifoQueue=false included, and never changes a queue’s type (SQS API Reference: CreateQueue and SetQueueAttributes)', async () => {
    const create = (Attributes: Record<string, string>) =>
      failure(sqs.client.send(new CreateQueueCommand({ QueueName: 'plain', Attributes })));
    const onStandard = await Promise.all([
      create({ FifoQueue: 'false' }),
      create({ ContentBasedDeduplication: 'false' }),
      create({ DeduplicationScope: 'queue' }),
      create({ FifoThroughputLimit: 'perQueue' }),
    ]);
    const standard = await createQueue('plain');
    const fifo = await createQueue('typed.fifo');
    const set = (QueueUrl: string, Attributes: Record<string, string>) =>
      sqs.client.send(new SetQueueAttributesCommand({ QueueUrl, Attributes }));
    const standardToFifo = await failure(set(standard, { FifoQueue: 'true' }));
    const fifoToStandard = await failure(set(fifo, { FifoQueue: 'false' }));
    await set(fifo, { FifoQueue: 'true', ContentBasedDeduplication: 'true' });

    expect(onStandard).toEqual([
      { name: 'InvalidAttributeName', message: 'Unknown Attribute FifoQueue.' },
      { name: 'InvalidAttributeName', message: 'Unknown Attribute ContentBasedDeduplication.' },
      {
        name: 'InvalidAttributeName',
        message: 'You can specify the DeduplicationScope only when FifoQueue is set to true.',
      },
      {
        name: 'InvalidAttributeName',
        message: 'You can specify the FifoThroughputLimit only when FifoQueue is set to true.',
      },
    ]);
    expect(standardToFifo).toEqual({ name: 'InvalidAttributeName', message: 'Unknown Attribute FifoQueue.' });
    expect(fifoToStandard).toEqual({
      name: 'InvalidAttributeValue',
      message: 'Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.',
    });
    expect(await attributes(fifo, ['FifoQueue', 'ContentBasedDeduplication'])).toEqual({
      FifoQueue: 'true',
      ContentBasedDeduplication: 'true',
    });
    expect(await attributes(standard, ['All'])).not.toHaveProperty('FifoQueue');
  });

  it('gives a FIFO queue only a FIFO dead-letter queue and a standard queue only a standard one (SQS Developer Guide: Using dead-letter queues in Amazon SQS)', async () => {
    await createQueue('dlq');
    await createQueue('dlq.fifo');
    const policy = (target: string) =>
      JSON.stringify({
        deadLetterTargetArn: `arn:aws:sqs:us-east-1:000000000000:${target}`,
        maxReceiveCount: 3,
      });
    const fifoToStandard = await failure(createQueue('source.fifo', { RedrivePolicy: policy('dlq') }));
    const standardToFifo = await failure(createQueue('source', { RedrivePolicy: policy('dlq.fifo') }));
    const fifoToFifo = await createQueue('source.fifo', { RedrivePolicy: policy('dlq.fifo') });

    const reason = 'Reason: Dead-letter queue must be same type of queue as the source..';
    expect(fifoToStandard).toEqual({
      name: 'InvalidParameterValue',
      message: `Value ${policy('dlq')} for parameter RedrivePolicy is invalid. ${reason}`,
    });
    expect(standardToFifo).toEqual({
      name: 'InvalidParameterValue',
      message: `Value ${policy('dlq.fifo')} for parameter RedrivePolicy is invalid. ${reason}`,
    });
    expect(await attributes(fifoToFifo, ['RedrivePolicy'])).toEqual({ RedrivePolicy: policy('dlq.fifo') });
  });

  it('accepts DeduplicationScope and FifoThroughputLimit, perMessageGroupId only with messageGroup scope (SQS Developer Guide: High throughput for FIFO queues in Amazon SQS)', async () => {
    const high = await createQueue('high.fifo', {
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
    });
    const normal = await createQueue('normal.fifo');
    const unpaired = await failure(
      createQueue('unpaired.fifo', { FifoThroughputLimit: 'perMessageGroupId' }),
    );
    const unpairedLater = await failure(
      sqs.client.send(
        new SetQueueAttributesCommand({
          QueueUrl: normal,
          Attributes: { FifoThroughputLimit: 'perMessageGroupId' },
        }),
      ),
    );
    const misspelt = await failure(createQueue('misspelt.fifo', { DeduplicationScope: 'group' }));
    await sqs.client.send(
      new SetQueueAttributesCommand({
        QueueUrl: normal,
        Attributes: { DeduplicationScope: 'messageGroup', FifoThroughputLimit: 'perMessageGroupId' },
      }),
    );

    const names = ['DeduplicationScope', 'FifoThroughputLimit'];
    const highThroughput = { DeduplicationScope: 'messageGroup', FifoThroughputLimit: 'perMessageGroupId' };
    expect(await attributes(high, names)).toEqual(highThroughput);
    expect(await attributes(normal, names)).toEqual(highThroughput);
    const refusal = {
      name: 'InvalidAttributeValue',
      message:
        'Invalid value for the parameter FifoThroughputLimit. Reason: perMessageGroupId is allowed only when DeduplicationScope is messageGroup.',
    };
    expect([unpaired, unpairedLater]).toEqual([refusal, refusal]);
    expect(misspelt).toEqual({
      name: 'InvalidAttributeValue',
      message: 'Invalid value for the parameter DeduplicationScope.',
    });
  });
});

/** A SendMessageBatch of one well-formed FIFO entry and `entry`, which the test shows SQS refusing. */
const batchBesideAGoodEntry = (QueueUrl: string, entry: SendMessageBatchRequestEntry) =>
  sqs.client.send(
    new SendMessageBatchCommand({
      QueueUrl,
      Entries: [{ Id: 'ok', MessageBody: 'ok', MessageGroupId: 'g', MessageDeduplicationId: 'ok' }, entry],
    }),
  );

describe('SQS FIFO queues: sending', () => {
  it('requires MessageGroupId on every send: MissingParameter alone, InvalidParameterValue for a whole batch (SQS API Reference: SendMessage and SendMessageBatch, MessageGroupId)', async () => {
    const QueueUrl = await createQueue('groups.fifo');
    const single = await failure(
      sqs.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x', MessageDeduplicationId: 'x' })),
    );
    const batch = await failure(
      batchBesideAGoodEntry(QueueUrl, { Id: 'none', MessageBody: 'none', MessageDeduplicationId: 'none' }),
    );
    const invalid = await failure(send(QueueUrl, 'with space', 'x'));

    expect(single).toEqual({
      name: 'MissingParameter',
      message: 'The request must contain the parameter MessageGroupId.',
    });
    expect(batch).toEqual({
      name: 'InvalidParameterValue',
      message: 'The request must contain the parameter MessageGroupId.',
    });
    expect(invalid.message).toBe(
      'Value with space for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.',
    );
    expect(await visibleCount(QueueUrl)).toBe('0');
  });

  it('refuses a send with neither a MessageDeduplicationId nor ContentBasedDeduplication, alone or in a batch (SQS API Reference: SendMessage, MessageDeduplicationId)', async () => {
    const QueueUrl = await createQueue('explicit.fifo');
    const single = await failure(send(QueueUrl, 'g', 'x', null));
    const batch = await failure(
      batchBesideAGoodEntry(QueueUrl, { Id: 'none', MessageBody: 'none', MessageGroupId: 'g' }),
    );
    const invalid = await failure(send(QueueUrl, 'g', 'x', 'tab\t'));

    expect([single, batch]).toEqual([
      { name: 'InvalidParameterValue', message: NO_DEDUPLICATION },
      { name: 'InvalidParameterValue', message: NO_DEDUPLICATION },
    ]);
    expect(invalid.message).toBe(
      'Value tab\t for parameter MessageDeduplicationId is invalid. Reason: MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length.',
    );
    expect(await visibleCount(QueueUrl)).toBe('0');
  });

  it('accepts a duplicate within 5 minutes with the original’s MessageId and SequenceNumber but enqueues it once, even after the original was deleted (SQS Developer Guide: Exactly-once processing in Amazon SQS)', async () => {
    const QueueUrl = await createQueue('once.fifo');
    const original = await send(QueueUrl, 'g', 'first', 'order-1');
    const [received] = await receive(QueueUrl);
    await sqs.client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: received?.ReceiptHandle }));
    advance(299);
    const duplicate = await send(QueueUrl, 'other-group', 'second', 'order-1');
    const whileRemembered = await receive(QueueUrl);
    advance(1);
    const afterInterval = await send(QueueUrl, 'g', 'third', 'order-1');
    const [third] = await receive(QueueUrl);

    expect(received?.MessageId).toBe(original.MessageId);
    expect(duplicate).toMatchObject({
      MessageId: original.MessageId,
      SequenceNumber: original.SequenceNumber,
      MD5OfMessageBody: createHash('md5').update('second').digest('hex'),
    });
    expect(whileRemembered).toEqual([]);
    expect(afterInterval.MessageId).not.toBe(original.MessageId);
    expect(third).toMatchObject({ MessageId: afterInterval.MessageId, Body: 'third' });
  });

  it('deduplicates by the SHA-256 of the body with ContentBasedDeduplication, an explicit id overriding it (SQS API Reference: SendMessage, MessageDeduplicationId)', async () => {
    const QueueUrl = await createQueue('content.fifo', { ContentBasedDeduplication: 'true' });
    const first = await send(QueueUrl, 'g', '{"order":1}', null);
    const same = await send(QueueUrl, 'g', '{"order":1}', null);
    const explicit = await send(QueueUrl, 'g', '{"order":1}', 'explicit');
    const batch = await sqs.client.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [{ Id: 'again', MessageBody: '{"order":1}', MessageGroupId: 'g' }],
      }),
    );
    const messages = await receive(QueueUrl);

    expect(same.MessageId).toBe(first.MessageId);
    expect(batch.Successful?.[0]?.MessageId).toBe(first.MessageId);
    expect(
      messages.map((message) => [message.MessageId, message.Attributes?.MessageDeduplicationId]),
    ).toEqual([
      [first.MessageId, sha256('{"order":1}')],
      [explicit.MessageId, 'explicit'],
    ]);
  });

  it('deduplicates within each message group with DeduplicationScope messageGroup, across the queue otherwise (SQS Developer Guide: High throughput for FIFO queues in Amazon SQS)', async () => {
    const perGroup = await createQueue('per-group.fifo', {
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
    });
    const perQueue = await createQueue('per-queue.fifo');
    for (const QueueUrl of [perGroup, perQueue]) {
      await send(QueueUrl, 'a', 'a-1', 'same');
      await send(QueueUrl, 'b', 'b-1', 'same');
      await send(QueueUrl, 'a', 'a-2', 'same');
    }

    expect(bodies(await receive(perGroup))).toEqual(['a-1', 'b-1']);
    expect(bodies(await receive(perQueue))).toEqual(['a-1']);
  });

  it('forgets deduplication ids when the queue is purged (SQS API Reference: PurgeQueue; as LocalStack’s AWS-validated test records)', async () => {
    const QueueUrl = await createQueue('purged.fifo');
    await send(QueueUrl, 'g', 'before', 'id-1');
    await sqs.client.send(new PurgeQueueCommand({ QueueUrl }));
    await send(QueueUrl, 'g', 'after', 'id-1');

    expect(bodies(await receive(QueueUrl))).toEqual(['after']);
  });

  it('answers every send with a SequenceNumber increasing within a group, which received messages carry with their group and deduplication ids (SQS API Reference: SendMessage, SequenceNumber)', async () => {
    const QueueUrl = await createQueue('sequenced.fifo');
    const single = await send(QueueUrl, 'g', 'one');
    const { Successful = [] } = await sqs.client.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: ['two', 'three'].map((body) => ({
          Id: body,
          MessageBody: body,
          MessageGroupId: 'g',
          MessageDeduplicationId: body,
        })),
      }),
    );
    advance(1);
    const later = await send(QueueUrl, 'g', 'four');
    const all = await receive(QueueUrl, 10, { VisibilityTimeout: 0 });
    const { Messages: [onlySequence] = [] } = await sqs.client.send(
      new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['SequenceNumber'] }),
    );
    const standard = await createQueue('unsequenced');
    const unsequenced = await sqs.client.send(
      new SendMessageCommand({ QueueUrl: standard, MessageBody: 'x' }),
    );

    const sent = [
      single.SequenceNumber,
      ...Successful.map((entry) => entry.SequenceNumber),
      later.SequenceNumber,
    ];
    expect(sent.every((number) => /^\d{20}$/.test(number ?? ''))).toBe(true);
    const numbers = sent.map((number) => BigInt(number ?? '0'));
    expect(numbers).toEqual([...numbers].sort((a, b) => (a < b ? -1 : 1)));
    expect(new Set(numbers).size).toBe(4);
    expect(all.map((message) => message.Attributes)).toEqual(
      ['one', 'two', 'three', 'four'].map((body, i) => ({
        ApproximateFirstReceiveTimestamp: String(clock.now),
        ApproximateReceiveCount: '1',
        SentTimestamp: String(i === 3 ? clock.now : START),
        SenderId: '000000000000',
        MessageGroupId: 'g',
        MessageDeduplicationId: body,
        SequenceNumber: sent[i],
      })),
    );
    expect(onlySequence?.Attributes).toEqual({ SequenceNumber: single.SequenceNumber });
    expect(unsequenced.SequenceNumber).toBeUndefined();
  });

  it('refuses a per-message DelaySeconds but delays every message by the queue’s DelaySeconds (SQS API Reference: SendMessage, DelaySeconds)', async () => {
    const QueueUrl = await createQueue('delayed.fifo', { DelaySeconds: '5' });
    const perMessage = await failure(
      sqs.client.send(
        new SendMessageCommand({
          QueueUrl,
          MessageBody: 'x',
          MessageGroupId: 'g',
          MessageDeduplicationId: 'x',
          DelaySeconds: 2,
        }),
      ),
    );
    await sqs.client.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: 'zero',
        MessageGroupId: 'g',
        MessageDeduplicationId: 'zero',
        DelaySeconds: 0,
      }),
    );
    const batch = await sqs.client.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [
          {
            Id: 'late',
            MessageBody: 'late',
            MessageGroupId: 'g',
            MessageDeduplicationId: 'late',
            DelaySeconds: 3,
          },
          { Id: 'plain', MessageBody: 'plain', MessageGroupId: 'g', MessageDeduplicationId: 'plain' },
        ],
      }),
    );
    advance(4);
    const early = await receive(QueueUrl);
    const delayed = await attributes(QueueUrl, ['ApproximateNumberOfMessagesDelayed']);
    advance(1);
    const due = await receive(QueueUrl);

    expect(perMessage).toEqual({
      name: 'InvalidParameterValue',
      message: `Value 2 for parameter DelaySeconds is invalid. Reason: ${NOT_FOR_THIS_QUEUE_TYPE}`,
    });
    expect(batch.Failed).toEqual([
      {
        Id: 'late',
        SenderFault: true,
        Code: 'InvalidParameterValue',
        Message: `Value 3 for parameter DelaySeconds is invalid. Reason: ${NOT_FOR_THIS_QUEUE_TYPE}`,
      },
    ]);
    expect(early).toEqual([]);
    expect(delayed).toEqual({ ApproximateNumberOfMessagesDelayed: '2' });
    expect(bodies(due)).toEqual(['zero', 'plain']);
  });
});

describe('SQS FIFO queues: receiving in group order', () => {
  it('hands out one group’s messages in send order before the next group’s, several in one call (SQS Developer Guide: FIFO queue delivery logic in Amazon SQS)', async () => {
    const QueueUrl = await createQueue('ordered.fifo');
    for (const [group, body] of [
      ['g1', 'g1-m1'],
      ['g2', 'g2-m1'],
      ['g1', 'g1-m2'],
      ['g3', 'g3-m1'],
      ['g1', 'g1-m3'],
      ['g2', 'g2-m2'],
    ] as const)
      await send(QueueUrl, group, body);

    const firstTwo = await receive(QueueUrl, 2);
    const rest = await receive(QueueUrl, 10);

    expect(bodies(firstTwo)).toEqual(['g1-m1', 'g1-m2']);
    // g1-m3 waits behind the two of its group in flight; the other groups come whole, oldest group first.
    expect(bodies(rest)).toEqual(['g2-m1', 'g2-m2', 'g3-m1']);
    expect(rest.map((message) => message.Attributes?.MessageGroupId)).toEqual(['g2', 'g2', 'g3']);
  });

  it('takes groups in the order their first message became visible, so a group handed back waits behind those waiting since before (SQS Developer Guide: FIFO queue delivery logic in Amazon SQS; AWS’s order in LocalStack’s validated tests)', async () => {
    const QueueUrl = await createQueue('rotating.fifo');
    for (const [group, body] of [
      ['g1', 'g1-m1'],
      ['g2', 'g2-m1'],
      ['g2', 'g2-m2'],
      ['g3', 'g3-m1'],
      ['g1', 'g1-m2'],
    ] as const)
      await send(QueueUrl, group, body);
    advance(1);

    const handedBack = await receive(QueueUrl, 3, { VisibilityTimeout: 0 });
    const next = await receive(QueueUrl, 10, { VisibilityTimeout: 0 });

    expect(bodies(handedBack)).toEqual(['g1-m1', 'g1-m2', 'g2-m1']);
    // g3 waited since its send; g1 and g2 became visible again when handed back, g1 first as before.
    expect(bodies(next)).toEqual(['g3-m1', 'g1-m1', 'g1-m2', 'g2-m1', 'g2-m2']);
  });

  it('receives nothing more of a group while one of its messages is in flight, until it is deleted (SQS Developer Guide: FIFO queue delivery logic in Amazon SQS)', async () => {
    const QueueUrl = await createQueue('locked.fifo');
    await send(QueueUrl, 'a', 'a-1');
    await send(QueueUrl, 'a', 'a-2');
    await send(QueueUrl, 'b', 'b-1');

    const [first] = await receive(QueueUrl, 1);
    const whileLocked = await receive(QueueUrl);
    await send(QueueUrl, 'a', 'a-3');
    const afterSend = await receive(QueueUrl);
    await sqs.client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: first?.ReceiptHandle }));
    const unlocked = await receive(QueueUrl);
    await sqs.client.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: unlocked.map((message, i) => ({ Id: `m${i}`, ReceiptHandle: message.ReceiptHandle })),
      }),
    );
    const counts = await attributes(QueueUrl, [
      'ApproximateNumberOfMessages',
      'ApproximateNumberOfMessagesNotVisible',
    ]);

    expect(first?.Body).toBe('a-1');
    expect(bodies(whileLocked)).toEqual(['b-1']);
    expect(afterSend).toEqual([]);
    expect(bodies(unlocked)).toEqual(['a-2', 'a-3']);
    expect(counts).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '1' });
  });

  it('hands a group out again in order, with growing receive counts, when a visibility timeout ends, and holds back what is behind a longer one (SQS Developer Guide: Amazon SQS visibility timeout)', async () => {
    const QueueUrl = await createQueue('retried.fifo', { VisibilityTimeout: '30' });
    for (const body of ['m1', 'm2', 'm3']) await send(QueueUrl, 'g', body);

    const firstTwo = await receive(QueueUrl, 2);
    advance(30);
    const again = await receive(QueueUrl);
    await sqs.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl,
        ReceiptHandle: again[1]?.ReceiptHandle,
        VisibilityTimeout: 60,
      }),
    );
    advance(30);
    const beforeExtended = await receive(QueueUrl);
    await sqs.client.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl,
        Entries: [{ Id: 'm1', ReceiptHandle: beforeExtended[0]?.ReceiptHandle, VisibilityTimeout: 0 }],
      }),
    );
    advance(30);
    const all = await receive(QueueUrl);

    expect(receiveCounts(firstTwo)).toEqual([
      ['m1', '1'],
      ['m2', '1'],
    ]);
    expect(receiveCounts(again)).toEqual([
      ['m1', '2'],
      ['m2', '2'],
      ['m3', '1'],
    ]);
    // m2's visibility was extended: m1 before it comes back, m3 behind it does not.
    expect(receiveCounts(beforeExtended)).toEqual([['m1', '3']]);
    expect(receiveCounts(all)).toEqual([
      ['m1', '4'],
      ['m2', '3'],
      ['m3', '2'],
    ]);
  });

  it('moves a message received maxReceiveCount times to the FIFO dead-letter queue in its group, its deduplication id replaced by its message id, and the group’s next message follows (SQS Developer Guide: Using dead-letter queues; dead-letter queue redrive)', async () => {
    const dlq = await createQueue('poison-dlq.fifo');
    const QueueUrl = await createQueue('poison.fifo', {
      VisibilityTimeout: '10',
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:poison-dlq.fifo',
        maxReceiveCount: 2,
      }),
    });
    const poison = await send(QueueUrl, 'g', 'poison', 'dedup-poison');
    await send(QueueUrl, 'g', 'next');
    const earlier = await send(dlq, 'g', 'already-there');

    const attempts: Message[][] = [];
    for (let i = 0; i < 3; i++) {
      attempts.push(await receive(QueueUrl, 1));
      advance(10);
    }
    const dead = await receive(dlq);

    expect(attempts.map(receiveCounts)).toEqual([[['poison', '1']], [['poison', '2']], [['next', '1']]]);
    expect(dead.map((message) => [message.Body, message.MessageId])).toEqual([
      ['already-there', earlier.MessageId],
      ['poison', poison.MessageId],
    ]);
    // "The original message's deduplication ID will be replaced with the original message's ID", so that the
    // dead-letter queue's de-duplication keeps two messages that shared one.
    expect(dead[1]?.Attributes).toMatchObject({
      MessageGroupId: 'g',
      MessageDeduplicationId: poison.MessageId,
      DeadLetterQueueSourceArn: 'arn:aws:sqs:us-east-1:000000000000:poison.fifo',
    });
    // The dead-letter queue numbers the message after what it held, keeping its own group order.
    expect(BigInt(dead[1]?.Attributes?.SequenceNumber ?? '0')).toBeGreaterThan(
      BigInt(earlier.SequenceNumber ?? '0'),
    );
  });

  it('refuses a delete with a receipt handle whose visibility timeout has ended (SQS API Reference: DeleteMessage; AWS’s answer as LocalStack’s validated snapshot records it)', async () => {
    const QueueUrl = await createQueue('expiring.fifo', { VisibilityTimeout: '10' });
    await send(QueueUrl, 'g', 'm1');
    const [first] = await receive(QueueUrl);
    advance(10);
    const expired = await failure(
      sqs.client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: first?.ReceiptHandle })),
    );
    const [second] = await receive(QueueUrl);
    const stale = await failure(
      sqs.client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: first?.ReceiptHandle })),
    );
    await sqs.client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: second?.ReceiptHandle }));

    const reason = 'Reason: The receipt handle has expired.';
    expect(expired).toEqual({
      name: 'InvalidParameterValue',
      message: `Value ${first?.ReceiptHandle} for parameter ReceiptHandle is invalid. ${reason}`,
    });
    expect(stale.message).toBe(
      `Value ${first?.ReceiptHandle} for parameter ReceiptHandle is invalid. ${reason}`,
    );
    expect(
      await attributes(QueueUrl, ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible']),
    ).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  });

  it('accepts ReceiveRequestAttemptId but ignores it: a retried attempt receives anew instead of the same messages (SQS API Reference: ReceiveMessage, ReceiveRequestAttemptId)', async () => {
    const QueueUrl = await createQueue('attempts.fifo');
    await send(QueueUrl, 'g', 'm1');

    const first = await receive(QueueUrl, 10, { ReceiveRequestAttemptId: 'attempt-1' });
    const retried = await receive(QueueUrl, 10, { ReceiveRequestAttemptId: 'attempt-1' });

    expect(bodies(first)).toEqual(['m1']);
    expect(retried).toEqual([]);
  });
});

describe('SQS FIFO queues across a restart', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sqs-fifo-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps FIFO queues, group order, in-flight locks, deduplication ids and sequence numbers across a restart on another port', async () => {
    const before = await startSqsServer({ dataDir, now: () => clock.now });
    const QueueUrl = await createQueue('durable.fifo', { VisibilityTimeout: '60' }, before);
    const sent = [];
    for (const [group, body] of [
      ['a', 'a-1'],
      ['a', 'a-2'],
      ['b', 'b-1'],
    ] as const)
      sent.push(await send(QueueUrl, group, body, body, before));
    const [inFlight] = await receive(QueueUrl, 1, {}, before);
    await before.close();

    advance(10);
    const after = await startSqsServer({ dataDir, now: () => clock.now });
    const { QueueUrl: newUrl = '' } = await after.client.send(
      new GetQueueUrlCommand({ QueueName: 'durable.fifo' }),
    );
    const whileLocked = await receive(newUrl, 10, {}, after);
    const duplicate = await send(newUrl, 'a', 'a-1 again', 'a-1', after);
    const added = await send(newUrl, 'a', 'a-3', 'a-3', after);
    advance(60);
    const afterTimeout = await receive(newUrl, 10, { VisibilityTimeout: 900 }, after);
    advance(300);
    const remembered = await send(newUrl, 'a', 'a-1 later', 'a-1', after);
    const attributesAfter = await attributes(newUrl, ['FifoQueue', 'ApproximateNumberOfMessages'], after);
    await after.close();

    expect(newUrl).toBe(`${after.endpoint}/000000000000/durable.fifo`);
    expect(inFlight?.Body).toBe('a-1');
    expect(bodies(whileLocked)).toEqual(['b-1']);
    expect(duplicate).toMatchObject({
      MessageId: sent[0]?.MessageId,
      SequenceNumber: sent[0]?.SequenceNumber,
    });
    expect(BigInt(added.SequenceNumber ?? '0')).toBeGreaterThan(BigInt(sent[2]?.SequenceNumber ?? '0'));
    expect(receiveCounts(afterTimeout)).toEqual([
      ['a-1', '2'],
      ['a-2', '1'],
      ['a-3', '1'],
      ['b-1', '2'],
    ]);
    expect(remembered.MessageId).not.toBe(sent[0]?.MessageId);
    expect(attributesAfter).toEqual({ FifoQueue: 'true', ApproximateNumberOfMessages: '1' });
  });

  it('rebuilds deduplication ids, sequence numbers and a purge from the journal alone, without a clean close', async () => {
    const options = { accountId: '000000000000', region: 'us-east-1', dataDir, fsync: false } as const;
    const first = await SqsEmulator.open({ ...options, baseUrl: 'http://a', now: () => clock.now });
    first.createQueue('journalled.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
    first.compact();
    first.sendMessage('journalled.fifo', 'purged', { messageGroupId: 'g', messageDeduplicationId: 'p' });
    first.purgeQueue('journalled.fifo');
    const kept = first.sendMessage('journalled.fifo', 'kept', { messageGroupId: 'g' });
    const last = first.sendMessage('journalled.fifo', 'last', { messageGroupId: 'h' });

    const reopened = await SqsEmulator.open({ ...options, baseUrl: 'http://b', now: () => clock.now });
    const keptAgain = reopened.sendMessage('journalled.fifo', 'kept', { messageGroupId: 'g' });
    const purgedAgain = reopened.sendMessage('journalled.fifo', 'purged again', {
      messageGroupId: 'g',
      messageDeduplicationId: 'p',
    });
    const next = reopened.sendMessage('journalled.fifo', 'next', { messageGroupId: 'h' });
    const received = await reopened.receiveMessages('journalled.fifo', { maxNumberOfMessages: 10 });
    await reopened.close();
    await first.close();

    expect(keptAgain).toMatchObject({ messageId: kept.messageId, sequenceNumber: kept.sequenceNumber });
    expect(purgedAgain.messageId).not.toBe(kept.messageId);
    expect(BigInt(next.sequenceNumber ?? '0')).toBeGreaterThan(BigInt(last.sequenceNumber ?? '0'));
    expect(received.map((message) => message.body)).toEqual(['kept', 'purged again', 'last', 'next']);
  });
});
