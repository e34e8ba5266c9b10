/**
 * The operator's upgrade step for signing secrets at rest: seals every subscription secret that items written
 * before sealing still hold in plain text, in a deployed stack's table or in the local sandbox, with the
 * operator's own credentials. `npm run seal-secrets -- --help` says how. Failures are one line on stderr: exit
 * code 1, or 2 for a wrong command line.
 */
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { documentClient } from '../functions/core/aws/dynamodb.ts';
import { KmsSecretSealer } from '../functions/core/aws/kms-secrets.ts';
import { type SealReport, sealPlainSecrets } from '../functions/core/subscriptions/seal-plain-secrets.ts';
import { SigningSecretError } from '../functions/core/subscriptions/secret-box.ts';
import {
  type AwsTarget,
  clientConfig,
  explainAwsFailure,
  invocationOf,
  isEndpointUrl,
  parseFailure,
  UsageError,
} from './operator-cli.ts';

/** The sandbox's key for signing secrets (made by `npm start`), by its alias. */
const sandboxKey = 'alias/hookbridge/signing-secrets';
const maxSegments = 64;

const usage = `Usage: npm run seal-secrets -- (--endpoint URL | --table NAME --key-arn ARN) [options]

Seals every subscription signing secret still stored in plain text (whsec_...) with the platform's KMS key:
those of subscriptions written before secrets were sealed at rest, current and previous ones. Run it once
after upgrading a deployment; a second run finds nothing to seal. Each subscription is written only if it is
unchanged since it was read (one the API changed meanwhile is read and sealed again), and only its secrets
change: its version (ETag) stays. It prints counts, never a secret.

Options:
  --endpoint URL     A local sandbox (npm start), e.g. http://127.0.0.1:4566. The table defaults to webhooks,
                     the key to the sandbox's ${sandboxKey}, the credentials to dummy values.
  --table NAME       The table: a deployed stack's TableName output.
  --key-arn ARN      The key that seals signing secrets: the stack's SigningSecretKeyArn output.
  --region REGION    The stack's region (default: the one --key-arn names).
  --segments N       Scan the table in N parallel segments, 1 to ${maxSegments} (default 1): for a large table.
  --dry-run          Count what would be sealed; ask KMS nothing and write nothing.
  -h, --help         This text.

Without --endpoint, AWS credentials come from the default chain (environment, AWS_PROFILE, ~/.aws): they need
dynamodb:Scan, GetItem and UpdateItem on the table, and kms:Encrypt on the key.

Examples:
  npm run seal-secrets -- --endpoint http://127.0.0.1:4566
  npm run seal-secrets -- --table <TableName output> --key-arn <SigningSecretKeyArn output> --dry-run

Exit status: 0 done (every plain secret sealed, or none left); 1 failed, or some subscriptions were left as
they were (listed; run again); 2 wrong command line.`;

interface Invocation extends AwsTarget {
  readonly keyArn: string;
  readonly segments: number;
  readonly dryRun: boolean;
}

const keyArnPattern = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:(key|alias)\/\S+$/;

