/**
 * What each function may do to the table's items: per kind of item, the DynamoDB actions its code calls there
 * and nothing else. A kind of item is named by its partition key's prefix (functions/core/storage/table-keys.ts),
 * which IAM checks as `dynamodb:LeadingKeys`; `WebhookTable.grantItemsTo` writes one statement per kind.
 *
 * No function may `Scan`: `ForAllValues:StringLike` on `LeadingKeys` holds vacuously for a request that names no
 * partition, so a Scan would read every item whatever the patterns say. Every action below names its items'
 * partition key. A `Query` reads a whole partition: it is granted only where an item's neighbours are meant to be
 * read with it. The one index (the events log's, `AccountEvents`) is granted apart, on its own ARN, with its own
 * partition key's pattern ({@link indexedPartitions}): a Query of the index names that key, which IAM checks as
 * `LeadingKeys`, and the table's grants do not cover the index.
 *
 * test/integration/least-privilege.test.ts proves these lists against the code and a run through every path.
 */
import type { FunctionName } from '../functions/core/platform.ts';
import { table } from '../functions/core/platform.ts';
import {
  accountEventsPartition,
  accountPartition,
  apiKeyLookupKey,
  compatibleIdCounterKey,
  eventKey,
  fanOutBatchKey,
  idempotencyKey,
  portalSigningKeyKey,
  rateLimitKey,
  resourcePositionKey,
  skippedReceivesKey,
  webhookPartition,
} from '../functions/core/storage/table-keys.ts';

/** The table's partitions by kind, as the `dynamodb:LeadingKeys` pattern (IAM `StringLike`) of their items. */
export const partitions = {
  /** An account's events in the events-log index (its partition key's values; see indexedPartitions). */
  accountEvents: accountEventsPartition('*'),
  /** An account's subscriptions (their signing secrets sealed), their counter, its API keys' listings. */
  account: accountPartition('*'),
  /** An account's stored answers to `Idempotency-Key`s: a create's or a rotation's shows the new secret. */
  idempotency: idempotencyKey('*', '').pk,
  /** API keys' lookup items: each the account of one key's hash. */
  apiKey: apiKeyLookupKey('*').pk,
  /** The key portal tokens are signed with: one item. */
  portalSigningKey: portalSigningKeyKey.pk,
  /** The deployment's counter of compatible ids: one item. */
  compatibleIdCounter: compatibleIdCounterKey.pk,
  /** A subscription's delivery records, and the deliveries its open circuit holds. */
  webhook: webhookPartition('*'),
  /** An event's body kept for retries (and the fanned-out mark earlier fan-outs wrote beside it). */
  event: eventKey('*').pk,
  /** A fan-out batch's marker: the events whose every delivery it queued. */
  fanOutBatch: fanOutBatchKey('*').pk,
  /** A subscription's rate-limit turns. */
  rateLimit: rateLimitKey('*').pk,
  /** How far an ordered subscription's deliveries of a resource have come. */
  resourcePosition: resourcePositionKey('*', '*').pk,
  /** An ordered lane's message group's skipped receives. */
  skippedReceives: skippedReceivesKey('*').pk,
} as const;

/** A kind of item. */
export type Partition = keyof typeof partitions;

/** The partitions that are an index's rather than the table's, with the index's name: granted on its ARN. */
export const indexedPartitions: Partial<Record<Partition, string>> = {
  accountEvents: table.accountEventsIndex.name,
};

/** The DynamoDB actions a function may be granted on items (never `Scan`, see above). */
export type ItemAction =
  | 'GetItem'
  | 'Query'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'BatchGetItem'
  | 'BatchWriteItem';

/** What a function may do to one kind of item. */
export interface ItemAccess {
  readonly partition: Partition;
  readonly actions: readonly ItemAction[];
}

