import { createHash, randomBytes } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';

const keyItem = (apiKey: string) => ({
  pk: `APIKEY#${createHash('sha256').update(apiKey).digest('hex')}`,
  sk: 'APIKEY',
});

/** A new API key: `whk_` + 32 random bytes, base64url. */
export function newApiKey(): string {
  return `whk_${randomBytes(32).toString('base64url')}`;
}

/** API keys, stored only as their SHA-256 hash, each naming the account it belongs to. */
export class ApiKeyStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Records a key for an account (idempotent for the same key and account). */
  async issue(accountId: string, apiKey: string): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keyItem(apiKey), accountId, createdAt: new Date().toISOString() },
      }),
    );
  }

  /** The account a key belongs to, or undefined for an unknown key. */
  async accountOf(apiKey: string): Promise<string | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keyItem(apiKey) }));
    return typeof Item?.accountId === 'string' ? Item.accountId : undefined;
  }
}
