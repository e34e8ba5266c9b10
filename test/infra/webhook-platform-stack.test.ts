import { Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import type { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  defaultEventBusName,
  type EnvironmentVariable,
  eventSourceMappings,
  type FunctionName,
  functions,
  httpApi,
  type QueueName,
  queues,
  rules,
  table,
} from '../../functions/core/platform.ts';
import { ALARM_PERIOD, BACKLOG_EVALUATION_PERIODS, DEFAULT_BACKLOG_THRESHOLD } from '../../lib/alarms.ts';
import { lambdaRuntime } from '../../lib/bundling.ts';
import { VISIBILITY_TO_TIMEOUT_RATIO } from '../../lib/delivery-pipeline.ts';
import { runtimeEnvironment } from '../../lib/platform-function.ts';
import { WebhookPlatformStack } from '../../lib/webhook-platform-stack.ts';
import { type CfnResource, ofType, referencedId, synthPlatform, testApp } from './synth.ts';

let stack: WebhookPlatformStack;
let resources: Record<string, CfnResource>;
let template: ReturnType<typeof synthPlatform>['template'];

beforeAll(() => {
  ({ stack, template, resources } = synthPlatform());
});

const logicalId = (construct: { node: { defaultChild?: unknown } }): string =>
  stack.getLogicalId(construct.node.defaultChild as CfnQueue);
const queueId = (name: QueueName): string => logicalId(stack.queues[name].queue);
const deadLetterQueueId = (name: QueueName): string => logicalId(stack.queues[name].deadLetterQueue);

function resource(id: string): CfnResource {
  const found = resources[id];
  if (found === undefined) throw new Error(`no resource ${id}`);
  return found;
}

/** The function platform.ts defines as `name`, found by its description. */
function functionId(name: FunctionName): string {
  const matches = ofType(resources, 'AWS::Lambda::Function').filter(
    ([, fn]) => fn.Properties.Description === functions[name].description,
  );
  expect(matches, `functions with the description of ${name}`).toHaveLength(1);
  return matches[0]?.[0] ?? '';
}

/** The statements of the policies attached to a function's role. */
function roleStatements(fnId: string): { Action: string | string[]; Resource: unknown; Effect: string }[] {
  const roleId = referencedId(resource(fnId).Properties.Role);
  return ofType(resources, 'AWS::IAM::Policy')
    .filter(([, policy]) => policy.Properties.Roles.some((role: unknown) => referencedId(role) === roleId))
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement);
}

function mayCall(fnId: string, action: string, queueLogicalId: string): boolean {
  return roleStatements(fnId).some(
    (s) =>
      s.Effect === 'Allow' &&
      [s.Action].flat().includes(action) &&
      [s.Resource].flat().some((r) => referencedId(r) === queueLogicalId),
  );
}

const canSendTo = (fnId: string, queueLogicalId: string) => mayCall(fnId, 'sqs:SendMessage', queueLogicalId);

type TableAccess = 'none' | 'read-only' | 'read-write';

/** The table access each function's code needs; a function added to platform.ts must be listed here. */
const tableAccess: Record<FunctionName, TableAccess> = {
  // Resolves API keys to accounts.
  authorizer: 'read-only',
  // Creates subscriptions and changes them.
  api: 'read-write',
  // Lists an account's subscriptions.
  fanOut: 'read-only',
  // Reads the subscription, and disables it when its endpoint answers 410 Gone.
  delivery: 'read-write',
};