/** The delivery lanes' common access: the subscription, the records, the held deliveries, the bodies, the turns. */
const deliveryAccess = [
  // Reads the subscription; notes its endpoint's health, circuit, lane and back-off on it.
  { partition: 'account', actions: ['GetItem', 'UpdateItem'] },
  // Reads and writes a delivery's record; holds deliveries while a circuit is open (put), pages through and
  // removes them when it closes (query, batch delete).
  { partition: 'webhook', actions: ['GetItem', 'UpdateItem', 'PutItem', 'Query', 'BatchWriteItem'] },
  // Reads the kept bodies of released held deliveries.
  { partition: 'event', actions: ['BatchGetItem'] },
  // Takes turns under a subscription's rate limit.
  { partition: 'rateLimit', actions: ['UpdateItem'] },
] as const satisfies readonly ItemAccess[];

/** Each function's access to the table's items; a function without any reads no `TABLE_NAME`. */
export const tableAccess = {
  // Resolves an API key (its lookup item) or a portal token (the signing key) to an account: reads only.
  authorizer: [
    { partition: 'apiKey', actions: ['GetItem'] },
    { partition: 'portalSigningKey', actions: ['GetItem'] },
  ],
  api: [
    // Subscriptions (create, read, list, update, delete, rotate) and their counter; idempotent answers kept there
    // before they had a partition of their own are read (GetItem) while they last.
    { partition: 'account', actions: ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem'] },
    // Idempotent answers: claimed, read, completed, released. Only the API's: they may show a new secret.
    { partition: 'idempotency', actions: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'] },
    // Delivery records: read, listed, the failed ones found for recovery, and an event's read by key (batched).
    { partition: 'webhook', actions: ['GetItem', 'Query', 'BatchGetItem'] },
    // The bodies of the deliveries a client retries or recovers, and of the events the events log shows.
    { partition: 'event', actions: ['BatchGetItem'] },
    // The events log: an account's events, listed through the index (never their bodies: not projected).
    { partition: 'accountEvents', actions: ['Query'] },
    // Whether a retry of an ordered delivery would reorder its resource.
    { partition: 'resourcePosition', actions: ['GetItem'] },
    // Signs portal sessions; the first one makes the key.
    { partition: 'portalSigningKey', actions: ['GetItem', 'PutItem'] },
    // Gives each jwt subscription its compatible id.
    { partition: 'compatibleIdCounter', actions: ['UpdateItem'] },
  ],
  fanOut: [
    // Lists an account's subscriptions to match an event against.
    { partition: 'account', actions: ['Query'] },
    // Claims the event by keeping its body (a put); a repeat reads it back, and takes over the claim of a fan-out
    // that stopped half-way.
    { partition: 'event', actions: ['PutItem', 'Query', 'UpdateItem'] },
    // Marks its batch's events fanned out; a repeat reads the marker of the batch that claimed its event.
    { partition: 'fanOutBatch', actions: ['PutItem', 'GetItem'] },
    // A test event's pending record, which its sender looks up at once.
    { partition: 'webhook', actions: ['PutItem'] },
  ],
  delivery: deliveryAccess,
  slowDelivery: deliveryAccess,
  orderedDelivery: [
    // Reads the subscription; notes its health and circuit (an ordered delivery takes the probe itself).
    { partition: 'account', actions: ['GetItem', 'UpdateItem'] },
    // A delivery's record: its attempts and waits (an ordered delivery keeps its message and holds nothing).
    { partition: 'webhook', actions: ['GetItem', 'UpdateItem'] },
    { partition: 'rateLimit', actions: ['UpdateItem'] },
    // Its resource's position: read before sending, moved forward after a 2xx.
    { partition: 'resourcePosition', actions: ['GetItem', 'UpdateItem'] },
    // The receives a batch skipped (noted, read, forgotten).
    { partition: 'skippedReceives', actions: ['GetItem', 'UpdateItem'] },
  ],
  retryRelay: [],
} as const satisfies Record<FunctionName, readonly ItemAccess[]>;
