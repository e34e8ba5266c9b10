/**
 * Least privilege, proven from a run (issue 17, item 1): one sandbox, driven through every path of the platform
 * (test/support/every-path.ts), logs which function made which AWS call, on which table partition, queue, bus
 * or key (sandbox/call-log.ts; an event source mapping's receives and deletes count as its function's, as Lambda
 * makes them with the function's role). Each function's role in the synthesized template must allow every call
 * it made (its `LeadingKeys` and encryption-context conditions included), and every grant of the role must be
 * used by one, unless it is listed below with the reason no run shows it. The code's side of the proof:
 * test/infra/least-privilege-code.test.ts; the evaluator's own test: test/unit/role-check.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  eventSourceMappings,
  type FunctionName,
  functions,
  type QueueName,
  queues,
  table,
} from '../../functions/core/platform.ts';
import type { AwsCall } from '../../sandbox/call-log.ts';
import { deadLetterQueueName, queueNames } from '../../sandbox/compose/queues.ts';
import { synthPlatform } from '../infra/synth.ts';
import { useApiSandbox } from '../support/api-sandbox.ts';
import { driveEveryPath, everyPathSettings } from '../support/every-path.ts';
import type { AccessRequest } from '../support/iam-policy.ts';
import { type PlatformRoles, platformRoles } from '../support/platform-roles.ts';
import { checkRun, type UnusedGrant } from '../support/role-check.ts';
import { iamActionOf } from '../support/sdk-operations.ts';

const context = useApiSandbox({ recordCalls: true, ...everyPathSettings });
const names = Object.keys(functions) as FunctionName[];

/**
 * What Lambda does with every function's role, which neither its code nor the sandbox does: write its logs,
 * send its traces, and (for a consumer) read its queue's attributes.
 */
function lambdaUses(name: FunctionName): UnusedGrant[] {
  const consumed = eventSourceMappings.find((mapping) => mapping.function === name)?.queue;
  return [
    {
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resource: `logs:${name}`,
      why: "Lambda writes the function's logs, to its own log group, with its role.",
    },
    {
      actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
      resource: '*',
      why: 'Active tracing: Lambda sends the traces with the role; X-Ray has no resource-level permissions.',
    },
    ...(consumed === undefined
      ? []
      : [
          {
            actions: ['sqs:GetQueueAttributes'],
            resource: `queue:${consumed}`,
            why:
              "Lambda's event source mapping reads the queue's attributes (the SQS Developer Guide requires it " +
              "of a Lambda trigger's execution role, with ReceiveMessage and DeleteMessage); the sandbox's does not.",
          },
        ]),
  ];
}

/** Grants no run of the sandbox exercises, beyond what Lambda does, each with why the role holds it. */
const unexercised: Partial<Record<FunctionName, readonly UnusedGrant[]>> = {
  slowDelivery: [
    {
      actions: ['dynamodb:PutItem'],
      resource: 'table',
      pattern: 'WEBHOOK#*',
      why:
        'The slow lane holds a delivery that reaches it while its circuit is open: a slow endpoint that went ' +
        "on to fail four times in a row. The run's circuit opens on a fast endpoint, held by the main lane.",
    },
  ],
};

let calls: AwsCall[];
let roles: PlatformRoles;

beforeAll(async () => {
  await driveEveryPath(context);
  calls = context.sandbox().calls();
  const { stack, resources } = synthPlatform();
  roles = platformRoles(stack, resources);
}, 60_000);

/** The sandbox's resources by the names the template's are given: by service, then by name or ARN. */
function resourceNameOf(): (call: AwsCall) => string {
  const sandbox = context.sandbox();
  const sqs = new Map<string, string>();
  for (const queue of Object.keys(queues) as QueueName[]) {
    sqs.set(queueNames[queue], `queue:${queue}`);
    sqs.set(deadLetterQueueName(queue), `dlq:${queue}`);
  }
  const named: Record<AwsCall['service'], ReadonlyMap<string, string>> = {
    dynamodb: new Map([
      ['webhooks', 'table'],
      [`webhooks/index/${table.accountEventsIndex.name}`, `index:${table.accountEventsIndex.name}`],
    ]),
    sqs,
    events: new Map([[sandbox.eventBusName, 'bus']]),
    kms: new Map([[sandbox.signingSecretKeyArn, 'key:signing-secrets']]),
  };
  return (call) => named[call.service].get(call.resource) ?? `unknown ${call.service} ${call.resource}`;
}

/** A logged call as IAM evaluates it: its action, resource and condition keys. */
function requestOf(call: AwsCall, resourceName: (call: AwsCall) => string): AccessRequest {
  const keys: Record<string, string | readonly string[]> = {};
  if (call.leadingKeys !== undefined) keys['dynamodb:LeadingKeys'] = call.leadingKeys;
  for (const [key, value] of Object.entries(call.encryptionContext ?? {})) {
    keys[`kms:EncryptionContext:${key}`] = value;
  }
  return { action: iamActionOf(call.service, call.operation), resource: resourceName(call), context: keys };
}

describe("each function's role allows exactly the calls it made in a run through every path", () => {
  it('saw every function call AWS, and every DynamoDB call name the partitions of its items', () => {
    expect(new Set(calls.map((call) => call.caller))).toEqual(new Set(names));
    // A call logged without them would pass any ForAllValues condition (and so prove nothing).
    expect(calls.filter((call) => call.service === 'dynamodb' && call.leadingKeys?.length === 0)).toEqual([]);
  });

  it.each(names)('%s', (name) => {
    const resourceName = resourceNameOf();
    const made = calls.filter((call) => call.caller === name).map((call) => requestOf(call, resourceName));
    const exemptions = [...lambdaUses(name), ...(unexercised[name] ?? [])];

    expect(checkRun(roles.statementsOf(name), made, exemptions, roles.names)).toEqual({
      refused: [],
      unused: [],
      stale: [],
    });
  });
});
