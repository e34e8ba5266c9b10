import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { conditionally, isConditionFailure } from '../storage/conditions.ts';
import { queryPages } from '../storage/query-pages.ts';
import {
  accountPartition,
  sortKeyPrefix,
  subscriptionCounterSortKey,
  subscriptionSortKey,
} from '../storage/table-keys.ts';
import { type SecretSealer, sealSecrets } from './secret-box.ts';
import {
  type DeliveryKeptField,
  deliveryKeptFields,
  legacySubscriptionAttributes,
  type Subscription,
  type SubscriptionStatus,
} from './subscription.ts';
import { SubscriptionLimitError } from './subscription-errors.ts';
import {
  parseSubscription,
  readSubscription,
  subscriptionKey,
  subscriptionsOf,
} from './subscription-items.ts';

/** One page of an account's subscriptions, newest first. */
export interface SubscriptionPage {
  readonly items: readonly Subscription[];
  /** The id of the last item when more follow: where the next page starts (after it). */
  readonly lastId?: string;
}

/** Which subscriptions a page holds. */
export interface PageQuery {
  readonly limit: number;
  /** Only subscriptions created before this one (the previous page's last id). */
  readonly after?: string;
  readonly status?: SubscriptionStatus;
  /** Only subscriptions that select this event type (exactly or by its resource's wildcard). */
  readonly eventType?: string;
}

/** Optional fields a change may remove (what the delivery path keeps is removed only when named). */
const removableFields = [
  'description',
  'filter',
  'disabledReason',
  'previousSecrets',
  'rateLimit',
  'ordering',
  'jwtKey',
] as const satisfies readonly (keyof Subscription)[];
const deliveryKept: ReadonlySet<string> = new Set(deliveryKeptFields);
const counterSchema = z.object({ count: z.number() });

/**
 * The API's subscription records: whole subscriptions in the single table, one item each under their account's
 * partition, beside a counter of them that enforces the per-account limit without transactions: a slot is
 * reserved before the item is written and released after it is deleted, so a crash in between can only leave
 * the counter high, and a count that seems to be at the limit is checked against the items and set right.
 * Every write stores the subscription's signing secrets sealed by `secrets` (a plain one, of an item written
 * before secrets were sealed, is sealed then); reads give them as stored, sealed.
 */
