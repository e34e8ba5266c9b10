import { Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
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

  it('lets only a function that re-queues to its own queue run in a loop', () => {
    for (const [, mapping] of ofType(resources, 'AWS::Lambda::EventSourceMapping')) {
      const fnId = referencedId(mapping.Properties.FunctionName) ?? '';
      const requeues = canSendTo(fnId, referencedId(mapping.Properties.EventSourceArn) ?? '');
      expect(resource(fnId).Properties.RecursiveLoop).toBe(requeues ? 'Allow' : 'Terminate');
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

  it('gives each function exactly the environment it declares, with access to what each variable names', () => {
    const expected: Record<EnvironmentVariable, { value: unknown; sendsTo?: string }> = {
      TABLE_NAME: { value: { Ref: logicalId(stack.table.table) } },
      DELIVERY_QUEUE_URL: { value: { Ref: queueId('delivery') }, sendsTo: queueId('delivery') },
      FAN_OUT_DLQ_URL: { value: { Ref: deadLetterQueueId('fanOut') }, sendsTo: deadLetterQueueId('fanOut') },
      DELIVERY_DLQ_URL: {
        value: { Ref: deadLetterQueueId('delivery') },
        sendsTo: deadLetterQueueId('delivery'),
      },
      ALLOW_PRIVATE_TARGETS: { value: 'false' },
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
      if ((definition.environment as readonly string[]).includes('TABLE_NAME')) {
        const tableArn = { 'Fn::GetAtt': [logicalId(stack.table.table), 'Arn'] };
        expect(
          roleStatements(id).some(
            (s) =>
              [s.Action].flat().includes('dynamodb:GetItem') &&
              [s.Resource].flat().some((r) => JSON.stringify(r) === JSON.stringify(tableArn)),
          ),
          `${name} may read the table`,
        ).toBe(true);
      }
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

  it('outputs the API URL and the bus name', () => {
    template.hasOutput('ApiUrl', {});
    template.hasOutput('EventBusName', { Value: { Ref: logicalId(stack.routing.eventBus) } });
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
