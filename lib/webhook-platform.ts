import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import { ApiMapping, DomainName, SecurityPolicy } from 'aws-cdk-lib/aws-apigatewayv2';
import type { ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Archive, type EventPattern, type IEventBus } from 'aws-cdk-lib/aws-events';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ARecord, type IHostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { ApiGatewayv2DomainProperties } from 'aws-cdk-lib/aws-route53-targets';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  type FunctionName,
  platformEventSource,
  type QueueName,
  queues as queueDefinitions,
  rules,
} from '../functions/core/platform.ts';
import { AlarmTopic } from './alarm-topic.ts';
import { PlatformAlarms } from './alarms.ts';
import { PlatformDashboard } from './dashboard.ts';
import { DeliveryPipeline } from './delivery-pipeline.ts';
import { EventRouting } from './event-routing.ts';
import type { PlatformFunction } from './platform-function.ts';
import { SecretKey } from './secret-key.ts';
import { bindSettings, type SettingProps, settingsOfProps } from './setting-props.ts';
import { type ApiThrottle, SubscriptionApi } from './subscription-api.ts';
import { WebhookTable } from './webhook-table.ts';
import { WorkQueue } from './work-queue.ts';

/** A custom domain for the HTTP API. */
export interface CustomDomainOptions {
  /** The domain name, e.g. `webhooks.example.com`. */
  readonly domainName: string;
  /** An ACM certificate for the domain name, in the stack's region (API Gateway's regional endpoint). */
  readonly certificate: ICertificate;
  /**
   * The Route 53 hosted zone to add the domain's alias (A) record to.
   * @default - no record: point the domain at the API Gateway domain's regional name yourself
   */
  readonly hostedZone?: IHostedZone;
}

/** An EventBridge archive of the events the platform routes, for replays. */
export interface EventArchiveOptions {
  /**
   * How long archived events are kept: whole days, at least 1 and at most the delivery retention (fan-out
   * recognises a replayed event only while it keeps the event's record).
   */
  readonly retention: Duration;
}

/** The failure-rate alarm's thresholds. */
export interface FailureRateAlarmOptions {
  /**
   * The percentage of failed attempts in a 5-minute period above which the alarm fires (after 3 such periods).
   * @default 25
   */
  readonly thresholdPercent?: number;
  /**
   * The attempts a period needs for its failure rate to count.
   * @default 100
   */
  readonly minimumAttempts?: number;
}

/**
 * What an embedding app may set. A prop for each setting of functions/core/settings.ts (README: Settings) comes
 * from {@link SettingProps}, with its bounds and default there; those below are restated for their docs only.
 */
