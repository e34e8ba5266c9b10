import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqsEmulator } from '#sandbox/sqs/index.ts';
import { startSqsServer } from './sqs-server.ts';

let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sqs-emulator-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const options = { accountId: '000000000000', region: 'us-east-1' } as const;

describe('SQS emulator persistence', () => {
  it('keeps queues and accepted messages across a restart on another port; in-flight ones come back', async () => {
    const before = await startSqsServer({ dataDir });
    const { QueueUrl } = await before.client.send(
      new CreateQueueCommand({ QueueName: 'durable', Attributes: { VisibilityTimeout: '1' } }),
    );
    await before.client.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: ['one', 'two', 'three', 'gone'].map((body) => ({
          Id: body,
          MessageBody: body,
          MessageAttributes: { kind: { DataType: 'String', StringValue: body } },
        })),
      }),
    );
    const { Messages: received = [] } = await before.client.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 2 }),
    );
    const [inFlight, toDelete] = received;
    await before.client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: toDelete?.ReceiptHandle }));
    await before.close();

    const after = await startSqsServer({ dataDir });
    const { QueueUrl: newUrl } = await after.client.send(new GetQueueUrlCommand({ QueueName: 'durable' }));
    const messages = new Map<string, Message>();
    for (let attempt = 0; attempt < 5 && messages.size < 3; attempt++) {
      const { Messages = [] } = await after.client.send(
        new ReceiveMessageCommand({
          QueueUrl: newUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 3,
          VisibilityTimeout: 30,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          MessageAttributeNames: ['All'],
        }),
      );
      for (const message of Messages) messages.set(message.Body ?? '', message);
    }
    await after.close();

    expect(newUrl).toBe(`${after.endpoint}/000000000000/durable`);
    expect(newUrl).not.toBe(QueueUrl);
    expect([...messages.keys()].sort()).toEqual(
      ['one', 'two', 'three', 'gone'].filter((body) => body !== toDelete?.Body).sort(),
    );
    expect(messages.get(inFlight?.Body ?? '')).toMatchObject({
      MessageId: inFlight?.MessageId,
      Attributes: { ApproximateReceiveCount: '2' },
      MessageAttributes: { kind: { DataType: 'String', StringValue: inFlight?.Body } },
    });
  });

  it('replays a compacted snapshot plus the journal written after it, even without a clean close', async () => {
    const first = await SqsEmulator.open({ ...options, baseUrl: 'http://a', dataDir, fsync: false });
    first.createQueue('q', { VisibilityTimeout: '60' });
    first.createQueue('gone');
    const kept = first.sendMessage('q', 'in the snapshot');
    first.sendMessage('q', 'deleted after the snapshot');
    first.deleteQueue('gone');
    first.compact();
    const journalAfterCompaction = readFileSync(join(dataDir, 'journal.jsonl'), 'utf8');
    const [inFlight] = await first.receiveMessages('q', { maxNumberOfMessages: 1, waitTimeSeconds: 0 });
    const second = await first.receiveMessages('q', { maxNumberOfMessages: 1, waitTimeSeconds: 0 });
    first.deleteMessage('q', second[0]?.receiptHandle ?? '');
    first.sendMessage('q', 'only in the journal', { delaySeconds: 0 });
    // A crash in the middle of an append leaves a torn line that was never acknowledged.
    appendFileSync(join(dataDir, 'journal.jsonl'), '{"seq":99,"changes":[{"type":"se');

    const reopened = await SqsEmulator.open({ ...options, baseUrl: 'http://b', dataDir, fsync: false });
    const attributes = reopened.getQueueAttributes('http://b/000000000000/q', ['All']);
    const visible = await reopened.receiveMessages('q', { maxNumberOfMessages: 10, waitTimeSeconds: 0 });
    await reopened.close();

    expect(journalAfterCompaction).toBe('');
    expect(existsSync(join(dataDir, 'snapshot.json'))).toBe(true);
    expect(reopened.listQueues()).toEqual(['http://b/000000000000/q']);
    expect(attributes).toMatchObject({
      VisibilityTimeout: '60',
      ApproximateNumberOfMessages: '1',
      ApproximateNumberOfMessagesNotVisible: '1',
    });
    expect(visible.map((message) => message.body)).toEqual(['only in the journal']);
    expect(inFlight?.messageId).toBe(kept.messageId);
    await first.close();
  });

  it('keeps a message’s receive count and first receipt across a crash (no close, only the journal), as ApproximateReceiveCount counts every receive', async () => {
    const first = await SqsEmulator.open({ ...options, baseUrl: 'http://a', dataDir, fsync: false });
    first.createQueue('q', { VisibilityTimeout: '0' });
    first.sendMessage('q', 'received, then the process dies');
    const [before] = await first.receiveMessages('q', { maxNumberOfMessages: 1, waitTimeSeconds: 0 });

    const reopened = await SqsEmulator.open({ ...options, baseUrl: 'http://b', dataDir, fsync: false });
    const [after] = await reopened.receiveMessages('q', { maxNumberOfMessages: 1, waitTimeSeconds: 0 });
    await reopened.close();
    await first.close();

    expect(before?.attributes.ApproximateReceiveCount).toBe('1');
    expect(after?.attributes).toMatchObject({
      ApproximateReceiveCount: '2',
      ApproximateFirstReceiveTimestamp: before?.attributes.ApproximateFirstReceiveTimestamp,
    });
  });

  it('compacts on its own when the journal grows past the threshold', async () => {
    const emulator = await SqsEmulator.open({
      ...options,
      baseUrl: 'http://a',
      dataDir,
      compactAfterBytes: 2048,
    });
    emulator.createQueue('busy');
    for (let i = 0; i < 50; i++) emulator.sendMessage('busy', `message ${i} ${'x'.repeat(100)}`);
    const journalSize = readFileSync(join(dataDir, 'journal.jsonl')).length;
    await emulator.close();

    const reopened = await SqsEmulator.open({ ...options, baseUrl: 'http://a', dataDir });
    const counts = reopened.getQueueAttributes('busy', ['ApproximateNumberOfMessages']);
    await reopened.close();

    expect(journalSize).toBeLessThan(2048);
    expect(counts).toEqual({ ApproximateNumberOfMessages: '50' });
  });
});
