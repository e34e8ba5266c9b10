import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionally } from '../storage/conditions.ts';
import type { Subscription } from './subscription.ts';
import { readSubscription, subscriptionKey } from './subscription-items.ts';

/**
 * What delivery reads and writes of subscriptions: the subscription it delivers for, and its health (disabled,
 * failing since, slow since). Each change is conditional and says whether this call made it, so that the
 * platform says so once.
 */
export class SubscriptionHealthStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(accountId: string, id: string): Promise<Subscription | undefined> {
    return readSubscription(this.db, this.tableName, accountId, id);
  }

  /**
   * Disables an active subscription with its reason, bumping the version; true when this call disabled it
   * (false when it was not active, or is gone), so that the platform says so once.
   */
  async disable(accountId: string, id: string, reason: string, now: Date = new Date()): Promise<boolean> {
    return this.conditionalUpdate(accountId, id, {
      UpdateExpression:
        'SET #status = :disabled, disabledReason = :reason, updatedAt = :now, version = version + :one',
      ConditionExpression: '#status = :active',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':disabled': 'disabled',
        ':active': 'active',
        ':reason': reason,
        ':now': now.toISOString(),
        ':one': 1,
      },
    });
  }

  /** Notes the first failure since the last success; false when a failure streak was already noted. */
  async markFailing(accountId: string, id: string, now: Date): Promise<boolean> {
    return this.conditionalUpdate(accountId, id, {
      UpdateExpression: 'SET failingSince = :now',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(failingSince)',
      ExpressionAttributeValues: { ':now': now.toISOString() },
    });
  }

  /** Ends a failure streak after a success; true when there was one (the subscription recovered). */
  async markRecovered(accountId: string, id: string): Promise<boolean> {
    return this.conditionalUpdate(accountId, id, {
      UpdateExpression: 'REMOVE failingSince',
      ConditionExpression: 'attribute_exists(failingSince)',
    });
  }

  /** Sends the subscription's deliveries to the slow lane (its endpoint answers slower than the main lane waits). */
  async markSlow(accountId: string, id: string, now: Date): Promise<boolean> {
    return this.conditionalUpdate(accountId, id, {
      UpdateExpression: 'SET slowSince = :now',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(slowSince)',
      ExpressionAttributeValues: { ':now': now.toISOString() },
    });
  }

  /** Brings the subscription's deliveries back to the main lane. */
  async clearSlow(accountId: string, id: string): Promise<boolean> {
    return this.conditionalUpdate(accountId, id, {
      UpdateExpression: 'REMOVE slowSince',
      ConditionExpression: 'attribute_exists(slowSince)',
    });
  }

  private async conditionalUpdate(
    accountId: string,
    id: string,
    update: {
      UpdateExpression: string;
      ConditionExpression: string;
      ExpressionAttributeNames?: Record<string, string>;
      ExpressionAttributeValues?: Record<string, unknown>;
    },
  ): Promise<boolean> {
    return conditionally(
      this.db.send(
        new UpdateCommand({ TableName: this.tableName, Key: subscriptionKey(accountId, id), ...update }),
      ),
    );
  }
}
