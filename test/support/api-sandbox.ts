import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, expect } from 'vitest';
import { ApiKeyStore, newApiKey } from '#core/accounts/api-key-store.ts';
import { documentClient } from '#core/aws/dynamodb.ts';
import { type Sandbox, type SandboxOptions, startSandbox } from '../../sandbox/sandbox.ts';
import { api, awsClients, credentials } from './clients.ts';
import { type Receiver, startReceiver } from './receiver.ts';

/** One call of the management API, as a test makes it. */
export type Call = (
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => ReturnType<typeof api>;

/** An account of its own, with its API key, issued as an operator would, and a client for it. */
export interface TestAccount {
  readonly accountId: string;
  readonly apiKey: string;
  readonly call: Call;
  /** Creates a subscription and returns the created body (with its secret). */
  readonly createWebhook: (
    fields?: Record<string, unknown>,
  ) => Promise<Record<string, unknown> & { id: string; secret: string }>;
}

/**
 * Starts one in-process sandbox for the test file (closed after it), with helpers for accounts and local
 * receivers that stay up until the end (so no test leaves retries behind for the next).
 */
export function useApiSandbox(options: SandboxOptions = {}) {
  const state: {
    sandbox?: Sandbox;
    keys?: ApiKeyStore;
    dynamo?: DynamoDBClient;
    aws?: ReturnType<typeof awsClients>;
  } = {};
  const receivers: Receiver[] = [];
  const platformEvents: { 'detail-type': string; source: string; detail: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    state.sandbox = await startSandbox({ port: 0, logLevel: 'SILENT', ...options });
    state.dynamo = new DynamoDBClient({ endpoint: state.sandbox.endpoint, region: 'us-east-1', credentials });
    state.keys = new ApiKeyStore(documentClient(state.dynamo), 'webhooks');
    state.aws = awsClients(state.sandbox.endpoint);
  });
  afterAll(async () => {
    await Promise.all(receivers.map((receiver) => receiver.close()));
    state.dynamo?.destroy();
    state.aws?.eventBridge.destroy();
    state.aws?.sqs.destroy();
    await state.sandbox?.close();
  });

  const sandbox = () => {
    if (state.sandbox === undefined) throw new Error('The sandbox is not started yet');
    return state.sandbox;
  };

  return {
    sandbox,
    /** A DynamoDB client on the sandbox, for what a test must arrange behind the API's back. */
    dynamo: () => state.dynamo as DynamoDBClient,
    async newAccount(): Promise<TestAccount> {
      const accountId = `acct_${randomUUID().slice(0, 8)}`;
      const apiKey = newApiKey();
      await state.keys?.issue(accountId, apiKey);
      const call: Call = (method, path, body, headers) =>
        api(sandbox().endpoint, apiKey, method, path, body, headers);
      return {
        accountId,
        apiKey,
        call,
        async createWebhook(fields = {}) {
          const created = await call('POST', '/v1/webhooks', {
            name: 'Order updates',
            url: 'https://hooks.example.com/in',
            events: ['order.*'],
            ...fields,
          });
          expect(created.status, JSON.stringify(created.json)).toBe(201);
          return created.json as Record<string, unknown> & { id: string; secret: string };
        },
      };
    },
    /** Real SDK clients on the sandbox. */
    aws: () => state.aws as ReturnType<typeof awsClients>,
    /** Puts an event on the bus as a publisher does; answers its EventBridge id. */
    async publish(
      detail: object,
      type = 'order.status_updated',
      source = 'shipping.orders',
    ): Promise<string> {
      const result = await state.aws?.eventBridge.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: sandbox().eventBusName,
              Source: source,
              DetailType: type,
              Detail: JSON.stringify(detail),
            },
          ],
        }),
      );
      const id = result?.Entries?.[0]?.EventId;
      if (id === undefined)
        throw new Error(`PutEvents refused the event: ${JSON.stringify(result?.Entries)}`);
      return id;
    },
    /** Every event the platform put on the bus so far (read from the sandbox's platform-events queue). */
    async platformEvents() {
      const QueueUrl = sandbox().platformEventsQueueUrl;
      const { Messages = [] } =
        (await state.aws?.sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }))) ?? {};
      for (const message of Messages) platformEvents.push(JSON.parse(message.Body ?? '{}'));
      if (Messages.length > 0) {
        await state.aws?.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl,
            Entries: Messages.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle,
            })),
          }),
        );
      }
      return platformEvents;
    },
    async newReceiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
      const receiver = await startReceiver(...args);
      receivers.push(receiver);
      return receiver;
    },
  };
}

/** The problem+json body of an error, with the fields every problem has. */
export function problem(type: string, status: number, extra: Record<string, unknown> = {}) {
  return {
    type: `urn:webhooks:problem:${type}`,
    title: expect.any(String),
    status,
    detail: expect.any(String),
    ...extra,
  };
}
