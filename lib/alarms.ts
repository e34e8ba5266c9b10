import { Duration, Token } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IAlarmAction,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { EventBus, type IEventBus, type IRule } from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import {
  deliveryMetrics,
  eventSourceMappingDeclarations,
  type FunctionName,
  type QueueName,
} from '../functions/core/platform.ts';
import { settings } from '../functions/core/settings.ts';
import { deadLetterRunbook } from './dead-letter-runbooks.ts';
import type { PlatformFunction } from './platform-function.ts';
import type { WorkQueue } from './work-queue.ts';

/** Visible messages a work queue may hold for {@link BACKLOG_EVALUATION_PERIODS} periods before it alarms. */
export const DEFAULT_BACKLOG_THRESHOLD = 1000;
/** The period of every alarm's metric. */
export const ALARM_PERIOD = Duration.minutes(5);
/** Consecutive periods a work queue's backlog must stay above the threshold to raise its alarm. */
export const BACKLOG_EVALUATION_PERIODS = 3;

/**
 * How old a work queue's oldest message may get, for {@link OLDEST_MESSAGE_EVALUATION_PERIODS} periods, before
 * its alarm fires. A retry is a new message sent with a delay of up to 15 minutes (SQS's limit), to its lane or
 * the retry queue, so a healthy lane or retry queue holds messages up to 15 minutes old; their limits leave that
 * and a margin. Fan-out's queue never holds delayed messages: minutes there mean fan-out is stuck.
 *
 * The ordered lane is the exception. A retry there keeps its message, which waits in flight by its visibility
 * (up to 12 hours at a time), and the messages behind it in its group (its subscription and resource) are not
 * received at all meanwhile. `ApproximateAgeOfOldestMessage` counts a message from when it was sent, in flight or
 * not, and leaves out only one received three times or more, until it is deleted (SQS Developer Guide: available
 * CloudWatch metrics). So the waiting message itself drops out after a few attempts, but those behind it count
 * with their whole age: an ordered subscription whose endpoint is down holds messages as old as a delivery's
 * whole retry schedule (about 28 hours by default, 33 with jitter), and older while its circuit holds them. That
 * is a customer's outage, which no alarm pages for; the lane's backlog and its function's errors and throttles
 * show a lane that stops or falls behind. Its limit is what no outage explains: 6 days, past the default
 * `disableAfter` (5 days: a subscription failing that long is disabled, and its waiting messages end at once),
 * and far from the queue's 14-day retention, at which SQS deletes a message unsent (to no dead-letter queue).
 */
export const OLDEST_MESSAGE_AGE_LIMITS: Readonly<Record<QueueName, Duration>> = {
  fanOut: Duration.minutes(5),
  delivery: Duration.minutes(20),
  // Slow endpoints together get at most the slow lane's invocations: a backlog there is expected sooner.
  slowDelivery: Duration.minutes(30),
  orderedDelivery: Duration.days(6),
  retry: Duration.minutes(20),
};
/** Consecutive periods a queue's oldest message must stay older than its limit. */
export const OLDEST_MESSAGE_EVALUATION_PERIODS = 2;

/** Failed attempts, as a percentage of all attempts in a period, above which the failure-rate alarm fires. */
export const DEFAULT_FAILURE_RATE_PERCENT = 25;
/** Attempts a period needs before its failure rate counts (so that 1 failure of 1 attempt does not page). */
export const DEFAULT_FAILURE_RATE_MINIMUM_ATTEMPTS = 100;
/** Consecutive periods the failure rate must stay above its threshold. */
export const FAILURE_RATE_EVALUATION_PERIODS = 3;

/** A function's errors or throttles alarm when they occur in this many of the last {@link FUNCTION_EVALUATION_PERIODS} periods. */
export const FUNCTION_DATAPOINTS_TO_ALARM = 2;
export const FUNCTION_EVALUATION_PERIODS = 3;

/** A bus and the rules on it whose deliveries to their targets are watched. */
export interface WatchedRouting {
  readonly eventBus: IEventBus;
  /** The rules, by their platform.ts name. */
  readonly rules: ReadonlyMap<string, IRule>;
}

/**
 * The metrics EventBridge publishes per rule (namespace `AWS/Events`) about a target that refuses events:
 * `FailedInvocations` counts the events it refused for good, `InvocationsFailedToBeSentToDlq` those that
 * the target's dead-letter queue refused too, which are then lost. EventBridge sends them only when not 0.
 */
export type RuleFailureMetric =
  | 'FailedInvocations'
  | 'InvocationsFailedToBeSentToDlq'
  | 'InvocationsSentToDlq';

