import { createHash, randomBytes } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { table } from '../platform.ts';
import { isConditionFailure } from '../storage/conditions.ts';
import { queryPages } from '../storage/query-pages.ts';
import { accountPartition, apiKeyLookupKey } from '../storage/table-keys.ts';

/** A new API key: `whk_` + 32 random bytes, base64url. */
export function newApiKey(): string {
  return `whk_${randomBytes(32).toString('base64url')}`;
}

const sha256 = (apiKey: string) => createHash('sha256').update(apiKey).digest('hex');

const idOfHash = (hash: string) => `key_${hash.slice(0, 16)}`;

const apiKeyIdPattern = /^key_[0-9a-f]{16}$/;

/**
 * The public id of an API key: `key_` + the first 16 hex digits of its SHA-256 hash. It names the key in
 * listings and revocations without revealing it, and anyone holding the key can compute it.
 */
export function apiKeyId(apiKey: string): string {
  return idOfHash(sha256(apiKey));
}

/** Whether a string has the form of an {@link apiKeyId} (as opposed to a key). */
export function isApiKeyId(value: string): boolean {
  return apiKeyIdPattern.test(value);
}

/** An account's API key as listings show it: never the key nor its hash. */
export interface ListedApiKey {
  /** See {@link apiKeyId}. */
  readonly id: string;
  /** ISO 8601, when the key was first issued. */
  readonly createdAt: string;
}

/** Thrown when an account has no such key (including a key that belongs to another account). */
export class ApiKeyNotFoundError extends Error {
  override name = 'ApiKeyNotFound';
}

/** Thrown when a key cannot be issued to an account: it belongs to another one, or its id is taken. */
export class ApiKeyConflictError extends Error {
  override name = 'ApiKeyConflict';
}

const listingPrefix = 'APIKEY#';

/**
 * Where API key items live. Each key has two items: the lookup item (storage/table-keys.ts), read by the
 * authorizer on every request, and a listing item in the account's partition (beside its `SUBSCRIPTION#...`
 * items), which makes the key listable and revocable by its id.
 */
const items = {
  lookup: apiKeyLookupKey,
  listing: (accountId: string, id: string) => ({
    [table.partitionKey]: accountPartition(accountId),
    [table.sortKey]: `${listingPrefix}${id}`,
  }),
};
const keyNames = { '#pk': table.partitionKey, '#sk': table.sortKey };
const partitionKeyName = { '#pk': table.partitionKey };

const lookupItemSchema = z.object({ accountId: z.string().check(z.minLength(1)) });

const listingItemSchema = z.object({
  keyId: z.string().check(z.regex(apiKeyIdPattern)),
  keyHash: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  createdAt: z.string(),
});

type ListingItem = z.infer<typeof listingItemSchema>;

/**
 * API keys, stored only as their SHA-256 hash, each naming the account it belongs to.
 *
 * Without transactions (the sandbox's DynamoDB has none), the two items of a key are written in an order that
 * a crash between them can only leave a key that is listed but does not work, never one that works unlisted:
 * issuing writes the listing item first, revoking deletes the lookup item first.
 */
