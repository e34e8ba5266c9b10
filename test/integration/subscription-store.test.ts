import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '#core/dynamodb.ts';
import type { Subscription } from '#core/subscriptions/subscription.ts';
import { SubscriptionStore } from '#core/subscriptions/subscription-store.ts';
import { LocalDynamoDb } from '../../local/dynamodb.ts';
import { credentials } from '../support/clients.ts';

let dynamo: LocalDynamoDb;
let server: Server;
let client: DynamoDBClient;
let store: SubscriptionStore;

beforeAll(async () => {
  dynamo = await LocalDynamoDb.start();
  server = createServer((req, res) => dynamo.handle(req, res)).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials });
  await dynamo.ensureTable(client, 'webhooks');
  store = new SubscriptionStore(documentClient(client), 'webhooks');
});

afterAll(async () => {
  client?.destroy();
  server?.close();
  await dynamo?.close();
});

function subscription(id: string, accountId = 'acct_store'): Subscription {
  return {
    id,
    accountId,
    name: id,
    url: 'https://hooks.example.com/in',
    events: ['order.*'],
    filter: '{"data":{"status":["Shipped"]}}',
    status: 'active',
    secrets: ['whsec_c2VjcmV0'],
    metadata: { team: 'ops' },
    createdAt: '2026-11-27T00:00:00.000Z',
    updatedAt: '2026-11-27T00:00:00.000Z',
    version: 1,
  };
}

describe('SubscriptionStore against DynamoDB (dynalite)', () => {
  it('stores a subscription and reads it back whole, within its account only', async () => {
    await store.create(subscription('sub_a'));

    expect(await store.get('acct_store', 'sub_a')).toEqual(subscription('sub_a'));
    expect(await store.get('acct_other', 'sub_a')).toBeUndefined();
  });

  it('refuses a second subscription with the same id', async () => {
    await expect(store.create(subscription('sub_a'))).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
    });
  });

  it('lists an account’s subscriptions oldest first, and their routing without secrets', async () => {
    await store.create(subscription('sub_b'));
    await store.create(subscription('sub_c', 'acct_elsewhere'));

    const all = await store.listAll('acct_store');
    const routing = await store.listRouting('acct_store');

    expect(all.map((s) => s.id)).toEqual(['sub_a', 'sub_b']);
    expect(routing).toEqual([
      {
        id: 'sub_a',
        accountId: 'acct_store',
        status: 'active',
        events: ['order.*'],
        filter: subscription('a').filter,
      },
      {
        id: 'sub_b',
        accountId: 'acct_store',
        status: 'active',
        events: ['order.*'],
        filter: subscription('b').filter,
      },
    ]);
  });

  it('sets a status with its reason and a new version, and ignores a deleted subscription', async () => {
    await store.setStatus('acct_store', 'sub_b', 'disabled', 'The endpoint answered 410 Gone');
    await store.setStatus('acct_store', 'sub_missing', 'disabled', 'gone');

    expect(await store.get('acct_store', 'sub_b')).toMatchObject({
      status: 'disabled',
      disabledReason: 'The endpoint answered 410 Gone',
      version: 2,
    });
    expect(await store.get('acct_store', 'sub_missing')).toBeUndefined();
  });
});
