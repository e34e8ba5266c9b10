import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyStore, newApiKey } from '#core/accounts/api-key-store.ts';
import { documentClient } from '#core/aws/dynamodb.ts';
import { type Sandbox, startSandbox } from '../../sandbox/sandbox.ts';
import { api, awsClients, credentials, orderStatusUpdated } from '../support/clients.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';

let sandbox: Sandbox;
let receiver: Receiver;
let clients: ReturnType<typeof awsClients>;
let apiKeys: ApiKeyStore;
const receivers: Receiver[] = [];

/** A receiver that stays up until the end, so no test leaves retries behind for the next. */
async function newReceiver() {
  const started = await startReceiver();
  receivers.push(started);
  return started;
}

/** An account of its own for one test, with its API key, issued as an operator would. */
async function newAccount() {
  const accountId = `acct_${randomUUID().slice(0, 8)}`;
  const apiKey = newApiKey();
  await apiKeys.issue(accountId, apiKey);
  return { accountId, apiKey };
}

beforeAll(async () => {
  // Endpoints here fail in bursts on purpose (every first attempt of 150 deliveries): the circuit breaker would
  // hold them, which test/integration/real-endpoints-circuit.test.ts tests; this file tests the retries.
  sandbox = await startSandbox({ port: 0, logLevel: 'SILENT', circuitBreakAfter: 0 });
  receiver = await newReceiver();
  clients = awsClients(sandbox.endpoint);
  apiKeys = new ApiKeyStore(
    documentClient(new DynamoDBClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials })),
    'webhooks',
  );
});

afterAll(async () => {
  await Promise.all(receivers.map((started) => started.close()));
  await sandbox?.close();
});

async function createWebhook(apiKey: string, url: string, events = ['order.status_updated']) {
  const created = await api(sandbox.endpoint, apiKey, 'POST', '/v1/webhooks', {
    name: 'Order updates',
    url,
    events,
  });
  expect(created.status).toBe(201);
  return created.json as { id: string; secret: string };
}

async function publish(detail: object, detailType = 'order.status_updated') {
  return clients.eventBridge.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: sandbox.eventBusName,
          Source: 'shipping.orders',
          DetailType: detailType,
          Detail: JSON.stringify(detail),
        },
      ],
    }),
  );
}

/** Takes the fan-out DLQ's message about the event for this resource, waiting for it to arrive. */
async function fanOutDeadLetter(resourceId: string) {
  const QueueUrl = sandbox.queueUrl('fanOutDlq');
  for (let i = 0; i < 20; i++) {
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        WaitTimeSeconds: 1,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
      }),
    );
    const found = Messages.find((message) => JSON.parse(message.Body ?? '{}').detail?.id === resourceId);
    // Others' dead letters go straight back, for the tests that wait for them.
    for (const other of Messages.filter((message) => message !== found)) {
      await clients.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl,
          ReceiptHandle: other.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      );
    }
    if (found) {
      await clients.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: found.ReceiptHandle }));
      return found;
    }
  }
  throw new Error(`No dead letter for ${resourceId}`);
}

/** Waits until every queue of the pipeline is empty, in flight included. */
async function pipelineDrained() {
  for (let i = 0; i < 200; i++) {
    let busy = 0;
    for (const queue of ['fanOut', 'delivery'] as const) {
      const { Attributes } = await clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: sandbox.queueUrl(queue), AttributeNames: ['All'] }),
      );
      busy +=
        Number(Attributes?.ApproximateNumberOfMessages) +
        Number(Attributes?.ApproximateNumberOfMessagesNotVisible);
    }
    if (busy === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('The pipeline did not drain');
}

describe('one order event, end to end', () => {
  it('creates a subscription and returns its signing secret once', async () => {
    const created = await api(sandbox.endpoint, sandbox.apiKey, 'POST', '/v1/webhooks', {
      name: 'Order updates',
      url: receiver.url,
      events: ['draft.deleted'],
    });

    expect(created.status).toBe(201);
    expect(created.contentType).toBe('application/json');
    expect(created.json).toEqual({
      id: expect.stringMatching(/^sub_/),
      name: 'Order updates',
      description: null,
      url: receiver.url,
      events: ['draft.deleted'],
      filter: null,
      status: 'active',
      disabled_reason: null,
      format: 'json',
      headers: {},
      metadata: {},
      previous_secret_expires_at: null,
      rate_limit: null,
      ordering: 'none',
      compatible_id: null,
      circuit: { state: 'closed' },
      lane: 'main',
      slow_since: null,
      back_off_until: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      version: 1,
      secret: expect.stringMatching(/^whsec_/),
    });
    expect(created.headers.get('location')).toBe(`/v1/webhooks/${created.json?.id}`);

    const read = await api(sandbox.endpoint, sandbox.apiKey, 'GET', `/v1/webhooks/${created.json?.id}`);
    expect(read.status).toBe(200);
    expect(read.json).not.toHaveProperty('secret');
  });

  it('delivers a published event as a signed POST that a Standard Webhooks verifier accepts', async () => {
    const own = await newReceiver();
    const { secret } = await createWebhook(sandbox.apiKey, own.url);
    const detail = orderStatusUpdated('demo', 'ord_signed');

    const result = await publish(detail);
    const request = await own.next();

    expect(result.FailedEntryCount).toBe(0);
    expect(request.method).toBe('POST');
    expect(request.headers['webhook-id']).toMatch(/^msg_/);
    const payload = new Webhook(secret).verify(request.body, request.headers as Record<string, string>);
    expect(payload).toEqual({
      id: expect.stringMatching(/^evt_[0-9a-z]{26}$/),
      type: 'order.status_updated',
      occurred_at: detail.occurred_at,
      data: detail.data,
      previous: detail.previous,
    });
  });
});

