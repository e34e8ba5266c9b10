import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchGetCommand, type BatchGetCommandOutput } from '@aws-sdk/lib-dynamodb';

/** How long to wait before asking again for keys DynamoDB left unprocessed, and how often to ask. */
export interface UnprocessedRetry {
  /** The wait before the first re-ask is up to this long (ms); each further one doubles it, up to `capMs`. */
  readonly baseMs: number;
  readonly capMs: number;
  /** Re-asks of one batch at most; keys still unprocessed after them fail the read. */
  readonly tries: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** 0 (inclusive) to 1 (exclusive), as Math.random. */
  readonly random: () => number;
}

/** ~25 ms, 50, 100, ... up to 1 s, eight times (under 5 s in all): a throttled partition gets room to recover. */
export const defaultUnprocessedRetry: UnprocessedRetry = {
  baseMs: 25,
  capMs: 1000,
  tries: 8,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/** BatchGetItem's bound on keys per request. */
const keysPerRequest = 100;

/**
 * The items of these keys that exist, in any order: 100 keys per request (BatchGetItem's bound), the requests
 * side by side, and the keys DynamoDB left unprocessed asked for again after a wait with exponential backoff
 * and full jitter, as AWS advises (unprocessed keys mean the table or a partition is over its throughput: asking
 * at once would only be throttled again). The one batched-read loop of the stores.
 */
export async function batchGetItems(
  db: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly Record<string, unknown>[],
  consistentRead = false,
  retry: UnprocessedRetry = defaultUnprocessedRetry,
): Promise<Record<string, unknown>[]> {
  const batches: Record<string, unknown>[][] = [];
  for (let start = 0; start < keys.length; start += keysPerRequest)
    batches.push(keys.slice(start, start + keysPerRequest));
  const found = await Promise.all(
    batches.map((batch) => batchGetWithRetries(db, tableName, batch, consistentRead, retry)),
  );
  return found.flat();
}

async function batchGetWithRetries(
  db: DynamoDBDocumentClient,
  tableName: string,
  keys: Record<string, unknown>[],
  consistentRead: boolean,
  retry: UnprocessedRetry,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let batch: Record<string, unknown>[] | undefined = keys;
  for (let reasks = 0; batch !== undefined && batch.length > 0; reasks++) {
    if (reasks > retry.tries) {
      throw new Error(
        `BatchGetItem on ${tableName} left ${batch.length} keys unprocessed after ${retry.tries} retries`,
      );
    }
    if (reasks > 0) {
      await retry.sleep(Math.floor(retry.random() * Math.min(retry.capMs, retry.baseMs * 2 ** (reasks - 1))));
    }
    const result: BatchGetCommandOutput = await db.send(
      new BatchGetCommand({
        RequestItems: { [tableName]: { Keys: batch, ...(consistentRead ? { ConsistentRead: true } : {}) } },
      }),
    );
    items.push(...(result.Responses?.[tableName] ?? []));
    batch = result.UnprocessedKeys?.[tableName]?.Keys;
  }
  return items;
}
