import { Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  defaultEventBusName,
  deliveryMetrics,
  type EnvironmentVariable,
  eventSourceMappings,
  type FunctionName,
  functions,
  httpApi,
  type QueueDefinition,
  type QueueName,
  queues,
  rules,
  table,
} from '../../functions/core/platform.ts';
import { settings } from '../../functions/core/settings.ts';
import {
  ALARM_PERIOD,
  BACKLOG_EVALUATION_PERIODS,
  DEFAULT_BACKLOG_THRESHOLD,
  OLDEST_MESSAGE_AGE_LIMITS,
  OLDEST_MESSAGE_EVALUATION_PERIODS,
} from '../../lib/alarms.ts';
import { lambdaRuntime } from '../../lib/bundling.ts';
import { VISIBILITY_TO_TIMEOUT_RATIO } from '../../lib/delivery-pipeline.ts';
import { runtimeEnvironment } from '../../lib/platform-function.ts';
import { partitions, tableAccess } from '../../lib/table-access.ts';
import { WebhookPlatformStack } from '../../lib/webhook-platform-stack.ts';
import { fifoAttributes } from '../../sandbox/compose/queues.ts';
import {
  type CfnResource,
  dependenciesOf,
  dependencyCycle,
  ofType,
  referencedId,
  synthPlatform,
  testApp,
} from './synth.ts';

let stack: WebhookPlatformStack;
let resources: Record<string, CfnResource>;
let template: ReturnType<typeof synthPlatform>['template'];

beforeAll(() => {
  ({ stack, template, resources } = synthPlatform());
});

const logicalId = (construct: { node: { defaultChild?: unknown } }): string =>
  stack.getLogicalId(construct.node.defaultChild as CfnQueue);
const queueId = (name: QueueName): string => logicalId(stack.platform.queues[name].queue);
const deadLetterQueueId = (name: QueueName): string => logicalId(stack.platform.queues[name].deadLetterQueue);
const busId = (): string => logicalId(stack.platform.routing.eventBus);
const secretKeyId = (): string => logicalId(stack.platform.secretKey.key);

function resource(id: string): CfnResource {
  const found = resources[id];
  if (found === undefined) throw new Error(`no resource ${id}`);
  return found;
}

const functionNames = Object.keys(functions) as FunctionName[];
/** The functions that sign webhooks, and so open the subscriptions' signing secrets. */
const signers: readonly FunctionName[] = ['delivery', 'slowDelivery', 'orderedDelivery'];

/** The function platform.ts defines as `name`, found by its description. */
function functionId(name: FunctionName): string {
  const matches = ofType(resources, 'AWS::Lambda::Function').filter(
    ([, fn]) => fn.Properties.Description === functions[name].description,
  );
  expect(matches, `functions with the description of ${name}`).toHaveLength(1);
  return matches[0]?.[0] ?? '';
}

interface Statement {
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Effect: string;
  readonly Condition?: unknown;
}

/** The statements of the policies attached to a function's role. */
function roleStatements(fnId: string): Statement[] {
  const roleId = referencedId(resource(fnId).Properties.Role);
  return ofType(resources, 'AWS::IAM::Policy')
    .filter(([, policy]) => policy.Properties.Roles.some((role: unknown) => referencedId(role) === roleId))
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement);
}

/** The actions a function's Allow statements grant on a resource, or on anything if no resource is given. */
function allowedActions(fnId: string, resourceId?: string): string[] {
  return roleStatements(fnId)
    .filter((s) => s.Effect === 'Allow')
    .filter(
      (s) => resourceId === undefined || [s.Resource].flat().some((r) => referencedId(r) === resourceId),
    )
    .flatMap((s) => [s.Action].flat());
}

const mayCall = (fnId: string, action: string, resourceId: string): boolean =>
  allowedActions(fnId, resourceId).includes(action);

/** The logical IDs of the queues a function may send to, sorted. */
function queuesSentTo(fnId: string): string[] {
  return roleStatements(fnId)
    .filter((s) => s.Effect === 'Allow' && [s.Action].flat().includes('sqs:SendMessage'))
    .flatMap((s) => [s.Resource].flat().map((r) => referencedId(r) ?? JSON.stringify(r)))
    .sort();
}

/** The queue a function consumes through its event source mapping, if it has one. */
function consumedQueueId(name: FunctionName): string | undefined {
  const fnId = functionId(name);
  const mapping = ofType(resources, 'AWS::Lambda::EventSourceMapping').find(
    ([, m]) => referencedId(m.Properties.FunctionName) === fnId,
  );
  return mapping === undefined ? undefined : referencedId(mapping[1].Properties.EventSourceArn);
}

/** A work queue, or the dead-letter queue beside it. */
type QueueRef = QueueName | `${QueueName} DLQ`;

const queueRefId = (ref: QueueRef): string =>
  ref.endsWith(' DLQ')
    ? deadLetterQueueId(ref.slice(0, -' DLQ'.length) as QueueName)
    : queueId(ref as QueueName);

