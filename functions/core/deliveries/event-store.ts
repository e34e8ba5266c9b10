import { gunzipSync, gzipSync } from 'node:zlib';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { batchGetItems } from '../storage/batch-get.ts';
import { isConditionFailure } from '../storage/conditions.ts';
import { accountEventsKeys, eventFannedOutKey, eventKey, fanOutBatchKey } from '../storage/table-keys.ts';
import { eventOrderSchema } from './resource-order.ts';

/** An event's webhook body as kept for retries and recovery: once per event, for all its deliveries. */
export const storedEventSchema = z.object({
  eventId: z.string(),
  accountId: z.string(),
  eventType: z.string(),
  body: z.string(),
  /** When fan-out first took the event (epoch ms): its deliveries' time, the same on every repeat. */
  fannedOutAt: z.number(),
  /** The publisher's resource id (`detail.id`), for the events log's filter; absent for test events. */
  resourceId: z.optional(z.string()),
  /** When it happened, as the publisher said (`detail.occurred_at`); absent on events kept before the log. */
  occurredAt: z.optional(z.string()),
  /** Its place in its resource's order (ordered subscriptions' retries and recovery need it); absent for tests. */
  order: z.optional(eventOrderSchema),
  /** The fan-out batch that claimed it last: its marker says whether that fan-out queued every delivery. */
  fanOutBatch: z.optional(z.string()),
  expiresAt: z.number(),
});

/** A fan-out batch's marker: the events whose every delivery that batch queued. */
const batchMarkerSchema = z.object({ events: z.array(z.string()) });

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
  // The events log's index keys ride on the same write: the log costs fan-out no call of its own.
  const keys = {
    ...eventKey(event.eventId),
    ...accountEventsKeys(event.accountId, event.fannedOutAt, event.eventId),
  };
  if (Buffer.byteLength(event.body) <= compressAboveBytes) return { ...keys, ...event };
  const bodyGzip = gzipSync(event.body);
  if (bodyGzip.length > maxKeptBodyBytes) {
    throw new EventTooLargeToKeepError(
      `detail: the webhook body takes ${bodyGzip.length} bytes compressed, more than the ${maxKeptBodyBytes} ` +
        'an event is kept in (for retries and recovery)',
    );
  }
  const { body: _body, ...rest } = event;
  return { ...keys, ...rest, bodyGzip };
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
    const item = Items.find((one) => one.sk === eventKey(event.eventId).sk);
    const stored = item === undefined ? undefined : eventOf(item);
    const done =
      Items.some((one) => one.sk === eventFannedOutKey(event.eventId).sk) ||
      (stored?.fanOutBatch !== undefined && (await this.#batchQueued(stored.fanOutBatch, event.eventId)));
    // Done again under this batch: a later repeat must look at this batch's marker.
    if (!done && stored !== undefined && event.fanOutBatch !== undefined) {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: eventKey(event.eventId),
          UpdateExpression: 'SET fanOutBatch = :batch',
          ExpressionAttributeValues: { ':batch': event.fanOutBatch },
        }),
      );
    }
    return { fannedOutAt: stored?.fannedOutAt ?? event.fannedOutAt, done, again: true };
  }

  /** Whether the batch's marker names the event (its fan-out queued every delivery). */
  async #batchQueued(batchId: string, eventId: string): Promise<boolean> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: fanOutBatchKey(batchId), ConsistentRead: true }),
    );
    return Item !== undefined && z.parse(batchMarkerSchema, Item).events.includes(eventId);
  }

  /**
   * Notes that every delivery of these events, all claimed by one fan-out batch, is queued: one small item for
   * the batch, so neither the bodies nor an item per event are written again.
   */
  async markFannedOut(batchId: string, eventIds: readonly string[], expiresAt: number): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...fanOutBatchKey(batchId), events: [...eventIds], expiresAt },
      }),
    );
  }

  /** Events by id (those that exist and have not expired), in any order. */
  async getAll(eventIds: readonly string[], now: Date = new Date()): Promise<StoredEvent[]> {
    const keys = [...new Set(eventIds)].map(eventKey);
    return (await batchGetItems(this.db, this.tableName, keys, true))
      .map(eventOf)
      .filter((event) => event.expiresAt > now.getTime() / 1000);
  }
}
