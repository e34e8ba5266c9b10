import { describe, expect, it } from 'vitest';
import { iamActionOf, operationsInSource } from '../support/sdk-operations.ts';

const actionsIn = (source: string) => operationsInSource('m.ts', source).map((operation) => operation.action);

describe('the commands a module constructs, as IAM actions', () => {
  it('names lib-dynamodb’s document commands by the DynamoDB operations they send', () => {
    const source = `
      import { BatchWriteCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
      await db.send(new GetCommand({ Key }));
      await db.send(new QueryCommand(input));
      await db.send(new BatchWriteCommand({ RequestItems }));`;

    expect(actionsIn(source)).toEqual(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem']);
  });

  it('names SQS’s batch operations by the single actions that authorise them', () => {
    const source = `
      import {
        ChangeMessageVisibilityBatchCommand,
        SendMessageBatchCommand as Batch,
      } from '@aws-sdk/client-sqs';
      new Batch({}); new ChangeMessageVisibilityBatchCommand({});`;

    expect(actionsIn(source)).toEqual(['sqs:SendMessage', 'sqs:ChangeMessageVisibility']);
    expect(iamActionOf('sqs', 'DeleteMessageBatch')).toBe('sqs:DeleteMessage');
    expect(iamActionOf('dynamodb', 'BatchGetItem')).toBe('dynamodb:BatchGetItem');
  });

  it('counts paginators, and leaves out clients, type-only imports and other modules’ classes', () => {
    const source = `
      import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
      import { DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
      import { DecryptCommand } from './local-kms.ts';
      const client = new DynamoDBClient({});
      for await (const page of paginateScan({ client }, {})) {}
      new DecryptCommand();`;

    expect(actionsIn(source)).toEqual(['dynamodb:Scan']);
  });

  it('refuses a command of a package it cannot name a service for', () => {
    const source = `import { PublishCommand } from '@aws-sdk/client-sns'; new PublishCommand({});`;

    expect(() => actionsIn(source)).toThrow(/PublishCommand from @aws-sdk\/client-sns/);
  });
});