export interface WebhookPlatformProps extends SettingProps {
  /**
   * A bus that exists already, e.g. the one the application's services publish on. The platform adds its rules
   * to it, may put its own events (source `hookbridge`) on it, and changes nothing else.
   * @default - a new bus, named {@link eventBusName}
   */
  readonly eventBus?: IEventBus;
  /**
   * The name of the new bus (publishers need it, so it is not generated). Only without {@link eventBus}.
   * @default 'webhooks' (`defaultEventBusName` of platform.ts)
   */
  readonly eventBusName?: string;
  /**
   * The waits between a delivery's attempts, each spread by +-20 % jitter; `Retry-After` on 429 and 503 can
   * lengthen one.
   * @default - `retrySchedule` of functions/core/settings.ts, which holds its bounds too
   */
  readonly retrySchedule?: readonly Duration[];
  /**
   * How long a subscription may fail without a single success before it is disabled.
   * @default - `disableAfterSeconds` of functions/core/settings.ts, which holds its bounds too
   */
  readonly disableAfter?: Duration;
  /**
   * How long an endpoint may take to answer: success is a 2xx within this.
   * @default - `deliveryTimeoutSeconds` of functions/core/settings.ts, which holds its bounds too
   */
  readonly deliveryTimeout?: Duration;
  /**
   * How long delivery records, with their attempts and the event bodies retries need, are kept.
   * @default - `deliveryRetentionDays` of functions/core/settings.ts, which holds its bounds too
   */
  readonly deliveryRetention?: Duration;
  /**
   * The share of deliveries that succeed at their first attempt which get a record (each record is a write):
   * 1 every one, 0 none; deliveries with a failure are always recorded.
   * @default - `successRecords` of functions/core/settings.ts
   */
  readonly successRecords?: number;
  /**
   * The main lane's most concurrent invocations (its SQS event source mapping's `MaximumConcurrency`): deliveries
   * a second are about this × {@link mainLaneBatchSize} ÷ a batch's slowest answer.
   * @default - `mainLaneConcurrency` of functions/core/settings.ts, which holds its bounds too
   */
  readonly mainLaneConcurrency?: number;
  /**
   * Deliveries per main-lane invocation, attempted in parallel (its mapping's batch size).
   * @default - `mainLaneBatchSize` of functions/core/settings.ts, which holds its bounds too
   */
  readonly mainLaneBatchSize?: number;
  /**
   * The slow lane's most concurrent invocations: all slow endpoints together hold at most this many, never the
   * main lane's.
   * @default - `slowLaneConcurrency` of functions/core/settings.ts, which holds its bounds too
   */
  readonly slowLaneConcurrency?: number;
  /**
   * Deliveries per slow-lane invocation, attempted in parallel (its mapping's batch size).
   * @default - `slowLaneBatchSize` of functions/core/settings.ts, which holds its bounds too
   */
  readonly slowLaneBatchSize?: number;
  /**
   * The ordered lane's most concurrent invocations (its SQS event source mapping's `MaximumConcurrency`):
   * deliveries of subscriptions ordered by resource, one at a time per resource, never the other lanes'.
   * @default - `orderedLaneConcurrency` of functions/core/settings.ts, which holds its bounds too
   */
  readonly orderedLaneConcurrency?: number;
  /**
   * How long the functions' logs and the API's access logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Request limits of the whole HTTP API (all accounts together).
   * @default { rateLimit: 100, burstLimit: 200 }
   */
  readonly apiThrottle?: ApiThrottle;
  /**
   * How many subscriptions one account may have.
   * @default - `subscriptionsPerAccount` of functions/core/settings.ts, which holds its bounds too
   */
  readonly subscriptionsPerAccount?: number;
  /**
   * The SNS topic the alarms notify (and tell when they are OK again). Give this or {@link alarmEmail}.
   * @default - a new topic, encrypted with a KMS key of its own and TLS-only
   */
  readonly alarmTopic?: ITopic;
  /**
   * An e-mail address to subscribe to the new alarm topic (AWS asks it to confirm first). Not with
   * {@link alarmTopic}: subscribe addresses to a topic of your own yourself.
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Visible messages a work queue may hold for 15 minutes before its backlog alarm fires.
   * @default 1000
   */
  readonly backlogThreshold?: number;
  /**
   * The failure-rate alarm's thresholds.
   * @default - 25 % of at least 100 attempts, in three 5-minute periods in a row
   */
  readonly failureRateAlarm?: FailureRateAlarmOptions;
  /**
   * A custom domain for the HTTP API (regional endpoint, TLS 1.2), with an alias record when a hosted zone is
   * given.
   * @default - none: the API's `execute-api` URL
   */
  readonly customDomain?: CustomDomainOptions;
  /**
   * An EventBridge archive of the events the platform routes (the platform's own events excluded), from which
   * a time window can be replayed after an outage.
   * @default - no archive
   */
  readonly archive?: EventArchiveOptions;
  /**
   * What happens to the table (subscriptions, API keys, delivery records) when it leaves the stack. With
   * `DESTROY` its deletion protection is off too; only for throwaway stacks.
   * @default RemovalPolicy.RETAIN (with deletion protection)
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * The dashboard's name.
   * @default - generated by CloudFormation
   */
  readonly dashboardName?: string;
}

/**
 * The whole webhook platform of functions/core/platform.ts in one construct: the bus (or rules on a bus you
 * have), queues, table, functions, HTTP API, dashboard, alarms to an SNS topic, and an optional event archive.
 * A stack of its own (`WebhookPlatformStack`) or any other stack can hold it.
 */
export class WebhookPlatform extends Construct {
  public readonly table: WebhookTable;
  /** The KMS key the subscriptions' signing secrets are sealed with. */
  public readonly secretKey: SecretKey;
  public readonly queues: Readonly<Record<QueueName, WorkQueue>>;
  public readonly routing: EventRouting;
  public readonly pipeline: DeliveryPipeline;
  public readonly api: SubscriptionApi;
  /** Every function, by its platform.ts name. */
  public readonly functions: Readonly<Record<FunctionName, PlatformFunction>>;
  public readonly alarms: PlatformAlarms;
  /** The topic the alarms notify: the one given, or the one created. */
  public readonly alarmTopic: ITopic;
  public readonly dashboard: PlatformDashboard;
  /** The event archive, if one was asked for. */
  public readonly archive?: Archive;
  /** The API's custom domain, if one was given. */
  public readonly domainName?: DomainName;

