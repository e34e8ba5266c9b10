import { Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { HostedZone } from 'aws-cdk-lib/aws-route53';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import {
  deliveryMetrics,
  type EnvironmentVariable,
  type FunctionName,
  functions,
  type QueueName,
  queues,
  rules,
} from '../../functions/core/platform.ts';
import {
  encodeSetting,
  ruleOf,
  type SettingName,
  settingNames,
  settings,
} from '../../functions/core/settings.ts';
import { toProp } from '../../lib/setting-props.ts';
import { WebhookPlatform, type WebhookPlatformProps } from '../../lib/webhook-platform.ts';
import { WebhookPlatformStack } from '../../lib/webhook-platform-stack.ts';
import { beyondBoundsOf, sampleOf } from '../support/setting-samples.ts';
import { type CfnResource, ofType, referencedId, testApp } from './synth.ts';

/** A WebhookPlatform in a stack of its own; `props` may use the stack (e.g. to make a bus in it). */
function embed(props: WebhookPlatformProps | ((stack: Stack) => WebhookPlatformProps) = {}) {
  const stack = new Stack(testApp(), 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
  const platform = new WebhookPlatform(stack, 'Webhooks', typeof props === 'function' ? props(stack) : props);
  const template = Template.fromStack(stack);
  const resources: Record<string, CfnResource> = template.toJSON().Resources;
  const idOf = (construct: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(construct.node.defaultChild as never);
  return { stack, platform, template, resources, idOf };
}

const fail = (props: WebhookPlatformProps | ((stack: Stack) => WebhookPlatformProps)) => () => embed(props);

/** The environment variables of the function platform.ts defines as `name`. */
function environmentOf(resources: Record<string, CfnResource>, name: FunctionName): Record<string, unknown> {
  const matches = ofType(resources, 'AWS::Lambda::Function').filter(
    ([, fn]) => fn.Properties.Description === functions[name].description,
  );
  expect(matches, name).toHaveLength(1);
  return matches[0]?.[1].Properties.Environment.Variables ?? {};
}

const variableOf = (
  resources: Record<string, CfnResource>,
  name: FunctionName,
  variable: EnvironmentVariable,
) => environmentOf(resources, name)[variable];

/** The settings that size the delivery lanes, which their mappings take and no function reads. */
const laneCapacitySettings: SettingName[] = [
  'mainLaneConcurrency',
  'mainLaneBatchSize',
  'slowLaneConcurrency',
  'slowLaneBatchSize',
  'orderedLaneConcurrency',
];

/** The functions that read a variable, by their platform.ts definitions. */
const readersOf = (variable: EnvironmentVariable) =>
  (Object.keys(functions) as FunctionName[]).filter((name) =>
    (functions[name].environment as readonly EnvironmentVariable[]).includes(variable),
  );

describe('WebhookPlatform defaults', () => {
  const { resources, template, platform, idOf } = embed();

  it("creates a bus named 'webhooks', routes it with the platform.ts rules and lets the lanes put events on it", () => {
    const buses = ofType(resources, 'AWS::Events::EventBus');
    expect(buses.map(([, bus]) => bus.Properties.Name)).toEqual(['webhooks']);
    const busId = buses[0]?.[0];
    const deployed = ofType(resources, 'AWS::Events::Rule');
    expect(deployed).toHaveLength(rules.length);
    for (const [, rule] of deployed) expect(rule.Properties.EventBusName).toEqual({ Ref: busId });
    for (const name of readersOf('EVENT_BUS_NAME')) {
      expect(variableOf(resources, name, 'EVENT_BUS_NAME'), name).toEqual({ Ref: busId });
    }
  });

  it('keeps the table (RETAIN, deletion protection), has no archive, no custom domain and no e-mail', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
    for (const type of [
      'AWS::Events::Archive',
      'AWS::ApiGatewayV2::DomainName',
      'AWS::ApiGatewayV2::ApiMapping',
      'AWS::Route53::RecordSet',
      'AWS::SNS::Subscription',
    ]) {
      expect(ofType(resources, type), type).toEqual([]);
    }
    expect(platform.archive).toBeUndefined();
    expect(platform.apiUrl).toBe(platform.api.url);
  });

  it('keeps every log group a month and throttles the API at 100 requests per second, bursts of 200', () => {
    const logGroups = ofType(resources, 'AWS::Logs::LogGroup');
    // One per function, and the API's access logs.
    expect(logGroups).toHaveLength(Object.keys(functions).length + 1);
    for (const [id, group] of logGroups) expect(group.Properties.RetentionInDays, id).toBe(30);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
    });
  });

  it('creates an alarm topic encrypted with a rotating KMS key that CloudWatch may use, TLS only', () => {
    const topics = ofType(resources, 'AWS::SNS::Topic');
    expect(topics).toHaveLength(1);
    const [topicId, topic] = topics[0] ?? [];
    // The alarm topic's key, beside the signing secrets' key.
    const keys = ofType(resources, 'AWS::KMS::Key').filter(([id]) => id !== idOf(platform.secretKey.key));
    expect(keys).toHaveLength(1);
    const [keyId, key] = keys[0] ?? [];
    expect(referencedId(topic?.Properties.KmsMasterKeyId)).toBe(keyId);
    expect(key?.Properties.EnableKeyRotation).toBe(true);
    expect(key?.Properties.KeyPolicy.Statement).toContainEqual({
      Sid: 'CloudWatchAlarmsEncryptNotifications',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
    });
    const policies = ofType(resources, 'AWS::SNS::TopicPolicy');
    expect(policies).toHaveLength(1);
    const [, policy] = policies[0] ?? [];
    expect(policy?.Properties.Topics).toEqual([{ Ref: topicId }]);
    expect(policy?.Properties.PolicyDocument.Statement).toEqual([
      {
        Sid: 'AllowPublishThroughSSLOnly',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sns:Publish',
        Resource: { Ref: topicId },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Sid: 'CloudWatchAlarmsPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: topicId },
        Condition: {
          StringEquals: { 'aws:SourceAccount': '123456789012' },
          ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:*' },
        },
      },
    ]);
    for (const [id, alarm] of ofType(resources, 'AWS::CloudWatch::Alarm')) {
      expect(alarm.Properties.AlarmActions, id).toEqual([{ Ref: topicId }]);
    }
  });
});