/** The queues each function's code sends to; a function added to platform.ts must be listed here. */
const queueSends: Record<FunctionName, readonly QueueRef[]> = {
  authorizer: [],
  // Test events go through fan-out; the retries and recoveries clients ask for go to the main lane, or to the
  // ordered lane for ordered subscriptions.
  api: ['fanOut', 'delivery', 'orderedDelivery'],
  // One delivery per matching subscription to the main lane (the ordered lane for ordered subscriptions); an
  // event it cannot handle to its own DLQ.
  fanOut: ['delivery', 'orderedDelivery', 'fanOut DLQ'],
  // A retry is a new message, delayed: to a lane, or to the retry queue to wait longer than 15 minutes; a circuit's
  // probe goes to the slow lane, its release to the main lane.
  delivery: ['delivery', 'slowDelivery', 'retry', 'delivery DLQ'],
  slowDelivery: ['delivery', 'slowDelivery', 'retry', 'delivery DLQ'],
  // An ordered retry waits by visibility in its group (no send): the ordered lane sends only the probe of a
  // circuit it opens (slow lane) and the release of one it closes (main lane).
  orderedDelivery: ['delivery', 'slowDelivery', 'delivery DLQ'],
  // A waiting retry hops through the retry queue until it is due within 15 minutes, then to the main lane.
  retryRelay: ['delivery', 'retry'],
};

/** Whether a function puts the platform's own events (webhook.disabled, delivery.failed, ...) on the bus. */
const putsPlatformEvents: Record<FunctionName, boolean> = {
  authorizer: false,
  api: false,
  fanOut: false,
  delivery: true,
  slowDelivery: true,
  orderedDelivery: true,
  retryRelay: false,
};

const days = 24 * 3600;

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

  it('keeps the visibility, retention and redrive values that the design relies on', () => {
    // Visibility is at least 6x the consumer's timeout: fan-out 5 s, main lane 10 s, slow and ordered lanes
    // 30 s, relay 10 s.
    const visibility: Record<QueueName, number> = {
      fanOut: 30,
      delivery: 60,
      slowDelivery: 180,
      orderedDelivery: 180,
      retry: 60,
    };
    // Every wait on the ordered lane (a retry's, a turn's, an open circuit's) is a receive: SQS's most.
    const maxReceives: Record<QueueName, number> = {
      fanOut: 5,
      delivery: 5,
      slowDelivery: 5,
      orderedDelivery: 1000,
      retry: 5,
    };
    // The ordered lane keeps its messages SQS's most: a resource's wait behind an outage lasts up to disableAfter.
    const retention = (name: QueueName) => (name === 'orderedDelivery' ? 14 * days : 4 * days);
    expect(Object.keys(queues).sort()).toEqual(Object.keys(visibility).sort());
    expect(ofType(resources, 'AWS::SQS::Queue')).toHaveLength(10);
    for (const [name, seconds] of Object.entries(visibility) as [QueueName, number][]) {
      const queue = resource(queueId(name)).Properties;
      expect(queue, name).toMatchObject({
        VisibilityTimeout: seconds,
        MessageRetentionPeriod: retention(name),
        RedrivePolicy: { maxReceiveCount: maxReceives[name] },
      });
      expect(resource(deadLetterQueueId(name)).Properties.MessageRetentionPeriod, `${name} DLQ`).toBe(
        14 * days,
      );
    }
  });

  it('makes only the ordered lane and its dead-letter queue FIFO queues, in high-throughput mode', () => {
    const fifo = {
      FifoQueue: true,
      // High-throughput mode: de-duplication and throughput per message group (subscription and resource).
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
      // De-duplicated by the id each sender gives, never by the body.
      ContentBasedDeduplication: false,
    };
    // The sandbox creates its FIFO queues with the same attributes, as SQS's API writes them.
    expect(fifoAttributes).toEqual({
      FifoQueue: 'true',
      DeduplicationScope: fifo.DeduplicationScope,
      FifoThroughputLimit: fifo.FifoThroughputLimit,
      ContentBasedDeduplication: String(fifo.ContentBasedDeduplication),
    });
    for (const id of [queueId('orderedDelivery'), deadLetterQueueId('orderedDelivery')]) {
      const queue = resource(id).Properties;
      expect(queue, id).toMatchObject(fifo);
      // No name: CloudFormation generates one, ending in .fifo for a FIFO queue.
      expect(queue.QueueName, id).toBeUndefined();
    }
    expect(resource(queueId('orderedDelivery')).Properties.RedrivePolicy.deadLetterTargetArn).toEqual({
      'Fn::GetAtt': [deadLetterQueueId('orderedDelivery'), 'Arn'],
    });
    // The other queues are standard (fair queues are standard queues whose messages carry a MessageGroupId).
    const standard = ofType(resources, 'AWS::SQS::Queue').filter(
      ([id]) => id !== queueId('orderedDelivery') && id !== deadLetterQueueId('orderedDelivery'),
    );
    expect(standard).toHaveLength(8);
    for (const [id, queue] of standard) {
      for (const attribute of Object.keys(fifo))
        expect(queue.Properties[attribute], `${id} ${attribute}`).toBeUndefined();
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
      const fifo = (queues[mapping.queue] as QueueDefinition).fifo === true;
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [queueId(mapping.queue), 'Arn'] },
        FunctionName: { Ref: functionId(mapping.function) },
        BatchSize: mapping.batchSize,
        // Lambda takes no batching window from a FIFO queue.
        MaximumBatchingWindowInSeconds: fifo ? Match.absent() : mapping.maxBatchingWindowSeconds,
        ScalingConfig: { MaximumConcurrency: mapping.maximumConcurrency },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    }
  });

  it.each([
    ['fanOut', 'fanOut', 10, 5],
    // The lanes' numbers are the defaults of their settings (mainLaneBatchSize, mainLaneConcurrency, ...).
    ['delivery', 'delivery', 10, 150],
    ['slowDelivery', 'slowDelivery', 10, 30],
    ['retry', 'retryRelay', 10, 2],
  ] as const)(
    'feeds the %s queue to %s in batches of %i, at most %i at a time',
    (queue, fn, batch, concurrency) => {
      const deployed = ofType(resources, 'AWS::Lambda::EventSourceMapping');
      expect(deployed).toHaveLength(5);
      const matches = deployed.filter(
        ([, m]) => referencedId(m.Properties.EventSourceArn) === queueId(queue),
      );
      expect(matches.map(([, m]) => m.Properties)).toEqual([
        {
          EventSourceArn: { 'Fn::GetAtt': [queueId(queue), 'Arn'] },
          FunctionName: { Ref: functionId(fn) },
          BatchSize: batch,
          MaximumBatchingWindowInSeconds: 0,
          ScalingConfig: { MaximumConcurrency: concurrency },
          FunctionResponseTypes: ['ReportBatchItemFailures'],
        },
      ]);
    },
  );

  it('feeds the ordered lane to its function in batches of 10, at most 20 at a time, reporting failed items', () => {
    // Lambda takes no batching window from a FIFO queue; on one, it returns a failed item's group from that
    // item on, in order.
    const matches = ofType(resources, 'AWS::Lambda::EventSourceMapping').filter(
      ([, m]) => referencedId(m.Properties.EventSourceArn) === queueId('orderedDelivery'),
    );
    expect(matches.map(([, m]) => m.Properties)).toEqual([
      {
        EventSourceArn: { 'Fn::GetAtt': [queueId('orderedDelivery'), 'Arn'] },
        FunctionName: { Ref: functionId('orderedDelivery') },
        BatchSize: 10,
        ScalingConfig: { MaximumConcurrency: 20 },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      },
    ]);
  });

  it(`keeps each consumed queue's visibility timeout >= ${VISIBILITY_TO_TIMEOUT_RATIO}x its function's timeout`, () => {
    expect(VISIBILITY_TO_TIMEOUT_RATIO).toBe(6);
    for (const [, mapping] of ofType(resources, 'AWS::Lambda::EventSourceMapping')) {
      const queue = resource(referencedId(mapping.Properties.EventSourceArn) ?? '');
      const fn = resource(referencedId(mapping.Properties.FunctionName) ?? '');
      expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * fn.Properties.Timeout);
    }
  });
});

