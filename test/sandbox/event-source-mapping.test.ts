import { parseArgs } from 'node:util';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { type FunctionName, functions } from '#core/platform.ts';
import {
  ensureQueues,
  eventSourceMappingsOf,
  mappingDefinitionsOf,
  queueNames,
} from '../../sandbox/compose/queues.ts';
import { EventSourceMapping, messagesToDelete } from '../../sandbox/event-source-mapping.ts';
import { LocalFunction } from '../../sandbox/lambda-runtime.ts';
import { settingOptions, settingsFromFlags } from '../../sandbox/setting-flags.ts';
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

  async function run(
    handler: (event: SQSEvent) => Promise<SQSBatchResponse | undefined>,
    queue: { readonly name: string; readonly attributes: Record<string, string> } = {
      name: 'work',
      attributes: {},
    },
  ) {
    sqs = await SqsEmulator.open({
      baseUrl: 'http://127.0.0.1:1',
      accountId: '000000000000',
      region: 'us-east-1',
    });
    sqs.createQueue(queue.name, { VisibilityTimeout: '1', ...queue.attributes });
    const fn = new LocalFunction(
      'fanOut',
      functions.fanOut,
      async () => (event) => handler(event as SQSEvent),
      'us-east-1',
    );
    mapping = new EventSourceMapping(
      sqs,
      queue.name,
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

  it('when stopped, lets the invocation in flight finish and delete its messages, and takes nothing more', async () => {
    const seen: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered: () => void = () => undefined;
    const invoked = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const queues = await run(async (event) => {
      seen.push(...event.Records.map((record) => record.body));
      entered();
      await gate;
      return undefined;
    });
    queues.sendMessage('work', 'in flight');
    mapping?.start();
    await invoked;

    // The other poller is waiting on the queue: a message sent as the stop begins must stay there.
    const stopped = mapping?.stop();
    queues.sendMessage('work', 'sent while stopping');
    const inFlightWhileStopping = mapping?.inFlight;
    release();
    await stopped;

    expect({ seen, inFlightWhileStopping, inFlightAfter: mapping?.inFlight }).toEqual({
      seen: ['in flight'],
      inFlightWhileStopping: 1,
      inFlightAfter: 0,
    });
    const left = await queues.receiveMessages('work', { maxNumberOfMessages: 10, waitTimeSeconds: 0 });
    expect(left.map((message) => [message.body, message.attributes.ApproximateReceiveCount])).toEqual([
      ['sent while stopping', '1'],
    ]);
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

  it('over a FIFO queue, hands each message group to one invocation at a time, in order, and a group that reports its failed message and the rest after it goes on from there (Lambda Developer Guide: Handling errors for an SQS event source, implementing partial batch responses)', async () => {
    const processed = new Map<string, number[]>();
    const inFlight = new Set<string>();
    const overlaps: string[] = [];
    const records: SQSEvent['Records'] = [];
    let failedOnce = false;
    let resolveDone: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      resolveDone = resolve;
    });
    const queues = await run(
      async (event) => {
        const groups = new Set(event.Records.map((record) => record.attributes.MessageGroupId ?? ''));
        for (const group of groups) {
          if (inFlight.has(group)) overlaps.push(group);
          inFlight.add(group);
        }
        // Other invocations get their turn while this one works.
        await new Promise((resolve) => setTimeout(resolve, 20));
        const failures: { itemIdentifier: string }[] = [];
        const stopped = new Set<string>();
        for (const record of event.Records) {
          records.push(record);
          const group = record.attributes.MessageGroupId ?? '';
          const [, n] = record.body.split('-');
          // As the guide asks of a FIFO consumer: after a group's first failure, its later messages are failed too.
          if (stopped.has(group) || (record.body === 'b-2' && !failedOnce)) {
            failedOnce = true;
            stopped.add(group);
            failures.push({ itemIdentifier: record.messageId });
            continue;
          }
          processed.set(group, [...(processed.get(group) ?? []), Number(n)]);
        }
        for (const group of groups) inFlight.delete(group);
        if ([...processed.values()].flat().length === 15) resolveDone();
        return { batchItemFailures: failures };
      },
      { name: 'work.fifo', attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' } },
    );
    for (let n = 1; n <= 5; n++)
      for (const group of ['a', 'b', 'c'])
        queues.sendMessage('work.fifo', `${group}-${n}`, { messageGroupId: group });

    mapping?.start();
    await done;

    expect(overlaps).toEqual([]);
    expect(Object.fromEntries(processed)).toEqual({
      a: [1, 2, 3, 4, 5],
      b: [1, 2, 3, 4, 5],
      c: [1, 2, 3, 4, 5],
    });
    expect(failedOnce).toBe(true);
    expect(records[0]?.attributes).toMatchObject({
      MessageGroupId: expect.any(String),
      SequenceNumber: expect.stringMatching(/^\d+$/),
      MessageDeduplicationId: expect.any(String),
    });
  });
});

/** The settings `npm start` reads from its arguments, as bin/sandbox.ts parses them. */
const settingsOfArgs = (args: string[]) =>
  settingsFromFlags(parseArgs({ args, options: settingOptions, strict: true }).values);

/** Each mapping's queue with its batch size and concurrency. */
const sizes = (mappings: ReturnType<typeof mappingDefinitionsOf>) =>
  Object.fromEntries(
    mappings.map((m) => [m.queue, { batch: m.batchSize, concurrency: m.maximumConcurrency }]),
  );

describe("the sandbox's mappings of platform.ts", () => {
  it("sizes the lanes from npm start's flags, the other mappings as platform.ts fixes them", () => {
    const given = settingsOfArgs([
      '--main-lane-concurrency',
      '7',
      '--main-lane-batch-size',
      '3',
      '--slow-lane-concurrency',
      '4',
      '--slow-lane-batch-size',
      '1',
      '--ordered-lane-concurrency',
      '6',
    ]);

    expect(sizes(mappingDefinitionsOf(given))).toEqual({
      fanOut: { batch: 10, concurrency: 5 },
      delivery: { batch: 3, concurrency: 7 },
      slowDelivery: { batch: 1, concurrency: 4 },
      orderedDelivery: { batch: 10, concurrency: 6 },
      retry: { batch: 10, concurrency: 2 },
    });
  });

  it('sizes the lanes at their settings’ defaults without flags, and caps every mapping at maximumConcurrency', () => {
    expect(sizes(mappingDefinitionsOf({}))).toEqual({
      fanOut: { batch: 10, concurrency: 5 },
      delivery: { batch: 10, concurrency: 150 },
      slowDelivery: { batch: 10, concurrency: 30 },
      orderedDelivery: { batch: 10, concurrency: 20 },
      retry: { batch: 10, concurrency: 2 },
    });
    const capped = mappingDefinitionsOf({
      ...settingsOfArgs(['--main-lane-concurrency', '7']),
      maximumConcurrency: 3,
    });
    expect(capped.map((m) => m.maximumConcurrency)).toEqual([3, 3, 3, 3, 2]);
  });

  describe('against the SQS emulator', () => {
    let sqs: SqsEmulator | undefined;
    let mappings: EventSourceMapping[] = [];
    afterEach(async () => {
      await Promise.all(mappings.map((mapping) => mapping.stop()));
      mappings = [];
      await sqs?.close();
    });

    it('hands the main lane batches of --main-lane-batch-size messages', async () => {
      sqs = await SqsEmulator.open({
        baseUrl: 'http://127.0.0.1:1',
        accountId: '000000000000',
        region: 'us-east-1',
      });
      ensureQueues(sqs);
      const batches: string[][] = [];
      let resolveDone: () => void = () => undefined;
      const done = new Promise<void>((resolve) => {
        resolveDone = resolve;
      });
      const lambdaOf = (name: FunctionName) =>
        new LocalFunction(
          name,
          functions[name],
          async () => async (event) => {
            batches.push((event as SQSEvent).Records.map((record) => record.body));
            if (batches.flat().length === 5) resolveDone();
            return { batchItemFailures: [] };
          },
          'us-east-1',
        );
      const lambdas = Object.fromEntries(
        (Object.keys(functions) as FunctionName[]).map((name) => [name, lambdaOf(name)]),
      ) as Record<FunctionName, LocalFunction>;
      for (const body of ['1', '2', '3', '4', '5']) sqs.sendMessage(queueNames.delivery, body);

      mappings = eventSourceMappingsOf(sqs, lambdas, {
        ...settingsOfArgs(['--main-lane-batch-size', '2']),
        region: 'us-east-1',
        meter: undefined,
      });
      for (const mapping of mappings) mapping.start();
      await done;

      expect(batches.flat().sort()).toEqual(['1', '2', '3', '4', '5']);
      expect(Math.max(...batches.map((batch) => batch.length))).toBe(2);
    });
  });
});