export class SubscriptionRecordStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly secrets: SecretSealer,
  ) {}

  /**
   * Stores a new subscription unless the account already has `limit`. Throws {@link SubscriptionLimitError}
   * at the limit, and DynamoDB's ConditionalCheckFailedException if the id is taken.
   */
  async create(subscription: Subscription, limit: number): Promise<void> {
    const stored = await sealSecrets(subscription, this.secrets);
    await this.reserveSlot(subscription.accountId, limit);
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...subscriptionKey(subscription.accountId, subscription.id), ...stored },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      await this.releaseSlot(subscription.accountId);
      throw error;
    }
  }

  async get(accountId: string, id: string): Promise<Subscription | undefined> {
    return readSubscription(this.db, this.tableName, accountId, id);
  }

  /**
   * A page of an account's subscriptions, newest first (ids sort by creation time). Pages are cut at item
   * ids, so subscriptions created while a client pages come before its cursor and never shift the pages after.
   */
  async page(accountId: string, query: PageQuery): Promise<SubscriptionPage> {
    const filters: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {
      ':pk': accountPartition(accountId),
      ':first': sortKeyPrefix.subscription,
      ':last':
        query.after === undefined ? `${sortKeyPrefix.subscription}\uffff` : subscriptionSortKey(query.after),
    };
    if (query.status !== undefined) {
      filters.push('#status = :status');
      names['#status'] = 'status';
      values[':status'] = query.status;
    }
    if (query.eventType !== undefined) {
      filters.push('(contains(events, :type) OR contains(events, :resource))');
      values[':type'] = query.eventType;
      values[':resource'] = `${query.eventType.slice(0, query.eventType.indexOf('.'))}.*`;
    }
    const items: Subscription[] = [];
    for await (const page of queryPages(this.db, {
      TableName: this.tableName,
      // BETWEEN is inclusive: the cursor's own item is skipped below.
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :last',
      ...(filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : {}),
      ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: values,
      ScanIndexForward: false,
      Limit: query.limit + 1,
    })) {
      for (const item of page.Items ?? []) {
        if (item.sk !== values[':last']) items.push(parseSubscription(item));
      }
      if (items.length > query.limit) break;
    }
    const pageItems = items.slice(0, query.limit);
    const last = pageItems.at(-1);
    return items.length > query.limit && last !== undefined
      ? { items: pageItems, lastId: last.id }
      : { items };
  }

  /**
   * An account's subscriptions that have a compatible id (or the one with `compatibleId`), newest first: all of
   * them, since the compatible API counts and pages them by number. A read of the account's subscriptions, which
   * are at most the account's limit (100 unless the deployment says otherwise).
   */
  async compatible(accountId: string, compatibleId?: number): Promise<Subscription[]> {
    const found: Subscription[] = [];
    const all = subscriptionsOf(this.tableName, accountId);
    for await (const page of queryPages(this.db, {
      ...all,
      FilterExpression:
        compatibleId === undefined ? 'attribute_exists(compatibleId)' : 'compatibleId = :compatibleId',
      ExpressionAttributeValues: {
        ...all.ExpressionAttributeValues,
        ...(compatibleId === undefined ? {} : { ':compatibleId': compatibleId }),
      },
      ScanIndexForward: false,
    })) {
      for (const item of page.Items ?? []) found.push(parseSubscription(item));
    }
    return found;
  }

  /**
   * Writes a changed subscription if the stored one is still at `expectedVersion`; false when it is not (or
   * is gone), and nothing was written. Only what clients set is written: what the delivery path keeps beside it
   * ({@link deliveryKeptFields}: its lane, failure streak, circuit, back-off) is left as stored, whatever
   * `subscription` holds of it, except the fields named in `reset`, which are removed in the same write.
   * Attributes of an older item shape are removed.
   */
  async replace(
    subscription: Subscription,
    expectedVersion: number,
    reset: readonly DeliveryKeptField[] = [],
  ): Promise<boolean> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':expected': expectedVersion };
    const set: string[] = [];
    for (const [field, value] of Object.entries(await sealSecrets(subscription, this.secrets))) {
      if (deliveryKept.has(field) || value === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      set.push(`#${field} = :${field}`);
    }
    const remove = [
      ...removableFields.filter((field) => subscription[field] === undefined),
      ...new Set(reset),
      ...legacySubscriptionAttributes,
    ];
    for (const field of remove) names[`#${field}`] = field;
    return conditionally(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: subscriptionKey(subscription.accountId, subscription.id),
          UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.map((field) => `#${field}`).join(', ')}` : ''}`,
          ConditionExpression: '#version = :expected',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  /** Deletes a subscription if it is still at `expectedVersion`; false when it is not (or is gone). */
  async remove(accountId: string, id: string, expectedVersion: number): Promise<boolean> {
    const removed = await conditionally(
      this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: subscriptionKey(accountId, id),
          ConditionExpression: 'version = :expected',
          ExpressionAttributeValues: { ':expected': expectedVersion },
        }),
      ),
    );
    if (removed) await this.releaseSlot(accountId);
    return removed;
  }

  private counterKey(accountId: string) {
    return { pk: accountPartition(accountId), sk: subscriptionCounterSortKey };
  }

  /** Takes one of the account's `limit` slots, or throws {@link SubscriptionLimitError}. */
  private async reserveSlot(accountId: string, limit: number): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: this.counterKey(accountId),
            UpdateExpression: 'ADD #count :one',
            // A missing counter (a new account) fails too, and is set from the items below.
            ConditionExpression: '#count < :limit',
            ExpressionAttributeNames: { '#count': 'count' },
            ExpressionAttributeValues: { ':one': 1, ':limit': limit },
          }),
        );
        return;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      // At the limit by the counter: check it against the items, which it may exceed after a crash.
      const counted = await this.counterValue(accountId);
      const actual = await this.countItems(accountId);
      if (actual >= limit) throw new SubscriptionLimitError(limit);
      await this.correctCount(accountId, counted, actual);
    }
    throw new SubscriptionLimitError(limit);
  }

  private async counterValue(accountId: string): Promise<number | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: this.counterKey(accountId), ConsistentRead: true }),
    );
    return Item === undefined ? undefined : z.parse(counterSchema, Item).count;
  }

  private async countItems(accountId: string): Promise<number> {
    let count = 0;
    for await (const page of queryPages(this.db, {
      ...subscriptionsOf(this.tableName, accountId),
      Select: 'COUNT',
      ConsistentRead: true,
    })) {
      count += page.Count ?? 0;
    }
    return count;
  }

  /** Sets the counter to the items' count, unless another request changed it since it was read. */
  private async correctCount(accountId: string, seen: number | undefined, actual: number): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.counterKey(accountId),
          UpdateExpression: 'SET #count = :actual',
          ConditionExpression: seen === undefined ? 'attribute_not_exists(#count)' : '#count = :seen',
          ExpressionAttributeNames: { '#count': 'count' },
          ExpressionAttributeValues: { ':actual': actual, ...(seen === undefined ? {} : { ':seen': seen }) },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /** Gives back a slot; never below zero (a counter that is missing or low is set right when it matters). */
  private async releaseSlot(accountId: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.counterKey(accountId),
          UpdateExpression: 'ADD #count :minusOne',
          ConditionExpression: '#count > :zero',
          ExpressionAttributeNames: { '#count': 'count' },
          ExpressionAttributeValues: { ':minusOne': -1, ':zero': 0 },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}
