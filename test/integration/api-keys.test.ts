import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiKeyConflictError,
  ApiKeyNotFoundError,
  ApiKeyStore,
  apiKeyId,
  isApiKeyId,
  newApiKey,
} from '#core/accounts/api-key-store.ts';
import { documentClient } from '#core/aws/dynamodb.ts';
import { LocalDynamoDb } from '../../sandbox/dynamodb.ts';
import { credentials } from '../support/clients.ts';

let dynamo: LocalDynamoDb;
let server: Server;
let endpoint: string;
const clients: DynamoDBClient[] = [];
let store: ApiKeyStore;
let accounts = 0;

function newClient(): DynamoDBClient {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials });
  clients.push(client);
  return client;
}

/**
 * A store whose process "crashes" (the call throws, nothing more is sent) at its `crashAt`-th write, to see
 * what a crash between a key's two writes leaves behind.
 */
function crashingStore(crashAt: number): ApiKeyStore {
  const client = newClient();
  let writes = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (/^(Put|Update|Delete)/.test(context.commandName ?? '') && ++writes === crashAt) {
        throw new Error('crashed');
      }
      return next(args);
    },
    { step: 'initialize', name: 'crashAtWrite' },
  );
  return new ApiKeyStore(documentClient(client), 'webhooks');
}

/** An account of its own for each test. */
const newAccount = () => `acct_keys_${++accounts}`;

beforeAll(async () => {
  dynamo = await LocalDynamoDb.start();
  server = createServer((req, res) => dynamo.handle(req, res)).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = newClient();
  await dynamo.ensureTable(client, 'webhooks');
  store = new ApiKeyStore(documentClient(client), 'webhooks');
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  server?.close();
  await dynamo?.close();
});

describe('API key ids', () => {
  it('are key_ and the first 16 hex digits of the key’s SHA-256, computable from the key', () => {
    const apiKey = newApiKey();
    const hash = createHash('sha256').update(apiKey).digest('hex');

    expect(apiKeyId(apiKey)).toBe(`key_${hash.slice(0, 16)}`);
    expect(isApiKeyId(apiKeyId(apiKey))).toBe(true);
    expect(isApiKeyId(apiKey)).toBe(false);
  });
});