describe('routing and isolation', () => {
  it('delivers only events of the subscription’s account and selected types', async () => {
    const own = await newReceiver();
    const { accountId, apiKey } = await newAccount();
    await createWebhook(apiKey, own.url);

    await publish(orderStatusUpdated('someone-else', 'ord_foreign'));
    await publish(orderStatusUpdated(accountId, 'ord_created'), 'order.created');
    await pipelineDrained();
    await publish(orderStatusUpdated(accountId, 'ord_match'));
    const request = await own.next();
    await pipelineDrained();

    expect(JSON.parse(request.body).data.id).toBe('ord_match');
    expect(own.received).toHaveLength(1);
  });

  it('delivers only events whose webhook body passes the subscription’s content filter', async () => {
    const own = await newReceiver();
    const { accountId, apiKey } = await newAccount();
    const created = await api(sandbox.endpoint, apiKey, 'POST', '/v1/webhooks', {
      name: 'Shipped orders',
      url: own.url,
      events: ['order.*'],
      filter: { data: { status: ['Shipped'] } },
    });
    const cancelled = { ...orderStatusUpdated(accountId, 'ord_cancelled'), data: { status: 'Cancelled' } };

    await publish(cancelled);
    await pipelineDrained();
    await publish(orderStatusUpdated(accountId, 'ord_shipped'));
    const request = await own.next();
    await pipelineDrained();

    expect(created.json?.filter).toEqual({ data: { status: ['Shipped'] } });
    expect(JSON.parse(request.body).data.id).toBe('ord_shipped');
    expect(own.received).toHaveLength(1);
  });

  it('sends a malformed event to the fan-out DLQ with the reason, and keeps delivering', async () => {
    const own = await newReceiver();
    const { accountId, apiKey } = await newAccount();
    await createWebhook(apiKey, own.url);
    const { account_id: _, ...withoutAccount } = orderStatusUpdated(accountId, 'ord_broken');

    await publish(withoutAccount);
    await publish(orderStatusUpdated(accountId, 'ord_after'));
    const request = await own.next();
    const dead = await fanOutDeadLetter('ord_broken');

    expect(JSON.parse(request.body).data.id).toBe('ord_after');
    expect(dead.MessageAttributes?.reason?.StringValue).toBe('detail.account_id: is required');
  });

  it('delivers an event of 1 MB (EventBridge takes them since 2026), its kept copy compressed', async () => {
    const own = await newReceiver();
    const { accountId, apiKey } = await newAccount();
    await createWebhook(apiKey, own.url);
    const event = orderStatusUpdated(accountId, 'ord_1mb');
    const notes = 'Line item notes. '.repeat(Math.floor((1000 * 1024) / 17));
    const large = { ...event, data: { ...event.data, notes } };

    const result = await publish(large);
    const request = await own.next();

    expect(result.FailedEntryCount).toBe(0);
    expect(Buffer.byteLength(request.body)).toBeGreaterThan(1000 * 1024);
    expect(JSON.parse(request.body).data.notes).toBe(notes);
  });

  it('dead-letters at fan-out, with the reason, an event whose body no item can keep, even compressed', async () => {
    const { accountId } = await newAccount();
    const event = orderStatusUpdated(accountId, 'ord_incompressible');
    // Random bytes as base64 compress to about three quarters: more than an item holds.
    const notes = randomBytes(600 * 1024).toString('base64');
    const result = await publish({ ...event, data: { ...event.data, notes } });
    const dead = await fanOutDeadLetter('ord_incompressible');

    expect(result.FailedEntryCount).toBe(0);
    expect(dead.MessageAttributes?.reason?.StringValue).toMatch(
      /compressed, more than the 389120 an event is kept in/,
    );
  });

  it("dead-letters at fan-out an event whose body, escaped in its delivery's message, outgrows an SQS message", async () => {
    const { accountId } = await newAccount();
    const event = orderStatusUpdated(accountId, 'ord_quotes');
    // 300 KB of quotes: 600 KB as the event's JSON, 1.2 MB once escaped again in the delivery's message.
    const result = await publish({ ...event, data: { ...event.data, notes: '"'.repeat(300 * 1024) } });
    const dead = await fanOutDeadLetter('ord_quotes');

    expect(result.FailedEntryCount).toBe(0);
    expect(dead.MessageAttributes?.reason?.StringValue).toMatch(
      /in its delivery's message, more than the 1044480 a webhook carries/,
    );
  });

  it('retries a failed attempt with the same webhook-id until the receiver accepts it', async () => {
    const own = await newReceiver();
    const { accountId, apiKey } = await newAccount();
    const { secret } = await createWebhook(apiKey, own.url);
    let calls = 0;
    own.answerWith(() => (++calls === 1 ? { status: 500 } : { status: 200 }));

    await publish(orderStatusUpdated(accountId, 'ord_retried'));
    const first = await own.next();
    const second = await own.next();

    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(Number(second.headers['webhook-timestamp'])).toBeGreaterThan(
      Number(first.headers['webhook-timestamp']),
    );
    expect(new Webhook(secret).verify(second.body, second.headers as Record<string, string>)).toMatchObject({
      id: JSON.parse(first.body).id,
      data: { id: 'ord_retried' },
    });
  });
});

