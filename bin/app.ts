/**
 * The CDK app: `cdk deploy` puts the webhook platform into the current account and region.
 * Every synth runs the cdk-nag AWS Solutions checks; findings are acknowledged only with a reason, next to
 * the construct that causes them.
 *
 * Context values (`cdk deploy -c name=value`, or cdk.json's `context`):
 * - `eventBusName`: the new bus's name (default `webhooks`);
 * - `alarmEmail`: an e-mail address subscribed to the alarm topic;
 * - `archiveRetentionDays`: keep an EventBridge archive of the routed events for this many days, for replays.
 */
import { App, Duration, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { WebhookPlatformStack } from '../lib/webhook-platform-stack.ts';

const app = new App();

/** A context value given as a string (`-c key=value`), or undefined; an empty string counts as not given. */
function context(key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new Error(`Context ${key} must be a string, got ${JSON.stringify(value)}`);
  }
  return String(value);
}

const archiveRetentionDays = context('archiveRetentionDays');
if (archiveRetentionDays !== undefined && !/^[1-9]\d*$/.test(archiveRetentionDays)) {
  throw new Error(
    `Context archiveRetentionDays must be a whole number of days, got '${archiveRetentionDays}'`,
  );
}

new WebhookPlatformStack(app, 'Hookbridge', {
  description: 'Hookbridge: signed, retried, logged webhooks for EventBridge events',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  eventBusName: context('eventBusName'),
  alarmEmail: context('alarmEmail'),
  archive:
    archiveRetentionDays === undefined
      ? undefined
      : { retention: Duration.days(Number(archiveRetentionDays)) },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
