import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { timeCode } from '../ids.ts';
import { conditionally } from '../storage/conditions.ts';
import { deliveryPrefix, deliverySortKey, webhookPartition } from '../storage/table-keys.ts';
import {
  type AttemptRecord,
  type DeliveryRecord,
  type DeliveryStatus,
  deliveryRecordSchema,
} from './delivery-record.ts';

/** One attempt to add to a delivery's record, with what it makes of the delivery. */
export interface AttemptWrite {
  readonly id: string;
  readonly accountId: string;
  readonly subscriptionId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly attempt: AttemptRecord;
  /** The scheduled attempt this was; undefined for a manual one, which never repeats a scheduled one. */
  readonly scheduledAttempt?: number;
  /** The delivery's status now; undefined leaves it as it is (a manual attempt that failed). */
  readonly status?: DeliveryStatus;
  /** When the next attempt is due; undefined when none is. */
  readonly nextAttemptAt?: string;
  readonly now: Date;
  readonly expiresAt: number;
}

/** A page of a subscription's deliveries, newest first. */
export interface DeliveryPage {
  readonly items: readonly DeliveryRecord[];
  readonly lastId?: string;
}

const nowSeconds = (now: Date) => Math.floor(now.getTime() / 1000);

/**
 * Delivery records in the single table: one item per delivery under its subscription's partition, written once
 * per attempt (an update that appends the attempt, so no read is needed first).
 */
export class DeliveryStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private key(subscriptionId: string, id: string) {
    return { pk: webhookPartition(subscriptionId), sk: deliverySortKey(id) };
  }

  /**
   * Adds an attempt to a delivery's record, creating the record with the first. A scheduled attempt that the
   * record already has (a message repeated by a crash) is not added again: false.
   */
  async recordAttempt(write: AttemptWrite): Promise<boolean> {
    const set = [
      'accountId = :account',
      'subscriptionId = :subscription',
      'eventId = :event',
      'eventType = :type',
      'id = :id',
      'updatedAt = :now',
      'createdAt = if_not_exists(createdAt, :now)',
      'expiresAt = :expires',
      'attemptCount = if_not_exists(attemptCount, :zero) + :one',
      'attempts = list_append(if_not_exists(attempts, :none), :attempt)',
      'scheduledAttempt = ' +
        (write.scheduledAttempt === undefined ? 'if_not_exists(scheduledAttempt, :zero)' : ':step'),
      `#status = ${write.status === undefined ? 'if_not_exists(#status, :pending)' : ':status'}`,
    ];
    const values: Record<string, unknown> = {
      ':account': write.accountId,
      ':subscription': write.subscriptionId,
      ':event': write.eventId,
      ':type': write.eventType,
      ':id': write.id,
      ':now': write.now.toISOString(),
      ':expires': write.expiresAt,
      ':zero': 0,
      ':one': 1,
      ':none': [],
      ':attempt': [write.attempt],
    };
    if (write.scheduledAttempt !== undefined) values[':step'] = write.scheduledAttempt;
    if (write.status === undefined) values[':pending'] = 'pending';
    else values[':status'] = write.status;
    if (write.nextAttemptAt !== undefined) {
      set.push('nextAttemptAt = :next');
      values[':next'] = write.nextAttemptAt;
    }
    const remove =
      write.nextAttemptAt === undefined && write.status !== undefined ? ' REMOVE nextAttemptAt' : '';
    return conditionally(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(write.subscriptionId, write.id),
          UpdateExpression: `SET ${set.join(', ')}${remove}`,
          ...(write.scheduledAttempt === undefined
            ? {}
            : { ConditionExpression: 'attribute_not_exists(scheduledAttempt) OR scheduledAttempt < :step' }),
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  /** A pending record before any attempt (a test event, which its sender wants to look up at once). */
  async createPending(
    record: Omit<DeliveryRecord, 'attempts' | 'attemptCount' | 'scheduledAttempt' | 'status'>,
  ): Promise<void> {
    await conditionally(
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...this.key(record.subscriptionId, record.id),
            ...record,
            status: 'pending',
            attemptCount: 0,
            scheduledAttempt: 0,
            attempts: [],
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  /** A delivery's record, or undefined when there is none (or it expired). */
  async get(subscriptionId: string, id: string, now: Date = new Date()): Promise<DeliveryRecord | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: this.key(subscriptionId, id), ConsistentRead: true }),
    );
    if (Item === undefined) return undefined;
    const record = z.parse(deliveryRecordSchema, Item);
    return record.expiresAt > nowSeconds(now) ? record : undefined;
  }

  /** A page of a subscription's deliveries, newest first, filtered by status and event type. */
  async page(
    subscriptionId: string,
    query: { limit: number; after?: string; status?: DeliveryStatus; eventType?: string },
    now: Date = new Date(),
  ): Promise<DeliveryPage> {
    const filters = ['expiresAt > :now'];
    const values: Record<string, unknown> = {
      ':pk': webhookPartition(subscriptionId),
      ':first': deliveryPrefix,
      ':last': query.after === undefined ? `${deliveryPrefix}\uffff` : deliverySortKey(query.after),
      ':now': nowSeconds(now),
    };
    if (query.status !== undefined) {
      filters.push('#status = :status');
      values[':status'] = query.status;
    }
    if (query.eventType !== undefined) {
      filters.push('eventType = :type');
      values[':type'] = query.eventType;
    }
    const items = await this.query(values, filters, query.limit + 1);
    const page = items.slice(0, query.limit);
    const last = page.at(-1);
    return items.length > query.limit && last !== undefined
      ? { items: page, lastId: last.id }
      : { items: page };
  }

  /**
   * Failed deliveries of a subscription whose events happened from `since` to `until`, oldest first, at most
   * `limit` of them.
   */
  async failedBetween(
    subscriptionId: string,
    since: Date,
    until: Date,
    limit: number,
    now: Date = new Date(),
  ): Promise<readonly DeliveryRecord[]> {
    const idPrefix = `msg_${subscriptionId.slice('sub_'.length)}`;
    const values: Record<string, unknown> = {
      ':pk': webhookPartition(subscriptionId),
      ':first': deliverySortKey(`${idPrefix}${timeCode(since.getTime())}`),
      ':last': deliverySortKey(`${idPrefix}${timeCode(until.getTime())}\uffff`),
      ':now': nowSeconds(now),
      ':failed': 'failed',
    };
    return this.query(values, ['expiresAt > :now', '#status = :failed'], limit, true);
  }

  private async query(
    values: Record<string, unknown>,
    filters: readonly string[],
    wanted: number,
    oldestFirst = false,
  ): Promise<DeliveryRecord[]> {
    const items: DeliveryRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          // BETWEEN is inclusive: a cursor's own item is skipped below.
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :last',
          FilterExpression: filters.join(' AND '),
          ...(filters.some((filter) => filter.includes('#status'))
            ? { ExpressionAttributeNames: { '#status': 'status' } }
            : {}),
          ExpressionAttributeValues: values,
          ScanIndexForward: oldestFirst,
          Limit: Math.max(wanted, 25),
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        if (item.sk !== values[':last'] || oldestFirst) items.push(z.parse(deliveryRecordSchema, item));
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && items.length < wanted);
    return items.slice(0, wanted);
  }
}