describe('WebhookPlatform props', () => {
  it('adds its rules to an existing bus, binds its name and may put events on it, creating no bus', () => {
    const arn = 'arn:aws:events:eu-west-1:123456789012:event-bus/shipping-events';
    const { resources } = embed((stack) => ({ eventBus: EventBus.fromEventBusArn(stack, 'Shipping', arn) }));

    expect(ofType(resources, 'AWS::Events::EventBus')).toEqual([]);
    for (const [, rule] of ofType(resources, 'AWS::Events::Rule')) {
      expect(rule.Properties.EventBusName).toBe('shipping-events');
    }
    for (const name of readersOf('EVENT_BUS_NAME')) {
      expect(variableOf(resources, name, 'EVENT_BUS_NAME'), name).toBe('shipping-events');
    }
    const putEvents = ofType(resources, 'AWS::IAM::Policy')
      .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement)
      .filter((statement: { Action: unknown }) => statement.Action === 'events:PutEvents');
    expect(putEvents).toHaveLength(readersOf('EVENT_BUS_NAME').length);
    for (const statement of putEvents) expect(statement.Resource).toBe(arn);
  });

  it("alarms on the rules' metrics with the dimensions EventBridge gives them: RuleName alone on the default bus, with EventBusName on another, both summed when the name is known only at deploy", () => {
    const ruleAlarms = (resources: Record<string, CfnResource>) =>
      ofType(resources, 'AWS::CloudWatch::Alarm')
        .map(([, alarm]) => alarm.Properties)
        .filter(
          (alarm) =>
            alarm.MetricName === 'FailedInvocations' ||
            JSON.stringify(alarm.Metrics ?? []).includes('FailedInvocations'),
        );
    const names = (dimensions: { Name: string }[]) => dimensions.map((dimension) => dimension.Name);

    const onDefault = embed((stack) => ({
      eventBus: EventBus.fromEventBusName(stack, 'Default', 'default'),
    }));
    const onNamed = embed((stack) => ({
      eventBus: EventBus.fromEventBusArn(
        stack,
        'Shipping',
        'arn:aws:events:eu-west-1:123456789012:event-bus/shipping-events',
      ),
    }));
    const onImported = embed((stack) => ({
      eventBus: EventBus.fromEventBusArn(stack, 'Imported', Fn.importValue('ShippingBusArn')),
    }));

    expect(ruleAlarms(onDefault.resources).map((alarm) => names(alarm.Dimensions))).toEqual(
      rules.map(() => ['RuleName']),
    );
    expect(ruleAlarms(onNamed.resources).map((alarm) => alarm.Dimensions[0])).toEqual(
      rules.map(() => ({ Name: 'EventBusName', Value: 'shipping-events' })),
    );
    const imported = ruleAlarms(onImported.resources);
    expect(imported).toHaveLength(rules.length);
    for (const alarm of imported) {
      const queries: {
        Id: string;
        Expression?: string;
        MetricStat?: { Metric: { Dimensions: { Name: string }[] } };
      }[] = alarm.Metrics;
      expect(queries.find((query) => query.Expression !== undefined)?.Expression).toEqual(
        expect.stringMatching(/^FILL\((\w+)_onItsBus, 0\) \+ FILL\(\1_onDefaultBus, 0\)$/),
      );
      expect(
        queries
          .filter((query) => query.MetricStat !== undefined)
          .map((query) => names(query.MetricStat?.Metric.Dimensions ?? [])),
      ).toEqual([['EventBusName', 'RuleName'], ['RuleName']]);
    }
  });

  it('names a new bus eventBusName, and refuses both eventBus and eventBusName', () => {
    const { resources } = embed({ eventBusName: 'shipping-webhooks' });
    expect(ofType(resources, 'AWS::Events::EventBus').map(([, bus]) => bus.Properties.Name)).toEqual([
      'shipping-webhooks',
    ]);
    expect(
      fail((stack) => ({
        eventBus: EventBus.fromEventBusName(stack, 'Shipping', 'shipping-events'),
        eventBusName: 'webhooks',
      })),
    ).toThrow(/give eventBus \(a bus that exists\) or eventBusName \(for a new bus\), not both/);
  });

  it('sends the alarms to a given topic and creates none', () => {
    const topicArn = 'arn:aws:sns:eu-west-1:123456789012:on-call';
    const { resources, platform, idOf } = embed((stack) => ({
      alarmTopic: Topic.fromTopicArn(stack, 'OnCall', topicArn),
    }));

    expect(ofType(resources, 'AWS::SNS::Topic')).toEqual([]);
    // No key for a topic: the signing secrets' key only.
    expect(ofType(resources, 'AWS::KMS::Key').map(([id]) => id)).toEqual([idOf(platform.secretKey.key)]);
    const alarms = ofType(resources, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(0);
    for (const [id, alarm] of alarms) {
      expect(alarm.Properties.AlarmActions, id).toEqual([topicArn]);
      expect(alarm.Properties.OKActions, id).toEqual([topicArn]);
    }
  });

  it('subscribes alarmEmail to the new topic, and refuses a topic and an e-mail together or a bad address', () => {
    const { resources, platform, idOf } = embed({ alarmEmail: 'oncall@example.com' });
    expect(ofType(resources, 'AWS::SNS::Subscription').map(([, s]) => s.Properties)).toEqual([
      { Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: { Ref: idOf(platform.alarmTopic) } },
    ]);
    expect(
      fail((stack) => ({
        alarmTopic: Topic.fromTopicArn(stack, 'OnCall', 'arn:aws:sns:eu-west-1:123456789012:on-call'),
        alarmEmail: 'oncall@example.com',
      })),
    ).toThrow(/Test\/Webhooks: give alarmTopic or alarmEmail, not both/);
    expect(fail({ alarmEmail: 'on call' })).toThrow(/alarmEmail must be an e-mail address, got 'on call'/);
  });

  it('serves the API on a custom domain with TLS 1.2, mapped to the default stage, with an alias record', () => {
    const certificateArn =
      'arn:aws:acm:eu-west-1:123456789012:certificate/0b0a0b0a-0b0a-0b0a-0b0a-0b0a0b0a0b0a';
    const { resources, platform, idOf } = embed((stack) => ({
      customDomain: {
        domainName: 'webhooks.example.com',
        certificate: Certificate.fromCertificateArn(stack, 'Certificate', certificateArn),
        hostedZone: HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
          hostedZoneId: 'Z0123456789ABCDEFGHIJ',
          zoneName: 'example.com',
        }),
      },
    }));

    const domains = ofType(resources, 'AWS::ApiGatewayV2::DomainName');
    expect(domains.map(([, domain]) => domain.Properties)).toEqual([
      {
        DomainName: 'webhooks.example.com',
        DomainNameConfigurations: [
          { CertificateArn: certificateArn, EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' },
        ],
      },
    ]);
    const domainId = domains[0]?.[0];
    expect(ofType(resources, 'AWS::ApiGatewayV2::ApiMapping').map(([, m]) => m.Properties)).toEqual([
      { ApiId: { Ref: idOf(platform.api.api) }, DomainName: { Ref: domainId }, Stage: '$default' },
    ]);
    expect(ofType(resources, 'AWS::Route53::RecordSet').map(([, r]) => r.Properties)).toEqual([
      {
        Name: 'webhooks.example.com.',
        Type: 'A',
        HostedZoneId: 'Z0123456789ABCDEFGHIJ',
        Comment: 'The webhook API',
        AliasTarget: {
          DNSName: { 'Fn::GetAtt': [domainId, 'RegionalDomainName'] },
          HostedZoneId: { 'Fn::GetAtt': [domainId, 'RegionalHostedZoneId'] },
        },
      },
    ]);
    expect(platform.apiUrl).toMatch(/^https:\/\/\$\{Token\[.+\]\}\/$/);
  });

  it('adds no record without a hosted zone, and refuses a bad domain name or one outside the zone', () => {
    const certificate = (stack: Stack) =>
      Certificate.fromCertificateArn(
        stack,
        'Certificate',
        'arn:aws:acm:eu-west-1:123456789012:certificate/x',
      );
    const { resources } = embed((stack) => ({
      customDomain: { domainName: 'api.example.org', certificate: certificate(stack) },
    }));
    expect(ofType(resources, 'AWS::ApiGatewayV2::DomainName')).toHaveLength(1);
    expect(ofType(resources, 'AWS::Route53::RecordSet')).toEqual([]);

    expect(
      fail((stack) => ({ customDomain: { domainName: 'Not A Domain', certificate: certificate(stack) } })),
    ).toThrow(/customDomain.domainName must be a lower-case DNS name such as webhooks.example.com/);
    expect(
      fail((stack) => ({
        customDomain: {
          domainName: 'api.example.org',
          certificate: certificate(stack),
          hostedZone: HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
            hostedZoneId: 'Z0123456789ABCDEFGHIJ',
            zoneName: 'example.com',
          }),
        },
      })),
    ).toThrow(/customDomain.domainName 'api.example.org' is not in customDomain.hostedZone 'example.com'/);
  });

  it("archives what the rules route, never the platform's own events, for the retention given", () => {
    const { resources, platform, idOf } = embed({ archive: { retention: Duration.days(30) } });

    const archives = ofType(resources, 'AWS::Events::Archive');
    expect(archives).toHaveLength(1);
    expect(archives[0]?.[1].Properties).toMatchObject({
      SourceArn: { 'Fn::GetAtt': [idOf(platform.eventBus), 'Arn'] },
      RetentionDays: 30,
      EventPattern: {
        source: [{ 'anything-but': 'hookbridge' }],
        'detail-type': [{ prefix: 'order.' }, { prefix: 'shipment.' }, { prefix: 'draft.' }],
      },
    });
    expect(platform.archive).toBeDefined();
    expect(fail({ archive: { retention: Duration.hours(36) } })).toThrow(
      /Test\/Webhooks: archive.retention must be whole days, at least 1, got 1 day 12 hours/,
    );
    expect(fail({ archive: { retention: Duration.days(31) } })).toThrow(
      /archive.retention \(31 days\) must not exceed deliveryRetention \(30 days\)/,
    );
    expect(() =>
      embed({ archive: { retention: Duration.days(60) }, deliveryRetention: Duration.days(60) }),
    ).not.toThrow();
  });

  it('binds the retry schedule, disableAfter, deliveryTimeout and successRecords to every delivery lane', () => {
    const { resources } = embed({
      retrySchedule: [Duration.seconds(10), Duration.minutes(10), Duration.hours(1)],
      disableAfter: Duration.days(2),
      deliveryTimeout: Duration.seconds(8),
      successRecords: 0.25,
    });
    for (const lane of ['delivery', 'slowDelivery', 'orderedDelivery'] as const) {
      expect(environmentOf(resources, lane), lane).toMatchObject({
        RETRY_SCHEDULE: '10,600,3600',
        DISABLE_AFTER_SECONDS: String(2 * 86_400),
        DELIVERY_TIMEOUT_SECONDS: '8',
        SUCCESS_RECORDS: '0.25',
      });
    }
  });

  it.each([
    ['no wait', []],
    ['a fraction of a second', [Duration.millis(1500)]],
    ['a wait over a day', [Duration.hours(25)]],
    ['more than 20 waits', Array.from({ length: 21 }, () => Duration.minutes(1))],
  ])('refuses a retry schedule with %s, naming retrySchedule', (_, retrySchedule) => {
    expect(fail({ retrySchedule })).toThrow(
      /Test\/Webhooks: retrySchedule must be 1 to 20 waits, each whole seconds from 1 second to 1 day, got \[/,
    );
  });

  it('binds deliveryRetention in days to every function that writes or reads delivery records', () => {
    const { resources } = embed({ deliveryRetention: Duration.days(7) });
    const readers = readersOf('DELIVERY_RETENTION_DAYS');
    expect(readers.sort()).toEqual(['api', 'delivery', 'fanOut', 'orderedDelivery', 'slowDelivery']);
    for (const name of readers)
      expect(variableOf(resources, name, 'DELIVERY_RETENTION_DAYS'), name).toBe('7');
    expect(fail({ deliveryRetention: Duration.hours(36) })).toThrow(
      /Test\/Webhooks: deliveryRetention must be whole days, from 1 to 9999, got 1 day 12 hours/,
    );
  });

  it('binds every setting of settings.ts from its prop to each function that reads it, as settings.ts writes it', () => {
    const props: WebhookPlatformProps = Object.fromEntries(
      settingNames.map((name) => [settings[name].prop, toProp(name, sampleOf(name))]),
    );
    const { resources } = embed(props);
    const readSettings = settingNames.filter((name) => !(laneCapacitySettings as string[]).includes(name));
    for (const name of readSettings) {
      const env = settings[name].env as EnvironmentVariable;
      expect(readersOf(env).length, env).toBeGreaterThan(0);
      for (const reader of readersOf(env)) {
        expect(variableOf(resources, reader, env), `${reader} ${env}`).toBe(
          encodeSetting(name, sampleOf(name)),
        );
      }
    }
  });

  it("sizes the lanes' event source mappings from their props, and binds those to no function", () => {
    const { resources, platform, idOf } = embed({
      mainLaneConcurrency: 7,
      mainLaneBatchSize: 3,
      slowLaneConcurrency: 4,
      slowLaneBatchSize: 1,
      orderedLaneConcurrency: 6,
    });
    const mappingOf = (queue: QueueName) =>
      ofType(resources, 'AWS::Lambda::EventSourceMapping')
        .filter(([, m]) => referencedId(m.Properties.EventSourceArn) === idOf(platform.queues[queue].queue))
        .map(([, m]) => [m.Properties.BatchSize, m.Properties.ScalingConfig.MaximumConcurrency]);
    expect(mappingOf('delivery')).toEqual([[3, 7]]);
    expect(mappingOf('slowDelivery')).toEqual([[1, 4]]);
    expect(mappingOf('orderedDelivery')).toEqual([[10, 6]]);
    // The other mappings keep platform.ts's numbers.
    expect(mappingOf('fanOut')).toEqual([[10, 5]]);
    expect(mappingOf('retry')).toEqual([[10, 2]]);
    for (const [id, fn] of ofType(resources, 'AWS::Lambda::Function')) {
      const variables = Object.keys(fn.Properties.Environment?.Variables ?? {});
      for (const name of laneCapacitySettings) expect(variables, id).not.toContain(settings[name].env);
    }
  });

  it.each([
    ['mainLaneConcurrency', 1, 'a whole number from 2 to 1000, got 1'],
    ['mainLaneBatchSize', 0, 'a whole number from 1 to 10, got 0'],
    ['slowLaneConcurrency', 1, 'a whole number from 2 to 1000, got 1'],
    ['slowLaneBatchSize', 0, 'a whole number from 1 to 10, got 0'],
    ['orderedLaneConcurrency', 1, 'a whole number from 2 to 1000, got 1'],
  ] as const)('refuses %s %i, below what an SQS mapping takes, naming the prop', (prop, value, rule) => {
    expect(fail({ [prop]: value })).toThrow(`Test/Webhooks: ${prop} must be ${rule}`);
  });

  it.each(settingNames)('refuses %s beyond its bounds, naming its prop', (name) => {
    const { prop } = settings[name];
    const props: WebhookPlatformProps = { [prop]: toProp(name, beyondBoundsOf(name)) };
    expect(fail(props)).toThrow(`Test/Webhooks: ${prop} must be ${ruleOf(name)}, got `);
  });

  it('keeps logs for logRetention, throttles the API at apiThrottle, and limits subscriptionsPerAccount', () => {
    const { resources, template } = embed({
      logRetention: RetentionDays.TWO_WEEKS,
      apiThrottle: { rateLimit: 20, burstLimit: 40 },
      subscriptionsPerAccount: 7,
    });
    for (const [id, group] of ofType(resources, 'AWS::Logs::LogGroup')) {
      expect(group.Properties.RetentionInDays, id).toBe(14);
    }
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
    });
    expect(variableOf(resources, 'api', 'SUBSCRIPTIONS_PER_ACCOUNT')).toBe('7');
    expect(fail({ apiThrottle: { rateLimit: 0, burstLimit: 1 } })).toThrow(
      /Test\/Webhooks: apiThrottle needs a positive rateLimit and a whole positive burstLimit/,
    );
    expect(fail({ logRetention: 12 as RetentionDays })).toThrow(/logRetention must be a RetentionDays value/);
  });

  it('lets the table go with the stack on DESTROY (deletion protection off), and refuses SNAPSHOT', () => {
    const { template } = embed({ removalPolicy: RemovalPolicy.DESTROY });
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
    });
    expect(fail({ removalPolicy: RemovalPolicy.SNAPSHOT })).toThrow(
      /removalPolicy must be RETAIN, RETAIN_ON_UPDATE_OR_DELETE or DESTROY/,
    );
  });

  it('takes the failure-rate alarm thresholds and the dashboard name', () => {
    const { resources } = embed({
      failureRateAlarm: { thresholdPercent: 10, minimumAttempts: 20 },
      dashboardName: 'shipping-webhooks',
    });
    const [rate] = ofType(resources, 'AWS::CloudWatch::Alarm').filter(
      ([, alarm]) => alarm.Properties.Metrics !== undefined,
    );
    expect(rate?.[1].Properties.Threshold).toBe(10);
    expect(
      rate?.[1].Properties.Metrics.find((query: { ReturnData?: boolean }) => query.ReturnData !== false)
        ?.Expression,
    ).toBe('IF(attempts >= 20, 100 * failures / attempts, 0)');
    expect(
      ofType(resources, 'AWS::CloudWatch::Dashboard').map(([, d]) => d.Properties.DashboardName),
    ).toEqual(['shipping-webhooks']);
  });
});

