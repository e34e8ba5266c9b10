import { gunzipSync, gzipSync } from 'node:zlib';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchGetCommand, type BatchGetCommandOutput, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { isConditionFailure } from '../storage/conditions.ts';
import { eventFannedOutKey, eventKey } from '../storage/table-keys.ts';
import { eventOrderSchema } from './resource-order.ts';

/** An event's webhook body as kept for retries and recovery: once per event, for all its deliveries. */
export const storedEventSchema = z.object({
  eventId: z.string(),
  accountId: z.string(),
  eventType: z.string(),
  body: z.string(),
  /** When fan-out first took the event (epoch ms): its deliveries' time, the same on every repeat. */
  fannedOutAt: z.number(),
  /** Its place in its resource's order (ordered subscriptions' retries and recovery need it); absent for tests. */
  order: z.optional(eventOrderSchema),
  expiresAt: z.number(),
});

export type StoredEvent = z.infer<typeof storedEventSchema>;

/** Bodies larger than this are kept gzip-compressed (`bodyGzip`): a DynamoDB item holds at most 400 KB. */
export const compressAboveBytes = 64 * 1024;

/** The most a kept body may take, compressed, with the event's other attributes in one 400 KB item. */
export const maxKeptBodyBytes = 380 * 1024;

/** An event whose body, even compressed, does not fit an item: it cannot be kept for retries, so not fanned out. */
export class EventTooLargeToKeepError extends Error {
  override name = 'EventTooLargeToKeepError';
}

/** The item of an event: its body as it is, or compressed when large (webhook bodies reach 1 MiB). */
function itemOf(event: StoredEvent): Record<string, unknown> {
  if (Buffer.byteLength(event.body) <= compressAboveBytes) return { ...eventKey(event.eventId), ...event };
  const bodyGzip = gzipSync(event.body);
  if (bodyGzip.length > maxKeptBodyBytes) {
    throw new EventTooLargeToKeepError(
      `detail: the webhook body takes ${bodyGzip.length} bytes compressed, more than the ${maxKeptBodyBytes} ` +
        'an event is kept in (for retries and recovery)',
    );
  }
  const { body: _body, ...rest } = event;
  return { ...eventKey(event.eventId), ...rest, bodyGzip };
}

/** An event as its item keeps it, its body decompressed if it was compressed. */
function eventOf(item: Record<string, unknown>): StoredEvent {
  const { bodyGzip, ...rest } = item;
  return z.parse(
    storedEventSchema,
    bodyGzip instanceof Uint8Array ? { ...rest, body: gunzipSync(bodyGzip).toString('utf8') } : rest,
  );
}

/** Webhook bodies of events in the single table, expiring with their deliveries' records. */
export class EventStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Keeps an event the first time fan-out takes it, and answers when that was and whether its fan-out was
   * completed: a repeat of a completed event (a duplicate from the bus) is dropped, one whose fan-out failed
   * half-way is done again with the same time, so its deliveries get the same ids (`again`).
   */
  async claim(
    event: StoredEvent,
    now: Date = new Date(),
  ): Promise<{ fannedOutAt: number; done: boolean; again: boolean }> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: itemOf(event),
          // An expired record that TTL has not deleted yet does not count.
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
          ExpressionAttributeValues: { ':now': Math.floor(now.getTime() / 1000) },
        }),
      );
      return { fannedOutAt: event.fannedOutAt, done: false, again: false };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': eventKey(event.eventId).pk },
        ConsistentRead: true,
      }),
    );
    const stored = Items.find((item) => item.sk === eventKey(event.eventId).sk);
    return {
      fannedOutAt: stored === undefined ? event.fannedOutAt : eventOf(stored).fannedOutAt,
      done: Items.some((item) => item.sk === eventFannedOutKey(event.eventId).sk),
      again: true,
    };
  }

  /** Notes that every delivery of the event is queued: a tiny item beside the event, so the body is not rewritten. */
  async markFannedOut(eventId: string, expiresAt: number): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.tableName, Item: { ...eventFannedOutKey(eventId), expiresAt } }),
    );
  }

  /** Events by id (those that exist and have not expired), in any order. */
  async getAll(eventIds: readonly string[], now: Date = new Date()): Promise<StoredEvent[]> {
    const events: StoredEvent[] = [];
    const ids = [...new Set(eventIds)];
    for (let start = 0; start < ids.length; start += 100) {
      let keys: Record<string, unknown>[] | undefined = ids.slice(start, start + 100).map(eventKey);
      while (keys !== undefined && keys.length > 0) {
        const result: BatchGetCommandOutput = await this.db.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const item of result.Responses?.[this.tableName] ?? []) {
          const event = eventOf(item);
          if (event.expiresAt > now.getTime() / 1000) events.push(event);
        }
        keys = result.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return events;
  }
}