describe('functions', () => {
  it('deploys exactly the platform.ts functions on Node.js 24, ARM64, JSON logs, tracing', () => {
    const deployed = ofType(resources, 'AWS::Lambda::Function');
    expect(deployed).toHaveLength(Object.keys(functions).length);
    expect(lambdaRuntime.name).toBe('nodejs24.x');
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
      // The floor: the embedded metrics carry no level, which Lambda reads as INFO, so a function whose level is
      // raised above INFO would drop the dashboard's and the failure-rate alarm's figures (README: Watching it).
      expect(fn.LoggingConfig.ApplicationLogLevel).toBe('INFO');
    }
  });

  it('gives each function the timeout the design relies on', () => {
    const timeouts: Record<FunctionName, number> = {
      authorizer: 5,
      api: 10,
      fanOut: 5,
      // The main lane waits at most 2 s to connect and 3 s for each answer (its batch's records in parallel).
      delivery: 10,
      // The slow lane waits up to the delivery timeout (at most 20 s) for each answer.
      slowDelivery: 30,
      // The ordered lane gives every endpoint the full timeout too.
      orderedDelivery: 30,
      retryRelay: 10,
    };
    expect(ofType(resources, 'AWS::Lambda::Function')).toHaveLength(7);
    for (const [name, seconds] of Object.entries(timeouts) as [FunctionName, number][]) {
      expect(resource(functionId(name)).Properties.Timeout, name).toBe(seconds);
    }
  });

  it('lets Lambda stop a recursive loop except in the functions that re-queue work by design', () => {
    // Lambda stops a function invoked more than 16 times in one chain of requests. A function on a cycle of
    // queues (it sends to a queue whose consumer, maybe itself, leads back to it) is invoked once per attempt
    // or per 15-minute hop of a retry's wait: 40 hops for a 10-hour wait. Its own logic bounds the chain.
    const consumerOf = new Map(
      ofType(resources, 'AWS::Lambda::EventSourceMapping').map(([, m]) => [
        referencedId(m.Properties.EventSourceArn),
        referencedId(m.Properties.FunctionName),
      ]),
    );
    const next = (fnId: string) =>
      queuesSentTo(fnId).flatMap((queue) => [consumerOf.get(queue)].filter((id) => id !== undefined));
    const onCycle = (fnId: string): boolean => {
      const seen = new Set<string>();
      const stackOfIds = next(fnId);
      while (stackOfIds.length > 0) {
        const id = stackOfIds.pop() ?? '';
        if (id === fnId) return true;
        if (seen.has(id)) continue;
        seen.add(id);
        stackOfIds.push(...next(id));
      }
      return false;
    };

    const cyclic = functionNames.filter((name) => onCycle(functionId(name)));
    // The ordered lane is not on a cycle: only fan-out and the API send to its queue, and a retry keeps its message.
    expect(cyclic.sort()).toEqual(['delivery', 'retryRelay', 'slowDelivery']);
    for (const name of functionNames) {
      expect(resource(functionId(name)).Properties.RecursiveLoop, name).toBe(
        cyclic.includes(name) ? 'Allow' : 'Terminate',
      );
    }
  });

  it('gives each function exactly the environment it declares, with access to what each variable names', () => {
    const expected: Record<
      EnvironmentVariable,
      { value: unknown; sendsTo?: string; putsEventsOn?: string; withoutSendFor?: readonly FunctionName[] }
    > = {
      TABLE_NAME: { value: { Ref: logicalId(stack.platform.table.table) } },
      SIGNING_SECRET_KEY_ARN: { value: { 'Fn::GetAtt': [secretKeyId(), 'Arn'] } },
      DELIVERY_QUEUE_URL: { value: { Ref: queueId('delivery') }, sendsTo: queueId('delivery') },
      SLOW_DELIVERY_QUEUE_URL: {
        value: { Ref: queueId('slowDelivery') },
        sendsTo: queueId('slowDelivery'),
      },
      ORDERED_DELIVERY_QUEUE_URL: {
        value: { Ref: queueId('orderedDelivery') },
        sendsTo: queueId('orderedDelivery'),
        // The ordered lane's function changes the visibility of the messages it received there (its mapping's
        // grant); the other lanes share its handler and environment. None of them sends there.
        withoutSendFor: ['delivery', 'slowDelivery', 'orderedDelivery'],
      },
      RETRY_QUEUE_URL: {
        value: { Ref: queueId('retry') },
        sendsTo: queueId('retry'),
        // An ordered delivery keeps its message while it waits, however long: it shares the lanes' environment.
        withoutSendFor: ['orderedDelivery'],
      },
      FAN_OUT_DLQ_URL: {
        value: { Ref: deadLetterQueueId('fanOut') },
        sendsTo: deadLetterQueueId('fanOut'),
      },
      DELIVERY_DLQ_URL: {
        value: { Ref: deadLetterQueueId('delivery') },
        sendsTo: deadLetterQueueId('delivery'),
      },
      FAN_OUT_QUEUE_URL: { value: { Ref: queueId('fanOut') }, sendsTo: queueId('fanOut') },
      EVENT_BUS_NAME: { value: { Ref: busId() }, putsEventsOn: busId() },
      ALLOW_PRIVATE_TARGETS: { value: 'false' },
      SUBSCRIPTIONS_PER_ACCOUNT: { value: '100' },
      RETRY_SCHEDULE: { value: '5,300,1800,7200,18000,36000,36000' },
      // Five days.
      DISABLE_AFTER_SECONDS: { value: '432000' },
      DELIVERY_TIMEOUT_SECONDS: { value: '15' },
      SUCCESS_RECORDS: { value: '1' },
      DELIVERY_RETENTION_DAYS: { value: '30' },
      CIRCUIT_BREAK_AFTER: { value: '5' },
      CIRCUIT_PROBE_MAX_SECONDS: { value: '300' },
      // The lanes' capacity settings are no EnvironmentVariable: no function reads them, their mappings do.
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
      expect(variables.NODE_OPTIONS, `${name} NODE_OPTIONS`).toBe('--enable-source-maps');
      for (const variable of definition.environment) {
        const { value, sendsTo, putsEventsOn, withoutSendFor = [] } = expected[variable];
        expect(variables[variable], `${name} ${variable}`).toEqual(value);
        if (sendsTo !== undefined) {
          expect(mayCall(id, 'sqs:SendMessage', sendsTo), `${name} may send to ${variable}`).toBe(
            !withoutSendFor.includes(name),
          );
        }
        if (putsEventsOn !== undefined) {
          expect(mayCall(id, 'events:PutEvents', putsEventsOn), `${name} may put events on ${variable}`).toBe(
            true,
          );
        }
      }
    }
  });

  it('lets each function send to exactly the queues its code sends to', () => {
    for (const name of functionNames) {
      expect(queuesSentTo(functionId(name)), name).toEqual(queueSends[name].map(queueRefId).sort());
    }
  });

  it("lets each consumer do on its queue what Lambda's mapping does, and only the ordered lane change visibility", () => {
    // What the SQS Developer Guide requires of a Lambda trigger's execution role; not CDK's consume grant, whose
    // GetQueueUrl and ChangeMessageVisibility no mapping needs. On the standard lanes a retry is a new message sent
    // with a delay; on the ordered lane it keeps its message and waits by visibility, a grant of its own.
    const mapping = ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'];
    for (const name of functionNames) {
      const onQueues = roleStatements(functionId(name)).filter((s) =>
        [s.Action].flat().some((a) => (a.startsWith('sqs:') && a !== 'sqs:SendMessage') || a === '*'),
      );
      const consumed = consumedQueueId(name);
      const actions = name === 'orderedDelivery' ? ['sqs:ChangeMessageVisibility', ...mapping] : mapping;
      expect(onQueues, name).toEqual(
        consumed === undefined
          ? []
          : [{ Effect: 'Allow', Action: actions, Resource: { 'Fn::GetAtt': [consumed, 'Arn'] } }],
      );
    }
    expect(consumedQueueId('orderedDelivery')).toBe(queueId('orderedDelivery'));
  });

  it('lets only the delivery lanes put events, on the platform bus, and nothing else on EventBridge', () => {
    for (const name of functionNames) {
      const onEventBridge = roleStatements(functionId(name)).filter((s) =>
        [s.Action].flat().some((a) => a.startsWith('events:') || a === '*'),
      );
      expect(onEventBridge, name).toEqual(
        putsPlatformEvents[name]
          ? [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': [busId(), 'Arn'] } }]
          : [],
      );
    }
  });

  it('gives each function item actions on named partitions of the table only: no Scan, nothing table-wide', () => {
    const tableArn = { 'Fn::GetAtt': [logicalId(stack.platform.table.table), 'Arn'] };
    /** Each DynamoDB statement of the function as `<actions> on <LeadingKeys patterns>`. */
    const itemGrants = (name: FunctionName) =>
      roleStatements(functionId(name))
        .filter((s) => [s.Action].flat().some((a) => a.startsWith('dynamodb:') || a === '*'))
        .map((s) => {
          const conditions = (s.Condition ?? {}) as Record<string, Record<string, string[]>>;
          expect(Object.keys(conditions), name).toEqual(['ForAllValues:StringLike']);
          const limits = conditions['ForAllValues:StringLike'] ?? {};
          expect(Object.keys(limits), name).toEqual(['dynamodb:LeadingKeys']);
          const patterns = limits['dynamodb:LeadingKeys'] ?? [];
          // One statement per kind of item, on the table itself (no stream), never without a partition; the
          // events log's partitions on its index alone.
          expect(s.Resource, name).toEqual(
            patterns.includes('EVENTS#*')
              ? { 'Fn::Join': ['', [tableArn, '/index/AccountEvents']] }
              : tableArn,
          );
          // Each a kind's prefix (`ACCOUNT#`), never a pattern that any partition matches.
          for (const pattern of patterns) expect(pattern, name).toMatch(/^[A-Z][A-Z-]*#/);
          return `${[s.Action].flat().sort().join(' ')} on ${patterns.join(' ')}`;
        });
    for (const name of functionNames) {
      const grants = itemGrants(name);
      expect(grants.join(' '), name).not.toMatch(/dynamodb:(Scan|\*)/);
      expect(grants, name).toEqual(
        tableAccess[name].map(
          ({ partition, actions }) =>
            `${actions
              .map((a) => `dynamodb:${a}`)
              .sort()
              .join(' ')} on ${partitions[partition]}`,
        ),
      );
      const declares = (functions[name].environment as readonly EnvironmentVariable[]).includes('TABLE_NAME');
      expect(grants.length > 0, `${name}: table access iff it declares TABLE_NAME in platform.ts`).toBe(
        declares,
      );
    }
    // The events log: the API, and only the API, may query the index, on its accounts' partitions only.
    expect(
      functionNames.filter((name) => itemGrants(name).some((grant) => grant.includes('EVENTS#'))),
    ).toEqual(['api']);
    expect(itemGrants('api')).toContain('dynamodb:Query on EVENTS#*');
    // What the authorizer may read, written out: an API key's lookup item and the portal signing key, by key.
    expect(itemGrants('authorizer')).toEqual([
      'dynamodb:GetItem on APIKEY#*',
      'dynamodb:GetItem on PORTAL#SIGNING_KEY',
    ]);
  });

  it('lets only the functions that sign webhooks decrypt the signing secrets, and only the API encrypt them', () => {
    for (const name of functionNames) {
      const onKms = roleStatements(functionId(name)).filter((s) =>
        [s.Action].flat().some((a) => a.startsWith('kms:') || a === '*'),
      );
      const action = signers.includes(name) ? 'kms:Decrypt' : name === 'api' ? 'kms:Encrypt' : undefined;
      expect(onKms, name).toEqual(
        action === undefined
          ? []
          : [
              {
                Effect: 'Allow',
                Action: action,
                Resource: { 'Fn::GetAtt': [secretKeyId(), 'Arn'] },
                Condition: { StringEquals: { 'kms:EncryptionContext:purpose': 'webhook-signing-secret' } },
              },
            ],
      );
    }
    // The functions that call webhookRequest with a subscription's secrets are exactly those.
    expect(signers.map((name) => functions[name].entry)).toEqual(
      Array(signers.length).fill('functions/delivery/handler.ts'),
    );
    expect(
      functionNames.filter((name) => functions[name].entry === 'functions/delivery/handler.ts').sort(),
    ).toEqual([...signers].sort());
  });

  it('grants no wildcard action, and a wildcard resource only to X-Ray', () => {
    for (const name of functionNames) {
      const statements = roleStatements(functionId(name));
      expect(
        statements.flatMap((s) => [s.Action].flat()).filter((a) => a === '*' || a.endsWith(':*')),
        `${name} wildcard actions`,
      ).toEqual([]);
      expect(
        statements.filter((s) => [s.Resource].flat().includes('*')).map((s) => [s.Action].flat().sort()),
        `${name} statements on any resource`,
      ).toEqual([['xray:PutTelemetryRecords', 'xray:PutTraceSegments']]);
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
          { AttributeName: 'accountEventsPk', AttributeType: 'S' },
          { AttributeName: 'accountEventsSk', AttributeType: 'S' },
        ],
        // The events log: sparse, keyed by account and time, only the small attributes (never a body).
        GlobalSecondaryIndexes: [
          {
            IndexName: 'AccountEvents',
            KeySchema: [
              { AttributeName: 'accountEventsPk', KeyType: 'HASH' },
              { AttributeName: 'accountEventsSk', KeyType: 'RANGE' },
            ],
            Projection: {
              ProjectionType: 'INCLUDE',
              NonKeyAttributes: ['eventType', 'resourceId', 'fannedOutAt', 'occurredAt', 'expiresAt'],
            },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: table.timeToLiveAttribute, Enabled: true },
      }),
    });
  });
});

