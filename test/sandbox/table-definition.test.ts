import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { documentClient } from '#core/aws/dynamodb.ts';
import { EventLogStore } from '#core/deliveries/event-log-store.ts';
import { EventStore } from '#core/deliveries/event-store.ts';
import { LocalDynamoDb } from '../../sandbox/dynamodb.ts';
import { createKeysOnlyTable } from '../../sandbox/table-definition.ts';
import { credentials } from '../support/clients.ts';

/**
 * The sandbox's table gets the events log's index (issue 19), also when its data directory was made before:
 * dynalite cannot add an index to a table, so the items move through a copy, and a start stopped half-way is
 * finished by the next.
 */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The sandbox's DynamoDB on a data directory, with a client on it; closed after the test. */
async function start(dataDir: string) {
  const local = await LocalDynamoDb.start(dataDir);
  const server = createServer((req, res) => local.handle(req, res)).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    credentials,
  });
  const stop = async () => {
    client.destroy();
    server.closeAllConnections();
    server.close();
    await local.close();
  };
  return { local, client, stop };
}

const subscriptionItem = (n: number) => ({
  pk: { S: 'ACCOUNT#acct_1' },
  sk: { S: `SUBSCRIPTION#sub_${n}` },
  name: { S: `Kept ${n}` },
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hookbridge-table-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Reopens the directory as `npm start` does, and checks the table has the index, every item and a working log. */
async function expectMigrated(dir: string, items: number) {
  const { local, client, stop } = await start(dir);
  cleanups.push(stop);
  await local.ensureTable(client, 'webhooks');

  const { Table } = await client.send(new DescribeTableCommand({ TableName: 'webhooks' }));
  expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual(['AccountEvents']);
  const { Items = [] } = await client.send(new ScanCommand({ TableName: 'webhooks' }));
  expect(Items.map((item) => item.name?.S).sort()).toEqual(
    Array.from({ length: items }, (_, n) => `Kept ${n}`).sort(),
  );
  expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual(['webhooks']);
  const db = documentClient(client);
  await new EventStore(db, 'webhooks').claim({
    eventId: 'evt_new',
    accountId: 'acct_1',
    eventType: 'order.created',
    body: '{}',
    fannedOutAt: Date.now(),
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
  });
  expect((await new EventLogStore(db, 'webhooks').page('acct_1', { limit: 5 })).items).toMatchObject([
    { eventId: 'evt_new' },
  ]);
}

describe('the sandbox’s table', () => {
  it('gives a table kept from before the events log its index, keeping every item', async () => {
    const dir = await dataDir();
    const before = await start(dir);
    await createKeysOnlyTable(before.client, 'webhooks');
    for (let n = 0; n < 30; n++)
      await before.client.send(new PutItemCommand({ TableName: 'webhooks', Item: subscriptionItem(n) }));
    await before.stop();

    await expectMigrated(dir, 30);
  });

  it('finishes a move stopped after the table was dropped: the items come back from the copy', async () => {
    const dir = await dataDir();
    const stopped = await start(dir);
    await createKeysOnlyTable(stopped.client, 'webhooks-before-AccountEvents');
    for (let n = 0; n < 3; n++) {
      await stopped.client.send(
        new PutItemCommand({ TableName: 'webhooks-before-AccountEvents', Item: subscriptionItem(n) }),
      );
    }
    await stopped.stop();

    await expectMigrated(dir, 3);
  });
});
