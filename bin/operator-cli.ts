/**
 * What the operator's commands on a deployment's table (`npm run keys`, `npm run seal-secrets`) share: how a
 * command line ends when there is nothing to run (`--help`: exit 0; a wrong one: one line, exit 2), reaching a
 * local sandbox by its endpoint or a deployment through the default credential chain, and a failure told in one
 * line an operator can act on (exit 1).
 */

/** A wrong command line: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * The invocation `parse` makes of the command line, or the exit code when there is none to run: 0 after
 * printing `usage` (`--help`), 2 after telling on stderr what is wrong with it.
 */
export function invocationOf<T>(
  args: string[],
  parse: (args: string[]) => T | 'help',
  usage: string,
  script: string,
): T | 0 | 2 {
  let invocation: T | 'help';
  try {
    invocation = parse(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message} (npm run ${script} -- --help)`);
    return 2;
  }
  if (invocation !== 'help') return invocation;
  console.log(usage);
  return 0;
}

/** Where a command acts: the sandbox at `endpoint`, or AWS (credentials and region from the default chain). */
export interface AwsTarget {
  readonly endpoint?: string;
  readonly region?: string;
  /** The table it reads and writes. */
  readonly table: string;
}

/** The sandbox's region, the one its ARNs name. */
const sandboxRegion = 'us-east-1';

/** The configuration of an AWS SDK client (DynamoDB, KMS) for the target. */
export function clientConfig(target: AwsTarget) {
  const { endpoint, region } = target;
  return {
    ...(region === undefined ? {} : { region }),
    ...(endpoint === undefined
      ? {}
      : {
          endpoint,
          region: region ?? sandboxRegion,
          // Real ones when set: DynamoDB Local keeps a database per access key.
          ...(process.env.AWS_ACCESS_KEY_ID === undefined
            ? { credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' } }
            : {}),
        }),
    // An address that never answers fails within seconds (over the retries) instead of hanging.
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
  };
}

/** The first sentence of Node's `parseArgs` error (its messages go on with advice over several lines). */
export function parseFailure(error: unknown): string {
  const sentence = (error as Error).message.split('\n')[0]?.split('. ')[0]?.replace(/\.$/, '');
  return sentence || 'Invalid arguments';
}

/** True for an `--endpoint` value that can be the sandbox's address. */
export const isEndpointUrl = (endpoint: string) => /^https?:\/\/[^/\s]+/.test(endpoint);

/**
 * Why a call to `service` at the target failed, in one line, for failures any call may meet (no table, no
 * credentials or region, nothing listening, an answer that is not AWS's); otherwise the error's name and first
 * line.
 */
export function explainAwsFailure(
  error: Error,
  target: AwsTarget,
  region: string | undefined,
  service: string,
): string {
  const where = target.endpoint ?? `AWS region ${region ?? '(none configured)'}`;
  const code = errorCode(error);
  // DynamoDB's answer for a table that does not exist (KMS names a missing key NotFoundException).
  if (error.name === 'ResourceNotFoundException') {
    return `There is no table "${target.table}" at ${where}${target.endpoint === undefined ? ' (give the stack\u2019s TableName output, and --region if it is elsewhere)' : ''}.`;
  }
  if (error.name === 'CredentialsProviderError') {
    return 'No AWS credentials found: configure them (aws configure, AWS_PROFILE or AWS_ACCESS_KEY_ID), or give --endpoint for the sandbox.';
  }
  if (/region is missing/i.test(error.message))
    return 'No AWS region configured: give --region or set AWS_REGION.';
  if (code === 'ECONNREFUSED') {
    return `Cannot connect to ${target.endpoint ?? service} (ECONNREFUSED): is the sandbox running (npm start)?`;
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `Cannot resolve the host of ${where} (${code}).`;
  if (code === 'ETIMEDOUT') return `${service} at ${where} did not answer in time (ETIMEDOUT).`;
  if (code !== undefined) return `Cannot reach ${service} at ${where} (${code}).`;
  const status = (error as Error & { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (error.name === 'Unknown' && status !== undefined) {
    return `${where} answered HTTP ${status}, not as ${service} does: is it the right endpoint?`;
  }
  return `${error.name}: ${error.message.split('\n')[0]}`;
}

function errorCode(error: Error): string | undefined {
  const withCode = error as Error & { code?: unknown; errors?: unknown[] };
  if (typeof withCode.code === 'string') return withCode.code;
  // Node reports a failed connection to each address of a name as one AggregateError.
  const first = withCode.errors?.[0] ?? withCode.cause;
  return first instanceof Error ? errorCode(first) : undefined;
}