describe('signing secrets’ key', () => {
  interface KeyPolicyStatement extends Statement {
    readonly Sid?: string;
    readonly Principal: unknown;
    readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  }
  const keyPolicy = (): KeyPolicyStatement[] => resource(secretKeyId()).Properties.KeyPolicy.Statement;
  const roleArnOf = (name: FunctionName) => ({
    'Fn::GetAtt': [referencedId(resource(functionId(name)).Properties.Role), 'Arn'],
  });

  it('keeps the signing secrets’ key: rotated yearly, retained, with an alias, administered by the account', () => {
    const key = resource(secretKeyId());
    expect(key.DeletionPolicy).toBe('Retain');
    expect(key.UpdateReplacePolicy).toBe('Retain');
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.Properties.KeySpec ?? 'SYMMETRIC_DEFAULT').toBe('SYMMETRIC_DEFAULT');
    // KMS's default statement stays: the account administers the key (no lock-out) and delegates its use to IAM.
    expect(keyPolicy().filter((s) => s.Effect === 'Allow')).toEqual([
      {
        Effect: 'Allow',
        Principal: {
          AWS: {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root'],
            ],
          },
        },
        Action: 'kms:*',
        Resource: '*',
      },
    ]);
    const aliases = ofType(resources, 'AWS::KMS::Alias').filter(
      ([, alias]) => referencedId(alias.Properties.TargetKeyId) === secretKeyId(),
    );
    expect(aliases.map(([, alias]) => alias.Properties.AliasName)).toEqual([
      `alias/${stack.stackName}/signing-secrets`,
    ]);
  });

  it('denies Decrypt and ReEncrypt in the key policy to every principal but the three delivery roles', () => {
    const denies = keyPolicy().filter((s) => s.Effect === 'Deny');
    expect(denies).toEqual([
      {
        Sid: 'OnlyTheSigningRolesReadSecrets',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: ['kms:Decrypt', 'kms:ReEncrypt*'],
        Resource: '*',
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': expect.any(Array) } },
      },
    ]);
    const excepted = denies[0]?.Condition?.ArnNotEquals?.['aws:PrincipalArn'];
    expect(excepted).toHaveLength(signers.length);
    expect(excepted).toEqual(expect.arrayContaining(signers.map(roleArnOf)));
    // The roles whose IAM policies let them decrypt are these same three (the roles' test above): the grants and
    // the key policy agree.
  });

  it('has no circular dependency: the key policy names the delivery roles, their policies name the key', () => {
    const keyDependencies = dependenciesOf(resource(secretKeyId()), resources);
    for (const name of signers) {
      const roleId = referencedId(resource(functionId(name)).Properties.Role) ?? '';
      expect(keyDependencies.has(roleId), `the key waits for ${name}'s role`).toBe(true);
    }
    expect(dependencyCycle(resources)).toBeUndefined();
    // The check sees one when there is one: a role whose policy the key's own policy would wait for.
    expect(
      dependencyCycle({
        Key: { Properties: { KeyPolicy: { Resource: { 'Fn::GetAtt': ['Policy', 'Id'] } } } },
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's own placeholder
        Policy: { Properties: { Resource: { 'Fn::Sub': 'arn:${Key.Arn}' } } },
      }),
    ).toEqual(['Key', 'Policy', 'Key']);
  });
});

