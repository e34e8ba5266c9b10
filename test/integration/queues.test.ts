import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueDeliveries } from '#core/aws/delivery-queues.ts';
import {
  batchesOf,
  batchLimits,
  deadLetter,
  maxReasonBytes,
  QueueSendError,
  sendAll,
  sendConcurrency,
  sqsSafeReason,
} from '#core/aws/queues.ts';
import type { DeliveryMessage } from '#core/deliveries/delivery-message.ts';
import { fifoAttributes } from '#sandbox/compose/queues.ts';
import { type SqsTestServer, startSqsServer } from '../sandbox/sqs/sqs-server.ts';

describe('batchesOf', () => {
  it('puts at most ten messages in a batch', () => {
    const batches = batchesOf(Array.from({ length: 23 }, (_, i) => `m${i}`));

    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 3]);
    expect(batches.flat()).toEqual(Array.from({ length: 23 }, (_, i) => `m${i}`));
  });

  it('keeps each batch within 1 MiB of bodies', () => {
    const big = 'x'.repeat(200 * 1024);

    const batches = batchesOf(Array(6).fill(big));

    expect(batches.map((batch) => batch.length)).toEqual([5, 1]);
    for (const batch of batches) {
      expect(batch.reduce((sum, body) => sum + Buffer.byteLength(body), 0)).toBeLessThanOrEqual(
        batchLimits.bytes,
      );
    }
  });

  it('counts bytes, not characters', () => {
    const wide = 'é'.repeat(300 * 1024);

    expect(batchesOf([wide, wide]).map((batch) => batch.length)).toEqual([1, 1]);
  });

  it('makes no batch of nothing', () => {
    expect(batchesOf([])).toEqual([]);
  });
});

