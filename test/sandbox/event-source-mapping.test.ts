import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { functions } from '#core/platform.ts';
import { EventSourceMapping, messagesToDelete } from '../../sandbox/event-source-mapping.ts';
import { LocalFunction } from '../../sandbox/lambda-runtime.ts';
import { SqsEmulator } from '../../sandbox/sqs/index.ts';
import type { ReceivedMessage } from '../../sandbox/sqs/types.ts';

const message = (messageId: string) => ({ messageId }) as ReceivedMessage;
const batch = [message('a'), message('b'), message('c')];

describe('messagesToDelete, as Lambda treats a batch response', () => {
  it('deletes the whole batch when the function reports no failures', () => {
    expect(messagesToDelete(batch, undefined)).toEqual(batch);
    expect(messagesToDelete(batch, { batchItemFailures: [] })).toEqual(batch);
  });

  it('keeps only the reported failures', () => {
    expect(messagesToDelete(batch, { batchItemFailures: [{ itemIdentifier: 'b' }] })).toEqual([
      message('a'),
      message('c'),
    ]);
  });

  it('keeps the whole batch when the function threw, or named an unknown or empty identifier', () => {
    expect(messagesToDelete(batch, new Error('boom'))).toEqual([]);
    expect(messagesToDelete(batch, { batchItemFailures: [{ itemIdentifier: 'zzz' }] })).toEqual([]);
    expect(messagesToDelete(batch, { batchItemFailures: [{ itemIdentifier: '' }] })).toEqual([]);
  });
});

describe('EventSourceMapping against the SQS emulator', () => {
  let sqs: SqsEmulator | undefined;
  let mapping: EventSourceMapping | undefined;
  afterEach(async () => {
    await mapping?.stop();
    await sqs?.close();
  });

  async function run(handler: (event: SQSEvent) => Promise<SQSBatchResponse | undefined>) {
    sqs = await SqsEmulator.open({
      baseUrl: 'http://127.0.0.1:1',
      accountId: '000000000000',
      region: 'us-east-1',
    });
    sqs.createQueue('work', { VisibilityTimeout: '1' });
    const fn = new LocalFunction(
      'fanOut',
      functions.fanOut,
      async () => (event) => handler(event as SQSEvent),
      'us-east-1',
    );
    mapping = new EventSourceMapping(
      sqs,
      'work',
      fn,
      {
        queue: 'fanOut',
        function: 'fanOut',
        batchSize: 10,
        maxBatchingWindowSeconds: 0,
        maximumConcurrency: 2,
      },
      'us-east-1',
    );
    return sqs;
  }

  it('retries only the failed record, after the queue’s visibility timeout, with its receive count', async () => {
    const seen: string[] = [];
    let resolveDone: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      resolveDone = resolve;
    });
    const queues = await run(async (event) => {
      const failures = [];
      for (const record of event.Records) {
        seen.push(`${record.body}#${record.attributes.ApproximateReceiveCount}`);
        if (record.body === 'poison' && record.attributes.ApproximateReceiveCount === '1') {
          failures.push({ itemIdentifier: record.messageId });
        }
        if (record.body === 'poison' && record.attributes.ApproximateReceiveCount === '2') resolveDone();
      }
      return { batchItemFailures: failures };
    });
    queues.sendMessage('work', 'good');
    queues.sendMessage('work', 'poison');

    mapping?.start();
    await done;

    expect(seen.sort()).toEqual(['good#1', 'poison#1', 'poison#2']);
    expect(queues.getQueueAttributes('work', ['ApproximateNumberOfMessages'])).toEqual({
      ApproximateNumberOfMessages: '0',
    });
  });

  it('hands the whole batch back when the function throws', async () => {
    const receiveCounts: string[] = [];
    let resolveDone: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      resolveDone = resolve;
    });
    const queues = await run(async (event) => {
      for (const record of event.Records) receiveCounts.push(record.attributes.ApproximateReceiveCount);
      if (receiveCounts.length === 1) throw new Error('crashed');
      resolveDone();
      return undefined;
    });
    queues.sendMessage('work', 'only');

    mapping?.start();
    await done;

    expect(receiveCounts).toEqual(['1', '2']);
  });
});
