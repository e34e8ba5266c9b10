import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { table } from '../platform.ts';
import { queryPages } from '../storage/query-pages.ts';
import { accountEventsPartition, accountEventsSortKey, eventKey } from '../storage/table-keys.ts';

const index = table.accountEventsIndex;
const eventPartitionPrefix = eventKey('').pk;

/** An event as the events log lists it: what the index projects, never the body. */
export interface EventSummaryRecord {
  readonly eventId: string;
  readonly eventType: string;
  readonly resourceId?: string;
  /** When fan-out took it (epoch ms). */
  readonly fannedOutAt: number;
  readonly occurredAt?: string;
}

/** A place in an account's events log: the time fan-out took an event, and its id. */
export interface EventLogPosition {
  readonly at: number;
  readonly eventId: string;
}

/** What to list: a page after `after` (none: from the newest), in a window and matching the filters. */
export interface EventLogQuery {
  readonly limit: number;
  readonly after?: EventLogPosition;
  /** Inclusive. */
  readonly since?: Date;
  /** Exclusive. */
  readonly until?: Date;
  readonly eventType?: string;
  readonly resourceId?: string;
}

/** A page of the log, newest first; `next` when more may follow (the page may be short under a filter). */
export interface EventLogPage {
  readonly items: readonly EventSummaryRecord[];
  readonly next?: EventLogPosition;
}

const indexItemSchema = z.object({
  pk: z.string().check(z.startsWith(eventPartitionPrefix)),
  [index.sortKey]: z.string(),
  eventType: z.string(),
  resourceId: z.optional(z.string()),
  fannedOutAt: z.number(),
  occurredAt: z.optional(z.string()),
});

/**
 * How many index items one request reads at most while filters leave out what it reads: beyond this the page
 * comes back short, with a cursor to where reading stopped, so a rare filter over a long log never runs into
 * API Gateway's 30 s (each read is at most 1 MB; these items are ~200 bytes).
 */
export const evaluatedPerPage = 1000;

/** The position a sort key of the index stands for. */
function positionOf(sortKey: string): EventLogPosition {
  const hash = sortKey.indexOf('#');
  return { at: Number(sortKey.slice(0, hash)), eventId: sortKey.slice(hash + 1) };
}

/**
 * An account's events log, read through the sparse `AccountEvents` index (platform.ts): its events newest first,
 * the time window as the key condition, type and resource as filters, expired events left out (TTL deletes
 * late, and the sandbox's DynamoDB never).
 */
export class EventLogStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** At most this many index items read per page while filters leave them out. */
    private readonly readsPerPage: number = evaluatedPerPage,
  ) {}

  /** A page of the account's events, newest first. */
  async page(accountId: string, query: EventLogQuery, now: Date = new Date()): Promise<EventLogPage> {
    const until = query.until === undefined ? '\uffff' : accountEventsSortKey(query.until.getTime(), '');
    const cursor =
      query.after === undefined ? undefined : accountEventsSortKey(query.after.at, query.after.eventId);
    // BETWEEN is inclusive: the window's end (`<ms>#`) sorts before its own millisecond's events, the cursor's
    // own item is skipped below.
    const last = cursor !== undefined && cursor < until ? cursor : until;
    const first = query.since === undefined ? '0' : accountEventsSortKey(query.since.getTime(), '');
    // A cursor before `since` (a later window on a cursor of an earlier page) leaves nothing to read, and DynamoDB
    // refuses a BETWEEN whose bounds are reversed.
    if (last < first) return { items: [] };
    const filters = ['expiresAt > :now'];
    const values: Record<string, unknown> = {
      ':pk': accountEventsPartition(accountId),
      ':first': first,
      ':last': last,
      ':now': Math.floor(now.getTime() / 1000),
    };
    if (query.eventType !== undefined) {
      filters.push('eventType = :type');
      values[':type'] = query.eventType;
    }
    if (query.resourceId !== undefined) {
      filters.push('resourceId = :resource');
      values[':resource'] = query.resourceId;
    }
    const wanted = query.limit + 1;
    const items: { sortKey: string; event: EventSummaryRecord }[] = [];
    // The cursor's own item is read again (the key range's inclusive end; a filter may leave it out unseen):
    // it was evaluated on the page before, so it is not counted twice.
    let evaluated = cursor !== undefined && last === cursor ? -1 : 0;
    for await (const page of queryPages(this.db, {
      TableName: this.tableName,
      IndexName: index.name,
      KeyConditionExpression: `${index.partitionKey} = :pk AND ${index.sortKey} BETWEEN :first AND :last`,
      FilterExpression: filters.join(' AND '),
      ExpressionAttributeValues: values,
      ScanIndexForward: false,
      // Under a filter most items read may be left out: larger reads, fewer round trips (items are ~200 bytes).
      Limit: Math.min(filters.length > 1 ? Math.max(wanted, 250) : Math.max(wanted, 25), this.readsPerPage),
    })) {
      for (const item of page.Items ?? []) {
        const parsed = z.parse(indexItemSchema, item);
        const sortKey = parsed[index.sortKey] as string;
        if (sortKey === cursor) continue;
        items.push({
          sortKey,
          event: {
            eventId: parsed.pk.slice(eventPartitionPrefix.length),
            eventType: parsed.eventType,
            fannedOutAt: parsed.fannedOutAt,
            ...(parsed.resourceId === undefined ? {} : { resourceId: parsed.resourceId }),
            ...(parsed.occurredAt === undefined ? {} : { occurredAt: parsed.occurredAt }),
          },
        });
      }
      if (items.length >= wanted) break;
      evaluated += page.ScannedCount ?? 0;
      const stoppedAt = page.LastEvaluatedKey?.[index.sortKey];
      if (evaluated >= this.readsPerPage && typeof stoppedAt === 'string') {
        // Short, but not the end: the next page goes on from where this read stopped.
        return { items: items.map((one) => one.event), next: positionOf(stoppedAt) };
      }
    }
    const page = items.slice(0, query.limit);
    const lastShown = page.at(-1);
    return items.length > query.limit && lastShown !== undefined
      ? { items: page.map((one) => one.event), next: positionOf(lastShown.sortKey) }
      : { items: page.map((one) => one.event) };
  }
}