/** A dashboard body with its CloudFormation references written as `{ref:LogicalId}` and `{attr:Id.Attr}`. */
function dashboardBody(resources: Record<string, CfnResource>): {
  widgets: { type: string; properties: Record<string, unknown> }[];
} {
  const dashboards = ofType(resources, 'AWS::CloudWatch::Dashboard');
  expect(dashboards).toHaveLength(1);
  const parts: unknown[] = dashboards[0]?.[1].Properties.DashboardBody['Fn::Join'][1] ?? [];
  const text = parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const ref = (part as { Ref?: string }).Ref;
      if (ref !== undefined) return `{ref:${ref}}`;
      const [id, attr] = (part as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
      return `{attr:${id}.${attr}}`;
    })
    .join('');
  return JSON.parse(text);
}

describe('dashboard', () => {
  const { resources, platform, idOf } = embed();
  const { widgets } = dashboardBody(resources);
  const byTitle = (title: string) => {
    const found = widgets.find((widget) => widget.properties.title === title);
    if (found === undefined) throw new Error(`no widget '${title}'`);
    return found.properties as { metrics: unknown[][] };
  };
  /** The [namespace, name, ...dimensions] and the options of each plain metric of a widget. */
  const metricsOf = (title: string) =>
    byTitle(title)
      .metrics.filter((line) => typeof line[0] === 'string')
      .map((line) => ({
        metric: line.filter((part) => typeof part === 'string'),
        options: (line.find((part) => typeof part === 'object') ?? {}) as Record<string, unknown>,
      }));
  const expressionsOf = (title: string) =>
    byTitle(title)
      .metrics.filter((line) => typeof line[0] === 'object')
      .map((line) => (line[0] as { expression: string }).expression);
  const queueNames = Object.keys(queues) as QueueName[];
  const functionNames = Object.keys(functions) as FunctionName[];
  const allLanes = ['main', 'slow', 'ordered'];

  it('shows deliveries per minute and the success rate from the delivery metrics of every lane', () => {
    expect(expressionsOf('Deliveries per minute')).toEqual([
      'FILL(attempts_main, 0) + FILL(attempts_slow, 0) + FILL(attempts_ordered, 0)',
      'FILL(successes_main, 0) + FILL(successes_slow, 0) + FILL(successes_ordered, 0)',
      'FILL(failures_main, 0) + FILL(failures_slow, 0) + FILL(failures_ordered, 0)',
    ]);
    expect(
      metricsOf('Deliveries per minute').map(({ metric, options }) => [...metric, options.period]),
    ).toEqual(
      ['DeliveryAttempts', 'DeliverySuccesses', 'DeliveryFailures'].flatMap((name) =>
        allLanes.map((lane) => ['Hookbridge', name, 'Lane', lane, 'service', 'delivery', 60]),
      ),
    );
    expect(expressionsOf('Success rate (%)')[0]).toBe('IF(attempts > 0, 100 * successes / attempts)');
  });

  it('shows attempt latency p50, p95 and p99 per lane, and failures per error kind', () => {
    expect(
      metricsOf('Attempt latency (ms)').map(({ metric, options }) => [metric[1], metric[3], options.stat]),
    ).toEqual(
      allLanes.flatMap((lane) => ['p50', 'p95', 'p99'].map((stat) => ['AttemptLatency', lane, stat])),
    );
    expect(expressionsOf('Failed attempts by kind, per lane')).toEqual([
      `SEARCH('{Hookbridge,service,Lane,ErrorKind} MetricName="DeliveryFailures"', 'Sum', 60)`,
    ]);
    expect(
      metricsOf('Deliveries failed for good, and moved to the slow lane').map(({ metric }) => [
        metric[1],
        metric[3],
      ]),
    ).toEqual([
      ['DeliveriesFailed', 'main'],
      ['MovedToSlowLane', 'main'],
      ['DeliveriesFailed', 'slow'],
      ['DeliveriesFailed', 'ordered'],
    ]);
  });

  it("shows each queue's visible backlog and each dead-letter queue's depth, and the standard queues' oldest message", () => {
    const queueRef = (name: QueueName) => `{attr:${idOf(platform.queues[name].queue)}.QueueName}`;
    const dlqRef = (name: QueueName) => `{attr:${idOf(platform.queues[name].deadLetterQueue)}.QueueName}`;
    const shown = (title: string) => metricsOf(title).map(({ metric, options }) => [...metric, options.stat]);
    expect(shown('Queue backlog (visible messages)')).toEqual(
      queueNames.map((name) => [
        'AWS/SQS',
        'ApproximateNumberOfMessagesVisible',
        'QueueName',
        queueRef(name),
        'Maximum',
      ]),
    );
    // The ordered lane's FIFO queue holds messages for hours by design: its own row shows its oldest message.
    expect(shown('Oldest message (seconds)')).toEqual(
      queueNames
        .filter((name) => name !== 'orderedDelivery')
        .map((name) => ['AWS/SQS', 'ApproximateAgeOfOldestMessage', 'QueueName', queueRef(name), 'Maximum']),
    );
    expect(shown('Dead-letter queues (messages)')).toEqual(
      queueNames.map((name) => [
        'AWS/SQS',
        'ApproximateNumberOfMessagesVisible',
        'QueueName',
        dlqRef(name),
        'Maximum',
      ]),
    );
  });

  it("shows a row of the ordered lane: its deliveries, its FIFO queue's messages and groups in flight, its oldest message in hours", () => {
    expect(widgets.some((widget) => String(widget.properties.markdown).startsWith('## Ordered lane'))).toBe(
      true,
    );
    expect(
      metricsOf('Ordered deliveries per minute').map(({ metric, options }) => [...metric, options.period]),
    ).toEqual(
      ['DeliveryAttempts', 'DeliverySuccesses', 'DeliveryFailures'].map((name) => [
        'Hookbridge',
        name,
        'Lane',
        'ordered',
        'service',
        'delivery',
        60,
      ]),
    );
    const ordered = `{attr:${idOf(platform.queues.orderedDelivery.queue)}.QueueName}`;
    expect(
      metricsOf('Ordered lane queue').map(({ metric, options }) => [...metric, options.stat, options.label]),
    ).toEqual([
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', ordered, 'Maximum', 'Messages visible'],
      [
        'AWS/SQS',
        'ApproximateNumberOfMessagesNotVisible',
        'QueueName',
        ordered,
        'Maximum',
        'Messages in flight',
      ],
      [
        'AWS/SQS',
        'ApproximateNumberOfGroupsWithInflightMessages',
        'QueueName',
        ordered,
        'Maximum',
        'Groups in flight',
      ],
    ]);
    const title = 'Ordered lane oldest message (hours)';
    expect(expressionsOf(title)).toEqual(['age / 3600']);
    expect(metricsOf(title).map(({ metric, options }) => [...metric, options.stat])).toEqual([
      ['AWS/SQS', 'ApproximateAgeOfOldestMessage', 'QueueName', ordered, 'Maximum'],
    ]);
  });

  it('shows the events each rule could not deliver to its queue, and those lost (refused by its DLQ too)', () => {
    const busRef = `{ref:${idOf(platform.routing.eventBus)}}`;
    for (const [title, metricName] of [
      ['Events a rule could not deliver to its queue', 'FailedInvocations'],
      ['Events lost: refused by the queue and its DLQ', 'InvocationsFailedToBeSentToDlq'],
    ] as const) {
      expect(
        metricsOf(title).map(({ metric, options }) => [...metric, options.stat, options.label]),
        title,
      ).toEqual(
        rules.map((rule) => [
          'AWS/Events',
          metricName,
          'EventBusName',
          busRef,
          'RuleName',
          `{ref:${idOf(platform.routing.rules.get(rule.name) as never)}}`,
          'Sum',
          rule.name,
        ]),
      );
    }
  });

  it("shows each function's errors and throttles, and every alarm's state", () => {
    for (const [title, metricName] of [
      ['Function errors', 'Errors'],
      ['Function throttles', 'Throttles'],
    ] as const) {
      expect(
        metricsOf(title).map(({ metric }) => metric),
        title,
      ).toEqual(
        functionNames.map((name) => [
          'AWS/Lambda',
          metricName,
          'FunctionName',
          `{ref:${idOf(platform.functions[name].function)}}`,
        ]),
      );
    }
    const alarmWidget = widgets.find((widget) => widget.type === 'alarm');
    expect(alarmWidget?.properties.alarms).toEqual(
      platform.alarms.alarms.map((alarm) => `{attr:${idOf(alarm)}.Arn}`),
    );
  });

  /** A widget's metrics as [name, lane, statistic, period], each of a Hookbridge metric of the delivery service. */
  const deliveryMetricsOf = (title: string) =>
    metricsOf(title).map(({ metric, options }) => {
      const [namespace, name, ...dimensions] = metric;
      const dimension = (key: string) => dimensions[dimensions.indexOf(key) + 1];
      expect(namespace, title).toBe(deliveryMetrics.namespace);
      expect(dimension('service'), title).toBe(deliveryMetrics.service);
      return [name, dimension(deliveryMetrics.dimensions.lane), options.stat ?? 'Sum', options.period];
    });
  /** Each lane's metric of the name, summed per minute: the terms of an all-lanes total. */
  const everyLane = (name: string) => allLanes.map((lane) => [name, lane, 'Sum', 60]);
  const { names } = deliveryMetrics;

  it('shows a row of endpoints: subscriptions moved between the lanes both ways, per minute, every lane summed', () => {
    const title = 'Subscriptions moved between lanes';
    expect(widgets.some((widget) => String(widget.properties.markdown).startsWith('## Endpoints'))).toBe(
      true,
    );
    expect([names.endpointsSlowed, names.endpointsRestored]).toEqual([
      'EndpointsMovedToSlowLane',
      'EndpointsMovedToMainLane',
    ]);
    expect(expressionsOf(title)).toEqual([
      'FILL(endpointsSlowed_main, 0) + FILL(endpointsSlowed_slow, 0) + FILL(endpointsSlowed_ordered, 0)',
      'FILL(endpointsRestored_main, 0) + FILL(endpointsRestored_slow, 0) + FILL(endpointsRestored_ordered, 0)',
    ]);
    expect(deliveryMetricsOf(title)).toEqual([
      ...everyLane(names.endpointsSlowed),
      ...everyLane(names.endpointsRestored),
    ]);
  });

  it('shows circuits opened and closed and their probes, and deliveries held and throttled', () => {
    expect([names.circuitsOpened, names.circuitsClosed, names.circuitProbes]).toEqual([
      'CircuitsOpened',
      'CircuitsClosed',
      'CircuitProbes',
    ]);
    expect(deliveryMetricsOf('Circuits')).toEqual([
      ...everyLane(names.circuitsOpened),
      ...everyLane(names.circuitsClosed),
      ...everyLane(names.circuitProbes),
    ]);
    expect([names.deliveriesHeld, names.deliveriesThrottled]).toEqual([
      'DeliveriesHeld',
      'DeliveriesThrottled',
    ]);
    expect(deliveryMetricsOf('Deliveries held and throttled')).toEqual([
      ...everyLane(names.deliveriesHeld),
      ...everyLane(names.deliveriesThrottled),
    ]);
  });

  it('shows new connections per lane, and their setup time p50 and p99 per lane', () => {
    expect([names.newConnections, names.connectionSetupTime]).toEqual([
      'NewConnections',
      'ConnectionSetupTime',
    ]);
    expect(deliveryMetricsOf('New connections per minute')).toEqual(everyLane(names.newConnections));
    // Percentiles over five minutes: CloudWatch's default period, which the widget leaves unsaid.
    expect(deliveryMetricsOf('Connection setup time (ms)')).toEqual(
      allLanes.flatMap((lane) =>
        ['p50', 'p99'].map((stat) => [names.connectionSetupTime, lane, stat, undefined]),
      ),
    );
  });

  it("raises no alarm on customers' endpoints: no alarm reads a lane move, circuit, hold, throttle or connection", () => {
    const endpointNames = [
      names.endpointsSlowed,
      names.endpointsRestored,
      names.circuitsOpened,
      names.circuitsClosed,
      names.circuitProbes,
      names.deliveriesHeld,
      names.deliveriesThrottled,
      names.newConnections,
      names.connectionSetupTime,
    ];
    const alarms = ofType(resources, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(0);
    for (const [id, alarm] of alarms) {
      const read = [
        alarm.Properties.MetricName,
        ...(alarm.Properties.Metrics ?? []).map(
          (query: { MetricStat?: { Metric: { MetricName: string } } }) => query.MetricStat?.Metric.MetricName,
        ),
      ];
      for (const name of endpointNames) expect(read, id).not.toContain(name);
    }
  });
});

describe('WebhookPlatformStack outputs', () => {
  const outputsOf = (stack: WebhookPlatformStack) => Template.fromStack(stack).toJSON().Outputs;

  it('outputs the API, bus, table, signing secrets’ key, dashboard and alarm topic; the archive and its rules only with one', () => {
    const plain = outputsOf(new WebhookPlatformStack(testApp(), 'Plain'));
    expect(Object.keys(plain).sort()).toEqual([
      'AlarmTopicArn',
      'ApiUrl',
      'DashboardName',
      'DashboardUrl',
      'EventBusArn',
      'EventBusName',
      'SigningSecretKeyArn',
      'TableName',
    ]);
    expect(JSON.stringify(plain.DashboardUrl.Value)).toContain('#dashboards/dashboard/');

    const archived = new WebhookPlatformStack(testApp(), 'Archived', {
      archive: { retention: Duration.days(7) },
    });
    const outputs = outputsOf(archived);
    expect(outputs.ArchiveArn.Value).toEqual({
      'Fn::GetAtt': [archived.getLogicalId(archived.platform.archive?.node.defaultChild as never), 'Arn'],
    });
    const ruleArns = JSON.stringify(outputs.ReplayRuleArns.Value);
    for (const rule of archived.platform.routing.rules.values()) {
      expect(ruleArns).toContain(archived.getLogicalId(rule.node.defaultChild as never));
    }
  });
});