describe('under load and failure', () => {
  it('retries every failed delivery of concurrent batches, losing none', async () => {
    const own = await newReceiver();
    const { accountId, apiKey } = await newAccount();
    for (const name of ['a', 'b', 'c', 'd', 'e'])
      await createWebhook(apiKey, `${own.url}?subscription=${name}`);
    const attempts = new Map<string, number>();
    own.answerWith((request) => {
      const id = String(request.headers['webhook-id']);
      attempts.set(id, (attempts.get(id) ?? 0) + 1);
      return { status: attempts.get(id) === 1 ? 500 : 204 };
    });

    const events = Array.from({ length: 30 }, (_, i) => orderStatusUpdated(accountId, `ord_load_${i}`));
    for (let i = 0; i < events.length; i += 10) {
      await clients.eventBridge.send(
        new PutEventsCommand({
          Entries: events.slice(i, i + 10).map((detail) => ({
            EventBusName: sandbox.eventBusName,
            Source: 'shipping.orders',
            DetailType: 'order.status_updated',
            Detail: JSON.stringify(detail),
          })),
        }),
      );
    }
    for (let i = 0; i < 300; i++) await own.next();
    await pipelineDrained();

    expect(attempts.size).toBe(150);
    expect([...attempts.values()].every((count) => count === 2)).toBe(true);
  });

  it('disables a subscription whose endpoint answers 410 Gone, and says why', async () => {
    const own = await newReceiver();
    const { accountId, apiKey } = await newAccount();
    const { id } = await createWebhook(apiKey, own.url);
    own.answerWith(() => ({ status: 410 }));

    await publish(orderStatusUpdated(accountId, 'ord_gone'));
    await own.next();
    await pipelineDrained();
    const read = await api(sandbox.endpoint, apiKey, 'GET', `/v1/webhooks/${id}`);

    expect(read.json).toMatchObject({
      status: 'disabled',
      disabled_reason: 'The endpoint answered 410 Gone',
      version: 2,
    });
  });
});

