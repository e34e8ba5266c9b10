import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
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
