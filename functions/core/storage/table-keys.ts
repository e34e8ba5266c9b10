/**
 * The single table's key layout, in one place. Every item of an account lives in the account's partition
 * (`ACCOUNT#<id>`), its kind in the sort key's prefix, so one query lists one kind of one account.
 */
export const accountPartition = (accountId: string) => `ACCOUNT#${accountId}`;

/** Sort-key prefixes of the items in an account's partition. */
export const sortKeyPrefix = {
  subscription: 'SUBSCRIPTION#',
  idempotency: 'IDEMPOTENCY#',
} as const;

/** The sort key of a subscription: its id, which sorts by creation time. */
export const subscriptionSortKey = (id: string) => `${sortKeyPrefix.subscription}${id}`;

/** The counter of an account's subscriptions, kept beside them to enforce the per-account limit. */
export const subscriptionCounterSortKey = 'COUNTER#subscriptions';

/** The sort key of a stored answer to an `Idempotency-Key` (its hash, so any key fits). */
export const idempotencySortKey = (keyHash: string) => `${sortKeyPrefix.idempotency}${keyHash}`;

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

/** Beside an event: its fan-out queued every delivery. */
export const eventFannedOutKey = (eventId: string) => ({ pk: `EVENT#${eventId}`, sk: 'FANNED-OUT' });

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
