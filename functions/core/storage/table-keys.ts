import { table } from '../platform.ts';

/**
 * The single table's key layout, in one place. Every item of an account lives in the account's partition
 * (`ACCOUNT#<id>`), its kind in the sort key's prefix, so one query lists one kind of one account. Each other
 * kind of item has a partition prefix of its own, so that an IAM policy can name it (`dynamodb:LeadingKeys`,
 * lib/table-access.ts): a role that may read API keys reads nothing else.
 */
export const accountPartition = (accountId: string) => `ACCOUNT#${accountId}`;

/**
 * An API key's lookup item, by the SHA-256 hash of the key: the account it belongs to, which the authorizer
 * reads on every request. (Its listing item lives in the account's partition.)
 */
export const apiKeyLookupKey = (keyHash: string) => ({ pk: `APIKEY#${keyHash}`, sk: 'APIKEY' });

/** The one item that holds the key portal tokens are signed with. */
export const portalSigningKeyKey = { pk: 'PORTAL#SIGNING_KEY', sk: 'PORTAL#SIGNING_KEY' } as const;

/** The deployment's counter of compatible ids (the integer ids of the compatible API): one item. */
export const compatibleIdCounterKey = { pk: 'COUNTER#compatible-ids', sk: 'COUNTER' } as const;

/** Sort-key prefixes of the items in an account's partition. */
export const sortKeyPrefix = {
  subscription: 'SUBSCRIPTION#',
} as const;

/** The sort key of a subscription: its id, which sorts by creation time. */
export const subscriptionSortKey = (id: string) => `${sortKeyPrefix.subscription}${id}`;

/** The counter of an account's subscriptions, kept beside them to enforce the per-account limit. */
export const subscriptionCounterSortKey = 'COUNTER#subscriptions';

/**
 * A stored answer to an `Idempotency-Key`, by the key's hash (so any key fits). Not in the account's partition:
 * the answer to a create or a rotation shows the new signing secret, and fan-out (which lists the account's
 * partition) and the delivery lanes (which read subscriptions from it) may not read it; only the API may
 * (lib/table-access.ts). Until issue 17 these lived there, as `IDEMPOTENCY#<hash>`, and the API reads such a
 * record too while one may still be unexpired (functions/core/http/idempotency-store.ts).
 */
export const idempotencyKey = (accountId: string, keyHash: string) => ({
  pk: `IDEMPOTENCY#${accountId}`,
  sk: keyHash,
});

/**
 * A subscription's deliveries live in a partition of their own (not the account's), so one busy account
 * cannot make its partition hot, and a subscription's deliveries are listed with one query.
 */
export const webhookPartition = (subscriptionId: string) => `WEBHOOK#${subscriptionId}`;

/** The sort-key prefix of deliveries; their ids sort by their events' times. */
export const deliveryPrefix = 'DELIVERY#';

/** The sort key of a delivery. */
export const deliverySortKey = (deliveryId: string) => `${deliveryPrefix}${deliveryId}`;

/** An event's webhook body, kept once for all its deliveries (for retries and recovery). */
export const eventKey = (eventId: string) => ({ pk: `EVENT#${eventId}`, sk: 'EVENT' });

/** Beside an event: its fan-out queued every delivery (written by fan-outs before batch markers; still read). */
export const eventFannedOutKey = (eventId: string) => ({ pk: `EVENT#${eventId}`, sk: 'FANNED-OUT' });

/**
 * A fan-out batch's marker: the events of one fan-out invocation whose every delivery is queued, in one small
 * item (one write per batch instead of one per event); an event's item names the batch that claimed it last.
 */
export const fanOutBatchKey = (batchId: string) => ({ pk: `FANOUT#${batchId}`, sk: 'FANOUT' });

/** The sort-key prefix of deliveries held while their subscription's circuit is open (beside their records). */
export const heldPrefix = 'HELD#';

/** The sort key of a held delivery: its id, so the oldest come first. */
export const heldSortKey = (deliveryId: string) => `${heldPrefix}${deliveryId}`;

/** A subscription's rate-limit turns: one small item, in a partition of its own so it never heats the records'. */
export const rateLimitKey = (subscriptionId: string) => ({ pk: `RATE#${subscriptionId}`, sk: 'RATE' });

/**
 * How far an ordered subscription's deliveries of one resource have come: one small item per subscription and
 * resource, in a partition of its own (a busy subscription's resources spread over many).
 */
export const resourcePositionKey = (subscriptionId: string, resource: string) => ({
  pk: `ORDER#${subscriptionId}#${resource}`,
  sk: 'ORDER',
});

/**
 * The receives of an ordered lane's messages that their invocation skipped (they came in a batch behind one of
 * their group that waited): one small item per message group, so a message's receive count can be read as its
 * own attempts.
 */
export const skippedReceivesKey = (groupId: string) => ({ pk: `SKIPPED#${groupId}`, sk: 'SKIPPED' });

/** The partition of an account's events in the events-log index (platform.ts `table.accountEventsIndex`). */
export const accountEventsPartition = (accountId: string) => `EVENTS#${accountId}`;

/** The last time the events log's sort key can hold (2286-11-20T17:46:39.999Z): 13 digits of epoch ms. */
export const accountEventsLastTime = 9_999_999_999_999;

/**
 * An event's place in its account's events log: the time fan-out took it (epoch ms, 13 digits, so the text
 * sorts as the times do), then its id, which breaks ties. A time outside what 13 digits hold (before 1970, after
 * {@link accountEventsLastTime}) is taken as the nearest one they do: a 14th digit would sort as text, so a
 * window ending in 2300 would end before every event.
 */
export const accountEventsSortKey = (fannedOutAt: number, eventId: string) =>
  `${String(Math.min(accountEventsLastTime, Math.max(0, Math.floor(fannedOutAt)))).padStart(13, '0')}#${eventId}`;

/** The events-log index's keys of an event's item: they make the item appear in the (sparse) index. */
export const accountEventsKeys = (accountId: string, fannedOutAt: number, eventId: string) => ({
  [table.accountEventsIndex.partitionKey]: accountEventsPartition(accountId),
  [table.accountEventsIndex.sortKey]: accountEventsSortKey(fannedOutAt, eventId),
});
