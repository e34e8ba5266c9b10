import {
  CancelMessageMoveTaskCommand,
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSServiceException,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { eventually } from '../../support/eventually.ts';
import { useSqsServerOnAClock } from './sqs-server.ts';

/**
 * Dead-letter queue redrive over the wire, as the runbooks use it (`aws sqs start-message-move-task`): the rules of
 * SQS's API Reference (StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask) and Developer Guide
 * ("Learn how to configure a dead-letter queue redrive"), with AWS's answers as LocalStack's AWS-validated tests
 * recorded them. The moves run on real timers; the queues' visibility on the test's clock.
 */
const { sqs, advance } = useSqsServerOnAClock(1_700_000_000_000);
const arnOf = (name: string) => `arn:aws:sqs:us-east-1:000000000000:${name}`;

async function createQueue(QueueName: string, attributes: Record<string, string> = {}): Promise<string> {
  const fifo = QueueName.endsWith('.fifo') ? { FifoQueue: 'true' } : {};
  const { QueueUrl } = await sqs.client.send(
    new CreateQueueCommand({ QueueName, Attributes: { ...fifo, ...attributes } }),
  );
  if (QueueUrl === undefined) throw new Error('no QueueUrl');
  return QueueUrl;
}

/** A queue whose messages go to `dlq` after one receive. */
const withDeadLetterQueue = (name: string, dlq: string) =>
  createQueue(name, {
    VisibilityTimeout: '30',
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arnOf(dlq), maxReceiveCount: 1 }),
  });

async function receive(QueueUrl: string, max = 10): Promise<Message[]> {
  const { Messages } = await sqs.client.send(
    new ReceiveMessageCommand({
      QueueUrl,
      MaxNumberOfMessages: max,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  return Messages ?? [];
}

/** Sends the bodies and has SQS dead-letter each (received once, not deleted, received again). */
async function deadLetter(QueueUrl: string, bodies: readonly string[], group?: string): Promise<string[]> {
  const ids: string[] = [];
  for (const body of bodies) {
    const sent = await sqs.client.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: body,
        MessageAttributes: { reason: { DataType: 'String', StringValue: `why ${body}` } },
        ...(group === undefined ? {} : { MessageGroupId: group, MessageDeduplicationId: body }),
      }),
    );
    ids.push(sent.MessageId ?? '');
  }
  for (const _ of bodies) await receive(QueueUrl, 1);
  advance(30);
  expect(await receive(QueueUrl)).toEqual([]);
  return ids;
}

async function tasksOf(SourceArn: string, MaxResults?: number): Promise<ListMessageMoveTasksResultEntry[]> {
  const { Results } = await sqs.client.send(new ListMessageMoveTasksCommand({ SourceArn, MaxResults }));
  return Results ?? [];
}

/** The source's latest task, once it is no longer running. */
const ended = (SourceArn: string) =>
  eventually(async () => {
    const [latest] = await tasksOf(SourceArn);
    return latest?.Status === 'RUNNING' ? undefined : latest;
  }, `the move task of ${SourceArn} to end`);

async function failure(
  promise: Promise<unknown>,
): Promise<{ name: string; message: string; status?: number }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SQSServiceException) {
      return { name: error.name, message: error.message, status: error.$metadata.httpStatusCode };
    }
    throw error;
  }
  throw new Error('expected the call to fail');
}

const count = async (QueueUrl: string) => {
  const { Attributes } = await sqs.client.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages);
};