export class ApiKeyStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Records a key for an account. Idempotent for the same key and account (the first creation time stays);
   * throws {@link ApiKeyConflictError} when the key belongs to another account.
   */
  async issue(accountId: string, apiKey: string): Promise<void> {
    const hash = sha256(apiKey);
    const id = idOfHash(hash);
    const listing = items.listing(accountId, id);
    let earlier: Record<string, unknown> | undefined;
    try {
      ({ Attributes: earlier } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: listing,
          UpdateExpression: 'SET keyId = :id, keyHash = :hash, createdAt = if_not_exists(createdAt, :now)',
          ConditionExpression: 'attribute_not_exists(#pk) OR keyHash = :hash',
          ExpressionAttributeNames: partitionKeyName,
          ExpressionAttributeValues: { ':id': id, ':hash': hash, ':now': new Date().toISOString() },
          ReturnValues: 'ALL_OLD',
        }),
      ));
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      throw new ApiKeyConflictError(`Account ${accountId} already has another key with the id ${id}`, {
        cause: error,
      });
    }
    const createdAt = earlier === undefined ? undefined : z.parse(listingItemSchema, earlier).createdAt;
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...items.lookup(hash),
            accountId,
            keyId: id,
            createdAt: createdAt ?? new Date().toISOString(),
          },
          ConditionExpression: 'attribute_not_exists(#pk) OR accountId = :accountId',
          ExpressionAttributeNames: partitionKeyName,
          ExpressionAttributeValues: { ':accountId': accountId },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      if (earlier === undefined) {
        await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: listing }));
      }
      throw new ApiKeyConflictError(`The key ${id} belongs to another account`, { cause: error });
    }
  }

  /** The account a key belongs to, or undefined for an unknown or revoked key. */
  async accountOf(apiKey: string): Promise<string | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: items.lookup(sha256(apiKey)),
        // A strongly consistent read, so that a revoked key is refused from the very next request.
        ConsistentRead: true,
      }),
    );
    return Item === undefined ? undefined : z.parse(lookupItemSchema, Item).accountId;
  }

  /** An account's keys, newest first. */
  async list(accountId: string): Promise<ListedApiKey[]> {
    const listed: ListedApiKey[] = [];
    for await (const page of queryPages(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: keyNames,
      ExpressionAttributeValues: { ':pk': accountPartition(accountId), ':prefix': listingPrefix },
      ConsistentRead: true,
    })) {
      for (const item of page.Items ?? []) {
        const { keyId, createdAt } = z.parse(listingItemSchema, item);
        listed.push({ id: keyId, createdAt });
      }
    }
    // Ids are hash prefixes, so the sort key says nothing about age.
    return listed.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id));
  }

  /**
   * Revokes one of an account's keys, given the key itself or its {@link apiKeyId}, and returns its id. From
   * then on {@link accountOf} refuses it. Throws {@link ApiKeyNotFoundError} when the account has no such key.
   */
  async revoke(accountId: string, keyOrId: string): Promise<string> {
    const target = await this.findToRevoke(accountId, keyOrId);
    if (target === undefined) {
      throw new ApiKeyNotFoundError(
        isApiKeyId(keyOrId)
          ? `Account ${accountId} has no API key ${keyOrId}`
          : `Account ${accountId} has no such API key (list its keys' ids with: list --account ${accountId})`,
      );
    }
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: items.lookup(target.hash),
          ConditionExpression: 'attribute_not_exists(#pk) OR accountId = :accountId',
          ExpressionAttributeNames: partitionKeyName,
          ExpressionAttributeValues: { ':accountId': accountId },
        }),
      );
    } catch (error) {
      // The key works for another account: only this account's listing of it goes.
      if (!isConditionFailure(error)) throw error;
    }
    if (target.listed) {
      await this.db.send(
        new DeleteCommand({ TableName: this.tableName, Key: items.listing(accountId, target.id) }),
      );
    }
    return target.id;
  }

  private async findToRevoke(
    accountId: string,
    keyOrId: string,
  ): Promise<{ id: string; hash: string; listed: boolean } | undefined> {
    if (isApiKeyId(keyOrId)) {
      const listing = await this.listing(accountId, keyOrId);
      if (listing !== undefined) return { id: listing.keyId, hash: listing.keyHash, listed: true };
    }
    const hash = sha256(keyOrId);
    const id = idOfHash(hash);
    const listing = await this.listing(accountId, id);
    if (listing?.keyHash === hash) return { id, hash, listed: true };
    // Keys issued before keys were listed have only their lookup item; given the key, they can still go.
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: items.lookup(hash), ConsistentRead: true }),
    );
    if (Item !== undefined && z.parse(lookupItemSchema, Item).accountId === accountId) {
      return { id, hash, listed: false };
    }
    return undefined;
  }

  private async listing(accountId: string, id: string): Promise<ListingItem | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: items.listing(accountId, id), ConsistentRead: true }),
    );
    return Item === undefined ? undefined : z.parse(listingItemSchema, Item);
  }
}
