import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IAlarmAction, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { QueueName } from '../functions/core/platform.ts';
import type { WorkQueue } from './work-queue.ts';

export interface PlatformAlarmsProps {
  /** The queues to watch, by their platform.ts name. */
  readonly queues: Readonly<Record<QueueName, WorkQueue>>;
  /**
   * Age of a work queue's oldest message above which it is considered stuck. Delivery retries are new,
   * delayed messages, so a healthy queue's oldest message is minutes old.
   * @default Duration.hours(1)
   */
  readonly maxMessageAge?: Duration;
  /**
   * What the alarms do when they fire (e.g. an SNS topic action).
   * @default - no actions: the alarms show in the console only
   */
  readonly alarmActions?: readonly IAlarmAction[];
}

/** An alarm per dead-letter queue (any message) and per work queue (oldest message too old). */
export class PlatformAlarms extends Construct {
  /** All alarms created. */
  public readonly alarms: readonly Alarm[];

  public constructor(scope: Construct, id: string, props: PlatformAlarmsProps) {
    super(scope, id);
    const maxMessageAge = props.maxMessageAge ?? Duration.hours(1);
    if (maxMessageAge.toSeconds() < 60) {
      throw new Error(
        `${this.node.path}: maxMessageAge must be at least 1 minute, got ${maxMessageAge.toHumanString()}`,
      );
    }
    const alarms: Alarm[] = [];
    for (const [name, queue] of Object.entries(props.queues) as [QueueName, WorkQueue][]) {
      alarms.push(
        new Alarm(this, `${name}-DeadLetters`, {
          alarmDescription: `Messages in the ${name} dead-letter queue: inspect them, fix the cause, redrive.`,
          metric: queue.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(5),
            statistic: 'Maximum',
          }),
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
        new Alarm(this, `${name}-Backlog`, {
          alarmDescription: `The ${name} queue's oldest message is older than ${maxMessageAge.toHumanString()}: its consumer is failing or throttled.`,
          metric: queue.queue.metricApproximateAgeOfOldestMessage({
            period: Duration.minutes(5),
            statistic: 'Maximum',
          }),
          threshold: maxMessageAge.toSeconds(),
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 3,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    for (const alarm of alarms) {
      alarm.addAlarmAction(...(props.alarmActions ?? []));
    }
    this.alarms = alarms;
  }
}
