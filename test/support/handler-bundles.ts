/**
 * The handlers bundled as the CDK app bundles them (lib/bundling.ts), and the stand-in environment Lambda
 * would give each: what test/infra/bundles.test.ts loads and the cold-start benchmark times.
 */
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { type EnvironmentVariable, type FunctionName, functions } from '../../functions/core/platform.ts';
import { settingsEnvironment } from '../../functions/core/settings.ts';
import { bundleFileName, handlerBuildOptions } from '../../lib/bundling.ts';
import { projectRoot } from '../../lib/platform-function.ts';

/** Stand-ins for what the stack binds; a new variable in platform.ts fails to compile until it has one. */
export const standInEnvironment: Readonly<Record<EnvironmentVariable, string>> = {
  TABLE_NAME: 'hookbridge-test-table',
  SIGNING_SECRET_KEY_ARN: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  DELIVERY_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/delivery',
  SLOW_DELIVERY_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/slow-delivery',
  ORDERED_DELIVERY_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/ordered-delivery.fifo',
  RETRY_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/retry',
  FAN_OUT_DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/fan-out-dlq',
  DELIVERY_DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/delivery-dlq',
  FAN_OUT_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/fan-out',
  EVENT_BUS_NAME: 'webhooks',
  ALLOW_PRIVATE_TARGETS: 'false',
  ...settingsEnvironment({ retrySchedule: [5, 300] }),
};

/** The stand-ins of the variables function `name` declares, and only those. */
export const declaredEnvironment = (name: FunctionName): Record<string, string> =>
  Object.fromEntries(functions[name].environment.map((v) => [v, standInEnvironment[v]]));

/** Bundles `entry` (relative to the project) as the app does, into `outDir/index.mjs`; gives esbuild's metafile. */
export async function bundleHandler(entry: string, outDir: string): Promise<Metafile> {
  const result = await build({
    ...handlerBuildOptions,
    banner: { ...handlerBuildOptions.banner },
    mainFields: [...handlerBuildOptions.mainFields],
    external: [...handlerBuildOptions.external],
    absWorkingDir: projectRoot,
    entryPoints: [join(projectRoot, entry)],
    outfile: join(outDir, bundleFileName),
    metafile: true,
    logLevel: 'silent',
  });
  return result.metafile;
}