/**
 * A rule's metric, summed over a period. EventBridge gives the rules of the default bus the dimension
 * `RuleName` only and those of other buses `EventBusName` and `RuleName`. A bus created here is never the
 * default one; for a bus given whose name is known only at deploy time, both are summed (the one that does
 * not apply has no data).
 *
 * @param name - the rule's platform.ts name, which names the expression's terms
 */
export function ruleMetric(
  routing: WatchedRouting,
  name: string,
  metricName: RuleFailureMetric,
  props: { readonly period: Duration; readonly label?: string },
): IMetric {
  const rule = routing.rules.get(name);
  if (rule === undefined) throw new Error(`No rule named '${name}' on the bus`);
  const label = props.label === undefined ? {} : { label: props.label };
  const metric = (dimensionsMap: Record<string, string>) =>
    new Metric({
      namespace: 'AWS/Events',
      metricName,
      dimensionsMap,
      statistic: 'Sum',
      period: props.period,
      ...label,
    });
  const busName = routing.eventBus.eventBusName;
  const onItsBus = metric({ EventBusName: busName, RuleName: rule.ruleName });
  if (routing.eventBus instanceof EventBus) return onItsBus;
  const onDefaultBus = metric({ RuleName: rule.ruleName });
  if (!Token.isUnresolved(busName)) return busName === 'default' ? onDefaultBus : onItsBus;
  const id = `${name.replace(/[^A-Za-z0-9_]/g, '_')}_${metricName}`.replace(/^[^a-z]/, 'r$&');
  return new MathExpression({
    expression: `FILL(${id}_onItsBus, 0) + FILL(${id}_onDefaultBus, 0)`,
    usingMetrics: { [`${id}_onItsBus`]: onItsBus, [`${id}_onDefaultBus`]: onDefaultBus },
    period: props.period,
    ...label,
  });
}

export interface PlatformAlarmsProps {
  /** The queues to watch, by their platform.ts name. */
  readonly queues: Readonly<Record<QueueName, WorkQueue>>;
  /** The functions to watch, by their platform.ts name. */
  readonly functions: Readonly<Record<FunctionName, PlatformFunction>>;
  /** The bus and the platform's rules, whose events must reach their queues. */
  readonly routing: WatchedRouting;
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
   * The percentage of failed attempts (all lanes, all error kinds) in a period of {@link ALARM_PERIOD} above
   * which the failure-rate alarm fires, when it stays above for {@link FAILURE_RATE_EVALUATION_PERIODS} periods.
   * @default DEFAULT_FAILURE_RATE_PERCENT (25)
   */
  readonly failureRatePercent?: number;
  /**
   * The attempts a period needs for its failure rate to count; a quieter period counts as 0 %.
   * @default DEFAULT_FAILURE_RATE_MINIMUM_ATTEMPTS (100)
   */
  readonly failureRateMinimumAttempts?: number;
  /**
   * What the alarms do when they fire and when they are back to OK (e.g. an SNS topic action).
   * @default - no actions: the alarms show in the console only
   */
  readonly alarmActions?: readonly IAlarmAction[];
}

/** A delivery metric of platform.ts for one lane, summed over a period. */
export function deliveryMetric(
  name: keyof typeof deliveryMetrics.names,
  lane: (typeof deliveryMetrics.lanes)[number],
  props: { readonly period: Duration; readonly statistic?: string; readonly label?: string },
): Metric {
  return new Metric({
    namespace: deliveryMetrics.namespace,
    metricName: deliveryMetrics.names[name],
    dimensionsMap: { service: deliveryMetrics.service, [deliveryMetrics.dimensions.lane]: lane },
    statistic: props.statistic ?? 'Sum',
    period: props.period,
    ...(props.label === undefined ? {} : { label: props.label }),
  });
}

/** A delivery count of platform.ts summed over every lane (a lane without data counts 0). */
export function deliveryTotal(
  name: keyof typeof deliveryMetrics.names,
  period: Duration,
  label: string,
): MathExpression {
  const usingMetrics: Record<string, IMetric> = {};
  const terms = deliveryMetrics.lanes.map((lane) => {
    const id = `${name}_${lane}`;
    usingMetrics[id] = deliveryMetric(name, lane, { period });
    return `FILL(${id}, 0)`;
  });
  return new MathExpression({ expression: terms.join(' + '), usingMetrics, label, period });
}

