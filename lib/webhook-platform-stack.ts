import { Aws, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { WebhookPlatform, type WebhookPlatformProps } from './webhook-platform.ts';

export interface WebhookPlatformStackProps extends StackProps, WebhookPlatformProps {}

/**
 * The webhook platform in a stack of its own (what `cdk deploy` of this project deploys): one
 * {@link WebhookPlatform} and the outputs an operator needs.
 */
export class WebhookPlatformStack extends Stack {
  /** The platform. */
  public readonly platform: WebhookPlatform;

  public constructor(scope: Construct, id: string, props: WebhookPlatformStackProps = {}) {
    super(scope, id, props);
    this.platform = new WebhookPlatform(this, 'Platform', props);
    const { platform } = this;

    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the webhook API', value: platform.apiUrl });
    new CfnOutput(this, 'EventBusName', {
      description: 'The bus publishers put events on',
      value: platform.eventBus.eventBusName,
    });
    new CfnOutput(this, 'EventBusArn', {
      description: 'The bus ARN, for publishers\u2019 events:PutEvents permission',
      value: platform.eventBus.eventBusArn,
    });
    new CfnOutput(this, 'TableName', {
      description: 'The table, for npm run keys -- --table',
      value: platform.table.table.tableName,
    });
    new CfnOutput(this, 'SigningSecretKeyArn', {
      description: 'The KMS key that seals signing secrets, for npm run seal-secrets -- --key-arn',
      value: platform.secretKey.key.keyArn,
    });
    const dashboardName = platform.dashboard.dashboard.dashboardName;
    new CfnOutput(this, 'DashboardName', { description: 'The CloudWatch dashboard', value: dashboardName });
    new CfnOutput(this, 'DashboardUrl', {
      description: 'The CloudWatch dashboard in the console',
      value: `https://console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards/dashboard/${dashboardName}`,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'The SNS topic the alarms notify: subscribe to it (e-mail, chat, paging)',
      value: platform.alarmTopic.topicArn,
    });
    if (platform.archive !== undefined) {
      new CfnOutput(this, 'ArchiveArn', {
        description: 'The event archive, for aws events start-replay --event-source-arn',
        value: platform.archive.archiveArn,
      });
      new CfnOutput(this, 'ReplayRuleArns', {
        description: 'The rules that feed fan-out, for start-replay --destination FilterArns',
        value: [...platform.routing.rules.values()].map((rule) => rule.ruleArn).join(','),
      });
    }
  }
}
