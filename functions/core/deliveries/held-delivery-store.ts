import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchWriteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { heldPrefix, heldSortKey, webhookPartition } from '../storage/table-keys.ts';
import { type DeliveryMessage, deliveryMessageSchema } from './delivery-message.ts';

/** A held delivery: its message without the body, which the event store keeps once for all deliveries. */
export type HeldDelivery = Omit<DeliveryMessage, 'body'>;

const heldSchema = z.omit(deliveryMessageSchema, { body: true });

/**
 * Deliveries held while their subscription's circuit is open: one small item each, beside the subscription's
 * delivery records, sorted by delivery id (so by event time: the oldest first). Holding costs one write per
 * delivery, once; nothing per minute while it waits. The release reads them back a page at a time, sends each on
 * (with its body from the event store) and deletes them.
 */
export class HeldDeliveryStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Holds a delivery; holding it again (a message received twice) writes the same item. */
  async hold(message: DeliveryMessage, expiresAt: number): Promise<void> {
    const { body: _body, ...held } = message;
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: webhookPartition(message.subscriptionId),
          sk: heldSortKey(message.id),
          ...held,
          expiresAt,
        },
      }),
    );
  }

  /** The oldest held deliveries of a subscription (after `after`, a delivery id), at most `limit`. */
  async oldest(
    subscriptionId: string,
    limit: number,
    after?: string,
    now: Date = new Date(),
  ): Promise<HeldDelivery[]> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :last',
        ExpressionAttributeValues: {
          ':pk': webhookPartition(subscriptionId),
          ':first': after === undefined ? heldPrefix : `${heldSortKey(after)}\u0000`,
          ':last': `${heldPrefix}\uffff`,
        },
        ConsistentRead: true,
        Limit: limit,
      }),
    );
    const nowSeconds = now.getTime() / 1000;
    return Items.filter((item) => typeof item.expiresAt !== 'number' || item.expiresAt > nowSeconds).map(
      (item) => {
        const { pk: _pk, sk: _sk, expiresAt: _expires, ...held } = item;
        return z.parse(heldSchema, held);
      },
    );
  }

  /** Forgets held deliveries once they were sent on. */
  async remove(subscriptionId: string, deliveryIds: readonly string[]): Promise<void> {
    for (let start = 0; start < deliveryIds.length; start += 25) {
      let requests: Record<string, unknown>[] | undefined = deliveryIds
        .slice(start, start + 25)
        .map((id) => ({
          DeleteRequest: { Key: { pk: webhookPartition(subscriptionId), sk: heldSortKey(id) } },
        }));
      while (requests !== undefined && requests.length > 0) {
        const result = await this.db.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }),
        );
        requests = result.UnprocessedItems?.[this.tableName] as Record<string, unknown>[] | undefined;
      }
    }
  }
}