/**
 * The platform's alarms, each with what to do in its description:
 * - any message in a dead-letter queue: the platform could not process it, never a customer's outage; its runbook
 *   (dead-letter-runbooks.ts) ends in the redrive that delivers what can be delivered;
 * - a work queue's backlog of visible messages that does not drain (its consumer is failing, throttled or too
 *   slow for the load), and its oldest message older than the queue's limit ({@link OLDEST_MESSAGE_AGE_LIMITS});
 * - the share of failed delivery attempts (from the delivery metrics), over a minimum of attempts;
 * - errors and throttles of each function;
 * - each rule's events that EventBridge could not deliver to its queue (`FailedInvocations`), and those its
 *   dead-letter queue refused too (`InvocationsFailedToBeSentToDlq`): lost, and counted nowhere else.
 *
 * Deliberately none on customers' endpoints (circuits opened, deliveries held or throttled, lane moves, deliveries
 * failed for good): an endpoint that is down or slow is its owner's to fix, not the operator's page; many failing
 * at once show in the failure rate. The dashboard shows them, and `webhook.circuit_opened`,
 * `webhook.circuit_closed` and `delivery.failed` go on the bus for whoever wants to route them; the platform's own
 * trouble still alarms (failure rate, backlogs, old messages, DLQs).
 */
export class PlatformAlarms extends Construct {
  /** All alarms created. */
  public readonly alarms: readonly Alarm[];
  /** The failure-rate alarm. */
  public readonly failureRate: Alarm;

