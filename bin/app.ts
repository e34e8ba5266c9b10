/**
 * The CDK app: `cdk deploy` puts the webhook platform into the current account and region.
 * Every synth runs the cdk-nag AWS Solutions checks; findings are acknowledged only with a reason, next to
 * the construct that causes them.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { WebhookPlatformStack } from '../lib/webhook-platform-stack.ts';

const app = new App();
new WebhookPlatformStack(app, 'Hookbridge', {
  description: 'Hookbridge: signed, retried, logged webhooks for EventBridge events',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  eventBusName: app.node.tryGetContext('eventBusName') as string | undefined,
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
