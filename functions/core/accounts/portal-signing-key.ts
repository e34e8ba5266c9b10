import { randomBytes } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { table } from '../platform.ts';
import { isConditionFailure } from '../storage/conditions.ts';
import { portalSigningKeyKey as keyItem } from '../storage/table-keys.ts';

const keyItemSchema = z.object({
  key: z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/)),
  createdAt: z.string(),
});

/** How long a function keeps the key it read before reading it again (so a replaced key takes over). */
export const signingKeyCacheMs = 5 * 60_000;
/** A signature that fails with the cached key makes a function read the key again, at most this often. */
const recheckAfterMs = 10_000;

/**
 * The platform's key for portal tokens: 32 random bytes, one item in the table, made by the first portal
 * session ever created (a conditional put, so concurrent first sessions agree on one key). Reads are strongly
 * consistent and kept in memory for {@link signingKeyCacheMs}; a key that is not there yet is never cached, so
 * the first session's token works at once everywhere.
 *
 * Replacing the key (deleting the item; the next session makes a new one) ends every portal link issued so
 * far, within the cache time at most; links made after it work at once.
 */
export class PortalSigningKeys {
  private cached: { key: Buffer; readAt: number } | undefined;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * The key, made now if there is none yet (the API function, which creates sessions). Read afresh each time
   * (one read per session), so that a new session after a replacement is signed with the new key at once.
   */
  async current(): Promise<Buffer> {
    const existing = await this.existing({ fresh: true });
    if (existing !== undefined) return existing;
    const made = randomBytes(32).toString('base64url');
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keyItem, key: made, createdAt: new Date(this.clock()).toISOString() },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': table.partitionKey },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // Another function made it first: use that one.
      const theirs = await this.existing({ fresh: true });
      if (theirs === undefined)
        throw new Error('The portal signing key vanished while it was made', { cause: error });
      return theirs;
    }
    return this.remember(made);
  }

  /**
   * The key, or undefined when no portal session was ever created (the authorizer, which only reads).
   * `fresh` reads the table even when a key is cached.
   */
  async existing(options: { fresh?: boolean } = {}): Promise<Buffer | undefined> {
    const now = this.clock();
    if (!options.fresh && this.cached !== undefined && now - this.cached.readAt < signingKeyCacheMs) {
      return this.cached.key;
    }
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keyItem, ConsistentRead: true }),
    );
    if (Item === undefined) {
      this.cached = undefined;
      return undefined;
    }
    return this.remember(z.parse(keyItemSchema, Item).key);
  }

  /**
   * Checks a token with the key: `check` is tried with the cached key, and once more with a fresh read when it
   * fails and the cached key is older than a few seconds (the key may have been replaced meanwhile).
   */
  async verify<T extends { valid: boolean }>(check: (key: Buffer) => T, none: T): Promise<T> {
    const key = await this.existing();
    if (key === undefined) return none;
    const first = check(key);
    if (first.valid || this.cached === undefined || this.clock() - this.cached.readAt < recheckAfterMs) {
      return first;
    }
    const fresh = await this.existing({ fresh: true });
    return fresh === undefined ? none : check(fresh);
  }

  private remember(encoded: string): Buffer {
    const key = Buffer.from(encoded, 'base64url');
    this.cached = { key, readAt: this.clock() };
    return key;
  }
}