describe('event routing', () => {
  it(`names the bus '${defaultEventBusName}' unless told otherwise`, () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'webhooks' });
    const other = synthPlatform({ eventBusName: 'shipping-events' });
    other.template.hasResourceProperties('AWS::Events::EventBus', { Name: 'shipping-events' });
  });

  it('deploys each platform.ts rule with its pattern, into its queue, with a dead-letter queue', () => {
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
      expect(rule?.Properties.EventBusName).toEqual({ Ref: busId() });
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

  it("routes publishers' order, shipment and draft events to fan-out, never the platform's own (source hookbridge)", () => {
    const deployed = ofType(resources, 'AWS::Events::Rule').map(([, rule]) => rule.Properties);
    expect(deployed.map((rule) => rule.EventPattern)).toEqual(
      expect.arrayContaining(
        ['order.', 'shipment.', 'draft.'].map((prefix) => ({
          source: [{ 'anything-but': 'hookbridge' }],
          'detail-type': [{ prefix }],
        })),
      ),
    );
    expect(deployed).toHaveLength(3);
    for (const rule of deployed) {
      expect(rule.Targets.map((target: { Arn: unknown }) => target.Arn)).toEqual([
        { 'Fn::GetAtt': [queueId('fanOut'), 'Arn'] },
      ]);
    }
  });
});

