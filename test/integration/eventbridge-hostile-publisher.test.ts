import { PutEventsCommand, TestEventPatternCommand } from '@aws-sdk/client-eventbridge';
import { DeleteMessageCommand, type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { DETAIL_MAX_DEPTH } from '#sandbox/eventbridge/event-bus.ts';
import { LARGEST_ROUTED_ENTRY_BYTES } from '#sandbox/eventbridge/limits.ts';
import { type Sandbox, startSandbox } from '../../sandbox/sandbox.ts';
import { awsClients } from '../support/clients.ts';

let sandbox: Sandbox;
let clients: ReturnType<typeof awsClients>;
let stderr: MockInstance<typeof console.error>;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, logLevel: 'SILENT' });
  clients = awsClients(sandbox.endpoint);
  // Every 500 of the sandbox's AWS protocols writes a line here; none may.
  stderr = vi.spyOn(console, 'error');
});
afterAll(async () => {
  stderr?.mockRestore();
  await sandbox?.close();
});

const nestedObjects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const protocolErrors = () =>
  stderr.mock.calls.filter(([line]) => typeof line === 'string' && line.startsWith('[aws-json]'));

/**
 * Takes the messages about these events from the fan-out DLQ. A type outside the catalog that the orders
 * rule routes makes the fan-out dead-letter the event it read from the fan-out queue, so its arrival here
 * shows that the bus put it on that queue.
 */
async function deadLettered(eventIds: readonly string[]): Promise<Message[]> {
  const QueueUrl = sandbox.queueUrl('fanOutDlq');
  const found: Message[] = [];
  for (let i = 0; i < 20 && found.length < eventIds.length; i++) {
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        WaitTimeSeconds: 1,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
      }),
    );
    for (const message of Messages) {
      if (eventIds.includes(JSON.parse(message.Body ?? '{}').id)) found.push(message);
      await clients.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  }
  return found;
}

describe('a hostile publisher against the sandbox', () => {
  it('fails only the entry nested 4,100 levels; its batch-mates reach the fan-out queue', async () => {
    const entry = {
      EventBusName: sandbox.eventBusName,
      Source: 'shipping.orders',
      DetailType: 'order.hostile_probe',
      Detail: JSON.stringify({ account_id: 'acct_hostile', id: 'ord_1' }),
    };

    const result = await clients.eventBridge.send(
      new PutEventsCommand({ Entries: [entry, { ...entry, Detail: nestedObjects(4100) }, entry] }),
    );
    const accepted = [result.Entries?.[0]?.EventId, result.Entries?.[2]?.EventId] as string[];
    const arrived = await deadLettered(accepted);

    expect(result.$metadata.httpStatusCode).toBe(200);
    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries).toEqual([
      { EventId: expect.stringMatching(/^[0-9a-f-]{36}$/) },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { EventId: expect.stringMatching(/^[0-9a-f-]{36}$/) },
    ]);
    expect(arrived.map((message) => JSON.parse(message.Body ?? '{}').id).sort()).toEqual(
      [...accepted].sort(),
    );
    expect(protocolErrors()).toEqual([]);
  });

  it('dead-letters at once, with its reason, an event whose type holds a lone surrogate (which SQS refuses in an attribute): the reason carries it escaped', async () => {
    const result = await clients.eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: sandbox.eventBusName,
            Source: 'shipping.orders',
            DetailType: 'order.created\udc00',
            Detail: JSON.stringify({
              account_id: 'acct_hostile',
              id: 'ord_2',
              occurred_at: '2026-12-06T10:00:00.000Z',
              data: { id: 'ord_2' },
            }),
          },
        ],
      }),
    );
    const eventId = result.Entries?.[0]?.EventId ?? '';
    // Read within 20 s, long before a redrive (after 5 receives, 30 s apart) could bring it here without a reason.
    const arrived = await deadLettered([eventId]);

    expect(result.FailedEntryCount).toBe(0);
    expect(arrived.map((message) => message.MessageAttributes?.reason?.StringValue)).toEqual([
      'detail-type: order.created\\udc00 is not in the event catalog',
    ]);
  });

  it('answers TestEventPattern with an event or pattern nested 4,100 levels with a 400', async () => {
    const event = (detail: string) =>
      JSON.stringify({
        id: '1',
        account: '000000000000',
        source: 'shipping.orders',
        time: '2026-01-01T00:00:00Z',
        region: 'us-east-1',
        'detail-type': 'order.created',
        resources: [],
        detail: JSON.parse(detail),
      });
    const test = (Event: string, EventPattern: string) =>
      clients.eventBridge.send(new TestEventPatternCommand({ Event, EventPattern }));
    const deepEvent = event('{}').replace('"detail":{}', `"detail":${nestedObjects(4100)}`);

    const atBound = await test(event(nestedObjects(DETAIL_MAX_DEPTH)), '{"source":["shipping.orders"]}');

    expect(atBound.Result).toBe(true);
    await expect(test(deepEvent, '{"source":["shipping.orders"]}')).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Parameter Event is not valid.',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(test(event('{}'), nestedObjects(4100))).rejects.toMatchObject({
      name: 'ValidationException',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(
      test(event('{}'), `{"source":${'['.repeat(2000)}"s"${']'.repeat(2000)}}`),
    ).rejects.toMatchObject({ name: 'InvalidEventPatternException', $metadata: { httpStatusCode: 400 } });
    expect(protocolErrors()).toEqual([]);
  });
});

