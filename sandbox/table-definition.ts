import {
  BatchWriteItemCommand,
  type BatchWriteItemCommandOutput,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ScanCommand,
  type TableDescription,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { table } from '../functions/core/platform.ts';

const index = table.accountEventsIndex;

/** The platform's table as the CDK app deploys it (lib/webhook-table.ts): keys and the events-log index. */
const definition = (tableName: string) =>
  new CreateTableCommand({
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: table.partitionKey, AttributeType: 'S' },
      { AttributeName: table.sortKey, AttributeType: 'S' },
      { AttributeName: index.partitionKey, AttributeType: 'S' },
      { AttributeName: index.sortKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: table.partitionKey, KeyType: 'HASH' },
      { AttributeName: table.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.projected] },
      },
    ],
  });

/** The table's description, or undefined when there is no such table. */
async function describe(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

/** Waits until the table is active (`gone: false`) or gone (`gone: true`); dynalite takes a tick for either. */
async function settle(client: DynamoDBClient, tableName: string, gone: boolean): Promise<void> {
  for (;;) {
    const described = await describe(client, tableName);
    if (gone ? described === undefined : described?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function create(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(definition(tableName));
  } catch (error) {
    if ((error as Error).name !== 'ResourceInUseException') throw error;
  }
  await settle(client, tableName, false);
}

/**
 * Makes a table with the platform's keys and no index (as the sandbox made its table before the events log; the
 * copy a move goes through) and waits until it is active: dynalite answers CreateTable with CREATING and refuses
 * reads and writes until its next tick.
 */
export async function createKeysOnlyTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: definition(tableName).input.AttributeDefinitions?.slice(0, 2),
      KeySchema: definition(tableName).input.KeySchema,
    }),
  );
  await settle(client, tableName, false);
}

async function drop(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new DeleteTableCommand({ TableName: tableName }));
  await settle(client, tableName, true);
}

/** Copies every item of one table into another (puts: copying again is harmless). */
async function copyItems(client: DynamoDBClient, from: string, to: string): Promise<void> {
  let startKey: Record<string, never> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: from, ExclusiveStartKey: startKey }));
    const items = page.Items ?? [];
    for (let start = 0; start < items.length; start += 25) {
      let requests: WriteRequest[] | undefined = items
        .slice(start, start + 25)
        .map((Item) => ({ PutRequest: { Item } }));
      while (requests !== undefined && requests.length > 0) {
        const written: BatchWriteItemCommandOutput = await client.send(
          new BatchWriteItemCommand({ RequestItems: { [to]: requests } }),
        );
        requests = written.UnprocessedItems?.[to];
      }
    }
    startKey = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (startKey !== undefined);
}

const hasIndex = (described: TableDescription | undefined) =>
  described?.GlobalSecondaryIndexes?.some((one) => one.IndexName === index.name) === true;

/**
 * Makes the platform's table as the CDK app deploys it, unless it exists; a table kept in a data directory from
 * before the events log (issue 19) gets its `AccountEvents` index. dynalite's UpdateTable cannot create an index
 * (only change its throughput), so the items move through a copy: into `<table>-before-<index>`, the table made
 * again with the index, the items back, the copy deleted. A run stopped half-way is finished by the next start
 * (the copy is only deleted once every item is back). Items kept before get no index keys, so older events stay
 * out of the log. (dynalite has no TTL: readers filter expired items themselves, as they must on AWS too.)
 */
export async function ensurePlatformTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const copy = `${tableName}-before-${index.name}`;
  let current = await describe(client, tableName);
  if (current !== undefined && !hasIndex(current)) {
    // Copying out (again, if an earlier start stopped while copying out: the table is still whole).
    if ((await describe(client, copy)) !== undefined) await drop(client, copy);
    await createKeysOnlyTable(client, copy);
    await copyItems(client, tableName, copy);
    await drop(client, tableName);
    current = undefined;
  }
  if (current === undefined) await create(client, tableName);
  if ((await describe(client, copy)) !== undefined) {
    await copyItems(client, copy, tableName);
    await drop(client, copy);
  }
}
