import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { batchGetItems } from '../storage/batch-get.ts';
import { conditionally } from '../storage/conditions.ts';
import { queryPages } from '../storage/query-pages.ts';
import { deliveryPrefix, deliverySortKey, webhookPartition } from '../storage/table-keys.ts';
import { deliveryIdFloor } from './delivery-id.ts';
import {
  type AttemptRecord,
  type DeliveryRecord,
  type DeliveryStatus,
  deliveryRecordSchema,
} from './delivery-record.ts';

/**
 * What a write makes of a delivery besides adding its attempts:
 * - `append`: nothing more (a client's attempt, a cut-off one, or one a concurrent copy already accounted for);
 *   a record made by it is `pending`, carried on by the message that wrote it.
 * - `advance`: a scheduled attempt failed and the next one is queued under `nextToken`: only while the record
 *   still names `token` (undefined: none yet) and the delivery is pending.
 * - `succeed`: a 2xx, whatever else happened meanwhile: the delivery ends `succeeded`.
 * - `fail`: the delivery ends `failed`; for a scheduled attempt only while the record names `token`, for a
 *   client's attempt (`token: 'any'`) unless it succeeded.
 * - `hold`: the delivery waits, unattempted, for its subscription's circuit to close (only while the record
 *   names `token`): `pending`, next attempt when the circuit is probed.
 * - `reschedule`: an ordered delivery's attempt failed and its message waits in its group for the next one
 *   (ordered deliveries have one message and no tokens): only while the delivery is pending.
 * - `supersede`: an ordered delivery is not sent, because a newer event of its resource was delivered first
 *   (`by`): the delivery ends `superseded`, unless it succeeded.
 */
export type DeliveryChange =
  | { readonly kind: 'append' }
  | {
      readonly kind: 'advance';
      readonly token: string | undefined;
      readonly nextToken: string;
      readonly scheduledAttempt: number;
      readonly nextAttemptAt: string;
    }
  | { readonly kind: 'succeed'; readonly scheduledAttempt?: number }
  | {
      readonly kind: 'fail';
      readonly token: string | undefined | 'any';
      readonly scheduledAttempt?: number;
      readonly reason?: string;
    }
  | { readonly kind: 'hold'; readonly token: string | undefined; readonly probeAt: string }
  | { readonly kind: 'reschedule'; readonly scheduledAttempt: number; readonly nextAttemptAt: string }
  | { readonly kind: 'supersede'; readonly by: string };

/** Attempts to add to a delivery's record (none for a delivery ended without one), with what they make of it. */
export interface AttemptWrite {
  readonly id: string;
  readonly accountId: string;
  readonly subscriptionId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly attempts: readonly AttemptRecord[];
  readonly change: DeliveryChange;
  readonly now: Date;
  readonly expiresAt: number;
  /**
   * Ordered deliveries only: which receive of which message writes (see `DeliveryRecord.receipts`), and the turn
   * it waits for under its rate limit (none: the record keeps no turn).
   */
  readonly receipt?: {
    readonly messageId: string;
    readonly count: number;
    readonly slotAt?: number;
    readonly turnRetaken?: true;
  };
}

/** A page of a subscription's deliveries, newest first. */
export interface DeliveryPage {
  readonly items: readonly DeliveryRecord[];
  readonly lastId?: string;
}

const nowSeconds = (now: Date) => Math.floor(now.getTime() / 1000);

/**
 * A pending delivery whose next attempt is this long overdue is stuck: no message carries it on (the longest
 * a live one can lag is a lane's visibility timeout after a crash, or a backlog), and `recover` resumes it.
 */
