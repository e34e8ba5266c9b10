import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CfnAuthorizer,
  HttpApi,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { functions, httpApi } from '../functions/core/platform.ts';
import type { SettingValues } from '../functions/core/settings.ts';
import { blockPrivateTargets, PlatformFunction } from './platform-function.ts';
import type { SecretKey } from './secret-key.ts';
import { bindSettings, checkedSetting, settingOfProp } from './setting-props.ts';
import { tableAccess } from './table-access.ts';
import type { WebhookTable } from './webhook-table.ts';
import type { WorkQueue } from './work-queue.ts';

/** Steady-state and burst request limits of the API's stage. */
export interface ApiThrottle {
  /** Requests per second. */
  readonly rateLimit: number;
  /** Requests allowed in a burst. */
  readonly burstLimit: number;
}

export interface SubscriptionApiProps {
  /** The platform's table (API keys, subscriptions, deliveries). */
  readonly table: WebhookTable;
  /** The key the signing secrets are sealed with: the API encrypts the secrets it makes, and reads none. */
  readonly secretKey: SecretKey;
  /** The fan-out queue, where the API puts the test events it sends through the delivery path. */
  readonly fanOutQueue: WorkQueue;
  /** The main delivery lane, where the API puts the attempts clients ask for (retry, recover). */
  readonly deliveryQueue: WorkQueue;
  /** The ordered lane (a FIFO queue), where the API puts the attempts clients ask for of ordered subscriptions. */
  readonly orderedDeliveryQueue: WorkQueue;
  /**
   * How long delivery records are kept (the API filters expired ones), in days.
   * @default - `deliveryRetentionDays` of functions/core/settings.ts, which holds its bounds too
   */
  readonly deliveryRetentionDays?: number;
  /**
   * How many subscriptions one account may have.
   * @default - `subscriptionsPerAccount` of functions/core/settings.ts, which holds its bounds too
   */
  readonly subscriptionsPerAccount?: number;
  /**
   * Request limits of the whole API (all accounts together).
   * @default { rateLimit: 100, burstLimit: 200 }
   */
  readonly throttle?: ApiThrottle;
  /**
   * How long the functions' logs and the access logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * The HTTP API of platform.ts: its `$default` route to the API function behind a Lambda authorizer (simple responses,
 * payload 2.0, no identity source and so no caching: it runs on every request and lets a missing key through
 * to the API function, which answers with a problem+json 401). The `$default` stage is throttled and writes
 * JSON access logs.
 */
export class SubscriptionApi extends Construct {
  /** The HTTP API. */
  public readonly api: HttpApi;
  /** Its `$default` stage. */
  public readonly stage: HttpStage;
  /** Serves every route. */
  public readonly apiFunction: PlatformFunction;
  /** Resolves the API key to an account. */
  public readonly authorizerFunction: PlatformFunction;
  /** The access log group. */
  public readonly accessLogs: LogGroup;

  public constructor(scope: Construct, id: string, props: SubscriptionApiProps) {
    super(scope, id);
    const throttle = props.throttle ?? { rateLimit: 100, burstLimit: 200 };
    if (!(throttle.rateLimit > 0) || !Number.isInteger(throttle.burstLimit) || throttle.burstLimit < 1) {
      throw new Error(
        `${this.node.path}: throttle needs a positive rateLimit and a whole positive burstLimit, got ${JSON.stringify(throttle)}`,
      );
    }
    // Checked against settings.ts, each named by its prop here; bound to the API function.
    const settings: Partial<SettingValues> = {
      subscriptionsPerAccount: settingOfProp(this, 'subscriptionsPerAccount', props.subscriptionsPerAccount),
      deliveryRetentionDays: checkedSetting(this, 'deliveryRetentionDays', props.deliveryRetentionDays),
    };
    const integrationTimeout = httpApi.integrationTimeoutSeconds;
    if (!Number.isInteger(integrationTimeout) || integrationTimeout < 1 || integrationTimeout > 30) {
      throw new Error(
        `${this.node.path}: integrationTimeoutSeconds must be 1 to 30, got ${integrationTimeout}`,
      );
    }

    this.apiFunction = new PlatformFunction(this, 'Api', {
      definition: functions[httpApi.function],
      logRetention: props.logRetention,
      // The API function serves the portal: its build goes next to the bundle, in portal/.
      commandHooks: {
        beforeBundling: () => [],
        beforeInstall: () => [],
        afterBundling: (inputDir, outputDir) => [
          `cd "${inputDir}" && node --import tsx portal/build.ts --out-dir "${outputDir}/portal"`,
        ],
      },
    });
    props.table.grantItemsTo(this.apiFunction, tableAccess.api);
    props.secretKey.grantEncryptTo(this.apiFunction);
    props.fanOutQueue.grantSendTo(this.apiFunction, 'FAN_OUT_QUEUE_URL');
    props.deliveryQueue.grantSendTo(this.apiFunction, 'DELIVERY_QUEUE_URL');
    props.orderedDeliveryQueue.grantSendTo(this.apiFunction, 'ORDERED_DELIVERY_QUEUE_URL');
    bindSettings(this.apiFunction, settings);
    blockPrivateTargets(this.apiFunction);

    this.authorizerFunction = new PlatformFunction(this, 'Authorizer', {
      definition: functions[httpApi.authorizer],
      logRetention: props.logRetention,
    });
    // API keys' lookup items and the portal signing key, by GetItem only: nothing else of the table.
    props.table.grantItemsTo(this.authorizerFunction, tableAccess.authorizer);

    this.api = new HttpApi(this, 'HttpApi', {
      description: 'Webhook subscriptions, deliveries and retries',
      createDefaultStage: false,
    });
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(accessLogFields)),
      },
    });

    const authorizer = new HttpLambdaAuthorizer('ApiKeyAuthorizer', this.authorizerFunction.function, {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: [],
      // Without an identity source there is nothing to key a cache on.
      resultsCacheTtl: Duration.seconds(0),
    });
    new HttpRoute(this, 'Route', {
      httpApi: this.api,
      routeKey: HttpRouteKey.DEFAULT,
      integration: new HttpLambdaIntegration('ApiIntegration', this.apiFunction.function, {
        timeout: Duration.seconds(integrationTimeout),
      }),
      authorizer,
    });
    // The authorizer resource exists once the route has bound it. `identitySource: []` renders as an empty
    // list; leaving the property out says "no identity source" without relying on how an empty list is read.
    const cfnAuthorizer = this.api.node
      .findAll()
      .find((child): child is CfnAuthorizer => child instanceof CfnAuthorizer);
    if (cfnAuthorizer === undefined) {
      throw new Error(`${this.node.path}: the route did not create its Lambda authorizer`);
    }
    cfnAuthorizer.addPropertyDeletionOverride('IdentitySource');
  }

  /** The API's base URL (`https://{id}.execute-api.{region}.amazonaws.com/`). */
  public get url(): string {
    return this.stage.url;
  }
}

/** One JSON object per request; `$context` variables of HTTP APIs. */
const accessLogFields = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  httpMethod: '$context.httpMethod',
  path: '$context.path',
  routeKey: '$context.routeKey',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  latencyMs: '$context.responseLatency',
  integrationLatencyMs: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
};
