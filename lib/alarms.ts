import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IAlarmAction, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { QueueName } from '../functions/core/platform.ts';
import type { WorkQueue } from './work-queue.ts';

/** Visible messages a work queue may hold for {@link BACKLOG_EVALUATION_PERIODS} periods before it alarms. */
export const DEFAULT_BACKLOG_THRESHOLD = 1000;
/** The period of every alarm's metric. */
export const ALARM_PERIOD = Duration.minutes(5);
/** Consecutive periods a work queue's backlog must stay above the threshold to raise its alarm. */
export const BACKLOG_EVALUATION_PERIODS = 3;

export interface PlatformAlarmsProps {
  /** The queues to watch, by their platform.ts name. */
  readonly queues: Readonly<Record<QueueName, WorkQueue>>;
  /**
   * Visible (ready to receive) messages in a work queue above which it is considered backed up, when the
   * count stays above it for {@link BACKLOG_EVALUATION_PERIODS} consecutive periods of {@link ALARM_PERIOD}.
   *
   * Visible messages only: retries waiting out their delay are delayed messages (in the lanes, or hopping
   * through the retry queue), not visible, and do not count here.
   * @default DEFAULT_BACKLOG_THRESHOLD (1000)
   */
  readonly backlogThreshold?: number;
  /**
   * What the alarms do when they fire (e.g. an SNS topic action).
   * @default - no actions: the alarms show in the console only
   */
  readonly alarmActions?: readonly IAlarmAction[];
}

/**
 * An alarm per dead-letter queue (any message) and per work queue (a backlog of visible messages that does
 * not drain: its consumer is failing, throttled or too slow for the load).
 */
export class PlatformAlarms extends Construct {
  /** All alarms created. */
  public readonly alarms: readonly Alarm[];

  public constructor(scope: Construct, id: string, props: PlatformAlarmsProps) {
    super(scope, id);
    const backlogThreshold = props.backlogThreshold ?? DEFAULT_BACKLOG_THRESHOLD;
    if (!Number.isInteger(backlogThreshold) || backlogThreshold < 1) {
      throw new Error(
        `${this.node.path}: backlogThreshold must be a whole number of messages, at least 1, got ${backlogThreshold}`,
      );
    }
    const backlogWindow = ALARM_PERIOD.toMinutes() * BACKLOG_EVALUATION_PERIODS;
    const alarms: Alarm[] = [];
    for (const [name, queue] of Object.entries(props.queues) as [QueueName, WorkQueue][]) {
      alarms.push(
        new Alarm(this, `${name}-DeadLetters`, {
          alarmDescription: `Messages in the ${name} dead-letter queue: inspect them, fix the cause, redrive.`,
          metric: queue.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period: ALARM_PERIOD,
            statistic: 'Maximum',
          }),
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
        new Alarm(this, `${name}-Backlog`, {
          alarmDescription:
            `The ${name} queue has held more than ${backlogThreshold} visible messages for ${backlogWindow} ` +
            'minutes: its consumer is failing, throttled or short of concurrency.',
          // The period's minimum: a burst the consumer works off within a period does not count.
          metric: queue.queue.metricApproximateNumberOfMessagesVisible({
            period: ALARM_PERIOD,
            statistic: 'Minimum',
          }),
          threshold: backlogThreshold,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: BACKLOG_EVALUATION_PERIODS,
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