export const stuckAfterMs = 15 * 60 * 1000;

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
   * Adds attempts to a delivery's record (creating it with the first) and applies the change. False when the
   * change's condition did not hold (the delivery moved on or ended meanwhile): then nothing was written.
   */
  async recordAttempts(write: AttemptWrite): Promise<boolean> {
    const { change } = write;
    const set = [
      'accountId = :account',
      'subscriptionId = :subscription',
      'eventId = :event',
      'eventType = :type',
      'id = :id',
      'updatedAt = :now',
      'createdAt = if_not_exists(createdAt, :now)',
      'expiresAt = :expires',
      'attemptCount = if_not_exists(attemptCount, :zero) + :count',
      'attempts = list_append(if_not_exists(attempts, :none), :attempts)',
    ];
    const remove: string[] = [];
    const values: Record<string, unknown> = {
      ':account': write.accountId,
      ':subscription': write.subscriptionId,
      ':event': write.eventId,
      ':type': write.eventType,
      ':id': write.id,
      ':now': write.now.toISOString(),
      ':expires': write.expiresAt,
      ':zero': 0,
      ':count': write.attempts.length,
      ':none': [],
      ':attempts': write.attempts,
    };
    const step = (scheduledAttempt: number | undefined) => {
      if (scheduledAttempt === undefined) {
        set.push('scheduledAttempt = if_not_exists(scheduledAttempt, :zero)');
      } else {
        set.push('scheduledAttempt = :step');
        values[':step'] = scheduledAttempt;
      }
    };
    const status = (value: DeliveryStatus) => {
      set.push('#status = :status');
      values[':status'] = value;
    };
    if (write.receipt !== undefined) {
      set.push('receipts = :receipts', 'receivedBy = :receivedBy');
      values[':receipts'] = write.receipt.count;
      values[':receivedBy'] = write.receipt.messageId;
      if (write.receipt.slotAt === undefined) remove.push('slotAt');
      else {
        set.push('slotAt = :slotAt');
        values[':slotAt'] = write.receipt.slotAt;
      }
      if (write.receipt.turnRetaken === true) set.push('turnRetaken = :retaken');
      else remove.push('turnRetaken');
      if (write.receipt.turnRetaken === true) values[':retaken'] = true;
    }
    let condition: string | undefined;
    switch (change.kind) {
      case 'append':
        step(undefined);
        set.push('#status = if_not_exists(#status, :status)');
        values[':status'] = 'pending';
        break;
      case 'advance':
        step(change.scheduledAttempt);
        status('pending');
        set.push('nextAttemptAt = :next', 'liveToken = :nextToken');
        remove.push('heldSince');
        values[':next'] = change.nextAttemptAt;
        values[':nextToken'] = change.nextToken;
        condition = this.holdsToken(change.token, values);
        break;
      case 'succeed':
        step(change.scheduledAttempt);
        status('succeeded');
        remove.push('nextAttemptAt', 'liveToken', 'failureReason', 'heldSince');
        break;
      case 'hold':
        step(undefined);
        status('pending');
        set.push('nextAttemptAt = :next', 'heldSince = if_not_exists(heldSince, :now)');
        values[':next'] = change.probeAt;
        condition = this.holdsToken(change.token, values);
        break;
      case 'reschedule':
        step(change.scheduledAttempt);
        status('pending');
        set.push('nextAttemptAt = :next');
        values[':next'] = change.nextAttemptAt;
        values[':pending'] = 'pending';
        condition = 'attribute_not_exists(#status) OR #status = :pending';
        break;
      case 'supersede':
        step(undefined);
        status('superseded');
        set.push('supersededBy = :by');
        values[':by'] = change.by;
        values[':succeeded'] = 'succeeded';
        remove.push('nextAttemptAt', 'liveToken', 'heldSince');
        condition = 'attribute_not_exists(#status) OR #status <> :succeeded';
        break;
      case 'fail':
        step(change.scheduledAttempt);
        status('failed');
        remove.push('nextAttemptAt', 'liveToken', 'heldSince');
        if (change.reason === undefined) remove.push('failureReason');
        else {
          set.push('failureReason = :reason');
          values[':reason'] = change.reason;
        }
        condition =
          change.token === 'any'
            ? 'attribute_not_exists(#status) OR #status <> :succeeded'
            : this.holdsToken(change.token, values);
        if (change.token === 'any') values[':succeeded'] = 'succeeded';
        break;
    }
    return conditionally(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(write.subscriptionId, write.id),
          UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
          ...(condition === undefined ? {} : { ConditionExpression: condition }),
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  /** The condition that a pending delivery's record names `token` as its live one (none: names none yet). */
  private holdsToken(token: string | undefined, values: Record<string, unknown>): string {
    if (token !== undefined) {
      values[':token'] = token;
      return 'liveToken = :token';
    }
    values[':pending'] = 'pending';
    return 'attribute_not_exists(liveToken) AND (attribute_not_exists(#status) OR #status = :pending)';
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

  /** The records of these deliveries that exist (and have not expired), in any order: batched reads. */
  async getAll(
    deliveries: readonly { subscriptionId: string; id: string }[],
    now: Date = new Date(),
  ): Promise<DeliveryRecord[]> {
    const keys = deliveries.map((delivery) => this.key(delivery.subscriptionId, delivery.id));
    return (await batchGetItems(this.db, this.tableName, keys))
      .map((item) => z.parse(deliveryRecordSchema, item))
      .filter((record) => record.expiresAt > nowSeconds(now));
  }

  /**
   * A page of a subscription's deliveries, newest first, filtered by status and event type, and by their events'
   * times (which their ids sort by) from `since` (inclusive) to `until` (exclusive) as the key condition.
   */
  async page(
    subscriptionId: string,
    query: {
      limit: number;
      after?: string;
      status?: DeliveryStatus;
      eventType?: string;
      since?: Date;
      until?: Date;
    },
    now: Date = new Date(),
  ): Promise<DeliveryPage> {
    const cursor = query.after === undefined ? undefined : deliverySortKey(query.after);
    // A window's end (the prefix of its millisecond) sorts before that millisecond's ids: until is exclusive.
    const until =
      query.until === undefined
        ? `${deliveryPrefix}\uffff`
        : deliverySortKey(deliveryIdFloor(subscriptionId, query.until.getTime()));
    const first =
      query.since === undefined
        ? deliveryPrefix
        : deliverySortKey(deliveryIdFloor(subscriptionId, query.since.getTime()));
    const end = cursor !== undefined && cursor < until ? cursor : until;
    // A cursor before `since` leaves nothing to read (and DynamoDB refuses a BETWEEN whose bounds are reversed).
    if (end < first) return { items: [] };
    const filters = ['expiresAt > :now'];
    const values: Record<string, unknown> = {
      ':pk': webhookPartition(subscriptionId),
      ':first': first,
      ':last': end,
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
   * Deliveries of a subscription whose events happened from `since` to `until` that `recover` sends again,
   * oldest first, at most `limit` of them: the failed ones, and pending ones stuck for longer than `stuckAfterMs`
   * (their next attempt, or their last change when none is due, that long ago: no message carries them on).
   */
  async recoverableBetween(
    subscriptionId: string,
    since: Date,
    until: Date,
    limit: number,
    now: Date = new Date(),
  ): Promise<readonly DeliveryRecord[]> {
    const values: Record<string, unknown> = {
      ':pk': webhookPartition(subscriptionId),
      ':first': deliverySortKey(deliveryIdFloor(subscriptionId, since.getTime())),
      ':last': deliverySortKey(`${deliveryIdFloor(subscriptionId, until.getTime())}\uffff`),
      ':now': nowSeconds(now),
      ':failed': 'failed',
      ':pending': 'pending',
      ':stuck': new Date(now.getTime() - stuckAfterMs).toISOString(),
    };
    const recoverable =
      '(#status = :failed OR (#status = :pending AND (nextAttemptAt < :stuck OR ' +
      '(attribute_not_exists(nextAttemptAt) AND updatedAt < :stuck))))';
    return this.query(values, ['expiresAt > :now', recoverable], limit, true);
  }

  private async query(
    values: Record<string, unknown>,
    filters: readonly string[],
    wanted: number,
    oldestFirst = false,
  ): Promise<DeliveryRecord[]> {
    const items: DeliveryRecord[] = [];
    for await (const page of queryPages(this.db, {
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
    })) {
      for (const item of page.Items ?? []) {
        if (item.sk !== values[':last'] || oldestFirst) items.push(z.parse(deliveryRecordSchema, item));
      }
      if (items.length >= wanted) break;
    }
    return items.slice(0, wanted);
  }
}
