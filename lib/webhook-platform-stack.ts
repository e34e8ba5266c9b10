import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { type QueueName, queues } from '../functions/core/platform.ts';
import { PlatformAlarms } from './alarms.ts';
import { DeliveryPipeline } from './delivery-pipeline.ts';
import { EventRouting } from './event-routing.ts';
import { type ApiThrottle, SubscriptionApi } from './subscription-api.ts';
import { WebhookTable } from './webhook-table.ts';
import { WorkQueue } from './work-queue.ts';

export interface WebhookPlatformStackProps extends StackProps {
  /**
   * The name of the bus publishers put events on.
   * @default `defaultEventBusName` of platform.ts
   */
  readonly eventBusName?: string;
  /**
   * Request limits of the HTTP API.
   * @default { rateLimit: 100, burstLimit: 200 }
   */
  readonly apiThrottle?: ApiThrottle;
  /**
   * How long function and access logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * What the alarms do when they fire.
   * @default - no actions
   */
  readonly alarmActions?: readonly IAlarmAction[];
  /**
   * Visible messages above which a work queue's backlog alarm fires if they do not drain
   * (see `PlatformAlarmsProps.backlogThreshold`).
   * @default DEFAULT_BACKLOG_THRESHOLD of lib/alarms.ts (1000)
   */
  readonly backlogThreshold?: number;
}

/** The whole webhook platform of functions/core/platform.ts in one stack. */
export class WebhookPlatformStack extends Stack {
  public readonly table: WebhookTable;
  public readonly queues: Readonly<Record<QueueName, WorkQueue>>;
  public readonly routing: EventRouting;
  public readonly pipeline: DeliveryPipeline;
  public readonly api: SubscriptionApi;
  public readonly alarms: PlatformAlarms;

  public constructor(scope: Construct, id: string, props: WebhookPlatformStackProps = {}) {
    super(scope, id, props);
    const { logRetention } = props;

    this.table = new WebhookTable(this, 'Table');
    this.queues = Object.fromEntries(
      Object.entries(queues).map(([name, definition]) => [
        name,
        new WorkQueue(this, `${name}Queue`, { definition }),
      ]),
    ) as Record<QueueName, WorkQueue>;
    this.routing = new EventRouting(this, 'Routing', {
      eventBusName: props.eventBusName,
      queues: this.queues,
    });
    this.pipeline = new DeliveryPipeline(this, 'Pipeline', {
      table: this.table,
      queues: this.queues,
      eventBus: this.routing.eventBus,
      logRetention,
    });
    this.api = new SubscriptionApi(this, 'Api', {
      table: this.table,
      fanOutQueue: this.queues.fanOut,
      deliveryQueue: this.queues.delivery,
      throttle: props.apiThrottle,
      logRetention,
    });
    this.alarms = new PlatformAlarms(this, 'Alarms', {
      queues: this.queues,
      alarmActions: props.alarmActions,
      backlogThreshold: props.backlogThreshold,
    });

    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the webhook API', value: this.api.url });
    new CfnOutput(this, 'EventBusName', {
      description: 'The bus publishers put events on',
      value: this.routing.eventBus.eventBusName,
    });
    new CfnOutput(this, 'EventBusArn', {
      description: 'The bus ARN, for publishers\u2019 events:PutEvents permission',
      value: this.routing.eventBus.eventBusArn,
    });
    new CfnOutput(this, 'TableName', {
      description: 'The table, for npm run keys -- --table',
      value: this.table.table.tableName,
    });
  }
}