describe('HTTP API', () => {
  it('routes $default (every path, / included) to the API function behind an authorizer with no identity source', () => {
    expect(httpApi.routeKey).toBe('$default');
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
    expect(JSON.stringify(authorizer?.Properties.AuthorizerUri)).toContain(functionId('authorizer'));

    const routes = ofType(resources, 'AWS::ApiGatewayV2::Route');
    expect(routes).toHaveLength(1);
    const route = routes[0]?.[1].Properties;
    expect(route).toMatchObject({
      RouteKey: '$default',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: authorizerId },
    });
    const integrationId = JSON.stringify(route?.Target).match(/"Ref":"(\w+)"/)?.[1] ?? '';
    expect(resource(integrationId).Properties).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: { 'Fn::GetAtt': [functionId('api'), 'Arn'] },
      PayloadFormatVersion: '2.0',
      TimeoutInMillis: 29_000,
    });
  });

  it('throttles the default stage and writes access logs', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
      AccessLogSettings: {
        DestinationArn: Match.anyValue(),
        Format: Match.stringLikeRegexp('\\$context.requestId'),
      },
    });
  });

  it('outputs the API URL, the bus name, the table name (for issuing API keys) and the signing secrets’ key ARN (for sealing)', () => {
    template.hasOutput('ApiUrl', {});
    template.hasOutput('EventBusName', { Value: { Ref: busId() } });
    template.hasOutput('TableName', { Value: { Ref: logicalId(stack.platform.table.table) } });
    template.hasOutput('SigningSecretKeyArn', { Value: { 'Fn::GetAtt': [secretKeyId(), 'Arn'] } });
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
    // A lane's concurrency is a setting: its alarm names the prop to raise, not platform.ts.
    const raise: Record<QueueName, string> = {
      fanOut: "raise the mapping's maximumConcurrency in platform.ts",
      delivery: 'raise the mainLaneConcurrency prop',
      slowDelivery: 'raise the slowLaneConcurrency prop',
      orderedDelivery: 'raise the orderedLaneConcurrency prop',
      retry: "raise the mapping's maximumConcurrency in platform.ts",
    };
    for (const [name, advice] of Object.entries(raise) as [QueueName, string][]) {
      const [backlog] = alarms(resources, 'ApproximateNumberOfMessagesVisible', queueId(name));
      expect(backlog?.AlarmDescription, name).toContain(advice);
    }
  });

  it("alarms on the age of each work queue's oldest message, beyond the 15-minute delay its own retries may have", () => {
    // A consumer given its own queue's URL sends retries (delayed up to SQS's 15 minutes) or a retry's next hop
    // to it: each is a new message, so a healthy queue holds messages up to 15 minutes old, never older.
    const requeuing = eventSourceMappings.filter((mapping) =>
      queuesSentTo(functionId(mapping.function)).includes(queueId(mapping.queue)),
    );
    expect(requeuing.map((mapping) => mapping.queue).sort()).toEqual(['delivery', 'retry', 'slowDelivery']);
    const limits: Record<QueueName, number> = {
      fanOut: 300,
      delivery: 1200,
      slowDelivery: 1800,
      // Three days: see the next test.
      orderedDelivery: 6 * days,
      retry: 1200,
    };
    for (const [name, seconds] of Object.entries(limits) as [QueueName, number][]) {
      expect(alarms(resources, 'ApproximateAgeOfOldestMessage', queueId(name)), name).toEqual([
        expect.objectContaining({
          Threshold: seconds,
          Statistic: 'Maximum',
          Period: 300,
          EvaluationPeriods: OLDEST_MESSAGE_EVALUATION_PERIODS,
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'notBreaching',
        }),
      ]);
      expect(OLDEST_MESSAGE_AGE_LIMITS[name].toSeconds()).toBe(seconds);
    }
    for (const mapping of requeuing) expect(limits[mapping.queue], mapping.queue).toBeGreaterThan(15 * 60);
    for (const name of Object.keys(queues) as QueueName[]) {
      expect(
        alarms(resources, 'ApproximateAgeOfOldestMessage', deadLetterQueueId(name)),
        `${name} DLQ`,
      ).toEqual([]);
    }
  });

  it("alarms on the ordered lane's oldest message only beyond what a customer's outage explains, long before SQS deletes it", () => {
    // A retry there keeps its message and waits in flight; the messages behind it in its group wait unreceived
    // and count in ApproximateAgeOfOldestMessage all along: as long as a delivery's whole schedule, with jitter.
    const scheduleSeconds = settings.retrySchedule.default.reduce((sum, wait) => sum + wait, 0);
    expect(scheduleSeconds).toBe(99_305);
    const longestSchedule = scheduleSeconds * 1.2;
    const [alarm] = alarms(resources, 'ApproximateAgeOfOldestMessage', queueId('orderedDelivery'));
    // An endpoint down for good keeps its circuit open, its resources' messages waiting, until the subscription
    // is disabled (disableAfter, 5 days by default): an outage explains messages up to that old.
    expect(alarm?.Threshold).toBe(6 * days);
    expect(alarm?.Threshold).toBeGreaterThan(longestSchedule + days);
    expect(alarm?.Threshold).toBeGreaterThan(settings.disableAfterSeconds.default);
    expect(alarm?.Threshold).toBeLessThan(queues.orderedDelivery.retentionPeriodSeconds - 7 * days);
    expect(alarm?.AlarmDescription).toContain('older than 6 days');
    expect(alarm?.AlarmDescription).toContain('SQS deletes the message unsent when it is 14 days old');
  });

  it('says that only crashing invocations fill the ordered dead-letter queue, and what a redrive does', () => {
    const [alarm] = alarms(
      resources,
      'ApproximateNumberOfMessagesVisible',
      deadLetterQueueId('orderedDelivery'),
    );
    // The runbook names the queues' ARNs: the description is a join of its words and their references.
    const description = JSON.stringify(alarm?.AlarmDescription);
    expect(description).toContain('SQS moved after 1000 receives');
    expect(description).toContain('crashed or timed out every time');
    expect(description).toContain('recorded superseded, not sent');
  });

  it('alarms when more than 25 % of at least 100 attempts fail, three 5-minute periods in a row', () => {
    const rate = ofType(resources, 'AWS::CloudWatch::Alarm')
      .map(([, alarm]) => alarm.Properties)
      .filter((alarm) => alarm.Metrics !== undefined);
    expect(rate).toHaveLength(1);
    const [alarm] = rate;
    expect(alarm).toMatchObject({
      Threshold: 25,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      TreatMissingData: 'notBreaching',
    });
    const queries: {
      Id: string;
      Expression?: string;
      MetricStat?: Record<string, unknown>;
      ReturnData?: boolean;
    }[] = alarm?.Metrics ?? [];
    const byId = new Map(queries.map((query) => [query.Id, query]));
    const returned = queries.filter((query) => query.ReturnData !== false);
    expect(returned.map((query) => query.Expression)).toEqual([
      'IF(attempts >= 100, 100 * failures / attempts, 0)',
    ]);
    expect(byId.get('attempts')?.Expression).toBe(
      'FILL(attempts_main, 0) + FILL(attempts_slow, 0) + FILL(attempts_ordered, 0)',
    );
    expect(byId.get('failures')?.Expression).toBe(
      'FILL(failures_main, 0) + FILL(failures_slow, 0) + FILL(failures_ordered, 0)',
    );
    for (const [id, metricName, lane] of [
      ['attempts_main', 'DeliveryAttempts', 'main'],
      ['attempts_slow', 'DeliveryAttempts', 'slow'],
      ['attempts_ordered', 'DeliveryAttempts', 'ordered'],
      ['failures_main', 'DeliveryFailures', 'main'],
      ['failures_slow', 'DeliveryFailures', 'slow'],
      ['failures_ordered', 'DeliveryFailures', 'ordered'],
    ] as const) {
      expect(byId.get(id)?.MetricStat, id).toEqual({
        Metric: {
          Namespace: 'Hookbridge',
          MetricName: metricName,
          Dimensions: expect.arrayContaining([
            { Name: 'service', Value: 'delivery' },
            { Name: 'Lane', Value: lane },
          ]),
        },
        Period: 300,
        Stat: 'Sum',
      });
    }
    expect(deliveryMetrics.names).toMatchObject({
      attempts: 'DeliveryAttempts',
      failures: 'DeliveryFailures',
    });
  });

  it('alarms on the errors and the throttles of each function, in 2 of 3 periods', () => {
    for (const metricName of ['Errors', 'Throttles']) {
      const onLambda = ofType(resources, 'AWS::CloudWatch::Alarm')
        .map(([, alarm]) => alarm.Properties)
        .filter((alarm) => alarm.Namespace === 'AWS/Lambda' && alarm.MetricName === metricName);
      expect(onLambda.map((alarm) => referencedId(alarm.Dimensions?.[0]?.Value)).sort(), metricName).toEqual(
        functionNames.map(functionId).sort(),
      );
      for (const alarm of onLambda) {
        expect(alarm).toMatchObject({
          Threshold: 0,
          Statistic: 'Sum',
          Period: 300,
          EvaluationPeriods: 3,
          DatapointsToAlarm: 2,
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'notBreaching',
        });
      }
    }
  });

  it('alarms on any event each rule could not deliver to its queue, and on any its dead-letter queue refused too (lost)', () => {
    const ruleId = (name: string) => logicalId(stack.platform.routing.rules.get(name) as never);
    for (const metricName of ['FailedInvocations', 'InvocationsFailedToBeSentToDlq']) {
      const onRules = ofType(resources, 'AWS::CloudWatch::Alarm')
        .map(([, alarm]) => alarm.Properties)
        .filter((alarm) => alarm.Namespace === 'AWS/Events' && alarm.MetricName === metricName);
      expect(
        onRules.map((alarm) => alarm.Dimensions),
        metricName,
      ).toEqual(
        rules.map((rule) => [
          { Name: 'EventBusName', Value: { Ref: busId() } },
          { Name: 'RuleName', Value: { Ref: ruleId(rule.name) } },
        ]),
      );
      for (const alarm of onRules) {
        expect(alarm).toMatchObject({
          Statistic: 'Sum',
          Period: 300,
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          EvaluationPeriods: 1,
          // EventBridge sends these metrics only when they are not 0.
          TreatMissingData: 'notBreaching',
        });
      }
    }
    expect(rules.map((rule) => rule.name)).toEqual(['orders', 'shipments', 'drafts']);
  });

  it('notifies the alarm topic when any alarm fires and when it is OK again, and says what to do', () => {
    const all = ofType(resources, 'AWS::CloudWatch::Alarm');
    // Per queue: dead letters, backlog, oldest message; the failure rate; per function: errors, throttles;
    // per rule: events not delivered to its queue, and events its DLQ refused too.
    expect(all).toHaveLength(
      3 * Object.keys(queues).length + 1 + 2 * functionNames.length + 2 * rules.length,
    );
    const topic = { Ref: logicalId(stack.platform.alarmTopic) };
    for (const [id, alarm] of all) {
      expect(alarm.Properties.AlarmActions, id).toEqual([topic]);
      expect(alarm.Properties.OKActions, id).toEqual([topic]);
      // A dead-letter alarm's runbook joins its words with the queues' ARNs.
      expect(JSON.stringify(alarm.Properties.AlarmDescription), id).toMatch(
        /\b(check|read|look at|fix|ask|raise)\b/i,
      );
    }
  });

  it('takes the backlog threshold from the props', () => {
    const other = synthPlatform({ backlogThreshold: DEFAULT_BACKLOG_THRESHOLD + 1 });
    for (const name of Object.keys(queues) as QueueName[]) {
      const backlog = alarms(
        other.resources,
        'ApproximateNumberOfMessagesVisible',
        other.stack.getLogicalId(other.stack.platform.queues[name].queue.node.defaultChild as CfnQueue),
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
