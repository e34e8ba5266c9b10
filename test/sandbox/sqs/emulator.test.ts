import { describe, expect, it } from 'vitest';
import { AwsServiceError } from '#sandbox/aws-json-protocol.ts';
import { SqsEmulator } from '#sandbox/sqs/index.ts';
import { md5OfMessageAttributes } from '#sandbox/sqs/md5.ts';

/** An emulator in memory on a clock the test moves. */
async function emulatorAt(start = 1_700_000_000_000) {
  const clock = { now: start };
  const sqs = await SqsEmulator.open({
    baseUrl: 'http://localhost:4566',
    accountId: '123456789012',
    region: 'eu-west-1',
    now: () => clock.now,
  });
  const advance = (seconds: number) => {
    clock.now += seconds * 1000;
  };
  return { sqs, clock, advance };
}

const receiveNow = (sqs: SqsEmulator, queue: string, visibilityTimeout?: number) =>
  sqs.receiveMessages(queue, {
    maxNumberOfMessages: 10,
    waitTimeSeconds: 0,
    ...(visibilityTimeout === undefined ? {} : { visibilityTimeout }),
  });

function codeOf(call: () => unknown): string | undefined {
  try {
    call();
  } catch (error) {
    if (error instanceof AwsServiceError) return error.code;
    throw error;
  }
  return undefined;
}

