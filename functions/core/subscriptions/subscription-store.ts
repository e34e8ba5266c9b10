import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Subscription, SubscriptionRouting, SubscriptionStatus } from './subscription.ts';

const accountKey = (accountId: string) => `ACCOUNT#${accountId}`;
const subscriptionKey = (id: string) => `SUBSCRIPTION#${id}`;

type SubscriptionItem = Subscription & { pk: string; sk: string };

function fromItem(item: Record<string, unknown>): Subscription {
  const { pk: _pk, sk: _sk, ...subscription } = item as unknown as SubscriptionItem;
  return subscription;
}

/** Subscriptions in the single table, one item each, under their account's partition. */
export class SubscriptionStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Stores a new subscription; fails if the id is taken. */
  async create(subscription: Subscription): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: accountKey(subscription.accountId),
          sk: subscriptionKey(subscription.id),
          ...subscription,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(accountId: string, id: string): Promise<Subscription | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: accountKey(accountId), sk: subscriptionKey(id) },
        ConsistentRead: true,
      }),
    );
    return Item ? fromItem(Item) : undefined;
  }

  /** Every subscription of an account, oldest first (ids sort by creation time). */
  async listAll(accountId: string): Promise<Subscription[]> {
    return (await this.query(accountId)).map(fromItem);
  }

  /**
   * What routing needs of every subscription of an account: no secrets, so the function that only routes
   * events never holds them.
   */
  async listRouting(accountId: string): Promise<SubscriptionRouting[]> {
    const items = await this.query(accountId, {
      ProjectionExpression: '#id, accountId, #status, events, #filter',
      ExpressionAttributeNames: { '#id': 'id', '#status': 'status', '#filter': 'filter' },
    });
    return items as unknown as SubscriptionRouting[];
  }

  private async query(
    accountId: string,
    projection: { ProjectionExpression?: string; ExpressionAttributeNames?: Record<string, string> } = {},
  ): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': accountKey(accountId), ':prefix': subscriptionKey('') },
          ExclusiveStartKey: startKey,
          ...projection,
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  /** Sets the status (e.g. disabled after a 410 Gone), bumping the version; a no-op if it was deleted. */
  async setStatus(accountId: string, id: string, status: SubscriptionStatus, reason?: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: accountKey(accountId), sk: subscriptionKey(id) },
          UpdateExpression:
            reason === undefined
              ? 'SET #status = :status, updatedAt = :now, version = version + :one REMOVE disabledReason'
              : 'SET #status = :status, disabledReason = :reason, updatedAt = :now, version = version + :one',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':status': status,
            ':now': new Date().toISOString(),
            ':one': 1,
            ...(reason === undefined ? {} : { ':reason': reason }),
          },
        }),
      );
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
  }
}