  public constructor(scope: Construct, id: string, props: PlatformAlarmsProps) {
    super(scope, id);
    const backlogThreshold = props.backlogThreshold ?? DEFAULT_BACKLOG_THRESHOLD;
    if (!Number.isInteger(backlogThreshold) || backlogThreshold < 1) {
      throw new Error(
        `${this.node.path}: backlogThreshold must be a whole number of messages, at least 1, got ${backlogThreshold}`,
      );
    }
    const ratePercent = props.failureRatePercent ?? DEFAULT_FAILURE_RATE_PERCENT;
    if (!(ratePercent > 0 && ratePercent < 100)) {
      throw new Error(
        `${this.node.path}: failureRatePercent must be more than 0 and less than 100, got ${ratePercent}`,
      );
    }
    const minimumAttempts = props.failureRateMinimumAttempts ?? DEFAULT_FAILURE_RATE_MINIMUM_ATTEMPTS;
    if (!Number.isInteger(minimumAttempts) || minimumAttempts < 1) {
      throw new Error(
        `${this.node.path}: failureRateMinimumAttempts must be a whole number, at least 1, got ${minimumAttempts}`,
      );
    }
    const minutes = (periods: number) => ALARM_PERIOD.toMinutes() * periods;
    const alarms: Alarm[] = [];

    for (const [name, queue] of Object.entries(props.queues) as [QueueName, WorkQueue][]) {
      const ageLimit = OLDEST_MESSAGE_AGE_LIMITS[name];
      // SQS deletes a message when it reaches the queue's retention: an older limit could never be reached.
      if (ageLimit.toSeconds() >= queue.definition.retentionPeriodSeconds) {
        throw new Error(
          `${this.node.path}: the ${name} queue keeps messages ${queue.definition.retentionPeriodSeconds} s, ` +
            `no longer than its oldest-message alarm's limit (${ageLimit.toHumanString()}): shorten the limit`,
        );
      }
      // A lane's concurrency is a setting (its prop); the other mappings' are fixed in platform.ts.
      const concurrency = eventSourceMappingDeclarations.find(
        (mapping) => mapping.queue === name,
      )?.maximumConcurrency;
      const raiseConcurrency =
        typeof concurrency === 'string'
          ? `raise the ${settings[concurrency].prop} prop`
          : "raise the mapping's maximumConcurrency in platform.ts";
      alarms.push(
        new Alarm(this, `${name}-DeadLetters`, {
          alarmDescription: deadLetterRunbook(name, {
            deadLetterQueue: queue.deadLetterQueue.queueArn,
            queue: queue.queue.queueArn,
          }),
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
            `The ${name} queue has held more than ${backlogThreshold} visible messages for ` +
            `${minutes(BACKLOG_EVALUATION_PERIODS)} minutes: its consumer is failing, throttled or short of ` +
            "concurrency. Check the function's errors and throttles on the dashboard and its logs; " +
            `${raiseConcurrency} if the load has grown.`,
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
        new Alarm(this, `${name}-OldestMessage`, {
          alarmDescription:
            `The oldest message in the ${name} queue has been older than ${ageLimit.toHumanString()} for ` +
            `${minutes(OLDEST_MESSAGE_EVALUATION_PERIODS)} minutes: ` +
            (queue.definition.fifo === true
              ? 'older than any retry schedule or open circuit explains, so a message group of the lane has ' +
                `not moved for days, and SQS deletes the message unsent when it is ` +
                `${Duration.seconds(queue.definition.retentionPeriodSeconds).toHumanString()} old. Check the ` +
                "function's errors, throttles and logs for the group that does not move and why; fix the cause " +
                'before then.'
              : "its consumer is not keeping up or keeps failing on it. Check the function's errors, throttles " +
                `and logs; messages that fail ${queue.definition.maxReceiveCount} times go to the dead-letter queue.`),
          metric: queue.queue.metricApproximateAgeOfOldestMessage({
            period: ALARM_PERIOD,
            statistic: 'Maximum',
          }),
          threshold: ageLimit.toSeconds(),
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: OLDEST_MESSAGE_EVALUATION_PERIODS,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    const attempts = deliveryTotal('attempts', ALARM_PERIOD, 'Attempts');
    const failures = deliveryTotal('failures', ALARM_PERIOD, 'Failed attempts');
    this.failureRate = new Alarm(this, 'DeliveryFailureRate', {
      alarmDescription:
        `More than ${ratePercent} % of delivery attempts failed in each of the last ` +
        `${minutes(FAILURE_RATE_EVALUATION_PERIODS)} minutes (periods with fewer than ${minimumAttempts} ` +
        "attempts count as 0 %). Look at 'Failures by kind' on the dashboard: one kind everywhere (dns_failure, " +
        'tls_error, timeout, network_error) points at the platform or its network; http_status or ' +
        'connection_refused of a few subscriptions at their endpoints (their delivery logs say which).',
      metric: new MathExpression({
        expression: `IF(attempts >= ${minimumAttempts}, 100 * failures / attempts, 0)`,
        usingMetrics: { attempts, failures },
        label: 'Failed attempts (%)',
        period: ALARM_PERIOD,
      }),
      threshold: ratePercent,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: FAILURE_RATE_EVALUATION_PERIODS,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarms.push(this.failureRate);

    for (const [name, fn] of Object.entries(props.functions) as [FunctionName, PlatformFunction][]) {
      const within = `${FUNCTION_DATAPOINTS_TO_ALARM} of the last ${FUNCTION_EVALUATION_PERIODS} ${ALARM_PERIOD.toMinutes()}-minute periods`;
      alarms.push(
        new Alarm(this, `${name}-Errors`, {
          alarmDescription:
            `The ${name} function (${fn.definition.entry}) failed invocations in ${within}. Its handler ` +
            'reports bad records one by one, so an invocation error is a crash, a timeout or a configuration ' +
            'error at start: read its log group for the error and the request id.',
          metric: fn.function.metricErrors({ period: ALARM_PERIOD, statistic: 'Sum' }),
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: FUNCTION_EVALUATION_PERIODS,
          datapointsToAlarm: FUNCTION_DATAPOINTS_TO_ALARM,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
        new Alarm(this, `${name}-Throttles`, {
          alarmDescription:
            `Lambda throttled the ${name} function in ${within}: the account's concurrency in this region is ` +
            'used up (by this platform or something else). Check the account-level ConcurrentExecutions ' +
            'metric; ask for a higher quota or reserve concurrency for what matters.',
          metric: fn.function.metricThrottles({ period: ALARM_PERIOD, statistic: 'Sum' }),
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: FUNCTION_EVALUATION_PERIODS,
          datapointsToAlarm: FUNCTION_DATAPOINTS_TO_ALARM,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    for (const name of props.routing.rules.keys()) {
      alarms.push(
        new Alarm(this, `Rule-${name}-FailedInvocations`, {
          alarmDescription:
            `EventBridge could not deliver events of the ${name} rule to its queue. It sends each one to the ` +
            "queue's dead-letter queue, whose alarm fires too, with the reason in its ERROR_CODE and " +
            'ERROR_MESSAGE attributes; read them. Every event refused (NO_PERMISSIONS, a KMS error): fix the ' +
            "queue's policy or key, then redrive the DLQ. One event too large or with U+FFFE/U+FFFF (SQS " +
            "refuses both): ask its publisher to keep to README's event limits. If this rule's " +
            'InvocationsFailedToBeSentToDlq alarm fires as well, the DLQ refused events too: they are lost.',
          metric: ruleMetric(props.routing, name, 'FailedInvocations', { period: ALARM_PERIOD }),
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
        new Alarm(this, `Rule-${name}-InvocationsFailedToBeSentToDlq`, {
          alarmDescription:
            `Events of the ${name} rule are lost: neither its queue nor the queue's dead-letter queue took ` +
            'them, and EventBridge keeps no copy, so no receiver gets them. SQS refuses a message over 1 MiB ' +
            '(an entry over 1 MiB less 2 KiB, once EventBridge wraps it) or one with U+FFFE or U+FFFF in a ' +
            "string; both queues refuse those alike. Check the DLQ's policy and key if every event fails. " +
            "Ask the publishers of the rule's event types to republish the events within README's event " +
            'limits.',
          metric: ruleMetric(props.routing, name, 'InvocationsFailedToBeSentToDlq', { period: ALARM_PERIOD }),
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    const actions = props.alarmActions ?? [];
    for (const alarm of alarms) {
      if (actions.length === 0) continue;
      alarm.addAlarmAction(...actions);
      alarm.addOkAction(...actions);
    }
    this.alarms = alarms;
  }
}