describe('StartMessageMoveTask', () => {
  it('moves each message back to the queue it was dead-lettered from when no destination is given, oldest first, as a new message with its body and attributes (API Reference: DestinationArn; Developer Guide: redrive)', async () => {
    const dlq = await createQueue('shared-dlq');
    const orders = await withDeadLetterQueue('orders', 'shared-dlq');
    const shipments = await withDeadLetterQueue('shipments', 'shared-dlq');
    const [firstId] = await deadLetter(orders, ['o1', 'o2']);
    await deadLetter(shipments, ['s1']);

    const { TaskHandle } = await sqs.client.send(
      new StartMessageMoveTaskCommand({ SourceArn: arnOf('shared-dlq') }),
    );
    const task = await ended(arnOf('shared-dlq'));
    const back = await receive(orders);

    expect(TaskHandle).toEqual(expect.any(String));
    expect(task).toEqual({
      Status: 'COMPLETED',
      SourceArn: arnOf('shared-dlq'),
      ApproximateNumberOfMessagesMoved: 3,
      ApproximateNumberOfMessagesToMove: 3,
      StartedTimestamp: expect.any(Number),
    });
    expect(back.map((message) => message.Body)).toEqual(['o1', 'o2']);
    expect((await receive(shipments)).map((message) => message.Body)).toEqual(['s1']);
    expect(await count(dlq)).toBe(0);
    // "All redriven messages are considered new messages with a new messageID and enqueueTime".
    expect(back[0]?.MessageId).not.toBe(firstId);
    expect(back[0]?.Attributes).toMatchObject({ ApproximateReceiveCount: '1' });
    expect(back[0]?.Attributes?.DeadLetterQueueSourceArn).toBeUndefined();
    expect(back[0]?.MessageAttributes).toEqual({ reason: { DataType: 'String', StringValue: 'why o1' } });
  });

  it('moves to the destination given, which must exist (ResourceNotFoundException, 404), and so must the source', async () => {
    await createQueue('dlq');
    const source = await withDeadLetterQueue('source', 'dlq');
    const elsewhere = await createQueue('elsewhere');
    await deadLetter(source, ['m1']);

    const missingDestination = await failure(
      sqs.client.send(
        new StartMessageMoveTaskCommand({ SourceArn: arnOf('dlq'), DestinationArn: arnOf('nowhere') }),
      ),
    );
    const missingSource = await failure(
      sqs.client.send(new StartMessageMoveTaskCommand({ SourceArn: arnOf('no-such-dlq') })),
    );
    await sqs.client.send(
      new StartMessageMoveTaskCommand({ SourceArn: arnOf('dlq'), DestinationArn: arnOf('elsewhere') }),
    );
    const task = await ended(arnOf('dlq'));

    expect(missingDestination).toEqual({
      name: 'ResourceNotFoundException',
      message: "The resource that you specified for the DestinationArn parameter doesn't exist.",
      status: 404,
    });
    expect(missingSource).toMatchObject({ name: 'ResourceNotFoundException', status: 404 });
    expect(task).toMatchObject({ Status: 'COMPLETED', DestinationArn: arnOf('elsewhere') });
    expect((await receive(elsewhere)).map((message) => message.Body)).toEqual(['m1']);
    expect(await receive(source)).toEqual([]);
  });

  it("refuses a source that is no queue's dead-letter queue: 'Source queue must be configured as a Dead Letter Queue.' (AWS's answer, validated)", async () => {
    await createQueue('plain');
    await createQueue('target');

    expect(
      await failure(
        sqs.client.send(
          new StartMessageMoveTaskCommand({ SourceArn: arnOf('plain'), DestinationArn: arnOf('target') }),
        ),
      ),
    ).toEqual({
      name: 'InvalidParameterValue',
      message: 'Source queue must be configured as a Dead Letter Queue.',
      status: 400,
    });
  });

  it('moves a FIFO dead-letter queue only to a FIFO queue, and a standard one only to a standard one (Developer Guide: both queues the same type)', async () => {
    await createQueue('std-dlq');
    await withDeadLetterQueue('std-source', 'std-dlq');
    await createQueue('other.fifo');

    expect(
      await failure(
        sqs.client.send(
          new StartMessageMoveTaskCommand({
            SourceArn: arnOf('std-dlq'),
            DestinationArn: arnOf('other.fifo'),
          }),
        ),
      ),
    ).toMatchObject({
      name: 'InvalidParameterValue',
      message: 'The source queue and destination queue must be of the same queue type.',
    });
  });

  it('redrives a FIFO dead-letter queue into its FIFO source, in the message group, under the de-duplication id the move gave it (its first message id), received anew', async () => {
    const dlq = await createQueue('ordered-dlq.fifo');
    const ordered = await createQueue('ordered.fifo', {
      VisibilityTimeout: '30',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arnOf('ordered-dlq.fifo'), maxReceiveCount: 1 }),
    });
    const [poisonId] = await deadLetter(ordered, ['poison'], 'resource-1');
    await sqs.client.send(
      new SendMessageCommand({
        QueueUrl: ordered,
        MessageBody: 'newer',
        MessageGroupId: 'resource-1',
        MessageDeduplicationId: 'newer',
      }),
    );

    await sqs.client.send(new StartMessageMoveTaskCommand({ SourceArn: arnOf('ordered-dlq.fifo') }));
    await ended(arnOf('ordered-dlq.fifo'));
    const group = await receive(ordered);
    const redriven = group[1];

    // Redriven behind what its group received meanwhile, as a new message.
    expect(group.map((message) => message.Body)).toEqual(['newer', 'poison']);
    expect(await count(dlq)).toBe(0);
    expect(redriven?.MessageId).not.toBe(poisonId);
    expect(redriven?.Attributes).toMatchObject({
      MessageGroupId: 'resource-1',
      MessageDeduplicationId: poisonId,
      ApproximateReceiveCount: '1',
    });
  });

  it('runs one task per source at a time, at MaxNumberOfMessagesPerSecond (1 to 500); a cancelled one stops, what it moved stays moved (API Reference: CancelMessageMoveTask)', async () => {
    const dlq = await createQueue('slow-dlq');
    const source = await withDeadLetterQueue('slow-source', 'slow-dlq');
    await deadLetter(source, ['a', 'b', 'c', 'd', 'e', 'f']);
    const start = (rate?: number) =>
      sqs.client.send(
        new StartMessageMoveTaskCommand({
          SourceArn: arnOf('slow-dlq'),
          ...(rate === undefined ? {} : { MaxNumberOfMessagesPerSecond: rate }),
        }),
      );

    expect(await failure(start(501))).toMatchObject({ name: 'InvalidParameterValue' });
    expect(await failure(start(0))).toMatchObject({ name: 'InvalidParameterValue' });
    const { TaskHandle } = await start(2);
    expect(await failure(start())).toEqual({
      name: 'InvalidParameterValue',
      message:
        'There is already a task running. Only one active task is allowed for a source queue arn at a given time.',
      status: 400,
    });
    const [running] = await tasksOf(arnOf('slow-dlq'));
    await eventually(async () => ((await count(source)) >= 1 ? true : undefined), 'a first message moved');
    const { ApproximateNumberOfMessagesMoved } = await sqs.client.send(
      new CancelMessageMoveTaskCommand({ TaskHandle }),
    );
    const [cancelled] = await tasksOf(arnOf('slow-dlq'));

    expect(running).toMatchObject({ Status: 'RUNNING', TaskHandle, MaxNumberOfMessagesPerSecond: 2 });
    expect(ApproximateNumberOfMessagesMoved).toBeGreaterThanOrEqual(1);
    expect(ApproximateNumberOfMessagesMoved).toBeLessThan(6);
    expect(cancelled).toMatchObject({ Status: 'CANCELLED', ApproximateNumberOfMessagesToMove: 6 });
    expect(cancelled?.TaskHandle).toBeUndefined();
    expect((await count(source)) + (await count(dlq))).toBe(6);
    expect(await failure(sqs.client.send(new CancelMessageMoveTaskCommand({ TaskHandle })))).toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Task does not exist.',
    });
    expect(
      await failure(sqs.client.send(new CancelMessageMoveTaskCommand({ TaskHandle: 'foobared' }))),
    ).toEqual({
      name: 'InvalidParameterValue',
      message: 'Value for parameter TaskHandle is invalid.',
      status: 400,
    });

    // A new task may start once the last one ended; the list shows the newest first.
    await start();
    await ended(arnOf('slow-dlq'));
    expect((await tasksOf(arnOf('slow-dlq'), 10)).map((task) => task.Status)).toEqual([
      'COMPLETED',
      'CANCELLED',
    ]);
    expect(await count(dlq)).toBe(0);
  });

  it("fails a task whose destination is gone, with AWS's FailureReason, leaving the messages not yet moved", async () => {
    const dlq = await createQueue('dlq-of-gone');
    const source = await withDeadLetterQueue('source-of-gone', 'dlq-of-gone');
    const gone = await createQueue('gone');
    await deadLetter(source, ['x', 'y', 'z']);

    await sqs.client.send(
      new StartMessageMoveTaskCommand({
        SourceArn: arnOf('dlq-of-gone'),
        DestinationArn: arnOf('gone'),
        MaxNumberOfMessagesPerSecond: 2,
      }),
    );
    await eventually(async () => ((await count(gone)) >= 1 ? true : undefined), 'a first message moved');
    await sqs.client.send(new DeleteQueueCommand({ QueueUrl: gone }));
    const task = await ended(arnOf('dlq-of-gone'));

    expect(task).toMatchObject({
      Status: 'FAILED',
      FailureReason: 'AWS.SimpleQueueService.NonExistentQueue',
    });
    expect(await count(dlq)).toBe(3 - (task.ApproximateNumberOfMessagesMoved ?? 0));
    expect(await count(dlq)).toBeGreaterThanOrEqual(1);
  });

  it('fails a task without a destination on a message sent to the dead-letter queue directly (no source to return it to: the sandbox’s choice), which stays', async () => {
    const dlq = await createQueue('direct-dlq');
    await withDeadLetterQueue('direct-source', 'direct-dlq');
    await sqs.client.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: 'sent here directly' }));

    await sqs.client.send(new StartMessageMoveTaskCommand({ SourceArn: arnOf('direct-dlq') }));
    const task = await ended(arnOf('direct-dlq'));

    expect(task).toMatchObject({ Status: 'FAILED', FailureReason: expect.stringMatching(/DestinationArn/) });
    expect(await count(dlq)).toBe(1);
  });
});
