import type { Context, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { type FifoVerdict, fifoConsumer } from '#core/aws/fifo-consumer.ts';

/** A FIFO record of `group`, named `id` (its receipt handle `rh-<id>`). */
const record = (id: string, group: string): SQSRecord =>
  ({
    messageId: id,
    receiptHandle: `rh-${id}`,
    body: id,
    attributes: { MessageGroupId: group, ApproximateReceiveCount: '1' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:q.fifo',
    awsRegion: 'eu-west-1',
  }) as unknown as SQSRecord;

function harness(verdicts: Record<string, FifoVerdict | Error>, delays: Record<string, number> = {}) {
  const processed: string[] = [];
  const waits: [string, number][] = [];
  const released: string[][] = [];
  const errors: string[] = [];
  const consume = fifoConsumer<undefined>(
    async (r) => {
      processed.push(`start ${r.messageId}`);
      await new Promise((resolve) => setTimeout(resolve, delays[r.messageId] ?? 0));
      processed.push(`end ${r.messageId}`);
      const verdict = verdicts[r.messageId] ?? 'done';
      if (verdict instanceof Error) throw verdict;
      return verdict;
    },
    async (handle, seconds) => void waits.push([handle, seconds]),
    async (records) => void released.push(records.map((r) => r.receiptHandle)),
    (r) => void errors.push(r.messageId),
    () => undefined,
  );
  return { consume, processed, waits, released, errors };
}

describe('a FIFO consumer', () => {
  it("runs a batch's groups in parallel and each group's records one after the other, in order", async () => {
    const { consume, processed } = harness({}, { a1: 30, b1: 5 });
    const answer = await consume(
      { Records: [record('a1', 'A'), record('a2', 'A'), record('b1', 'B')] },
      {} as Context,
    );

    expect(answer.batchItemFailures).toEqual([]);
    // b1 started while a1 was still running; a2 only after a1 ended.
    expect(processed.indexOf('start b1')).toBeLessThan(processed.indexOf('end a1'));
    expect(processed.indexOf('start a2')).toBeGreaterThan(processed.indexOf('end a1'));
  });

  it('keeps a waiting record in flight for its wait and stops its group there, releasing the rest at once', async () => {
    const { consume, processed, waits, released } = harness({ a2: { waitSeconds: 7 } });
    const answer = await consume(
      {
        Records: [
          record('a1', 'A'),
          record('a2', 'A'),
          record('a3', 'A'),
          record('a4', 'A'),
          record('b1', 'B'),
        ],
      },
      {} as Context,
    );

    expect(answer.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(['a2', 'a3', 'a4']);
    expect(waits).toEqual([['rh-a2', 7]]);
    expect(released).toEqual([['rh-a3', 'rh-a4']]);
    expect(processed.filter((step) => step.startsWith('start'))).toEqual([
      'start a1',
      'start b1',
      'start a2',
    ]);
  });

  it('reports a record that throws and the rest of its group, leaving its own visibility to the queue', async () => {
    const { consume, waits, released, errors } = harness({ a1: new Error('crash') });
    const answer = await consume(
      { Records: [record('a1', 'A'), record('a2', 'A'), record('b1', 'B')] },
      {} as Context,
    );

    expect(answer.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(['a1', 'a2']);
    expect(waits).toEqual([]);
    expect(released).toEqual([['rh-a2']]);
    expect(errors).toEqual(['a1']);
  });
});
