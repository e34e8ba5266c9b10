/** The functions' environment in the sandbox: platform.ts's variables, pointed at the sandbox's emulators. */
import type { EnvironmentVariable } from '../../functions/core/platform.ts';
import type { settingsEnvironment } from '../../functions/core/settings.ts';
import type { SqsEmulator } from '../sqs/index.ts';
import { deadLetterQueueName, queueNames } from './queues.ts';

/** The variables platform.ts gives the functions, with the sandbox's queue URLs and the settings' variables. */
export function functionEnvironment(options: {
  readonly sqs: SqsEmulator;
  readonly tableName: string;
  readonly eventBusName: string;
  /** The ARN of the sandbox KMS's key for the signing secrets. */
  readonly signingSecretKeyArn: string;
  readonly allowPrivateTargets: boolean;
  /** The settings' variables (`settingsEnvironment`), checked before anything starts. */
  readonly settingsVariables: ReturnType<typeof settingsEnvironment>;
}): Record<EnvironmentVariable, string> {
  const { sqs } = options;
  return {
    TABLE_NAME: options.tableName,
    SIGNING_SECRET_KEY_ARN: options.signingSecretKeyArn,
    DELIVERY_QUEUE_URL: sqs.queueUrl(queueNames.delivery),
    FAN_OUT_DLQ_URL: sqs.queueUrl(deadLetterQueueName('fanOut')),
    DELIVERY_DLQ_URL: sqs.queueUrl(deadLetterQueueName('delivery')),
    FAN_OUT_QUEUE_URL: sqs.queueUrl(queueNames.fanOut),
    SLOW_DELIVERY_QUEUE_URL: sqs.queueUrl(queueNames.slowDelivery),
    ORDERED_DELIVERY_QUEUE_URL: sqs.queueUrl(queueNames.orderedDelivery),
    RETRY_QUEUE_URL: sqs.queueUrl(queueNames.retry),
    EVENT_BUS_NAME: options.eventBusName,
    ALLOW_PRIVATE_TARGETS: String(options.allowPrivateTargets),
    ...options.settingsVariables,
  };
}

/**
 * Sets the functions' environment in this process (the handlers run in it and read their configuration when
 * they load), with the SDK pointed at the sandbox and Powertools' level.
 */
export function applyEnvironment(
  environment: Readonly<Record<EnvironmentVariable, string>>,
  options: {
    readonly endpoint: string;
    readonly region: string;
    readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  },
): void {
  Object.assign(process.env, environment, {
    AWS_ENDPOINT_URL: options.endpoint,
    AWS_REGION: options.region,
    AWS_ACCESS_KEY_ID: 'sandbox',
    AWS_SECRET_ACCESS_KEY: 'sandbox',
    POWERTOOLS_LOG_LEVEL: options.logLevel,
    // CloudWatch embedded metrics are log lines; in the sandbox only DEBUG prints them.
    POWERTOOLS_METRICS_DISABLED: options.logLevel === 'DEBUG' ? 'false' : 'true',
  });
}
