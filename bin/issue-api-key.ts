/**
 * The operator's tool for API keys: issues a new key for an account and prints it once (only its SHA-256 hash
 * is stored). Usage:
 *   npm run issue-api-key -- --account ACCOUNT_ID --table TABLE_NAME            (AWS, with your credentials)
 *   npm run issue-api-key -- --account acct_1 --table webhooks --endpoint http://127.0.0.1:4566   (the sandbox)
 */
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ApiKeyStore, newApiKey } from '../functions/core/accounts/api-key-store.ts';
import { documentClient } from '../functions/core/dynamodb.ts';

const usage =
  'Usage: npm run issue-api-key -- --account ACCOUNT_ID --table TABLE_NAME [--endpoint URL] [--region REGION]';

function options() {
  try {
    return parseArgs({
      options: {
        account: { type: 'string' },
        table: { type: 'string' },
        endpoint: { type: 'string' },
        region: { type: 'string' },
      },
      strict: true,
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
}

const values = options();
if (!values.account || !/^[\w.-]{1,128}$/.test(values.account) || !values.table) {
  console.error(`--account (letters, digits, _ . -; at most 128) and --table are required.\n${usage}`);
  process.exit(2);
}
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const sandbox = values.endpoint !== undefined;
const client = new DynamoDBClient({
  ...(values.region === undefined ? {} : { region: values.region }),
  ...(sandbox
    ? {
        endpoint: values.endpoint,
        region: values.region ?? 'us-east-1',
        credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
      }
    : {}),
});

const apiKey = newApiKey();
await new ApiKeyStore(documentClient(client), values.table).issue(values.account, apiKey);
console.log(`API key for ${values.account}: ${apiKey}`);
console.log('It is shown only now; the table keeps only its hash.');
