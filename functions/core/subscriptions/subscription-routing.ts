import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { queryPages } from '../storage/query-pages.ts';
import { type SubscriptionRouting, subscriptionRoutingSchema } from './subscription.ts';
import { subscriptionsOf } from './subscription-items.ts';

/**
 * What fan-out reads of subscriptions: routing only, with no secrets, so the function that only routes events
 * never holds them.
 */
export class SubscriptionRoutingStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** What routing needs of every subscription of an account. */
  async listRouting(accountId: string): Promise<SubscriptionRouting[]> {
    const items: SubscriptionRouting[] = [];
    for await (const page of queryPages(this.db, {
      ...subscriptionsOf(this.tableName, accountId),
      ProjectionExpression: '#id, accountId, #status, events, #filter, #ordering',
      ExpressionAttributeNames: {
        '#id': 'id',
        '#status': 'status',
        '#filter': 'filter',
        '#ordering': 'ordering',
      },
    })) {
      for (const item of page.Items ?? []) items.push(z.parse(subscriptionRoutingSchema, item));
    }
    return items;
  }
}
