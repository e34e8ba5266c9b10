import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDeletedRecently,
  QueueDoesNotExist,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSServiceException,
  TagQueueCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SqsTestServer, startSqsServer } from './sqs-server.ts';

let sqs: SqsTestServer;
let QueueUrl: string;

beforeAll(async () => {
  sqs = await startSqsServer();
  QueueUrl =
    (
      await sqs.client.send(
        new CreateQueueCommand({ QueueName: 'errors', Attributes: { VisibilityTimeout: '30' } }),
      )
    ).QueueUrl ?? '';
});
afterAll(async () => {
  await sqs.close();
});

/** The SDK's exception for a call that must fail. */
async function failure(call: Promise<unknown>): Promise<SQSServiceException> {
  const error = await call.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(error instanceof SQSServiceException)) throw new Error(`expected an SQS error, got ${String(error)}`);
  return error;
}

function summary(error: SQSServiceException) {
  return {
    name: error.name,
    message: error.message,
    status: error.$metadata.httpStatusCode,
    fault: error.$fault,
  };
}

describe('SQS emulator errors as the SDK sees them', () => {
  it('QueueDoesNotExist from GetQueueUrl and from SendMessage to an unknown queue', async () => {
    const fromGetQueueUrl = await failure(sqs.client.send(new GetQueueUrlCommand({ QueueName: 'nope' })));
    const fromSend = await failure(
      sqs.client.send(
        new SendMessageCommand({ QueueUrl: `${sqs.endpoint}/000000000000/nope`, MessageBody: 'x' }),
      ),
    );

    for (const error of [fromGetQueueUrl, fromSend]) {
      expect(error).toBeInstanceOf(QueueDoesNotExist);
      expect(summary(error)).toEqual({
        name: 'QueueDoesNotExist',
        message: 'The specified queue does not exist.',
        status: 400,
        fault: 'client',
      });
      expect((error as QueueDoesNotExist & { Code?: string }).Code).toBe(
        'AWS.SimpleQueueService.NonExistentQueue',
      );
    }
  });

  it('InvalidParameterValue for DelaySeconds and MaxNumberOfMessages out of range', async () => {
    const delay = await failure(
      sqs.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x', DelaySeconds: 901 })),
    );
    const max = await failure(
      sqs.client.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 11 })),
    );
    const wait = await failure(sqs.client.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 21 })));

    expect(summary(delay)).toEqual({
      name: 'InvalidParameterValue',
      message:
        'Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.',
      status: 400,
      fault: 'client',
    });
    expect(summary(max)).toMatchObject({
      name: 'InvalidParameterValue',
      message:
        'Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.',
    });
    expect(summary(wait)).toMatchObject({
      name: 'InvalidParameterValue',
      message:
        'Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.',
    });
  });

  it('ReceiptHandleIsInvalid for a handle that is not one', async () => {
    const error = await failure(
      sqs.client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: 'bogus' })),
    );

    expect(error).toBeInstanceOf(ReceiptHandleIsInvalid);
    expect(summary(error)).toEqual({
      name: 'ReceiptHandleIsInvalid',
      message: 'The input receipt handle "bogus" is not a valid receipt handle.',
      status: 404,
      fault: 'client',
    });
  });

  it('accepts deleting with a stale receipt handle, but not changing visibility with it', async () => {
    const queue = (await sqs.client.send(new CreateQueueCommand({ QueueName: 'stale' }))).QueueUrl;
    await sqs.client.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: 'twice' }));
    const first = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queue, VisibilityTimeout: 0 }));
    const second = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queue }));
    const staleHandle = first.Messages?.[0]?.ReceiptHandle;

    const change = await failure(
      sqs.client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queue,
          ReceiptHandle: staleHandle,
          VisibilityTimeout: 5,
        }),
      ),
    );
    await sqs.client.send(new DeleteMessageCommand({ QueueUrl: queue, ReceiptHandle: staleHandle }));
    await sqs.client.send(
      new DeleteMessageCommand({ QueueUrl: queue, ReceiptHandle: second.Messages?.[0]?.ReceiptHandle }),
    );

    expect(summary(change)).toMatchObject({
      name: 'InvalidParameterValue',
      message: `Value ${staleHandle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
    });
    const { Attributes } = await sqs.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: queue,
        AttributeNames: ['ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    expect(Attributes).toEqual({ ApproximateNumberOfMessagesNotVisible: '0' });
  });

  it('rejects malformed batches as a whole', async () => {
    const entry = (Id: string) => ({ Id, MessageBody: Id });
    const empty = await failure(sqs.client.send(new SendMessageBatchCommand({ QueueUrl, Entries: [] })));
    const tooMany = await failure(
      sqs.client.send(
        new SendMessageBatchCommand({
          QueueUrl,
          Entries: Array.from({ length: 11 }, (_, i) => entry(`m${i}`)),
        }),
      ),
    );
    const repeated = await failure(
      sqs.client.send(new SendMessageBatchCommand({ QueueUrl, Entries: [entry('same'), entry('same')] })),
    );
    const badId = await failure(
      sqs.client.send(
        new DeleteMessageBatchCommand({ QueueUrl, Entries: [{ Id: 'not ok!', ReceiptHandle: 'x' }] }),
      ),
    );

    expect(summary(empty)).toMatchObject({
      name: 'EmptyBatchRequest',
      message: 'There should be at least one SendMessageBatchRequestEntry in the request.',
    });
    expect(summary(tooMany)).toMatchObject({
      name: 'TooManyEntriesInBatchRequest',
      message: 'Maximum number of entries per request are 10. You have sent 11.',
    });
    expect(summary(repeated)).toMatchObject({
      name: 'BatchEntryIdsNotDistinct',
      message: 'Id same repeated.',
    });
    expect(summary(badId)).toMatchObject({
      name: 'InvalidBatchEntryId',
      message:
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
    });
  });

  it('MissingParameter, InvalidAttributeName, InvalidMessageContents and QueueNameExists', async () => {
    const missing = await failure(
      sqs.client.send(new SendMessageCommand({ QueueUrl, MessageBody: undefined as never })),
    );
    const attribute = await failure(
      sqs.client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['Colour' as never] })),
    );
    const contents = await failure(
      sqs.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'bell\u0007' })),
    );
    const exists = await failure(
      sqs.client.send(
        new CreateQueueCommand({ QueueName: 'errors', Attributes: { VisibilityTimeout: '31' } }),
      ),
    );
    const same = await sqs.client.send(
      new CreateQueueCommand({ QueueName: 'errors', Attributes: { VisibilityTimeout: '30' } }),
    );

    expect(summary(missing)).toMatchObject({
      name: 'MissingParameter',
      message: 'The request must contain the parameter MessageBody.',
    });
    expect(summary(attribute)).toMatchObject({
      name: 'InvalidAttributeName',
      message: 'Unknown Attribute Colour.',
    });
    expect(summary(contents)).toMatchObject({ name: 'InvalidMessageContents' });
    expect(contents.message).toMatch(/^Invalid binary character '#x7' was found in the message body/);
    expect(summary(exists)).toMatchObject({
      name: 'QueueNameExists',
      message:
        'A queue already exists with the same name and a different value for attribute VisibilityTimeout',
    });
    expect(same.QueueUrl).toBe(QueueUrl);
  });

  it('UnknownOperationException for operations the emulator does not implement', async () => {
    const error = await failure(sqs.client.send(new TagQueueCommand({ QueueUrl, Tags: { team: 'a' } })));

    expect(summary(error)).toEqual({
      name: 'UnknownOperationException',
      message: 'The sandbox SQS emulator does not implement TagQueue.',
      status: 400,
      fault: 'client',
    });
  });
});

describe('SQS emulator errors that depend on time (injected clock)', () => {
  let clocked: SqsTestServer;
  const clock = { now: 1_700_000_000_000 };

  beforeAll(async () => {
    clocked = await startSqsServer({ now: () => clock.now });
  });
  afterAll(async () => {
    await clocked.close();
  });

  it('QueueDeletedRecently from CreateQueue within 60 s of deleting a queue of that name', async () => {
    const created = await clocked.client.send(new CreateQueueCommand({ QueueName: 'recycled' }));
    await clocked.client.send(new DeleteQueueCommand({ QueueUrl: created.QueueUrl }));

    clock.now += 59_999;
    const early = await failure(clocked.client.send(new CreateQueueCommand({ QueueName: 'recycled' })));
    clock.now += 1;
    const recreated = await clocked.client.send(new CreateQueueCommand({ QueueName: 'recycled' }));

    expect(early).toBeInstanceOf(QueueDeletedRecently);
    expect(summary(early)).toEqual({
      name: 'QueueDeletedRecently',
      message:
        'You must wait 60 seconds after deleting a queue before you can create another with the same name.',
      status: 400,
      fault: 'client',
    });
    expect((early as QueueDeletedRecently & { Code?: string }).Code).toBe(
      'AWS.SimpleQueueService.QueueDeletedRecently',
    );
    expect(recreated.QueueUrl).toBe(created.QueueUrl);
  });

  it('ensureQueue, as the sandbox starts its own queues, is not held up by a recent delete', async () => {
    const created = await clocked.client.send(new CreateQueueCommand({ QueueName: 'own' }));
    await clocked.client.send(new DeleteQueueCommand({ QueueUrl: created.QueueUrl }));

    const ensured = clocked.emulator.ensureQueue('own', { VisibilityTimeout: '45' });
    const again = await clocked.client.send(
      new CreateQueueCommand({ QueueName: 'own', Attributes: { VisibilityTimeout: '45' } }),
    );

    expect(ensured).toBe(created.QueueUrl);
    expect(again.QueueUrl).toBe(created.QueueUrl);
  });
});
