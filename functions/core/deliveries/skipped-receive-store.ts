import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionally } from '../storage/conditions.ts';
import { skippedReceivesKey } from '../storage/table-keys.ts';

/**
 * How often the ordered lane received a message and left it unprocessed, per message group: SQS counts every
 * receive, and a batch's messages behind one of their group that waits are received, skipped and released. Their
 * count is what tells those receives from receives that stopped during an attempt (a crash), which go on record as
 * `outcome_unknown`. One write per skipping batch (all its skipped messages at once); read only when a message
 * comes for the first time with a receive count above 1.
 */
export class SkippedReceiveStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Counts one skipped receive of each message (by SQS message id) of the group. */
  async add(groupId: string, messageIds: readonly string[], expiresAt: number): Promise<void> {
    if (messageIds.length === 0) return;
    const names = Object.fromEntries(messageIds.map((id, index) => [`#m${index}`, id]));
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: skippedReceivesKey(groupId),
        UpdateExpression: `SET expiresAt = :expires ADD ${messageIds.map((_, index) => `#m${index} :one`).join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':one': 1, ':expires': expiresAt },
      }),
    );
  }

  /** Forgets one message's skipped receives (it is its group's head now: its record accounts for the rest). */
  async forget(groupId: string, messageId: string): Promise<void> {
    // Only on an item that exists (a REMOVE alone would create an empty one); none is nothing to forget.
    await conditionally(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: skippedReceivesKey(groupId),
          UpdateExpression: 'REMOVE #m',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#m': messageId },
        }),
      ),
    );
  }

  /** The skipped receives of one message of the group (0 when none was noted). */
  async of(groupId: string, messageId: string): Promise<number> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: skippedReceivesKey(groupId),
        ProjectionExpression: '#m',
        ExpressionAttributeNames: { '#m': messageId },
        ConsistentRead: true,
      }),
    );
    const count = Item?.[messageId];
    return typeof count === 'number' ? count : 0;
  }
}
