import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  EventBridgeClient,
  ListRulesCommand,
  PutEventsCommand,
  type PutEventsRequestEntry,
  TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  type MockInstance,
  vi,
} from 'vitest';
import { handleAwsJsonRequest, unknownOperationError } from '#sandbox/aws-json-protocol.ts';
import { DETAIL_MAX_DEPTH, LocalEventBuses } from '#sandbox/eventbridge/event-bus.ts';
import { TEST_EVENT_PATTERN_MAX_LENGTH, testEventPattern } from '#sandbox/eventbridge/test-event-pattern.ts';

/** Detail text whose objects nest `depth` levels: `{"a":{"a":...1...}}`. */
const nestedObjects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
/** Detail text `{"a":[[...[1]...]]}`, `depth` levels in all: the object and depth - 1 arrays. */
const nestedArrays = (depth: number) => `{"a":${'['.repeat(depth - 1)}1${']'.repeat(depth - 1)}}`;

const entry = {
  EventBusName: 'bus',
  Source: 'shipping.orders',
  DetailType: 'order.created',
  Detail: '{"n":1}',
};
const malformed = { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
const eventId = { EventId: expect.stringMatching(/^[0-9a-f-]{36}$/) };

let server: Server;
let endpoint: string;
let client: EventBridgeClient;
/** What the bus's one rule delivered, as the JSON its target receives. */
let delivered: string[] = [];
let stderr: MockInstance<typeof console.error>;

/** The bus as the sandbox serves it: one HTTP server, the AWS JSON protocol, PutEvents and TestEventPattern. */
beforeAll(async () => {
  const buses = new LocalEventBuses('000000000000', 'us-east-1');
  buses.addBus('bus', [
    {
      name: 'orders',
      description: 'every order event; a pattern on the detail, so the matcher walks it',
      eventPattern: { 'detail-type': [{ prefix: 'order.' }], detail: { a: [{ exists: false }, 1] } },
      targetQueue: 'fanOut',
      target: (event) => delivered.push(event),
    },
  ]);
  server = createServer((req, res) => {
    void handleAwsJsonRequest(req, res, {
      namespace: 'com.amazonaws.eventbridge',
      jsonVersion: '1.1',
      targetPrefix: 'AWSEvents',
      handle: async (operation, input) => {
        if (operation === 'PutEvents') return buses.putEvents(input);
        if (operation === 'TestEventPattern') return testEventPattern(input);
        // A stand-in for a bug in an operation: what the protocol layer does with an unexpected error.
        if (operation === 'ListRules') throw new Error('rules store unavailable');
        throw unknownOperationError(operation);
      },
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = new EventBridgeClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    // A 500 must show as a 500, not be retried away.
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client?.destroy();
  server?.closeAllConnections();
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
});

beforeEach(() => {
  delivered = [];
  stderr = vi.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterEach(() => {
  stderr.mockRestore();
});

const put = (...entries: PutEventsRequestEntry[]) => client.send(new PutEventsCommand({ Entries: entries }));
const deliveredIds = () => delivered.map((event) => (JSON.parse(event) as { id: string }).id);

/** Posts a raw AWS JSON request, for what the SDK's types would not let a publisher send. */
async function rawPutEvents(body: string) {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
    body,
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('PutEvents from a hostile publisher', () => {
  it('fails only the entry whose Detail nests 4,100 levels; its batch-mates are accepted and routed', async () => {
    const result = await put(entry, { ...entry, Detail: nestedObjects(4100) }, entry);

    expect(result.$metadata.httpStatusCode).toBe(200);
    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries).toEqual([eventId, malformed, eventId]);
    expect(deliveredIds()).toEqual([result.Entries?.[0]?.EventId, result.Entries?.[2]?.EventId]);
    expect(stderr).not.toHaveBeenCalled();
  });

  it(`accepts a Detail nested ${DETAIL_MAX_DEPTH} levels, objects or arrays, and routes it whole`, async () => {
    const objects = nestedObjects(DETAIL_MAX_DEPTH);
    const arrays = nestedArrays(DETAIL_MAX_DEPTH);

    const result = await put({ ...entry, Detail: objects }, { ...entry, Detail: arrays });

    expect(result.FailedEntryCount).toBe(0);
    expect(result.Entries).toEqual([eventId, eventId]);
    // The rule's pattern `detail.a: [1]` found the 1 under 999 arrays, so the matcher walked them all.
    expect(delivered.map((event) => JSON.stringify(JSON.parse(event).detail))).toEqual([objects, arrays]);
  });

  it(`refuses a Detail nested ${DETAIL_MAX_DEPTH + 1} levels as MalformedDetail, alone`, async () => {
    const result = await put(
      { ...entry, Detail: nestedObjects(DETAIL_MAX_DEPTH + 1) },
      { ...entry, Detail: nestedArrays(DETAIL_MAX_DEPTH + 1) },
      entry,
    );

    expect(result.FailedEntryCount).toBe(2);
    expect(result.Entries).toEqual([malformed, malformed, eventId]);
    expect(deliveredIds()).toEqual([result.Entries?.[2]?.EventId]);
  });

  it('counts only brackets outside strings, escaped quotes included', async () => {
    const detail = JSON.stringify({ text: `\\"${'['.repeat(5000)}`, more: '{'.repeat(5000) });

    const result = await put({ ...entry, Detail: detail });

    expect(result.Entries).toEqual([eventId]);
    expect(JSON.parse(delivered[0] ?? '{}').detail).toEqual(JSON.parse(detail));
  });

  it('refuses a Detail nested 100,000 levels as that entry’s error, never a 500', async () => {
    const result = await put({ ...entry, Detail: nestedArrays(100_000) }, entry);

    expect(result.Entries).toEqual([malformed, eventId]);
  });

  it('fails an entry alone when its Resources or Time nest 5,000 levels or are not what the API takes', async () => {
    const deep = `${'['.repeat(5000)}"arn"${']'.repeat(5000)}`;
    const good = JSON.stringify(entry);
    const body =
      `{"Entries":[${good},{"Source":"s","DetailType":"order.x","Detail":"{}","Resources":${deep}},` +
      `{"Source":"s","DetailType":"order.x","Detail":"{}","Time":${deep}},` +
      `{"Source":"s","DetailType":"order.x","Detail":"{}","Resources":"arn:aws:s3:::b"},null,${good}]}`;

    const response = await rawPutEvents(body);

    expect(response).toEqual({
      status: 200,
      json: {
        FailedEntryCount: 4,
        Entries: [
          eventId,
          { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Resources is not valid.' },
          { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Time is not valid.' },
          { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Resources is not valid.' },
          {
            ErrorCode: 'InvalidArgument',
            ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.',
          },
          eventId,
        ],
      },
    });
    expect(delivered).toHaveLength(2);
  });

  it('refuses 11 deeply nested entries with a ValidationException, as for any 11 entries', async () => {
    const deep = `{"Source":"s","Nested":${'['.repeat(5000)}${']'.repeat(5000)}}`;

    const response = await rawPutEvents(`{"Entries":[${Array(11).fill(deep).join(',')}]}`);

    expect(response.status).toBe(400);
    expect(response.json).toEqual({
      __type: 'com.amazonaws.eventbridge#ValidationException',
      message: expect.stringContaining('Member must have length less than or equal to 10'),
    });
    expect(stderr).not.toHaveBeenCalled();
  });

  it('accepts a Detail over 256 KiB (EventBridge takes 1 MB since 2026) and refuses a batch over 1 MiB whole', async () => {
    const large = JSON.stringify({ notes: 'x'.repeat(256 * 1024) });
    const half = JSON.stringify({ notes: 'x'.repeat(512 * 1024) });

    const accepted = await put({ ...entry, Detail: large }, { ...entry, Detail: nestedObjects(4100) });
    const refused = put({ ...entry, Detail: half }, { ...entry, Detail: half });

    expect(accepted.Entries).toEqual([eventId, malformed]);
    expect(delivered).toHaveLength(1);
    await expect(refused).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Total size of the entries in the request is over the limit.',
      $metadata: { httpStatusCode: 400 },
    });
  });
});

describe('TestEventPattern with deeply nested input', () => {
  const event = (detail: string) =>
    `{"id":"1","account":"1","source":"s","time":"2026-01-01T00:00:00Z","region":"us-east-1",` +
    `"detail-type":"t","resources":[],"detail":${detail}}`;
  const test = (Event: string, EventPattern = '{"source":["s"]}') =>
    client.send(new TestEventPatternCommand({ Event, EventPattern }));
  const invalidEvent = { name: 'ValidationException', message: 'Parameter Event is not valid.' };

  it(`matches an event whose detail nests ${DETAIL_MAX_DEPTH} levels, walking it`, async () => {
    const pattern = '{"detail":{"a":[1]}}';

    expect((await test(event(nestedArrays(DETAIL_MAX_DEPTH)), pattern)).Result).toBe(true);
    expect((await test(event(nestedObjects(DETAIL_MAX_DEPTH)), pattern)).Result).toBe(false);
  });

  it('refuses an event nested one level deeper, or 4,100 or 100,000 levels, with a ValidationException', async () => {
    await expect(test(event(nestedObjects(DETAIL_MAX_DEPTH + 1)))).rejects.toMatchObject(invalidEvent);
    await expect(test(event(nestedArrays(4100)))).rejects.toMatchObject(invalidEvent);
    await expect(test(event(nestedArrays(100_000)))).rejects.toMatchObject(invalidEvent);
    expect(stderr).not.toHaveBeenCalled();
  });

  it('refuses a pattern nested 4,100 levels for its length, as the API constrains it', async () => {
    await expect(test(event('{}'), nestedObjects(4100))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining(
        `Member must have length less than or equal to ${TEST_EVENT_PATTERN_MAX_LENGTH}`,
      ),
    });
  });

  it('refuses the deepest patterns that fit in its length with InvalidEventPatternException', async () => {
    const arrays = `{"source":${'['.repeat(2000)}"s"${']'.repeat(2000)}}`;
    const objects = `${'{"":'.repeat(800)}["s"]${'}'.repeat(800)}`;
    const invalidPattern = {
      name: 'InvalidEventPatternException',
      message: expect.stringContaining('Event pattern is not valid. Reason: '),
    };

    await expect(test(event('{}'), arrays)).rejects.toMatchObject(invalidPattern);
    expect((await test(event('{}'), objects)).Result).toBe(false);
    expect(stderr).not.toHaveBeenCalled();
  });
});

describe('the JSON protocol layer', () => {
  it('logs one line to stderr, naming the operation, before it answers a 500', async () => {
    const call = client.send(new ListRulesCommand({}));

    await expect(call).rejects.toMatchObject({ name: 'InternalFailure', $metadata: { httpStatusCode: 500 } });
    expect(stderr).toHaveBeenCalledTimes(1);
    const [line] = stderr.mock.calls[0] ?? [];
    expect(line).toMatch(
      /^\[aws-json\] AWSEvents\.ListRules answered 500 InternalFailure \(request [0-9a-f-]{36}\): Error: rules store unavailable \(at .+\)$/,
    );
    expect(line).not.toContain('\n');
  });
});