  public constructor(scope: Construct, id: string, props: WebhookPlatformProps = {}) {
    super(scope, id);
    const path = this.node.path;
    const settings = settingsOfProps(this, props);
    if (props.apiThrottle !== undefined) checkThrottle(path, props.apiThrottle);
    if (props.logRetention !== undefined && !Object.values(RetentionDays).includes(props.logRetention)) {
      throw new Error(
        `${path}: logRetention must be a RetentionDays value, got ${String(props.logRetention)}`,
      );
    }
    if (props.alarmTopic !== undefined && props.alarmEmail !== undefined) {
      throw new Error(
        `${path}: give alarmTopic or alarmEmail, not both: subscribe the address to your own topic yourself`,
      );
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (removalPolicy === RemovalPolicy.SNAPSHOT || !Object.values(RemovalPolicy).includes(removalPolicy)) {
      throw new Error(
        `${path}: removalPolicy must be RETAIN, RETAIN_ON_UPDATE_OR_DELETE or DESTROY (CloudFormation cannot ` +
          `snapshot a DynamoDB table), got ${String(removalPolicy)}`,
      );
    }
    const archiveRetentionDays =
      props.archive === undefined
        ? undefined
        : wholeDays(path, 'archive.retention', props.archive.retention, 1, Number.MAX_SAFE_INTEGER);
    const keptDays = settings.deliveryRetentionDays;
    if (archiveRetentionDays !== undefined && archiveRetentionDays > keptDays) {
      throw new Error(
        `${path}: archive.retention (${archiveRetentionDays} days) must not exceed deliveryRetention ` +
          `(${keptDays} days): fan-out drops a replayed event it fanned out before only while it keeps its record, ` +
          'so replaying an older event would deliver it again',
      );
    }
    if (props.customDomain !== undefined) checkDomain(path, props.customDomain);

    this.table = new WebhookTable(this, 'Table', {
      removalPolicy,
      deletionProtection: removalPolicy !== RemovalPolicy.DESTROY,
    });
    // Kept as long as the table: without it, no stored signing secret can be read.
    this.secretKey = new SecretKey(this, 'SecretKey', { removalPolicy });
    this.queues = Object.fromEntries(
      Object.entries(queueDefinitions).map(([name, definition]) => [
        name,
        new WorkQueue(this, `${name}Queue`, { definition }),
      ]),
    ) as Record<QueueName, WorkQueue>;
    this.routing = new EventRouting(this, 'Routing', {
      eventBus: props.eventBus,
      eventBusName: props.eventBusName,
      queues: this.queues,
    });
    this.pipeline = new DeliveryPipeline(this, 'Pipeline', {
      table: this.table,
      secretKey: this.secretKey,
      queues: this.queues,
      eventBus: this.routing.eventBus,
      retryScheduleSeconds: settings.retrySchedule,
      disableAfter: props.disableAfter,
      deliveryTimeout: props.deliveryTimeout,
      deliveryRetentionDays: settings.deliveryRetentionDays,
      successRecords: settings.successRecords,
      mainLaneConcurrency: settings.mainLaneConcurrency,
      mainLaneBatchSize: settings.mainLaneBatchSize,
      slowLaneConcurrency: settings.slowLaneConcurrency,
      slowLaneBatchSize: settings.slowLaneBatchSize,
      orderedLaneConcurrency: settings.orderedLaneConcurrency,
      logRetention: props.logRetention,
    });
    this.api = new SubscriptionApi(this, 'Api', {
      table: this.table,
      secretKey: this.secretKey,
      fanOutQueue: this.queues.fanOut,
      deliveryQueue: this.queues.delivery,
      orderedDeliveryQueue: this.queues.orderedDelivery,
      deliveryRetentionDays: settings.deliveryRetentionDays,
      subscriptionsPerAccount: settings.subscriptionsPerAccount,
      throttle: props.apiThrottle,
      logRetention: props.logRetention,
    });
    this.functions = {
      authorizer: this.api.authorizerFunction,
      api: this.api.apiFunction,
      fanOut: this.pipeline.fanOut,
      delivery: this.pipeline.delivery,
      slowDelivery: this.pipeline.slowDelivery,
      orderedDelivery: this.pipeline.orderedDelivery,
      retryRelay: this.pipeline.retryRelay,
    };
    // The pipeline and the API bind the settings they take; this binds any other a function reads.
    for (const fn of Object.values(this.functions)) bindSettings(fn, settings);

    if (props.customDomain !== undefined) {
      const { domainName, certificate, hostedZone } = props.customDomain;
      this.domainName = new DomainName(this, 'ApiDomain', {
        domainName,
        certificate,
        securityPolicy: SecurityPolicy.TLS_1_2,
      });
      new ApiMapping(this, 'ApiMapping', {
        api: this.api.api,
        domainName: this.domainName,
        stage: this.api.stage,
      });
      if (hostedZone !== undefined) {
        new ARecord(this, 'ApiAlias', {
          zone: hostedZone,
          recordName: domainName,
          comment: 'The webhook API',
          target: RecordTarget.fromAlias(
            new ApiGatewayv2DomainProperties(
              this.domainName.regionalDomainName,
              this.domainName.regionalHostedZoneId,
            ),
          ),
        });
      }
    }

    if (archiveRetentionDays !== undefined) {
      this.archive = new Archive(this, 'Archive', {
        sourceEventBus: this.routing.eventBus,
        description: "Publishers' events that the webhook platform routes, for replays",
        eventPattern: archivedEvents(path),
        retention: Duration.days(archiveRetentionDays),
      });
    }

    this.alarmTopic =
      props.alarmTopic ?? new AlarmTopic(this, 'AlarmTopic', { email: props.alarmEmail }).topic;
    this.alarms = new PlatformAlarms(this, 'Alarms', {
      queues: this.queues,
      functions: this.functions,
      routing: this.routing,
      backlogThreshold: props.backlogThreshold,
      failureRatePercent: props.failureRateAlarm?.thresholdPercent,
      failureRateMinimumAttempts: props.failureRateAlarm?.minimumAttempts,
      alarmActions: [new SnsAction(this.alarmTopic)],
    });
    this.dashboard = new PlatformDashboard(this, 'Dashboard', {
      queues: this.queues,
      functions: this.functions,
      routing: this.routing,
      alarms: this.alarms.alarms,
      dashboardName: props.dashboardName,
    });
  }

  /** The bus publishers put events on. */
  public get eventBus(): IEventBus {
    return this.routing.eventBus;
  }

  /** The API's base URL: `https://<custom domain>/`, or the `execute-api` URL without one. */
  public get apiUrl(): string {
    return this.domainName === undefined ? this.api.url : `https://${this.domainName.name}/`;
  }
}

function wholeDays(path: string, prop: string, duration: Duration, min: number, max: number): number {
  const days = duration.toDays({ integral: false });
  if (!Number.isInteger(days) || days < min || days > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
    throw new Error(`${path}: ${prop} must be whole days, ${range}, got ${duration.toHumanString()}`);
  }
  return days;
}

function checkThrottle(path: string, throttle: ApiThrottle): void {
  if (!(throttle.rateLimit > 0) || !Number.isInteger(throttle.burstLimit) || throttle.burstLimit < 1) {
    throw new Error(
      `${path}: apiThrottle needs a positive rateLimit and a whole positive burstLimit, got ${JSON.stringify(throttle)}`,
    );
  }
}

function checkDomain(path: string, domain: CustomDomainOptions): void {
  const { domainName, hostedZone } = domain;
  if (Token.isUnresolved(domainName)) return;
  const label = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
  if (!new RegExp(`^(?:${label}\\.)+[a-z]{2,63}$`).test(domainName) || domainName.length > 253) {
    throw new Error(
      `${path}: customDomain.domainName must be a lower-case DNS name such as webhooks.example.com, got '${domainName}'`,
    );
  }
  const zone = hostedZone?.zoneName;
  if (zone !== undefined && !Token.isUnresolved(zone)) {
    const zoneName = zone.replace(/\.$/, '');
    if (domainName !== zoneName && !domainName.endsWith(`.${zoneName}`)) {
      throw new Error(
        `${path}: customDomain.domainName '${domainName}' is not in customDomain.hostedZone '${zoneName}'`,
      );
    }
  }
}

/**
 * What the archive keeps: exactly what the rules of platform.ts route to fan-out (publishers' events of the
 * catalog's resources), never the platform's own events.
 */
function archivedEvents(path: string): EventPattern {
  const detailTypes: unknown[] = [];
  for (const rule of rules) {
    const { source, 'detail-type': detailType, ...rest } = rule.eventPattern;
    const excludesPlatform =
      JSON.stringify(source) === JSON.stringify([{ 'anything-but': platformEventSource }]);
    if (!excludesPlatform || !Array.isArray(detailType) || Object.keys(rest).length > 0) {
      throw new Error(
        `${path}: the archive's pattern combines the rules' detail-type matchers, but platform.ts rule ` +
          `'${rule.name}' matches on more than that (or does not exclude source ${platformEventSource})`,
      );
    }
    detailTypes.push(...detailType);
  }
  const pattern: Record<string, unknown> = {
    source: [{ 'anything-but': platformEventSource }],
    detailType: detailTypes,
  };
  return pattern as EventPattern;
}
