import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { documentClient } from '#core/aws/dynamodb.ts';
import { LocalDynamoDb } from '../../sandbox/dynamodb.ts';
import { credentials } from './clients.ts';

/**
 * The platform's table (`webhooks`) on the sandbox's DynamoDB (dynalite), served over HTTP on loopback for the
 * test file (started before its tests, closed after them): the stores talk to it as they talk to DynamoDB.
 * Answers the document client to build stores on, once the file's `beforeAll` ran.
 */
export function useLocalTable(): () => DynamoDBDocumentClient {
  let dynamo: LocalDynamoDb | undefined;
  let server: Server | undefined;
  let client: DynamoDBClient | undefined;
  let db: DynamoDBDocumentClient | undefined;
  beforeAll(async () => {
    dynamo = await LocalDynamoDb.start();
    const local = dynamo;
    server = createServer((req, res) => local.handle(req, res)).listen(0, '127.0.0.1');
    await new Promise((resolve) => server?.once('listening', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials });
    await dynamo.ensureTable(client, 'webhooks');
    db = documentClient(client);
  });
  afterAll(async () => {
    client?.destroy();
    server?.close();
    await dynamo?.close();
  });
  return () => {
    if (db === undefined) throw new Error('The local table is not started yet');
    return db;
  };
}

/**
 * Makes a table keyed as the platform's (`pk`, `sk`) without its index, as the sandbox made it before the events
 * log, and waits until it is active: dynalite answers CreateTable with CREATING and turns the table ACTIVE a tick
 * later, refusing its reads and writes until then (a test that wrote at once failed under CI's load).
 */
export async function createKeyedTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
  const status = async () =>
    (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.TableStatus;
  while ((await status()) !== 'ACTIVE') await new Promise((resolve) => setTimeout(resolve, 10));
}
