import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionally } from '../storage/conditions.ts';
import { accountPartition, sortKeyPrefix } from '../storage/table-keys.ts';
import { isSealedSecret, type SecretSealer, sealSecrets } from './secret-box.ts';
import { legacySubscriptionAttributes, type Subscription } from './subscription.ts';
import { parseSubscription, subscriptionKey } from './subscription-items.ts';

/**
 * The upgrade pass that seals the signing secrets items written before secrets were sealed still hold in plain
 * text (`whsec_...`, current and previous ones), which the API would otherwise seal only at the item's next
 * write (design notes: Signing secrets at rest). An operator's one-off, run with the operator's credentials
 * (`npm run seal-secrets`): no function's role may Scan the table, and none needs to.
 */

/** How many times an item that changed between its read and its write is read and sealed again. */
export const sealAttempts = 3;

/** How many items of a page are sealed at once (each one to three KMS `Encrypt` requests and one write). */
const itemsAtOnce = 10;

/** A subscription item the pass left as it was, and why; never a secret. */
export interface SkippedItem {
  readonly accountId: string;
  readonly subscriptionId: string;
  /** `changed`: written by another writer on each of {@link sealAttempts} tries; `unreadable`: not a subscription. */
  readonly reason: 'changed' | 'unreadable';
}

/** What a pass did (or, in a dry run, would do). */
export interface SealReport {
  /** Items the scan read, of every kind. */
  readonly scanned: number;
  /** Subscription items among them. */
  readonly subscriptions: number;
  /** Subscriptions that held no plain secret. */
  readonly alreadySealed: number;
  /** Subscriptions written with their plain secrets sealed (in a dry run: that would be). */
  readonly sealedItems: number;
  /** The plain secrets sealed in them, current and previous ones. */
  readonly sealedSecrets: number;
  /** Subscriptions another writer (the API) sealed between the scan and this pass's write. */
  readonly sealedMeanwhile: number;
  /** Subscriptions deleted between the scan and this pass's write. */
  readonly deletedMeanwhile: number;
  readonly skipped: readonly SkippedItem[];
}

export interface SealPassOptions {
  /** Count what would be sealed; seal (ask KMS) and write nothing. @default false */
  readonly dryRun?: boolean;
  /** Parallel scan segments (DynamoDB's `TotalSegments`), for a large table. @default 1 */
  readonly segments?: number;
}

/** The number of secrets stored in plain text in a subscription: its current one and each previous one. */
export function plainSecretCount(subscription: Subscription): number {
  const secrets = [subscription.secret, ...(subscription.previousSecrets ?? []).map((p) => p.secret)];
  return secrets.filter((secret) => !isSealedSecret(secret)).length;
}

type Outcome =
  | { readonly kind: 'alreadySealed' | 'sealedMeanwhile' | 'deletedMeanwhile' }
  | { readonly kind: 'sealed'; readonly secrets: number }
  | { readonly kind: 'skipped'; readonly item: SkippedItem };

/**
 * Seals every plain secret of every subscription in the table with `sealer` (the API's sealer: the same key and
 * encryption context), and reports what it did. Each item is written back only if it is unchanged since it was
 * read (its `version`, which every API write bumps, and its current secret), and only its secrets are written:
 * what the delivery path keeps beside them, written without a version bump, is left alone, and so are `version`
 * and `updatedAt` (a client's ETag stays valid: nothing it sees changed). An item changed meanwhile is read
 * again and sealed again, up to {@link sealAttempts} times, then skipped and reported. Idempotent: a pass over
 * a table it sealed finds nothing to do, asks KMS nothing and writes nothing.
 */
export async function sealPlainSecrets(
  db: DynamoDBDocumentClient,
  tableName: string,
  sealer: SecretSealer,
  options: SealPassOptions = {},
): Promise<SealReport> {
  const segments = options.segments ?? 1;
  if (!Number.isInteger(segments) || segments < 1 || segments > 1_000_000) {
    throw new RangeError(`segments must be a whole number from 1 to 1000000, got ${segments}`);
  }
  const pass = new SealPass(db, tableName, sealer, options.dryRun ?? false);
  await Promise.all(Array.from({ length: segments }, (_, segment) => pass.scan(segment, segments)));
  return pass.report();
}