describe('queues', () => {
  it('deploys each platform.ts queue with its settings and a dead-letter queue', () => {
    for (const [name, definition] of Object.entries(queues) as [QueueName, (typeof queues)[QueueName]][]) {
      const queue = resource(queueId(name)).Properties;
      expect(queue.VisibilityTimeout).toBe(definition.visibilityTimeoutSeconds);
      expect(queue.MessageRetentionPeriod).toBe(definition.retentionPeriodSeconds);
      expect(queue.RedrivePolicy).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': [deadLetterQueueId(name), 'Arn'] },
        maxReceiveCount: definition.maxReceiveCount,
      });
      expect(resource(deadLetterQueueId(name)).Properties.MessageRetentionPeriod).toBe(
        definition.deadLetterRetentionPeriodSeconds,
      );
    }
  });

  it('gives every queue a dead-letter queue (or makes it one), SSE and a TLS-only policy', () => {
    const all = ofType(resources, 'AWS::SQS::Queue');
    expect(all).toHaveLength(2 * Object.keys(queues).length);
    const deadLetterIds = all.map(([, q]) => referencedId(q.Properties.RedrivePolicy?.deadLetterTargetArn));
    const policies = ofType(resources, 'AWS::SQS::QueuePolicy');
    for (const [id, queue] of all) {
      expect(
        queue.Properties.RedrivePolicy !== undefined || deadLetterIds.includes(id),
        `${id} has a DLQ`,
      ).toBe(true);
      expect(
        queue.Properties.SqsManagedSseEnabled === true || queue.Properties.KmsMasterKeyId !== undefined,
      ).toBe(true);
      const statements = policies
        .filter(([, p]) => p.Properties.Queues.some((q: unknown) => referencedId(q) === id))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
      expect(statements, `${id} denies plain HTTP`).toContainEqual({
        Action: 'sqs:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Resource: { 'Fn::GetAtt': [id, 'Arn'] },
      });
    }
  });
});

describe('event source mappings', () => {
  it('deploys each platform.ts mapping with partial batch responses', () => {
    const deployed = ofType(resources, 'AWS::Lambda::EventSourceMapping');
    expect(deployed).toHaveLength(eventSourceMappings.length);
    for (const mapping of eventSourceMappings) {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [queueId(mapping.queue), 'Arn'] },
        FunctionName: { Ref: functionId(mapping.function) },
        BatchSize: mapping.batchSize,
        MaximumBatchingWindowInSeconds: mapping.maxBatchingWindowSeconds,
        ScalingConfig: { MaximumConcurrency: mapping.maximumConcurrency },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    }
  });

  it(`keeps each consumed queue's visibility timeout >= ${VISIBILITY_TO_TIMEOUT_RATIO}x its function's timeout`, () => {
    for (const [, mapping] of ofType(resources, 'AWS::Lambda::EventSourceMapping')) {
      const queue = resource(referencedId(mapping.Properties.EventSourceArn) ?? '');
      const fn = resource(referencedId(mapping.Properties.FunctionName) ?? '');
      expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(
        VISIBILITY_TO_TIMEOUT_RATIO * fn.Properties.Timeout,
      );
    }
  });

  it('never lets a function send to the queue it consumes', () => {
    // A retry is the same message made invisible for its wait, not a new message: no consumer re-queues.
    for (const [, mapping] of ofType(resources, 'AWS::Lambda::EventSourceMapping')) {
      const fnId = referencedId(mapping.Properties.FunctionName) ?? '';
      const queueLogicalId = referencedId(mapping.Properties.EventSourceArn) ?? '';
      expect(canSendTo(fnId, queueLogicalId), `${fnId} sends to ${queueLogicalId}`).toBe(false);
    }
  });
});