function parse(args: string[]): Invocation | 'help' {
  let values: ReturnType<typeof parseOptions>['values'];
  try {
    ({ values } = parseOptions(args));
  } catch (error) {
    throw new UsageError(parseFailure(error));
  }
  if (values.help) return 'help';
  const { endpoint, table, region } = values;
  if (endpoint === undefined && (table === undefined || values['key-arn'] === undefined)) {
    throw new UsageError(
      'Give --endpoint URL (the sandbox), or --table NAME and --key-arn ARN (a deployed stack’s outputs)',
    );
  }
  if (endpoint !== undefined && !isEndpointUrl(endpoint)) {
    throw new UsageError('--endpoint must be an http(s) URL, e.g. http://127.0.0.1:4566');
  }
  if (table === '') throw new UsageError('--table must not be empty');
  const keyArn = values['key-arn'] ?? sandboxKey;
  const keyRegion = keyArnPattern.exec(keyArn)?.[1];
  if (values['key-arn'] !== undefined && keyRegion === undefined) {
    throw new UsageError(`--key-arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)`);
  }
  if (endpoint === undefined && region !== undefined && region !== keyRegion) {
    throw new UsageError(`--key-arn names region ${keyRegion}, not ${region}: give the stack’s own outputs`);
  }
  const segments = Number(values.segments ?? '1');
  if (!/^\d+$/.test(values.segments ?? '1') || segments < 1 || segments > maxSegments) {
    throw new UsageError(`--segments must be a whole number from 1 to ${maxSegments}`);
  }
  const targetRegion = region ?? (endpoint === undefined ? keyRegion : undefined);
  return {
    table: table ?? 'webhooks',
    keyArn,
    segments,
    dryRun: values['dry-run'] ?? false,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(targetRegion === undefined ? {} : { region: targetRegion }),
  };
}

function parseOptions(args: string[]) {
  return parseArgs({
    args,
    options: {
      endpoint: { type: 'string' },
      table: { type: 'string' },
      'key-arn': { type: 'string' },
      region: { type: 'string' },
      segments: { type: 'string' },
      'dry-run': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
}

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

/** The report, in lines: what was found, what was (or would be) sealed, and what was left and why. */
function describe(report: SealReport, invocation: Invocation): string[] {
  const found = `${plural(report.sealedSecrets, 'plain secret')} in ${plural(report.sealedItems, 'subscription')}`;
  return [
    `Scanned ${plural(report.scanned, 'item')} of table ${invocation.table}: ${plural(report.subscriptions, 'subscription')}.`,
    invocation.dryRun
      ? `Dry run: would seal ${found}; nothing was written.`
      : `Sealed ${found} with ${invocation.keyArn}.`,
    `Already sealed: ${plural(report.alreadySealed, 'subscription')}.`,
    ...(report.sealedMeanwhile > 0
      ? [`${plural(report.sealedMeanwhile, 'subscription')} sealed meanwhile by the API.`]
      : []),
    ...(report.deletedMeanwhile > 0
      ? [`${plural(report.deletedMeanwhile, 'subscription')} deleted meanwhile.`]
      : []),
    ...report.skipped.map(
      (item) =>
        `Left subscription ${item.subscriptionId} (account ${item.accountId}) as it was: ${
          item.reason === 'changed'
            ? 'it changed between each read and write'
            : 'its item does not read as a subscription'
        }.`,
    ),
  ];
}

/** What went wrong, in one line an operator can act on. */
function explain(error: unknown, invocation: Invocation, region: string | undefined): string {
  if (!(error instanceof Error)) return String(error);
  if (error instanceof SigningSecretError) {
    return `${error.message} (what was sealed before stays sealed: run again once the key can be used).`;
  }
  return explainAwsFailure(error, invocation, region, 'AWS');
}

async function main(args: string[]): Promise<number> {
  const invocation = invocationOf(args, parse, usage, 'seal-secrets');
  if (typeof invocation === 'number') return invocation;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const dynamo = new DynamoDBClient(clientConfig(invocation));
  const kms = new KMSClient(clientConfig(invocation));
  try {
    const report = await sealPlainSecrets(
      documentClient(dynamo),
      invocation.table,
      new KmsSecretSealer(kms, invocation.keyArn),
      { dryRun: invocation.dryRun, segments: invocation.segments },
    );
    console.log(describe(report, invocation).join('\n'));
    if (report.skipped.length === 0) return 0;
    console.error(
      `${plural(report.skipped.length, 'subscription')} left as they were (listed above): run again for those that changed meanwhile.`,
    );
    return 1;
  } catch (error) {
    const region = await dynamo.config.region().catch(() => undefined);
    console.error(explain(error, invocation, region));
    return 1;
  } finally {
    dynamo.destroy();
    kms.destroy();
  }
}

process.exitCode = await main(process.argv.slice(2));
