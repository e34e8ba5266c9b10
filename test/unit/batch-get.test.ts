import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { batchGetItems, defaultUnprocessedRetry, type UnprocessedRetry } from '#core/storage/batch-get.ts';

const table = 'Webhooks';
const keysOf = (count: number) => Array.from({ length: count }, (_, n) => ({ pk: `K#${n}`, sk: 'S' }));

/**
 * A DynamoDB client that answers BatchGetItem with every key it was asked for as an item, except that its
 * first `unprocessedRounds` answers leave the first key unprocessed; it notes the requests and how many were in
 * flight at once.
 */
function fakeClient(unprocessedRounds = 0) {
  const requests: Record<string, unknown>[][] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const client = {
    async send(command: { input: { RequestItems: Record<string, { Keys: Record<string, unknown>[] }> } }) {
      const keys = command.input.RequestItems[table]?.Keys ?? [];
      requests.push(keys);
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
      const leave = requests.length <= unprocessedRounds ? keys.slice(0, 1) : [];
      return {
        Responses: { [table]: keys.slice(leave.length) },
        ...(leave.length === 0 ? {} : { UnprocessedKeys: { [table]: { Keys: leave } } }),
      };
    },
  };
  return { db: client as unknown as DynamoDBDocumentClient, requests, mostInFlight: () => mostInFlight };
}

/** The default retry with its waits noted instead of slept, and jitter fixed at half the bound. */
function notedRetry(): { retry: UnprocessedRetry; waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    retry: { ...defaultUnprocessedRetry, sleep: async (ms) => void waits.push(ms), random: () => 0.5 },
  };
}

describe('batchGetItems', () => {
  it('reads 100 keys a request, the requests side by side', async () => {
    const fake = fakeClient();
    const items = await batchGetItems(fake.db, table, keysOf(250));
    expect(fake.requests.map((keys) => keys.length)).toEqual([100, 100, 50]);
    expect(fake.mostInFlight()).toBe(3);
    expect(items).toHaveLength(250);
  });

  it('asks again for unprocessed keys after waits that double, with jitter', async () => {
    const fake = fakeClient(3);
    const { retry, waits } = notedRetry();
    const items = await batchGetItems(fake.db, table, keysOf(3), false, retry);
    expect(items.map((item) => item.pk).sort()).toEqual(['K#0', 'K#1', 'K#2']);
    expect(fake.requests.map((keys) => keys.length)).toEqual([3, 1, 1, 1]);
    // Half (the fixed jitter) of 25, 50 and 100 ms.
    expect(waits).toEqual([12, 25, 50]);
  });

  it('gives up, with an error, when keys stay unprocessed through every retry (the waits capped at 1 s)', async () => {
    const fake = fakeClient(Number.POSITIVE_INFINITY);
    const { retry, waits } = notedRetry();
    await expect(batchGetItems(fake.db, table, keysOf(2), false, retry)).rejects.toThrow(
      'left 1 keys unprocessed after 8 retries',
    );
    expect(waits).toEqual([12, 25, 50, 100, 200, 400, 500, 500]);
  });
});
