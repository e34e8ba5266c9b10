import type { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type QueueName, queues } from '../../functions/core/platform.ts';
import type { WebhookPlatformStack } from '../../lib/webhook-platform-stack.ts';
import { type CfnResource, ofType, referencedId, synthPlatform } from './synth.ts';

/**
 * The dead-letter alarms' runbooks as deployed: each names the redrive command with the ARNs of its DLQ and of the
 * queue it serves (the same calls test/integration/runbooks.test.ts makes in the sandbox), and fits CloudWatch's
 * 1,024 characters with the longest ARNs SQS gives.
 */
let stack: WebhookPlatformStack;
let resources: Record<string, CfnResource>;
beforeAll(() => {
  ({ stack, resources } = synthPlatform());
});

const idOf = (queue: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(queue.node.defaultChild as CfnQueue);

/** The longest ARN of a queue: SQS names are at most 80 characters. */
const longestArn = `arn:aws-us-gov:sqs:us-gov-west-1:123456789012:${'q'.repeat(80)}`;

/** A description as CloudWatch gets it: a join of words and references, each reference written by `arn`. */
function render(description: unknown, arn: (logicalId: string) => string): string {
  if (typeof description === 'string') return description;
  const join = (description as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join === undefined) throw new Error(`Not a description: ${JSON.stringify(description)}`);
  const [separator, parts] = join;
  return parts
    .map((part) => (typeof part === 'string' ? part : arn(referencedId(part) ?? 'unknown')))
    .join(separator);
}

function deadLetterAlarmOf(name: QueueName): unknown {
  const dlqId = idOf(stack.platform.queues[name].deadLetterQueue);
  const [alarm] = ofType(resources, 'AWS::CloudWatch::Alarm')
    .map(([, found]) => found.Properties)
    .filter(
      (properties) =>
        properties.MetricName === 'ApproximateNumberOfMessagesVisible' &&
        referencedId(properties.Dimensions?.[0]?.Value) === dlqId,
    );
  if (alarm === undefined) throw new Error(`No dead-letter alarm of ${name}`);
  return alarm.AlarmDescription;
}

describe("each dead-letter queue's alarm", () => {
  it('gives the redrive back to the queue it serves, with both ARNs, and how to watch it', () => {
    for (const name of Object.keys(queues) as QueueName[]) {
      const { queue, deadLetterQueue } = stack.platform.queues[name];
      const text = render(deadLetterAlarmOf(name), (id) => `<${id}>`);
      expect(text, name).toContain(
        `aws sqs start-message-move-task --source-arn <${idOf(deadLetterQueue)}> --destination-arn <${idOf(queue)}>`,
      );
      expect(text, name).toContain(`aws sqs list-message-move-tasks --source-arn <${idOf(deadLetterQueue)}>`);
      expect(text, name).toContain('Fix the cause, then redrive');
    }
  });

  it("says that a customer's outage never lands in the delivery lanes' DLQs, and what a redrive does with a delivery", () => {
    const delivery = render(deadLetterAlarmOf('delivery'), () => 'arn');
    expect(delivery).toContain("a customer's endpoint being down never lands here");
    expect(delivery).toContain('never sent twice');
    expect(render(deadLetterAlarmOf('slowDelivery'), () => 'arn')).toContain(
      'slow endpoints never land here',
    );
    expect(render(deadLetterAlarmOf('orderedDelivery'), () => 'arn')).toContain(
      'an endpoint’s outage ends a delivery on record by 900',
    );
  });

  it("fits CloudWatch's 1,024 characters with the longest queue ARNs", () => {
    for (const name of Object.keys(queues) as QueueName[]) {
      expect(render(deadLetterAlarmOf(name), () => longestArn).length, name).toBeLessThanOrEqual(1024);
    }
  });
});