describe('ApiKeyStore against DynamoDB (dynalite)', () => {
  it('issues keys that resolve to their account and are listed newest first by id and time', async () => {
    const account = newAccount();
    const first = newApiKey();
    const second = newApiKey();

    await store.issue(account, first);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await store.issue(account, second);

    expect(await store.accountOf(first)).toBe(account);
    expect(await store.accountOf(second)).toBe(account);
    const listed = await store.list(account);
    expect(listed.map((key) => key.id)).toEqual([apiKeyId(second), apiKeyId(first)]);
    for (const key of listed) expect(new Date(key.createdAt).toISOString()).toBe(key.createdAt);
  });

  it('refuses an unknown key and lists nothing for an account without keys', async () => {
    expect(await store.accountOf(newApiKey())).toBeUndefined();
    expect(await store.list(newAccount())).toEqual([]);
  });

  it('lists only keys, never a key or its hash, beside the account’s subscriptions', async () => {
    const account = newAccount();
    const apiKey = newApiKey();
    await store.issue(account, apiKey);
    // A subscription's item, as subscriptions live in the account's partition too.
    await documentClient(newClient()).send(
      new PutCommand({
        TableName: 'webhooks',
        Item: { pk: `ACCOUNT#${account}`, sk: 'SUBSCRIPTION#sub_beside_keys', id: 'sub_beside_keys' },
      }),
    );

    const listed = await store.list(account);

    expect(listed).toEqual([{ id: apiKeyId(apiKey), createdAt: expect.any(String) }]);
    const text = JSON.stringify(listed);
    expect(text).not.toContain(apiKey);
    expect(text).not.toContain(createHash('sha256').update(apiKey).digest('hex'));
  });

  it('issues the same key to the same account again without a second listing or a new creation time', async () => {
    const account = newAccount();
    const apiKey = newApiKey();
    await store.issue(account, apiKey);
    const before = await store.list(account);

    await store.issue(account, apiKey);

    expect(await store.list(account)).toEqual(before);
    expect(await store.accountOf(apiKey)).toBe(account);
  });

  it('refuses to issue another account’s key, and leaves both accounts as they were', async () => {
    const owner = newAccount();
    const other = newAccount();
    const apiKey = newApiKey();
    await store.issue(owner, apiKey);

    await expect(store.issue(other, apiKey)).rejects.toBeInstanceOf(ApiKeyConflictError);

    expect(await store.accountOf(apiKey)).toBe(owner);
    expect(await store.list(other)).toEqual([]);
    expect((await store.list(owner)).map((key) => key.id)).toEqual([apiKeyId(apiKey)]);
  });

  it('revokes a key given the key itself: refused at once and no longer listed', async () => {
    const account = newAccount();
    const revoked = newApiKey();
    const kept = newApiKey();
    await store.issue(account, revoked);
    await store.issue(account, kept);

    expect(await store.revoke(account, revoked)).toBe(apiKeyId(revoked));

    expect(await store.accountOf(revoked)).toBeUndefined();
    expect(await store.accountOf(kept)).toBe(account);
    expect((await store.list(account)).map((key) => key.id)).toEqual([apiKeyId(kept)]);
  });

  it('revokes a key given its id', async () => {
    const account = newAccount();
    const apiKey = newApiKey();
    await store.issue(account, apiKey);

    expect(await store.revoke(account, apiKeyId(apiKey))).toBe(apiKeyId(apiKey));

    expect(await store.accountOf(apiKey)).toBeUndefined();
    expect(await store.list(account)).toEqual([]);
  });

  it('does not revoke another account’s key, by key or by id, nor a key twice', async () => {
    const owner = newAccount();
    const other = newAccount();
    const apiKey = newApiKey();
    await store.issue(owner, apiKey);

    await expect(store.revoke(other, apiKey)).rejects.toBeInstanceOf(ApiKeyNotFoundError);
    await expect(store.revoke(other, apiKeyId(apiKey))).rejects.toBeInstanceOf(ApiKeyNotFoundError);
    expect(await store.accountOf(apiKey)).toBe(owner);
    expect((await store.list(owner)).map((key) => key.id)).toEqual([apiKeyId(apiKey)]);

    await store.revoke(owner, apiKey);
    await expect(store.revoke(owner, apiKey)).rejects.toMatchObject({
      name: 'ApiKeyNotFound',
      message: `Account ${owner} has no such API key (list its keys' ids with: list --account ${owner})`,
    });
    await expect(store.revoke(owner, apiKeyId(apiKey))).rejects.toMatchObject({
      message: `Account ${owner} has no API key ${apiKeyId(apiKey)}`,
    });
  });

  it('never names the key itself when it is not found', async () => {
    const apiKey = newApiKey();

    const refused = await store.revoke(newAccount(), apiKey).catch((error: Error) => error);

    expect(refused).toBeInstanceOf(ApiKeyNotFoundError);
    expect((refused as Error).message).not.toContain(apiKey);
  });

  it('leaves a key listed but refused when issuing crashes between its two writes', async () => {
    const account = newAccount();
    const apiKey = newApiKey();

    await expect(crashingStore(2).issue(account, apiKey)).rejects.toThrow('crashed');

    expect(await store.accountOf(apiKey)).toBeUndefined();
    expect((await store.list(account)).map((key) => key.id)).toEqual([apiKeyId(apiKey)]);
    await store.revoke(account, apiKeyId(apiKey));
    expect(await store.list(account)).toEqual([]);
  });

  it('leaves a key refused but listed when revoking crashes between its two writes, and revokes it again', async () => {
    const account = newAccount();
    const apiKey = newApiKey();
    await store.issue(account, apiKey);

    await expect(crashingStore(2).revoke(account, apiKey)).rejects.toThrow('crashed');

    expect(await store.accountOf(apiKey)).toBeUndefined();
    expect((await store.list(account)).map((key) => key.id)).toEqual([apiKeyId(apiKey)]);
    await store.revoke(account, apiKey);
    expect(await store.list(account)).toEqual([]);
  });
});