describe('events the bus accepts and its queue refuses', () => {
  const entry = (detail: Record<string, unknown>) => ({
    EventBusName: sandbox.eventBusName,
    Source: 'shipping.orders',
    DetailType: 'order.hostile_probe',
    Detail: JSON.stringify({ account_id: 'acct_hostile', id: 'ord_1', ...detail }),
  });
  /** An entry whose size, as EventBridge counts it (no Time, no Resources), is `bytes`. */
  const entryOfSize = (bytes: number) => {
    const empty = entry({ pad: '' });
    const pad = bytes - Buffer.byteLength(empty.Source + empty.DetailType + empty.Detail);
    return entry({ pad: 'x'.repeat(pad) });
  };
  const lostLines = () =>
    stderr.mock.calls
      .map(([line]) => line)
      .filter((line) => typeof line === 'string' && line.startsWith('[eventbridge] EVENT LOST'));

  beforeEach(() => {
    stderr.mockClear();
  });

  it('accepts an event with U+FFFE in a string, which the fan-out queue and its DLQ refuse; counts it in FailedInvocations and InvocationsFailedToBeSentToDlq, says so on stderr and keeps it', async () => {
    const before = sandbox.ruleMetrics().orders;

    const result = await clients.eventBridge.send(
      new PutEventsCommand({ Entries: [entry({ note: 'a\ufffeb' })] }),
    );

    const eventId = result.Entries?.[0]?.EventId ?? '';
    expect(result.FailedEntryCount).toBe(0);
    expect(result.Entries).toEqual([{ EventId: expect.stringMatching(/^[0-9a-f-]{36}$/) }]);
    expect(sandbox.ruleMetrics().orders).toEqual({
      Invocations: (before?.Invocations ?? 0) + 1,
      FailedInvocations: (before?.FailedInvocations ?? 0) + 1,
      InvocationsSentToDlq: before?.InvocationsSentToDlq ?? 0,
      InvocationsFailedToBeSentToDlq: (before?.InvocationsFailedToBeSentToDlq ?? 0) + 1,
    });
    expect(lostLines()).toEqual([
      expect.stringMatching(
        new RegExp(
          `^\\[eventbridge\\] EVENT LOST: rule orders could not deliver event ${eventId} to its queue \\(InvalidMessageContents: Invalid binary character '#xFFFE'.*FailedInvocations and InvocationsFailedToBeSentToDlq`,
        ),
      ),
    ]);
    const kept = sandbox.undeliverableEvents().filter((lost) => lost.eventId === eventId);
    expect(kept).toEqual([
      {
        time: expect.any(String),
        bus: sandbox.eventBusName,
        rule: 'orders',
        eventId,
        error: { code: 'InvalidMessageContents', message: expect.stringContaining("'#xFFFE'") },
        deadLetterError: { code: 'InvalidMessageContents', message: expect.stringContaining("'#xFFFE'") },
        event: expect.objectContaining({
          id: eventId,
          'detail-type': 'order.hostile_probe',
          detail: { account_id: 'acct_hostile', id: 'ord_1', note: 'a\ufffeb' },
        }),
      },
    ]);
  });

  it("accepts an entry of 1 MiB less 60 bytes, which is over the queue's 1 MiB once in its envelope; counts it, says so and keeps it", async () => {
    const before = sandbox.ruleMetrics().orders;

    const result = await clients.eventBridge.send(
      new PutEventsCommand({ Entries: [entryOfSize(1024 * 1024 - 60)] }),
    );

    const eventId = result.Entries?.[0]?.EventId ?? '';
    expect(result.FailedEntryCount).toBe(0);
    expect(sandbox.ruleMetrics().orders).toMatchObject({
      FailedInvocations: (before?.FailedInvocations ?? 0) + 1,
      InvocationsFailedToBeSentToDlq: (before?.InvocationsFailedToBeSentToDlq ?? 0) + 1,
    });
    expect(lostLines()).toEqual([
      expect.stringContaining(`EVENT LOST: rule orders could not deliver event ${eventId} to its queue`),
    ]);
    expect(sandbox.undeliverableEvents().filter((lost) => lost.eventId === eventId)).toEqual([
      expect.objectContaining({
        rule: 'orders',
        error: {
          code: 'InvalidParameterValue',
          message: expect.stringContaining('Message must be shorter than 1048576 bytes'),
        },
        deadLetterError: expect.objectContaining({ code: 'InvalidParameterValue' }),
        event: expect.objectContaining({ id: eventId }),
      }),
    ]);
  });

  it(`routes an entry of ${LARGEST_ROUTED_ENTRY_BYTES} bytes (1 MiB less 2 KiB, the largest README promises) into the fan-out queue, whose consumer dead-letters it with the reason`, async () => {
    const before = sandbox.ruleMetrics().orders;

    const result = await clients.eventBridge.send(
      new PutEventsCommand({ Entries: [entryOfSize(LARGEST_ROUTED_ENTRY_BYTES)] }),
    );
    const eventId = result.Entries?.[0]?.EventId ?? '';
    const arrived = await deadLettered([eventId]);

    expect(result.FailedEntryCount).toBe(0);
    expect(sandbox.ruleMetrics().orders).toMatchObject({
      Invocations: (before?.Invocations ?? 0) + 1,
      FailedInvocations: before?.FailedInvocations ?? 0,
    });
    // Its reason attribute is the fan-out's (EventBridge's dead letters carry ERROR_CODE instead).
    expect(arrived.map((message) => message.MessageAttributes?.reason?.StringValue)).toEqual([
      expect.any(String),
    ]);
    expect(lostLines()).toEqual([]);
  });
});