describe('sendAll and deadLetter, through the SQS wire protocol', () => {
  let sqs: SqsTestServer;
  beforeAll(async () => {
    sqs = await startSqsServer();
  });
  afterAll(async () => {
    await sqs?.close();
  });

  const receiveAll = async (QueueUrl: string) =>
    (
      await sqs.client.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }),
      )
    ).Messages ?? [];

  it('queues ordered deliveries with each resource’s in the order given, resources side by side', async () => {
    const main = sqs.emulator.createQueue('main-lane');
    const ordered = sqs.emulator.createQueue('ordered-lane.fifo', fifoAttributes);
    const delivery = (resource: string, n: number): DeliveryMessage => ({
      id: `msg_${resource}_${n}`,
      accountId: 'acct_1',
      subscriptionId: 'sub_1',
      eventId: `evt_${resource}_${n}`,
      eventType: 'order.status_updated',
      body: '{}',
      attempt: 1,
      trigger: 'event',
      order: {
        resource: `order/${resource}`,
        occurredAt: new Date(Date.UTC(2026, 11, 7, 8, 0, n)).toISOString(),
      },
    });
    // Twelve of one resource (more than a batch holds) interleaved with two of another.
    const messages = [
      ...Array.from({ length: 12 }, (_, n) => delivery('a', n)),
      delivery('b', 0),
      delivery('b', 1),
    ];
    await enqueueDeliveries(sqs.client, { main, ordered }, messages);

    const received: string[] = [];
    for (let round = 0; round < 20 && received.length < messages.length; round++) {
      const batch = await receiveAll(ordered);
      received.push(...batch.map((message) => (JSON.parse(message.Body ?? '{}') as DeliveryMessage).id));
      if (batch.length > 0)
        await sqs.client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: ordered,
            Entries: batch.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle,
            })),
          }),
        );
    }
    for (const resource of ['a', 'b']) {
      expect(received.filter((id) => id.startsWith(`msg_${resource}_`))).toEqual(
        messages.filter((m) => m.id.startsWith(`msg_${resource}_`)).map((m) => m.id),
      );
    }
    expect(received).toHaveLength(messages.length);
  });

  it('sends every body, in batches', async () => {
    const url = sqs.emulator.createQueue('all-sent');

    await sendAll(
      sqs.client,
      url,
      Array.from({ length: 12 }, (_, i) => `m${i}`),
    );

    expect(sqs.emulator.getQueueAttributes('all-sent', ['ApproximateNumberOfMessages'])).toEqual({
      ApproximateNumberOfMessages: '12',
    });
  });

  it('sends many batches a few at a time: all of them, never more than sendConcurrency in flight', async () => {
    const url = sqs.emulator.createQueue('many-batches');
    let inFlight = 0;
    let most = 0;
    // Counted on the client's own requests, as they go out on the wire.
    sqs.client.middlewareStack.add(
      (next) => async (args) => {
        inFlight++;
        most = Math.max(most, inFlight);
        try {
          return await next(args);
        } finally {
          inFlight--;
        }
      },
      { step: 'finalizeRequest', name: 'countInFlight' },
    );

    try {
      await sendAll(
        sqs.client,
        url,
        Array.from({ length: 1000 }, (_, i) => `m${i}`),
      );
    } finally {
      sqs.client.middlewareStack.remove('countInFlight');
    }

    expect(sqs.emulator.getQueueAttributes('many-batches', ['ApproximateNumberOfMessages'])).toEqual({
      ApproximateNumberOfMessages: '1000',
    });
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(sendConcurrency);
  });

  it('throws when SQS refuses an entry, after sending the others', async () => {
    const url = sqs.emulator.createQueue('partly-sent');

    const sending = sendAll(sqs.client, url, ['fine', 'bad \u0000 character', 'also fine']);

    await expect(sending).rejects.toThrow(QueueSendError);
    await expect(sending).rejects.toThrow(/^1 of 3 messages not sent \(InvalidMessageContents/);
    expect((await receiveAll(url)).map((message) => message.Body).sort()).toEqual(['also fine', 'fine']);
  });

  it('dead-letters a body with its reason as a message attribute', async () => {
    const url = sqs.emulator.createQueue('dead-letters');

    await deadLetter(sqs.client, url, '{"broken":', 'body is not JSON');

    const [message] = await receiveAll(url);
    expect(message?.Body).toBe('{"broken":');
    expect(message?.MessageAttributes?.reason?.StringValue).toBe('body is not JSON');
  });

  it('dead-letters a reason holding characters SQS refuses (a lone surrogate, U+0000, U+FFFF) with those written as escapes', async () => {
    const url = sqs.emulator.createQueue('unsafe-reasons');

    await deadLetter(
      sqs.client,
      url,
      '{"detail-type":"order.created\\udc00"}',
      'detail-type: order.created\udc00 is not in the event catalog; \u0000 \uffff \ud83d\ude00 kept',
    );

    const [message] = await receiveAll(url);
    expect(message?.Body).toBe('{"detail-type":"order.created\\udc00"}');
    expect(message?.MessageAttributes?.reason?.StringValue).toBe(
      'detail-type: order.created\\udc00 is not in the event catalog; \\u0000 \\uffff \ud83d\ude00 kept',
    );
  });
});

describe('sqsSafeReason', () => {
  it(`cuts a reason at ${maxReasonBytes} UTF-8 bytes between characters, never inside a character, a surrogate pair or an escape`, () => {
    const pairAtTheEdge = `${'a'.repeat(maxReasonBytes - 1)}\ud83d\ude00`;
    const escapeAtTheEdge = `${'a'.repeat(maxReasonBytes - 3)}\u0001`;

    expect(sqsSafeReason(pairAtTheEdge)).toBe('a'.repeat(maxReasonBytes - 1));
    expect(sqsSafeReason(escapeAtTheEdge)).toBe('a'.repeat(maxReasonBytes - 3));
    expect(sqsSafeReason('x'.repeat(maxReasonBytes + 5))).toBe('x'.repeat(maxReasonBytes));
    expect(sqsSafeReason('é'.repeat(maxReasonBytes))).toBe('é'.repeat(maxReasonBytes / 2));
    expect(sqsSafeReason(`a${'é'.repeat(maxReasonBytes)}`)).toBe(`a${'é'.repeat(maxReasonBytes / 2 - 1)}`);
  });
});