describe('functions', () => {
  it('deploys exactly the platform.ts functions on Node.js 22, ARM64, JSON logs, tracing', () => {
    const deployed = ofType(resources, 'AWS::Lambda::Function');
    expect(deployed).toHaveLength(Object.keys(functions).length);
    expect(lambdaRuntime.name).toBe('nodejs22.x');
    for (const [name, definition] of Object.entries(functions) as [
      FunctionName,
      (typeof functions)[FunctionName],
    ][]) {
      const fn = resource(functionId(name)).Properties;
      expect(fn.Runtime).toBe(lambdaRuntime.name);
      expect(fn.Architectures).toEqual(['arm64']);
      expect(fn.Handler).toBe('index.handler');
      expect(fn.Timeout).toBe(definition.timeoutSeconds);
      expect(fn.MemorySize).toBe(definition.memorySizeMb);
      expect(fn.TracingConfig).toEqual({ Mode: 'Active' });
      expect(fn.LoggingConfig).toMatchObject({ LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } });
    }
  });

  it('lets Lambda stop every function caught in a recursive loop', () => {
    for (const name of Object.keys(functions) as FunctionName[]) {
      expect(resource(functionId(name)).Properties.RecursiveLoop, name).toBe('Terminate');
    }
  });

  it('gives each function exactly the environment it declares, with access to what each variable names', () => {
    const expected: Record<EnvironmentVariable, { value: unknown; sendsTo?: string }> = {
      TABLE_NAME: { value: { Ref: logicalId(stack.table.table) } },
      DELIVERY_QUEUE_URL: { value: { Ref: queueId('delivery') }, sendsTo: queueId('delivery') },
      FAN_OUT_DLQ_URL: { value: { Ref: deadLetterQueueId('fanOut') }, sendsTo: deadLetterQueueId('fanOut') },
      DELIVERY_DLQ_URL: {
        value: { Ref: deadLetterQueueId('delivery') },
        sendsTo: deadLetterQueueId('delivery'),
      },
      FAN_OUT_QUEUE_URL: { value: { Ref: queueId('fanOut') }, sendsTo: queueId('fanOut') },
      ALLOW_PRIVATE_TARGETS: { value: 'false' },
      SUBSCRIPTIONS_PER_ACCOUNT: { value: '100' },
    };
    for (const [name, definition] of Object.entries(functions) as [
      FunctionName,
      (typeof functions)[FunctionName],
    ][]) {
      const id = functionId(name);
      const variables: Record<string, unknown> = resource(id).Properties.Environment.Variables;
      expect(Object.keys(variables).sort(), name).toEqual(
        [...definition.environment, ...Object.keys(runtimeEnvironment)].sort(),
      );
      for (const variable of definition.environment) {
        expect(variables[variable], `${name} ${variable}`).toEqual(expected[variable].value);
        const target = expected[variable].sendsTo;
        if (target === undefined) continue;
        // A queue's own consumer only changes its messages' visibility (a retry's wait); others send to it.
        const consumes = eventSourceMappings.some(
          (mapping) => mapping.function === name && queueId(mapping.queue) === target,
        );
        const action = consumes ? 'sqs:ChangeMessageVisibility' : 'sqs:SendMessage';
        expect(mayCall(id, action, target), `${name} may ${action} on ${variable}`).toBe(true);
      }
    }
  });

  it('gives each function that reads TABLE_NAME the table access it needs and no more', () => {
    const tableId = logicalId(stack.table.table);
    const readActions = ['dynamodb:GetItem', 'dynamodb:Query'];
    const writeActions = [
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
    ];
    for (const [name, access] of Object.entries(tableAccess) as [FunctionName, TableAccess][]) {
      const declares = (functions[name].environment as readonly EnvironmentVariable[]).includes('TABLE_NAME');
      expect(access !== 'none', `${name}: table access iff it declares TABLE_NAME in platform.ts`).toBe(
        declares,
      );
      const allowed = roleStatements(functionId(name)).filter((s) => s.Effect === 'Allow');
      const onTable = allowed
        .filter((s) => [s.Resource].flat().some((r) => referencedId(r) === tableId))
        .flatMap((s) => [s.Action].flat());
      const anywhere = allowed.flatMap((s) => [s.Action].flat());
      for (const action of readActions) {
        expect(onTable.includes(action), `${name} may ${action}`).toBe(access !== 'none');
      }
      for (const action of writeActions) {
        const granted = access === 'read-write' ? onTable.includes(action) : anywhere.includes(action);
        expect(granted, `${name} may ${action}`).toBe(access === 'read-write');
      }
      expect(
        anywhere.filter((a) => a === '*' || a === 'dynamodb:*'),
        `${name} wildcard actions`,
      ).toEqual([]);
    }
  });
});

describe('table', () => {
  it('is the platform.ts single table: on demand, encrypted, PITR, TTL, retained', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: [
          { AttributeName: table.partitionKey, KeyType: 'HASH' },
          { AttributeName: table.sortKey, KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: table.partitionKey, AttributeType: 'S' },
          { AttributeName: table.sortKey, AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: table.timeToLiveAttribute, Enabled: true },
      }),
    });
  });
});