describe('SqsEmulator domain rules (injected clock)', () => {
  it('names queues by URL and ARN and accepts either URL or name', async () => {
    const { sqs } = await emulatorAt();
    const url = sqs.createQueue('orders');

    expect(url).toBe('http://localhost:4566/123456789012/orders');
    expect(sqs.queueArn('orders')).toBe('arn:aws:sqs:eu-west-1:123456789012:orders');
    expect(sqs.getQueueUrl('http://elsewhere:1234/123456789012/orders')).toBe(url);
    expect(sqs.sendMessage('orders', 'by name').messageId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('hides a received message for the visibility timeout, then shows it again', async () => {
    const { sqs, advance } = await emulatorAt();
    sqs.createQueue('q', { VisibilityTimeout: '30' });
    sqs.sendMessage('q', 'body');

    const [first] = await receiveNow(sqs, 'q');
    advance(29);
    const during = await receiveNow(sqs, 'q');
    advance(1);
    const [again] = await receiveNow(sqs, 'q');

    expect(during).toEqual([]);
    expect(first?.attributes.ApproximateReceiveCount).toBe('1');
    expect(again?.attributes).toMatchObject({
      ApproximateReceiveCount: '2',
      ApproximateFirstReceiveTimestamp: first?.attributes.ApproximateFirstReceiveTimestamp,
    });
  });

  it('extends visibility with ChangeMessageVisibility, up to 12 hours after the receive', async () => {
    const { sqs, advance } = await emulatorAt();
    sqs.createQueue('q', { VisibilityTimeout: '10' });
    sqs.sendMessage('q', 'slow work');
    const [message] = await receiveNow(sqs, 'q');
    const handle = message?.receiptHandle ?? '';

    advance(5);
    sqs.changeMessageVisibility('q', handle, 60);
    advance(30);
    const hidden = await receiveNow(sqs, 'q');
    const tooLong = codeOf(() => sqs.changeMessageVisibility('q', handle, 43_200));
    advance(31);
    const back = await receiveNow(sqs, 'q');

    expect(hidden).toEqual([]);
    expect(tooLong).toBe('InvalidParameterValue');
    expect(back.map((m) => m.body)).toEqual(['slow work']);
  });

  it('drops messages after the retention period, counted from the original send also in the DLQ', async () => {
    const { sqs, advance } = await emulatorAt();
    sqs.createQueue('dlq', { MessageRetentionPeriod: '120' });
    sqs.createQueue('q', {
      MessageRetentionPeriod: '600',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: sqs.queueArn('dlq'), maxReceiveCount: 1 }),
    });
    sqs.sendMessage('q', 'expires in the DLQ');
    sqs.sendMessage('q', 'also dead-lettered');
    sqs.createQueue('short', { MessageRetentionPeriod: '60' });
    sqs.sendMessage('short', 'expires');

    await receiveNow(sqs, 'q', 0);
    advance(100);
    await receiveNow(sqs, 'q', 0);
    const dlqAtMove = sqs.getQueueAttributes('dlq', ['ApproximateNumberOfMessages']);
    advance(20);

    expect(dlqAtMove).toEqual({ ApproximateNumberOfMessages: '2' });
    expect(sqs.getQueueAttributes('dlq', ['ApproximateNumberOfMessages'])).toEqual({
      ApproximateNumberOfMessages: '0',
    });
    expect(await receiveNow(sqs, 'short')).toEqual([]);
  });

  it('accepts a stale receipt handle for DeleteMessage and ignores deleting twice', async () => {
    const { sqs } = await emulatorAt();
    sqs.createQueue('q');
    sqs.sendMessage('q', 'body');
    const [first] = await receiveNow(sqs, 'q', 0);
    const [second] = await receiveNow(sqs, 'q', 0);

    sqs.deleteMessage('q', first?.receiptHandle ?? '');
    sqs.deleteMessage('q', second?.receiptHandle ?? '');

    expect(second?.receiptHandle).not.toBe(first?.receiptHandle);
    expect(await receiveNow(sqs, 'q')).toEqual([]);
    expect(codeOf(() => sqs.deleteMessage('q', 'AAAA'))).toBe('ReceiptHandleIsInvalid');
    sqs.createQueue('other');
    expect(codeOf(() => sqs.deleteMessage('other', first?.receiptHandle ?? ''))).toBe(
      'ReceiptHandleIsInvalid',
    );
  });

  it('validates queue attributes and the redrive policy as CreateQueue does', async () => {
    const { sqs } = await emulatorAt();
    sqs.createQueue('dlq');

    expect(codeOf(() => sqs.createQueue('bad name'))).toBe('InvalidParameterValue');
    expect(codeOf(() => sqs.createQueue('q', { VisibilityTimeout: '43201' }))).toBe('InvalidAttributeValue');
    expect(codeOf(() => sqs.createQueue('q', { Colour: 'red' }))).toBe('InvalidAttributeName');
    expect(
      codeOf(() =>
        sqs.createQueue('q', {
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: sqs.queueArn('missing'), maxReceiveCount: 3 }),
        }),
      ),
    ).toBe('InvalidParameterValue');
    expect(
      codeOf(() =>
        sqs.createQueue('q', {
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: sqs.queueArn('dlq'), maxReceiveCount: 0 }),
        }),
      ),
    ).toBe('InvalidParameterValue');
    expect(sqs.listQueues()).toEqual(['http://localhost:4566/123456789012/dlq']);
  });

  it('ensureQueue updates the settings of an existing queue instead of failing', async () => {
    const { sqs } = await emulatorAt();
    sqs.createQueue('q', { VisibilityTimeout: '30' });

    sqs.ensureQueue('q', { VisibilityTimeout: '60' });

    expect(sqs.getQueueAttributes('q', ['VisibilityTimeout'])).toEqual({ VisibilityTimeout: '60' });
    expect(codeOf(() => sqs.createQueue('q', { VisibilityTimeout: '30' }))).toBe('QueueNameExists');
  });

  it('wakes long polls on close', async () => {
    const { sqs } = await emulatorAt();
    sqs.createQueue('q');
    const polling = sqs.receiveMessages('q', { maxNumberOfMessages: 1, waitTimeSeconds: 20 });

    await sqs.close();

    expect(await polling).toEqual([]);
  });

  it('stops a long poll when its signal aborts', async () => {
    const { sqs } = await emulatorAt();
    sqs.createQueue('q');
    const abort = new AbortController();
    const polling = sqs.receiveMessages('q', {
      maxNumberOfMessages: 1,
      waitTimeSeconds: 20,
      signal: abort.signal,
    });

    abort.abort();

    expect(await polling).toEqual([]);
    await sqs.close();
  });

  it('lets many long polls share one signal without a listener-leak warning', async () => {
    const { sqs } = await emulatorAt();
    sqs.createQueue('q');
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    const abort = new AbortController();

    const polls = Array.from({ length: 20 }, () =>
      sqs.receiveMessages('q', { maxNumberOfMessages: 1, waitTimeSeconds: 20, signal: abort.signal }),
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    abort.abort();
    const results = await Promise.all(polls);
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    await sqs.close();

    expect(results.flat()).toEqual([]);
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });
});

describe('md5OfMessageAttributes', () => {
  // Reference digests from the aws-md5-of-message-attributes package's documentation.
  it.each([
    [
      { attribName1: { dataType: 'String', stringValue: 'attribValue 1' } },
      '19e27d4e946b072f3f58da80d94fd778',
    ],
    [
      {
        customNumberTypeAttrib: {
          dataType: 'Number.float',
          stringValue: '4563442423554324324264524243.32543234',
        },
      },
      '9fe1b90bbd9965bdf77bac517c7d2495',
    ],
    [
      {
        binaryAttribute: {
          dataType: 'Binary',
          binaryValue: Buffer.from('Hello binary world!').toString('base64'),
        },
      },
      '31a92b15d92f8db860eda32aceb656c3',
    ],
  ])('digests %j as AWS does', (attributes, digest) => {
    expect(md5OfMessageAttributes(attributes)).toBe(digest);
  });

  it('is undefined without attributes', () => {
    expect(md5OfMessageAttributes({})).toBeUndefined();
  });
});
