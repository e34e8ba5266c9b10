/**
 * The operator's tool for API keys: create, list and revoke an account's keys, in a deployed stack's table or
 * in the local sandbox. `npm run keys -- --help` says how. Failures are one line on stderr: exit code 1, or 2
 * for a wrong command line.
 */
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ApiKeyNotFoundError,
  ApiKeyStore,
  apiKeyId,
  type ListedApiKey,
  newApiKey,
} from '../functions/core/accounts/api-key-store.ts';
import { documentClient } from '../functions/core/aws/dynamodb.ts';
import {
  clientConfig,
  explainAwsFailure,
  invocationOf,
  isEndpointUrl,
  parseFailure,
  UsageError,
} from './operator-cli.ts';

const usage = `Usage: npm run keys -- <command> --account ID (--endpoint URL | --table NAME) [options]

Creates, lists and revokes the API keys that authenticate an account's calls to the webhook API.

Commands:
  create               Issue a new key. Prints its id, then the key alone on the last line. The key is
                       shown only now: the table keeps only its SHA-256 hash.
  list                 The account's keys, newest first: id and creation time (never the key).
  revoke --key KEY     Revoke a key, given the key itself (whk_...) or its id (key_...). The API refuses it
                       from the next request on.

Options:
  --account ID         The account (letters, digits, _ . -; at most 128 characters).
  --endpoint URL       A local sandbox (npm start), e.g. http://127.0.0.1:4566. The table defaults to
                       webhooks, the credentials to dummy values (unless AWS_ACCESS_KEY_ID is set).
  --table NAME         The table: a deployed stack's TableName output. Without --endpoint, AWS credentials
                       and region come from the default chain (environment, AWS_PROFILE, ~/.aws).
  --region REGION      The table's region, when it is not the default one.
  -h, --help           This text.

Examples:
  KEY=$(npm run -s keys -- create --account acct_42 --endpoint http://127.0.0.1:4566 | tail -1)
  npm run keys -- list --account acct_42 --table <TableName output> --region eu-west-1
  npm run keys -- revoke --account acct_42 --key key_0123456789abcdef --table <TableName output>

Exit status: 0 done; 1 failed (no such key, table or endpoint; no credentials); 2 wrong command line.`;

const commands = ['create', 'list', 'revoke'] as const;
type Command = (typeof commands)[number];

interface Invocation {
  readonly command: Command;
  readonly account: string;
  readonly key?: string;
  readonly endpoint?: string;
  readonly table: string;
  readonly region?: string;
}

function parse(args: string[]): Invocation | 'help' {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(args);
  } catch (error) {
    throw new UsageError(parseFailure(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [command, ...extra] = positionals;
  if (command === undefined) throw new UsageError(`Name a command: ${commands.join(', ')}`);
  if (!(commands as readonly string[]).includes(command)) {
    throw new UsageError(`Unknown command "${command}": use ${commands.join(', ')}`);
  }
  if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}"`);
  if (values.account === undefined) throw new UsageError('--account ID is required');
  if (!/^[\w.-]{1,128}$/.test(values.account)) {
    throw new UsageError('--account must be letters, digits, _ . - (at most 128 characters)');
  }
  if (values.endpoint === undefined && values.table === undefined) {
    throw new UsageError('Give --endpoint URL (the sandbox) or --table NAME (a deployed stack)');
  }
  if (values.endpoint !== undefined && !isEndpointUrl(values.endpoint)) {
    throw new UsageError(`--endpoint must be an http(s) URL, e.g. http://127.0.0.1:4566`);
  }
  if (values.table === '') throw new UsageError('--table must not be empty');
  if (command === 'revoke' && !values.key) throw new UsageError('revoke needs --key KEY (the key or its id)');
  if (command !== 'revoke' && values.key !== undefined) throw new UsageError('--key is for revoke only');
  return {
    command: command as Command,
    account: values.account,
    table: values.table ?? 'webhooks',
    ...(values.key === undefined ? {} : { key: values.key }),
    ...(values.endpoint === undefined ? {} : { endpoint: values.endpoint }),
    ...(values.region === undefined ? {} : { region: values.region }),
  };
}

function parseOptions(args: string[]) {
  return parseArgs({
    args,
    options: {
      account: { type: 'string' },
      key: { type: 'string' },
      endpoint: { type: 'string' },
      table: { type: 'string' },
      region: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
}

async function run(invocation: Invocation, store: ApiKeyStore): Promise<void> {
  const { account } = invocation;
  switch (invocation.command) {
    case 'create': {
      const apiKey = newApiKey();
      await store.issue(account, apiKey);
      console.log(`Created ${apiKeyId(apiKey)} for account ${account}.`);
      console.log('The key is shown only now; the table keeps only its SHA-256 hash:');
      console.log(apiKey);
      return;
    }
    case 'list': {
      const listed = await store.list(account);
      console.log(listed.length === 0 ? `Account ${account} has no API keys.` : table(listed));
      return;
    }
    case 'revoke': {
      const id = await store.revoke(account, invocation.key ?? '');
      console.log(`Revoked ${id} of account ${account}: the API refuses it from now on.`);
      return;
    }
  }
}

function table(listed: readonly ListedApiKey[]): string {
  const width = Math.max('ID'.length, ...listed.map((key) => key.id.length));
  return [
    `${'ID'.padEnd(width)}  CREATED`,
    ...listed.map((key) => `${key.id.padEnd(width)}  ${key.createdAt}`),
  ].join('\n');
}

/** What went wrong, in one line an operator can act on. */
function explain(error: unknown, invocation: Invocation, region: string | undefined): string {
  if (!(error instanceof Error)) return String(error);
  if (error instanceof ApiKeyNotFoundError) return `${error.message}.`;
  return explainAwsFailure(error, invocation, region, 'DynamoDB');
}

async function main(args: string[]): Promise<number> {
  const invocation = invocationOf(args, parse, usage, 'keys');
  if (typeof invocation === 'number') return invocation;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = new DynamoDBClient(clientConfig(invocation));
  try {
    await run(invocation, new ApiKeyStore(documentClient(client), invocation.table));
    return 0;
  } catch (error) {
    const region = await client.config.region().catch(() => undefined);
    console.error(explain(error, invocation, region));
    return 1;
  } finally {
    client.destroy();
  }
}

process.exitCode = await main(process.argv.slice(2));
