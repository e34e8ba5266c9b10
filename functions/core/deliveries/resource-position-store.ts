import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { conditionally } from '../storage/conditions.ts';
import { resourcePositionKey } from '../storage/table-keys.ts';
import { type EventOrder, placeOf, type ResourcePosition } from './resource-order.ts';

/** A position as stored (beside its keys and `expiresAt`). */
const storedPositionSchema = z.object({
  occurredAtMs: z.number(),
  sequence: z.number(),
  eventId: z.string(),
  deliveryId: z.string(),
  deliveredAt: z.string(),
  expiresAt: z.number(),
});

/**
 * The positions of ordered subscriptions' resources in the single table: the newest event delivered of each,
 * moved only forward (a conditional write), kept as long as delivery records are.
 */
export class ResourcePositionStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** The resource's position, or undefined when none of its events was delivered (or it expired). */
  async get(
    subscriptionId: string,
    resource: string,
    now: Date = new Date(),
  ): Promise<ResourcePosition | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: resourcePositionKey(subscriptionId, resource),
        ConsistentRead: true,
      }),
    );
    if (Item === undefined) return undefined;
    const { expiresAt, ...position } = z.parse(storedPositionSchema, Item);
    return expiresAt > Math.floor(now.getTime() / 1000) ? position : undefined;
  }

  /**
   * Moves the resource's position to a delivered event, only forward: false when it already stands at a newer
   * place (or at the same place with another event). Delivering the same event again keeps it where it is.
   */
  async advance(
    subscriptionId: string,
    order: EventOrder,
    delivered: { readonly eventId: string; readonly deliveryId: string; readonly at: Date },
    expiresAt: number,
  ): Promise<boolean> {
    const { occurredAtMs, sequence } = placeOf(order);
    return conditionally(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: resourcePositionKey(subscriptionId, order.resource),
          UpdateExpression:
            'SET occurredAtMs = :at, #sequence = :sequence, eventId = :event, deliveryId = :delivery, ' +
            'deliveredAt = :now, expiresAt = :expires',
          ConditionExpression:
            'attribute_not_exists(pk) OR expiresAt <= :nowSeconds OR occurredAtMs < :at OR ' +
            '(occurredAtMs = :at AND (#sequence < :sequence OR (#sequence = :sequence AND eventId = :event)))',
          ExpressionAttributeNames: { '#sequence': 'sequence' },
          ExpressionAttributeValues: {
            ':at': occurredAtMs,
            ':sequence': sequence,
            ':event': delivered.eventId,
            ':delivery': delivered.deliveryId,
            ':now': delivered.at.toISOString(),
            ':nowSeconds': Math.floor(delivered.at.getTime() / 1000),
            ':expires': expiresAt,
          },
        }),
      ),
    );
  }
}
