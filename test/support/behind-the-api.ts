import { type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';

/**
 * Disables a subscription as the delivery function does (after a 410 Gone, or days of failures): its status
 * and reason set beside the API, with a new version, in the sandbox's table.
 */
export async function disableBehindTheApi(
  dynamo: DynamoDBClient,
  accountId: string,
  id: string,
  reason: string,
) {
  await dynamo.send(
    new UpdateItemCommand({
      TableName: 'webhooks',
      Key: { pk: { S: `ACCOUNT#${accountId}` }, sk: { S: `SUBSCRIPTION#${id}` } },
      UpdateExpression: 'SET #status = :disabled, disabledReason = :reason, version = version + :one',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':disabled': { S: 'disabled' },
        ':reason': { S: reason },
        ':one': { N: '1' },
      },
    }),
  );
}
