import type { DynamoDBDocumentClient, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { accountPartition, sortKeyPrefix, subscriptionSortKey } from '../storage/table-keys.ts';
import { type Subscription, storedSubscriptionSchema } from './subscription.ts';

/**
 * What the subscription stores (records, routing, health) share of the single table: where a subscription's
 * item is, how an account's items are queried, and how an item is read back.
 */

/** The key of a subscription's item, under its account's partition. */
export function subscriptionKey(accountId: string, id: string) {
  return { pk: accountPartition(accountId), sk: subscriptionSortKey(id) };
}

/** A query of all an account's subscription items (not its counter). */
export function subscriptionsOf(tableName: string, accountId: string): QueryCommandInput {
  return {
    TableName: tableName,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: {
      ':pk': accountPartition(accountId),
      ':prefix': sortKeyPrefix.subscription,
    },
  };
}

/** A stored subscription item, checked and in its current shape. */
export function parseSubscription(item: Record<string, unknown>): Subscription {
  return z.parse(storedSubscriptionSchema, item);
}

/** Reads one subscription (consistently); undefined when there is none. */
export async function readSubscription(
  db: DynamoDBDocumentClient,
  tableName: string,
  accountId: string,
  id: string,
): Promise<Subscription | undefined> {
  const { Item } = await db.send(
    new GetCommand({ TableName: tableName, Key: subscriptionKey(accountId, id), ConsistentRead: true }),
  );
  return Item === undefined ? undefined : parseSubscription(Item);
}
