import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { compatibleIdCounterKey } from '../storage/table-keys.ts';

const counted = z.object({ last: z.number().check(z.int(), z.positive()) });

/**
 * The deployment's counter of compatible ids (the integer ids of the compatible API): one item, added to
 * atomically, so every id is given once. An id taken by a request that then fails (its endpoint did not take the
 * verification) is not given again: ids have gaps, as the reference's do.
 */
export class CompatibleIdCounter {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** The next id: 1 for the first. */
  async next(): Promise<number> {
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: compatibleIdCounterKey,
        UpdateExpression: 'ADD #last :one',
        ExpressionAttributeNames: { '#last': 'last' },
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return z.parse(counted, Attributes).last;
  }
}
