import { once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { table } from '../functions/core/platform.ts';

/** DynamoDB, served by dynalite inside the sandbox's process. */
export class LocalDynamoDb {
  private constructor(private readonly server: Server) {}

  /**
   * Starts dynalite, on disk under `dataDir` or in memory. It listens on an unexposed loopback port only so
   * that closing it flushes and closes its LevelDB store; requests reach it through {@link handle}.
   */
  static async start(dataDir?: string): Promise<LocalDynamoDb> {
    const server = dynalite({
      ...(dataDir === undefined ? {} : { path: dataDir }),
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
    }) as Server;
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return new LocalDynamoDb(server);
  }

  /** Serves one DynamoDB wire request. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    this.server.emit('request', req, res);
  }

  /**
   * Creates the platform's table with the keys the CDK app deploys, unless it exists. (dynalite has no TTL:
   * readers filter expired items themselves, as they must on AWS too.)
   */
  async ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: table.partitionKey, AttributeType: 'S' },
            { AttributeName: table.sortKey, AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: table.partitionKey, KeyType: 'HASH' },
            { AttributeName: table.sortKey, KeyType: 'RANGE' },
          ],
        }),
      );
    } catch (error) {
      // Already there from an earlier run: state lives on.
      if ((error as Error).name !== 'ResourceInUseException') throw error;
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