class SealPass {
  #scanned = 0;
  readonly #outcomes: Outcome[] = [];

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly sealer: SecretSealer,
    private readonly dryRun: boolean,
  ) {}

  /** Scans one segment of the table, page by page, sealing each page's subscriptions before the next is read. */
  async scan(segment: number, segments: number): Promise<void> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'begins_with(pk, :account) AND begins_with(sk, :subscription)',
          ExpressionAttributeValues: {
            ':account': accountPartition(''),
            ':subscription': sortKeyPrefix.subscription,
          },
          ...(segments > 1 ? { Segment: segment, TotalSegments: segments } : {}),
          ExclusiveStartKey: startKey,
        }),
      );
      this.#scanned += page.ScannedCount ?? 0;
      const items = page.Items ?? [];
      for (let start = 0; start < items.length; start += itemsAtOnce) {
        const outcomes = await Promise.all(items.slice(start, start + itemsAtOnce).map((i) => this.seal(i)));
        this.#outcomes.push(...outcomes);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  }

  report(): SealReport {
    const count = (kind: Outcome['kind']) => this.#outcomes.filter((o) => o.kind === kind).length;
    return {
      scanned: this.#scanned,
      subscriptions: this.#outcomes.length,
      alreadySealed: count('alreadySealed'),
      sealedItems: count('sealed'),
      sealedSecrets: this.#outcomes.reduce((sum, o) => sum + (o.kind === 'sealed' ? o.secrets : 0), 0),
      sealedMeanwhile: count('sealedMeanwhile'),
      deletedMeanwhile: count('deletedMeanwhile'),
      skipped: this.#outcomes.flatMap((o) => (o.kind === 'skipped' ? [o.item] : [])),
    };
  }

  /** Seals one item's plain secrets, reading it again each time another writer got there first. */
  private async seal(scanned: Record<string, unknown>): Promise<Outcome> {
    let item = scanned;
    for (let attempt = 1; attempt <= sealAttempts; attempt++) {
      let subscription: Subscription;
      try {
        subscription = parseSubscription(item);
      } catch {
        // Zod's message may quote the item's values, a secret among them: only the item's key is told.
        return { kind: 'skipped', item: { ...keyNames(item), reason: 'unreadable' } };
      }
      const plain = plainSecretCount(subscription);
      if (plain === 0) return { kind: attempt === 1 ? 'alreadySealed' : 'sealedMeanwhile' };
      if (this.dryRun) return { kind: 'sealed', secrets: plain };
      if (await this.write(subscription, await sealSecrets(subscription, this.sealer))) {
        return { kind: 'sealed', secrets: plain };
      }
      const { Item } = await this.db.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: item.pk, sk: item.sk },
          ConsistentRead: true,
        }),
      );
      if (Item === undefined) return { kind: 'deletedMeanwhile' };
      item = Item;
    }
    return { kind: 'skipped', item: { ...keyNames(item), reason: 'changed' } };
  }

  /**
   * Writes the sealed secrets over those read, if the item still holds what was read; false when it does not
   * (or is gone). Previous secrets of an older item shape (`previousSecret`) are stored in the current one.
   */
  private write(read: Subscription, sealed: Subscription): Promise<boolean> {
    const previous = sealed.previousSecrets === undefined ? '' : ', #previousSecrets = :previousSecrets';
    const legacy = legacySubscriptionAttributes.map((name) => `#${name}`).join(', ');
    return conditionally(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: subscriptionKey(read.accountId, read.id),
          UpdateExpression: `SET #secret = :secret${previous} REMOVE ${legacy}`,
          ConditionExpression: '#version = :version AND #secret = :readSecret',
          ExpressionAttributeNames: {
            '#secret': 'secret',
            '#version': 'version',
            ...(sealed.previousSecrets === undefined ? {} : { '#previousSecrets': 'previousSecrets' }),
            ...Object.fromEntries(legacySubscriptionAttributes.map((name) => [`#${name}`, name])),
          },
          ExpressionAttributeValues: {
            ':secret': sealed.secret,
            ':readSecret': read.secret,
            ':version': read.version,
            ...(sealed.previousSecrets === undefined ? {} : { ':previousSecrets': sealed.previousSecrets }),
          },
        }),
      ),
    );
  }
}

/** The account and subscription an item names by its key (what a report may say of it). */
function keyNames(item: Record<string, unknown>): { accountId: string; subscriptionId: string } {
  return {
    accountId: String(item.pk).slice(accountPartition('').length),
    subscriptionId: String(item.sk).slice(sortKeyPrefix.subscription.length),
  };
}