describe('event routing', () => {
  it(`names the bus '${defaultEventBusName}' unless told otherwise`, () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: defaultEventBusName });
    const other = synthPlatform({ eventBusName: 'shipping-events' });
    other.template.hasResourceProperties('AWS::Events::EventBus', { Name: 'shipping-events' });
  });

  it('deploys each platform.ts rule with its pattern, into its queue, with a dead-letter queue', () => {
    const busId = logicalId(stack.routing.eventBus);
    const deployed = ofType(resources, 'AWS::Events::Rule');
    expect(deployed).toHaveLength(rules.length);
    const policyStatements = (queueLogicalId: string) =>
      ofType(resources, 'AWS::SQS::QueuePolicy')
        .filter(([, p]) => p.Properties.Queues.some((q: unknown) => referencedId(q) === queueLogicalId))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    for (const definition of rules) {
      const matches = deployed.filter(([, r]) => r.Properties.Description === definition.description);
      expect(matches).toHaveLength(1);
      const [ruleId, rule] = matches[0] ?? [];
      expect(rule?.Properties.EventPattern).toEqual(definition.eventPattern);
      expect(rule?.Properties.EventBusName).toEqual({ Ref: busId });
      expect(rule?.Properties.Targets).toEqual([
        {
          Id: expect.any(String),
          Arn: { 'Fn::GetAtt': [queueId(definition.targetQueue), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [deadLetterQueueId(definition.targetQueue), 'Arn'] } },
        },
      ]);
      for (const target of [queueId(definition.targetQueue), deadLetterQueueId(definition.targetQueue)]) {
        const allowed = policyStatements(target).some(
          (s) =>
            s.Effect === 'Allow' &&
            s.Principal?.Service === 'events.amazonaws.com' &&
            [s.Action].flat().includes('sqs:SendMessage') &&
            referencedId(s.Condition?.ArnEquals?.['aws:SourceArn']) === ruleId,
        );
        expect(allowed, `events from rule ${definition.name} may reach ${target}`).toBe(true);
      }
    }
  });
});

describe('HTTP API', () => {
  it('routes platform.ts routeKey to the API function behind an authorizer with no identity source', () => {
    const authorizers = ofType(resources, 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizers).toHaveLength(1);
    const [authorizerId, authorizer] = authorizers[0] ?? [];
    expect(authorizer?.Properties).toMatchObject({
      AuthorizerType: 'REQUEST',
      EnableSimpleResponses: true,
      AuthorizerPayloadFormatVersion: '2.0',
      AuthorizerResultTtlInSeconds: 0,
    });
    expect(authorizer?.Properties).not.toHaveProperty('IdentitySource');
    expect(JSON.stringify(authorizer?.Properties.AuthorizerUri)).toContain(functionId(httpApi.authorizer));

    const routes = ofType(resources, 'AWS::ApiGatewayV2::Route');
    expect(routes).toHaveLength(1);
    const route = routes[0]?.[1].Properties;
    expect(route).toMatchObject({
      RouteKey: httpApi.routeKey,
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: authorizerId },
    });
    const integrationId = JSON.stringify(route?.Target).match(/"Ref":"(\w+)"/)?.[1] ?? '';
    expect(resource(integrationId).Properties).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: { 'Fn::GetAtt': [functionId(httpApi.function), 'Arn'] },
      PayloadFormatVersion: '2.0',
      TimeoutInMillis: httpApi.integrationTimeoutSeconds * 1000,
    });
  });

  it('throttles the default stage and writes access logs', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: Match.anyValue(), ThrottlingBurstLimit: Match.anyValue() },
      AccessLogSettings: {
        DestinationArn: Match.anyValue(),
        Format: Match.stringLikeRegexp('\\$context.requestId'),
      },
    });
  });

  it('outputs the API URL, the bus name and the table name (for issuing API keys)', () => {
    template.hasOutput('ApiUrl', {});
    template.hasOutput('EventBusName', { Value: { Ref: logicalId(stack.routing.eventBus) } });
    template.hasOutput('TableName', { Value: { Ref: logicalId(stack.table.table) } });
  });
});

