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