describe('API errors are problem+json and name the field', () => {
  const problem = (type: string, status: number) => ({
    type: `urn:webhooks:problem:${type}`,
    title: expect.any(String),
    status,
    detail: expect.any(String),
  });

  it('401 without an API key, and with a wrong one', async () => {
    const missing = await api(sandbox.endpoint, undefined, 'GET', '/v1/webhooks');
    const wrong = await api(sandbox.endpoint, 'whk_not-a-key', 'GET', '/v1/webhooks');

    for (const response of [missing, wrong]) {
      expect(response.status).toBe(401);
      expect(response.contentType).toBe('application/problem+json');
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(response.json).toEqual({
        ...problem('unauthorized', 401),
        errors: [{ field: 'authorization', message: expect.any(String) }],
      });
    }
    expect(wrong.json?.detail).toBe('The API key is not valid');
  });

  it('401 before anything reads the body of a request without a key', async () => {
    const response = await api(sandbox.endpoint, undefined, 'POST', '/v1/webhooks', '{"broken":', {
      'content-type': 'text/plain',
    });

    expect(response.status).toBe(401);
    expect(response.contentType).toBe('application/problem+json');
  });

  it('422 for every wrong field at once', async () => {
    const response = await api(sandbox.endpoint, sandbox.apiKey, 'POST', '/v1/webhooks', {
      name: '',
      url: 'ftp://example.com/in',
      events: ['order.teleported'],
    });

    expect(response.status).toBe(422);
    expect(response.contentType).toBe('application/problem+json');
    expect(response.json).toEqual({
      ...problem('validation-failed', 422),
      errors: [
        { field: 'name', message: 'must not be empty' },
        { field: 'url', message: 'must use https or http' },
        {
          field: 'events.0',
          message:
            'order.teleported is not an event type; use one from the catalog or <resource>.* (e.g. order.*)',
        },
      ],
    });
  });

  it('422 naming the filter, with EventBridge’s reason, for an invalid content filter', async () => {
    const response = await api(sandbox.endpoint, sandbox.apiKey, 'POST', '/v1/webhooks', {
      name: 'x',
      url: 'https://hooks.example.com/in',
      events: ['order.*'],
      filter: { data: { status: [{ 'starts-with': 'Ship' }] } },
    });

    expect(response.status).toBe(422);
    expect(response.json?.errors).toEqual([
      {
        field: 'filter',
        message: expect.stringMatching(
          /^Event pattern is not valid\. Reason: Unrecognized match type starts-with/,
        ),
      },
    ]);
  });

  it('422 naming missing fields', async () => {
    const response = await api(sandbox.endpoint, sandbox.apiKey, 'POST', '/v1/webhooks', { name: 'x' });

    expect(response.status).toBe(422);
    expect(response.json?.errors).toEqual([
      { field: 'url', message: 'is required' },
      { field: 'events', message: 'is required' },
    ]);
  });

  it('422 naming a field the API does not know, so a typo is not silently dropped', async () => {
    const response = await api(sandbox.endpoint, sandbox.apiKey, 'POST', '/v1/webhooks', {
      name: 'x',
      url: 'https://hooks.example.com/in',
      events: ['order.*'],
      descripton: 'typo',
    });

    expect(response.status).toBe(422);
    expect(response.json?.errors).toEqual([{ field: 'descripton', message: 'is not a known field' }]);
  });

  it('400 for a body that is not JSON, 415 for another media type', async () => {
    const broken = await api(sandbox.endpoint, sandbox.apiKey, 'POST', '/v1/webhooks', '{"name":');
    const text = await api(sandbox.endpoint, sandbox.apiKey, 'POST', '/v1/webhooks', 'name=x', {
      'content-type': 'text/plain',
    });

    expect(broken.status).toBe(400);
    expect(broken.json).toEqual({
      ...problem('malformed-body', 400),
      errors: [{ field: 'body', message: expect.any(String) }],
    });
    expect(text.status).toBe(415);
    expect(text.json).toEqual({
      ...problem('unsupported-media-type', 415),
      errors: [{ field: 'content-type', message: 'must be application/json' }],
    });
  });

  it('404 for an unknown resource and 405 for a wrong method', async () => {
    const unknown = await api(sandbox.endpoint, sandbox.apiKey, 'GET', '/v1/webhooks/sub_missing');
    const route = await api(sandbox.endpoint, sandbox.apiKey, 'GET', '/v1/nothing-here');
    const method = await api(sandbox.endpoint, sandbox.apiKey, 'PUT', '/v1/webhooks');

    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual(problem('not-found', 404));
    expect(route.status).toBe(404);
    expect(method.status).toBe(405);
    expect(method.headers.get('allow')).toBe('POST, GET');
    expect(method.contentType).toBe('application/problem+json');
  });
});

describe('PutEvents errors, as EventBridge returns them', () => {
  // A type no rule routes, so these entries stay out of the pipeline.
  const entry = { EventBusName: 'webhooks', Source: 'tests', DetailType: 'test.unrouted', Detail: '{}' };

  it('refuses more than 10 entries with a ValidationException', async () => {
    const call = clients.eventBridge.send(new PutEventsCommand({ Entries: Array(11).fill(entry) }));

    await expect(call).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('Member must have length less than or equal to 10'),
    });
  });

  it('reports each bad entry in place and accepts the good ones', async () => {
    const result = await clients.eventBridge.send(
      new PutEventsCommand({
        Entries: [
          { ...entry, Source: undefined },
          { ...entry, DetailType: undefined },
          { ...entry, Detail: undefined },
          { ...entry, Detail: '{"broken":' },
          { ...entry, Detail: '[1,2]' },
          { ...entry, Source: 'aws.ec2' },
          entry,
        ],
      }),
    );

    expect(result.FailedEntryCount).toBe(6);
    expect(result.Entries).toEqual([
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.',
      },
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
      },
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.',
      },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' },
      { EventId: expect.stringMatching(/^[0-9a-f-]{36}$/) },
    ]);
  });
});
