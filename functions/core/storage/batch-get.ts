import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchGetCommand, type BatchGetCommandOutput } from '@aws-sdk/lib-dynamodb';

/**
 * The items of these keys that exist, in any order: 100 keys per request (BatchGetItem's bound), and the keys
 * DynamoDB left unprocessed asked for again. The one batched-read loop of the stores.
 */
export async function batchGetItems(
  db: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly Record<string, unknown>[],
  consistentRead = false,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for (let start = 0; start < keys.length; start += 100) {
    let batch: Record<string, unknown>[] | undefined = keys.slice(start, start + 100);
    while (batch !== undefined && batch.length > 0) {
      const result: BatchGetCommandOutput = await db.send(
        new BatchGetCommand({
          RequestItems: { [tableName]: { Keys: batch, ...(consistentRead ? { ConsistentRead: true } : {}) } },
        }),
      );
      items.push(...(result.Responses?.[tableName] ?? []));
      batch = result.UnprocessedKeys?.[tableName]?.Keys;
    }
  }
  return items;
}
