import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  type Message,
  type QueueAttributeName,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import type { QueueName } from '#core/platform.ts';
import { deadLetterRunbook } from '../../lib/dead-letter-runbooks.ts';
import type { Sandbox } from '../../sandbox/sandbox.ts';
import type { TestAccount } from './api-sandbox.ts';
import { eventually } from './eventually.ts';

/** A delivery as the API shows it, with what the runbook tests look at. */
export interface DeliveryView {
  readonly status: string;
  readonly attempts: readonly {
    readonly trigger: string;
    readonly status_code: number | null;
    readonly error: string | null;
  }[];
}

/** The delivery, through the API, once its status is `status`. */
export function deliveryOf(account: TestAccount, id: string, status: string): Promise<DeliveryView> {
  return eventually(async () => {
    const answer = await account.call('GET', `/v1/deliveries/${id}`);
    const delivery = answer.json as DeliveryView | undefined;
    return answer.status === 200 && delivery?.status === status ? delivery : undefined;
  }, `delivery ${id} ${status}`);
}

/** Each attempt's status code, or its error kind. */
export const outcomesOf = (delivery: DeliveryView) =>
  delivery.attempts.map((attempt) => attempt.status_code ?? attempt.error);

/**
 * What the runbook tests do to the sandbox and then as its operator: make a queue fail the way an outage or a bug
 * would (through the real APIs), wait for its dead-letter alarm's condition, read the dead letters, and follow
 * the alarm's runbook as written, running the commands it gives (test/integration/dead-letter-runbook-*.test.ts).
 */
export function useRunbooks(sandbox: () => Sandbox, sqs: () => SQSClient, dynamo: () => DynamoDBClient) {
  const arnOf = async (QueueUrl: string) => {
    const { Attributes } = await sqs().send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    const arn = Attributes?.QueueArn;
    if (arn === undefined) throw new Error(`No ARN for ${QueueUrl}`);
    return arn;
  };
  const visible = async (QueueUrl: string) => {
    const { Attributes } = await sqs().send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
  };
  /** Sets one attribute of the subscription's item, behind the API's back. */
  const setOnSubscription = (accountId: string, id: string, field: string, value: object) =>
    dynamo().send(
      new UpdateItemCommand({
        TableName: 'webhooks',
        Key: { pk: { S: `ACCOUNT#${accountId}` }, sk: { S: `SUBSCRIPTION#${id}` } },
        UpdateExpression: 'SET #field = :value',
        ExpressionAttributeNames: { '#field': field },
        ExpressionAttributeValues: { ':value': value as never },
      }),
    );

  return {
    /**
     * Sets attributes of one of the sandbox's queues (a shorter visibility timeout, so that a crash loop runs in
     * seconds); answers what puts the queue back as platform.ts defines it.
     */
    async tune(
      queue: QueueName,
      attributes: Partial<Record<QueueAttributeName, string>>,
    ): Promise<() => Promise<void>> {
      const QueueUrl = sandbox().queueUrl(queue);
      const { Attributes = {} } = await sqs().send(
        new GetQueueAttributesCommand({
          QueueUrl,
          AttributeNames: Object.keys(attributes) as QueueAttributeName[],
        }),
      );
      await sqs().send(new SetQueueAttributesCommand({ QueueUrl, Attributes: attributes }));
      return async () => {
        await sqs().send(new SetQueueAttributesCommand({ QueueUrl, Attributes }));
      };
    },
    /**
     * Breaks the subscription's item (a field of the wrong type, as a bug or a bad migration would leave it) so
     * that whatever reads it throws; answers what repairs it.
     */
    async breakSubscription(
      accountId: string,
      id: string,
      field: 'headers' | 'events',
    ): Promise<() => Promise<unknown>> {
      await setOnSubscription(accountId, id, field, { N: '1' });
      const repaired = field === 'headers' ? { M: {} } : { L: [{ S: 'order.*' }] };
      return () => setOnSubscription(accountId, id, field, repaired);
    },
    /**
     * The alarm's condition (messages visible in the queue's DLQ) once `count` are there; answers them, read as
     * the runbook says (they stay in the queue: visibility 0), with their attributes.
     */
    async deadLetters(queue: QueueName, count: number): Promise<Message[]> {
      const QueueUrl = sandbox().queueUrl(`${queue}Dlq`);
      await eventually(
        async () => ((await visible(QueueUrl)) >= count ? true : undefined),
        `${count} messages in the ${queue} DLQ`,
        40_000,
      );
      const { Messages = [] } = await sqs().send(
        new ReceiveMessageCommand({
          QueueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 0,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      return Messages;
    },
    /** How many messages the queue's DLQ holds. */
    deadLetterCount: (queue: QueueName) => visible(sandbox().queueUrl(`${queue}Dlq`)),
    /**
     * Follows the queue's dead-letter runbook: renders it with the sandbox's queues, runs the redrive it gives
     * (`aws sqs start-message-move-task`, as the SDK call it is) and watches it with the command it gives until
     * the task ends; answers the runbook and how the task ended.
     */
    async followRunbook(queue: QueueName): Promise<{ text: string; task: ListMessageMoveTasksResultEntry }> {
      const text = deadLetterRunbook(queue, {
        deadLetterQueue: await arnOf(sandbox().queueUrl(`${queue}Dlq`)),
        queue: await arnOf(sandbox().queueUrl(queue)),
      });
      const redrive = /aws sqs start-message-move-task --source-arn (\S+) --destination-arn (\S+)/.exec(text);
      const watch = /aws sqs list-message-move-tasks --source-arn ([^\s)]+)/.exec(text);
      if (redrive === null || watch === null) throw new Error(`No redrive in the runbook: ${text}`);
      await sqs().send(
        new StartMessageMoveTaskCommand({ SourceArn: redrive[1], DestinationArn: redrive[2] }),
      );
      const task = await eventually(async () => {
        const { Results = [] } = await sqs().send(new ListMessageMoveTasksCommand({ SourceArn: watch[1] }));
        const latest = Results[0];
        return latest === undefined || latest.Status === 'RUNNING' ? undefined : latest;
      }, `the redrive of the ${queue} DLQ`);
      return { text, task };
    },
  };
}