describe('alarms', () => {
  const alarms = (all: Record<string, CfnResource>, metricName: string, queueLogicalId: string) =>
    ofType(all, 'AWS::CloudWatch::Alarm')
      .map(([, alarm]) => alarm.Properties)
      .filter(
        (alarm) =>
          alarm.Namespace === 'AWS/SQS' &&
          alarm.MetricName === metricName &&
          referencedId(alarm.Dimensions?.[0]?.Value) === queueLogicalId,
      );

  it('alarms on any message in each dead-letter queue', () => {
    for (const name of Object.keys(queues) as QueueName[]) {
      expect(alarms(resources, 'ApproximateNumberOfMessagesVisible', deadLetterQueueId(name)), name).toEqual([
        expect.objectContaining({
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          EvaluationPeriods: 1,
          TreatMissingData: 'notBreaching',
        }),
      ]);
    }
  });

  it(`alarms on a backlog of visible messages in each work queue that lasts ${BACKLOG_EVALUATION_PERIODS} periods`, () => {
    for (const name of Object.keys(queues) as QueueName[]) {
      expect(alarms(resources, 'ApproximateNumberOfMessagesVisible', queueId(name)), name).toEqual([
        expect.objectContaining({
          Threshold: DEFAULT_BACKLOG_THRESHOLD,
          ComparisonOperator: 'GreaterThanThreshold',
          Statistic: 'Minimum',
          Period: ALARM_PERIOD.toSeconds(),
          EvaluationPeriods: BACKLOG_EVALUATION_PERIODS,
          TreatMissingData: 'notBreaching',
        }),
      ]);
    }
  });

  it('never alarms on the age of the oldest message of a queue whose consumer delays its own messages', () => {
    // A consumer given its own queue's URL uses it to make a message invisible for a retry's wait, so that
    // queue's oldest message is as old as the longest retry schedule in progress.
    const delaying = eventSourceMappings.filter((mapping) => {
      const ownQueue = JSON.stringify({ Ref: queueId(mapping.queue) });
      const variables: Record<string, unknown> = resource(functionId(mapping.function)).Properties.Environment
        .Variables;
      return Object.values(variables).some((value) => JSON.stringify(value) === ownQueue);
    });
    expect(delaying.length, 'consumers that delay their own messages (delivery retries)').toBeGreaterThan(0);
    for (const mapping of delaying) {
      expect(
        alarms(resources, 'ApproximateAgeOfOldestMessage', queueId(mapping.queue)),
        mapping.queue,
      ).toEqual([]);
    }
  });

  it('takes the backlog threshold and the alarm actions from the stack props', () => {
    const topicArn = 'arn:aws:sns:eu-west-1:123456789012:hookbridge-alarms';
    const action: IAlarmAction = { bind: () => ({ alarmActionArn: topicArn }) };
    const other = synthPlatform({ backlogThreshold: DEFAULT_BACKLOG_THRESHOLD + 1, alarmActions: [action] });
    const all = ofType(other.resources, 'AWS::CloudWatch::Alarm');
    expect(all).toHaveLength(2 * Object.keys(queues).length);
    for (const [, alarm] of all) {
      expect(alarm.Properties.AlarmActions).toEqual([topicArn]);
    }
    for (const name of Object.keys(queues) as QueueName[]) {
      const backlog = alarms(
        other.resources,
        'ApproximateNumberOfMessagesVisible',
        other.stack.getLogicalId(other.stack.queues[name].queue.node.defaultChild as CfnQueue),
      );
      expect(backlog.map((alarm) => alarm.Threshold)).toEqual([DEFAULT_BACKLOG_THRESHOLD + 1]);
    }
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('has no unacknowledged findings, and synth with the plugin succeeds', () => {
    const app = testApp();
    const nagged = new WebhookPlatformStack(app, 'Nagged');
    const checks = new AwsSolutionsChecks(app);
    Validations.of(app).addPlugins(checks);

    const report = new AwsSolutionsChecks().validateScope(nagged);
    const summary = report.violations.map(
      (v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(summary.filter((line) => line.startsWith('error'))).toEqual([]);
    expect(() => app.synth()).not.toThrow();
  });
});
