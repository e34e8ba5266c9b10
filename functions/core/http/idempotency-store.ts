import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { isConditionFailure } from '../storage/conditions.ts';
import { accountPartition, idempotencyKey } from '../storage/table-keys.ts';
import {
  type IdempotencyPorts,
  type IdempotencyRecord,
  idempotencyLockSeconds,
  idempotencyWindowSeconds,
  type StoredAnswer,
} from './idempotency.ts';

const recordSchema = z.object({
  fingerprint: z.string(),
  expiresAt: z.number(),
  lockedUntil: z.optional(z.number()),
  answer: z.optional(
    z.object({ statusCode: z.number(), headers: z.record(z.string(), z.string()), body: z.string() }),
  ),
});

/**
 * Where a record was kept before records had a partition of their own: in the account's, beside its
 * subscriptions. One from before the upgrade is honoured while it lasts (24 hours at most), so that a retry of a
 * request answered before gets the same answer, not a second subscription: drop this read once every deployment
 * has run the upgrade for a day.
 */
const earlierKey = (accountId: string, keyHash: string) => ({
  pk: accountPartition(accountId),
  sk: `IDEMPOTENCY#${keyHash}`,
});

/**
 * `Idempotency-Key` records in the single table, in a partition per account of their own (storage/table-keys.ts
 * says why), expiring by TTL.
 */
export class IdempotencyStore implements IdempotencyPorts {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  private key(accountId: string, keyHash: string) {
    return idempotencyKey(accountId, keyHash);
  }

  readonly claim = async (
    accountId: string,
    keyHash: string,
    fingerprint: string,
  ): Promise<'claimed' | IdempotencyRecord> => {
    const now = this.now();
    const earlier = await this.earlier(accountId, keyHash, now);
    if (earlier !== undefined) return earlier;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await this.db.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              ...this.key(accountId, keyHash),
              fingerprint,
              lockedUntil: now + idempotencyLockSeconds * 1000,
              expiresAt: Math.ceil(now / 1000) + idempotencyWindowSeconds,
            },
            // Free when absent, expired (TTL deletes late), or claimed by a request that never finished.
            ConditionExpression:
              'attribute_not_exists(pk) OR expiresAt < :nowSeconds OR (attribute_not_exists(answer) AND lockedUntil < :nowMs)',
            ExpressionAttributeValues: { ':nowSeconds': Math.floor(now / 1000), ':nowMs': now },
          }),
        );
        return 'claimed';
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      const { Item } = await this.db.send(
        new GetCommand({
          TableName: this.tableName,
          Key: this.key(accountId, keyHash),
          ConsistentRead: true,
        }),
      );
      // Gone between the two calls (its request failed and let go): claim again.
      if (Item !== undefined) {
        const record = z.parse(recordSchema, Item);
        return record.answer === undefined ? { fingerprint: record.fingerprint } : record;
      }
    }
    return 'claimed';
  };

  readonly complete = async (accountId: string, keyHash: string, answer: StoredAnswer): Promise<void> => {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: this.key(accountId, keyHash),
        UpdateExpression: 'SET answer = :answer REMOVE lockedUntil',
        ExpressionAttributeValues: { ':answer': answer },
      }),
    );
  };

  readonly release = async (accountId: string, keyHash: string): Promise<void> => {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: this.key(accountId, keyHash) }));
  };

  /** A record kept where records were kept before (see {@link earlierKey}) that still holds: answered, or claimed. */
  private async earlier(
    accountId: string,
    keyHash: string,
    now: number,
  ): Promise<IdempotencyRecord | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: earlierKey(accountId, keyHash),
        ConsistentRead: true,
      }),
    );
    if (Item === undefined) return undefined;
    const record = z.parse(recordSchema, Item);
    if (record.expiresAt < Math.floor(now / 1000)) return undefined;
    if (record.answer !== undefined) return record;
    return (record.lockedUntil ?? 0) < now ? undefined : { fingerprint: record.fingerprint };
  }
}
