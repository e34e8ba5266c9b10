import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SqsTestServer, startSqsServer } from './sqs-server.ts';

let sqs: SqsTestServer;
let queueCounter = 0;

beforeAll(async () => {
  sqs = await startSqsServer();
});
afterAll(async () => {
  await sqs.close();
});

async function createQueue(attributes: Record<string, string> = {}, name = `queue-${++queueCounter}`) {
  const { QueueUrl } = await sqs.client.send(
    new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
  );
  if (QueueUrl === undefined) throw new Error('no QueueUrl');
  return QueueUrl;
}

async function receive(QueueUrl: string, options: { max?: number; wait?: number; visibility?: number } = {}) {
  const { Messages } = await sqs.client.send(
    new ReceiveMessageCommand({
      QueueUrl,
      MaxNumberOfMessages: options.max ?? 10,
      WaitTimeSeconds: options.wait ?? 0,
      ...(options.visibility === undefined ? {} : { VisibilityTimeout: options.visibility }),
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  return Messages ?? [];
}

async function counts(QueueUrl: string) {
  const { Attributes } = await sqs.client.send(
    new GetQueueAttributesCommand({
      QueueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return Attributes;
}

const bodies = (messages: readonly Message[]) => messages.map((message) => message.Body).sort();

describe('SQS emulator through @aws-sdk/client-sqs', () => {
  it('sends, receives and deletes a message', async () => {
    const QueueUrl = await createQueue();
    expect(QueueUrl).toBe(`${sqs.endpoint}/000000000000/queue-${queueCounter}`);

    const sent = await sqs.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'hello' }));
    const [message, ...rest] = await receive(QueueUrl);

    expect(rest).toEqual([]);
    expect(message).toMatchObject({
      MessageId: sent.MessageId,
      Body: 'hello',
      MD5OfBody: '5d41402abc4b2a76b9719d911017c592',
      Attributes: { ApproximateReceiveCount: '1', SenderId: '000000000000' },
    });
    expect(Number(message?.Attributes?.SentTimestamp)).toBeLessThanOrEqual(
      Number(message?.Attributes?.ApproximateFirstReceiveTimestamp),
    );
    expect(await receive(QueueUrl)).toEqual([]);

    await sqs.client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message?.ReceiptHandle }));
    expect(await counts(QueueUrl)).toEqual({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
      ApproximateNumberOfMessagesDelayed: '0',
    });
  });

  it('returns a message whose visibility timeout ran out, with a new receipt handle and count 2', async () => {
    const QueueUrl = await createQueue({ VisibilityTimeout: '1' });
    await sqs.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'again' }));

    const [first] = await receive(QueueUrl);
    expect(await receive(QueueUrl)).toEqual([]);
    const [second] = await receive(QueueUrl, { wait: 5 });

    expect(second?.MessageId).toBe(first?.MessageId);
    expect(second?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(second?.Attributes?.ApproximateFirstReceiveTimestamp).toBe(
      first?.Attributes?.ApproximateFirstReceiveTimestamp,
    );
    expect(second?.ReceiptHandle).not.toBe(first?.ReceiptHandle);
  });

  it('ChangeMessageVisibility to 0 makes an in-flight message receivable at once', async () => {
    const QueueUrl = await createQueue({ VisibilityTimeout: '300' });
    await sqs.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'release me' }));
    const [first] = await receive(QueueUrl);

    await sqs.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl,
        ReceiptHandle: first?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const [second] = await receive(QueueUrl);

    expect(second).toMatchObject({
      MessageId: first?.MessageId,
      Attributes: { ApproximateReceiveCount: '2' },
    });
  });

  it('ChangeMessageVisibility with the latest handle of a message visible again succeeds and changes nothing', async () => {
    const clock = { now: 1_700_000_000_000 };
    const clocked = await startSqsServer({ now: () => clock.now });
    try {
      const { QueueUrl } = await clocked.client.send(
        new CreateQueueCommand({ QueueName: 'expired', Attributes: { VisibilityTimeout: '30' } }),
      );
      await clocked.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'too slow' }));
      const { Messages } = await clocked.client.send(new ReceiveMessageCommand({ QueueUrl }));
      const ReceiptHandle = Messages?.[0]?.ReceiptHandle;
      clock.now += 30_000;

      const single = await clocked.client.send(
        new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle, VisibilityTimeout: 600 }),
      );
      const batch = await clocked.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl,
          Entries: [{ Id: 'late', ReceiptHandle, VisibilityTimeout: 600 }],
        }),
      );
      const after = await clocked.client.send(
        new GetQueueAttributesCommand({
          QueueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      const again = await clocked.client.send(new ReceiveMessageCommand({ QueueUrl }));

      expect(single.$metadata.httpStatusCode).toBe(200);
      expect(batch.Successful).toEqual([{ Id: 'late' }]);
      expect(batch.Failed ?? []).toEqual([]);
      expect(after.Attributes).toEqual({
        ApproximateNumberOfMessages: '1',
        ApproximateNumberOfMessagesNotVisible: '0',
      });
      expect(again.Messages?.map((message) => message.Body)).toEqual(['too slow']);
    } finally {
      await clocked.close();
    }
  });

  it('delays messages by the queue default and by the per-message DelaySeconds', async () => {
    const delayedQueue = await createQueue({ DelaySeconds: '1' });
    await sqs.client.send(new SendMessageCommand({ QueueUrl: delayedQueue, MessageBody: 'queue delay' }));
    expect(await counts(delayedQueue)).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesDelayed: '1',
    });
    expect(await receive(delayedQueue)).toEqual([]);
    expect(bodies(await receive(delayedQueue, { wait: 5 }))).toEqual(['queue delay']);

    const QueueUrl = await createQueue();
    await sqs.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'later', DelaySeconds: 1 }));
    await sqs.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'now' }));
    expect(bodies(await receive(QueueUrl))).toEqual(['now']);
    expect(bodies(await receive(QueueUrl, { wait: 5 }))).toEqual(['later']);
  });

  it('long polling answers as soon as a message arrives', async () => {
    const QueueUrl = await createQueue();
    const started = Date.now();
    const polling = receive(QueueUrl, { wait: 15 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await sqs.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'arrived' }));

    expect(bodies(await polling)).toEqual(['arrived']);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('long polling already waiting answers when a delayed message sent after it becomes visible', async () => {
    const QueueUrl = await createQueue();
    const started = Date.now();
    const polling = receive(QueueUrl, { wait: 15 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await sqs.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'delayed', DelaySeconds: 1 }));

    expect(bodies(await polling)).toEqual(['delayed']);
    // At its 1 s delay, not at the poll's 15 s deadline.
    expect(Date.now() - started).toBeLessThan(8_000);
  });

  it('answers at most MaxNumberOfMessages messages', async () => {
    const QueueUrl = await createQueue();
    await sqs.client.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: ['a', 'b', 'c', 'd', 'e'].map((body) => ({ Id: body, MessageBody: body })),
      }),
    );

    const firstTwo = await receive(QueueUrl, { max: 2 });
    const rest = await receive(QueueUrl, { max: 10 });

    expect(firstTwo).toHaveLength(2);
    expect([...bodies(firstTwo), ...bodies(rest)].sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(await receive(QueueUrl, { max: 1 })).toEqual([]);
  });

  it('moves a message to the dead-letter queue when it would be received more than maxReceiveCount times', async () => {
    const dlqUrl = await createQueue();
    const { Attributes } = await sqs.client.send(
      new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
    );
    const dlqArn = Attributes?.QueueArn;
    expect(dlqArn).toBe(`arn:aws:sqs:us-east-1:000000000000:queue-${queueCounter}`);
    const QueueUrl = await createQueue({
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
    });
    const sent = await sqs.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'poison' }));

    const first = await receive(QueueUrl, { visibility: 0 });
    const second = await receive(QueueUrl, { visibility: 0 });
    const third = await receive(QueueUrl, { visibility: 0 });
    const [dead] = await receive(dlqUrl);

    expect(first.map((message) => message.Attributes?.ApproximateReceiveCount)).toEqual(['1']);
    expect(second.map((message) => message.Attributes?.ApproximateReceiveCount)).toEqual(['2']);
    expect(third).toEqual([]);
    expect(dead).toMatchObject({
      MessageId: sent.MessageId,
      Body: 'poison',
      Attributes: {
        ApproximateReceiveCount: '3',
        SentTimestamp: first[0]?.Attributes?.SentTimestamp,
        DeadLetterQueueSourceArn: `arn:aws:sqs:us-east-1:000000000000:queue-${queueCounter}`,
      },
    });
    expect(await counts(QueueUrl)).toMatchObject({ ApproximateNumberOfMessages: '0' });
  });

  it('round-trips message attributes with MD5s computed as AWS does', async () => {
    const QueueUrl = await createQueue();
    const binary = new TextEncoder().encode('Hello binary world!');
    const MessageAttributes = {
      attribName1: { DataType: 'String', StringValue: 'attribValue 1' },
      customNumberTypeAttrib: {
        DataType: 'Number.float',
        StringValue: '4563442423554324324264524243.32543234',
      },
      binaryAttribute: { DataType: 'Binary', BinaryValue: binary },
    };

    const sent = await sqs.client.send(
      new SendMessageCommand({ QueueUrl, MessageBody: 'with attributes', MessageAttributes }),
    );
    const [all] = await receive(QueueUrl, { visibility: 0 });
    const { Messages: [onlyBinary] = [] } = await sqs.client.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MessageAttributeNames: ['binaryAttribute'],
        VisibilityTimeout: 0,
      }),
    );
    const { Messages: [none] = [] } = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl }));

    // Reference digests from the aws-md5-of-message-attributes package's documentation.
    expect(sent.MD5OfMessageAttributes).toBe('c932db14a896c663f83c260297d594ff');
    expect(all?.MD5OfMessageAttributes).toBe('c932db14a896c663f83c260297d594ff');
    expect(all?.MessageAttributes).toEqual(MessageAttributes);
    expect(onlyBinary?.MessageAttributes).toEqual({ binaryAttribute: MessageAttributes.binaryAttribute });
    expect(onlyBinary?.MD5OfMessageAttributes).toBe('31a92b15d92f8db860eda32aceb656c3');
    expect(none?.MessageAttributes).toBeUndefined();
    expect(none?.MD5OfMessageAttributes).toBeUndefined();
    expect(none?.Attributes).toBeUndefined();
  });

  it('reports per-entry failures of batch operations', async () => {
    const QueueUrl = await createQueue();
    const sent = await sqs.client.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: 'ok-1', MessageBody: 'one' },
          { Id: 'too-late', MessageBody: 'two', DelaySeconds: 901 },
          { Id: 'ok_2', MessageBody: 'three' },
        ],
      }),
    );
    expect(sent.Successful?.map((entry) => entry.Id)).toEqual(['ok-1', 'ok_2']);
    expect(sent.Failed).toEqual([
      {
        Id: 'too-late',
        SenderFault: true,
        Code: 'InvalidParameterValue',
        Message:
          'Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.',
      },
    ]);

    const received = await receive(QueueUrl);
    const [one, three] = received;
    const changed = await sqs.client.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl,
        Entries: [
          { Id: 'a', ReceiptHandle: one?.ReceiptHandle, VisibilityTimeout: 0 },
          { Id: 'b', ReceiptHandle: 'not-a-handle', VisibilityTimeout: 0 },
          { Id: 'c', ReceiptHandle: three?.ReceiptHandle, VisibilityTimeout: 43_201 },
        ],
      }),
    );
    expect(changed.Successful).toEqual([{ Id: 'a' }]);
    expect(changed.Failed?.map(({ Id, Code, SenderFault }) => ({ Id, Code, SenderFault }))).toEqual([
      { Id: 'b', Code: 'ReceiptHandleIsInvalid', SenderFault: true },
      { Id: 'c', Code: 'InvalidParameterValue', SenderFault: true },
    ]);

    const deleted = await sqs.client.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: 'x', ReceiptHandle: three?.ReceiptHandle },
          { Id: 'y', ReceiptHandle: 'garbage' },
        ],
      }),
    );
    expect(deleted.Successful).toEqual([{ Id: 'x' }]);
    expect(deleted.Failed).toEqual([
      {
        Id: 'y',
        SenderFault: true,
        Code: 'ReceiptHandleIsInvalid',
        Message: 'The input receipt handle "garbage" is not a valid receipt handle.',
      },
    ]);
    expect(bodies(await receive(QueueUrl))).toEqual(['one']);
  });

  it('PurgeQueue deletes every message, in flight or not', async () => {
    const QueueUrl = await createQueue();
    await sqs.client.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: '1', MessageBody: 'one' },
          { Id: '2', MessageBody: 'two', DelaySeconds: 60 },
          { Id: '3', MessageBody: 'three' },
        ],
      }),
    );
    await receive(QueueUrl, { max: 1 });

    await sqs.client.send(new PurgeQueueCommand({ QueueUrl }));

    expect(await counts(QueueUrl)).toEqual({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
      ApproximateNumberOfMessagesDelayed: '0',
    });
  });

  it('PurgeQueue refuses a second purge of the same queue within 60 s', async () => {
    const QueueUrl = await createQueue();
    await sqs.client.send(new PurgeQueueCommand({ QueueUrl }));

    const again = sqs.client.send(new PurgeQueueCommand({ QueueUrl }));

    await expect(again).rejects.toMatchObject({
      name: 'PurgeQueueInProgress',
      message: `Only one PurgeQueue operation on ${QueueUrl.split('/').pop()} is allowed every 60 seconds.`,
    });
  });

  it('GetQueueAttributes counts visible, in-flight and delayed messages and reports the settings', async () => {
    const dlqUrl = await createQueue();
    const dlqArn = `arn:aws:sqs:us-east-1:000000000000:${dlqUrl.split('/').pop()}`;
    const QueueUrl = await createQueue({
      VisibilityTimeout: '120',
      MessageRetentionPeriod: '3600',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: '5' }),
    });
    await sqs.client.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: '1', MessageBody: 'one' },
          { Id: '2', MessageBody: 'two' },
          { Id: '3', MessageBody: 'three', DelaySeconds: 60 },
        ],
      }),
    );
    await receive(QueueUrl, { max: 1 });

    const { Attributes } = await sqs.client.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }),
    );

    expect(Attributes).toMatchObject({
      ApproximateNumberOfMessages: '1',
      ApproximateNumberOfMessagesNotVisible: '1',
      ApproximateNumberOfMessagesDelayed: '1',
      QueueArn: `arn:aws:sqs:us-east-1:000000000000:queue-${queueCounter}`,
      VisibilityTimeout: '120',
      MessageRetentionPeriod: '3600',
      DelaySeconds: '0',
      ReceiveMessageWaitTimeSeconds: '0',
      MaximumMessageSize: '1048576',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 5 }),
    });
    expect(Number(Attributes?.CreatedTimestamp)).toBeGreaterThan(1_600_000_000);
  });

  it('GetQueueAttributes leaves Attributes out when there is none to give, as SQS does', async () => {
    const QueueUrl = await createQueue({ VisibilityTimeout: '40' });

    const { $metadata: _withoutNames, ...withoutNames } = await sqs.client.send(
      new GetQueueAttributesCommand({ QueueUrl }),
    );
    const { $metadata: _unset, ...unset } = await sqs.client.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['RedrivePolicy', 'Policy'] }),
    );
    const { $metadata: _partly, ...partly } = await sqs.client.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['RedrivePolicy', 'VisibilityTimeout'] }),
    );

    // The SDK leaves the key out too, so `Attributes` reads as undefined.
    expect(withoutNames).toStrictEqual({});
    expect(unset).toStrictEqual({});
    expect(partly).toStrictEqual({ Attributes: { VisibilityTimeout: '40' } });
  });
});
