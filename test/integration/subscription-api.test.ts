import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { TOO_MANY_COMBINATIONS } from '#core/event-pattern/limits.ts';
import { problem, useApiSandbox } from '../support/api-sandbox.ts';
import { disableBehindTheApi } from '../support/behind-the-api.ts';

const { newAccount, dynamo } = useApiSandbox({ subscriptionsPerAccount: 3 });

/** What `rate_limit` must be, as the API says it for every wrong value. */
const rateLimitRule = 'must be a whole number of deliveries a second from 1 to 10000, or null for no limit';

/** What `ordering` must be, as the API says it for every wrong value. */
const orderingRule = 'must be none or resource';

const itemKey = (accountId: string, id: string) => ({
  pk: { S: `ACCOUNT#${accountId}` },
  sk: { S: `SUBSCRIPTION#${id}` },
});

/** The subscription's item as stored. */
async function storedItem(accountId: string, id: string): Promise<Record<string, unknown>> {
  const { Item } = await dynamo().send(
    new GetItemCommand({ TableName: 'webhooks', Key: itemKey(accountId, id), ConsistentRead: true }),
  );
  return unmarshall(Item ?? {});
}

/** Sets attributes of a subscription's item as the delivery path does: beside the API, without a new version. */
async function keepBehindTheApi(accountId: string, id: string, fields: Record<string, unknown>) {
  const names = Object.keys(fields);
  await dynamo().send(
    new UpdateItemCommand({
      TableName: 'webhooks',
      Key: itemKey(accountId, id),
      UpdateExpression: `SET ${names.map((name) => `#${name} = :${name}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(names.map((name) => [`#${name}`, name])),
      ExpressionAttributeValues: marshall(
        Object.fromEntries(Object.entries(fields).map(([name, value]) => [`:${name}`, value])),
      ),
    }),
  );
}

/** What the delivery path keeps of an endpoint that kept failing and answers slowly, as it writes it. */
const failingEndpoint = (now = Date.now()) => ({
  slowSince: new Date(now - 3_600_000).toISOString(),
  failingSince: new Date(now - 1_800_000).toISOString(),
  laneEvidence: 2,
  consecutiveFailures: 5,
  circuit: {
    openedAt: new Date(now - 60_000).toISOString(),
    probeAt: new Date(now + 20_000).toISOString(),
    probeDelaySeconds: 40,
    token: 'probe-token-3',
  },
  backOffUntil: new Date(now + 600_000).toISOString(),
});

describe('POST /v1/webhooks', () => {
  it('creates a subscription with every field, shows its secret once, and tags it with its version', async () => {
    const { call } = await newAccount();

    const created = await call('POST', '/v1/webhooks', {
      name: '  Warehouse  ',
      description: 'Shipments for the warehouse',
      url: 'https://hooks.example.com/warehouse',
      events: ['shipment.*', 'order.created', 'order.created'],
      filter: { data: { status: ['Shipped'] } },
      format: 'xml',
      headers: { Authorization: 'Bearer receiver-token', 'X-Team': 'ops' },
      metadata: { cost_center: '42' },
      rate_limit: 250,
      ordering: 'resource',
    });
    const id = created.json?.id as string;
    const read = await call('GET', `/v1/webhooks/${id}`);

    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.headers.get('location')).toBe(`/v1/webhooks/${id}`);
    expect(created.json).toEqual({
      id: expect.stringMatching(/^sub_[0-9a-z]{26}$/),
      name: 'Warehouse',
      description: 'Shipments for the warehouse',
      url: 'https://hooks.example.com/warehouse',
      events: ['shipment.*', 'order.created'],
      filter: { data: { status: ['Shipped'] } },
      status: 'active',
      disabled_reason: null,
      format: 'xml',
      headers: { Authorization: 'Bearer receiver-token', 'X-Team': 'ops' },
      metadata: { cost_center: '42' },
      previous_secret_expires_at: null,
      rate_limit: 250,
      ordering: 'resource',
      compatible_id: null,
      circuit: { state: 'closed' },
      lane: 'main',
      slow_since: null,
      back_off_until: null,
      created_at: expect.any(String),
      updated_at: created.json?.created_at,
      version: 1,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });
    const { secret: _secret, ...withoutSecret } = created.json ?? {};
    expect(read).toMatchObject({ status: 200, json: withoutSecret });
    expect(read.headers.get('etag')).toBe('"1"');
  });

  it.each(
    (
      [
        [{ url: 'ftp://hooks.example.com/' }, 'url', 'must use https or http'],
        [
          { url: 'http://169.254.169.254/latest/meta-data/' },
          'url',
          'must not point at a link-local or metadata address',
        ],
        [{ url: 'http://[fd00:ec2::254]/' }, 'url', 'must not point at a link-local or metadata address'],
        [{ url: 'http://0xa9.0xfe.0xa9.0xfe/' }, 'url', 'must not point at a link-local or metadata address'],
        [{ url: 'https://user:pw@hooks.example.com/' }, 'url', 'must not contain credentials'],
        [{ url: `https://hooks.example.com/${'a'.repeat(2048)}` }, 'url', 'must be at most 2048 characters'],
        [{ name: '   ' }, 'name', 'must not be empty'],
        [{ description: 'd'.repeat(1001) }, 'description', 'must be at most 1000 characters'],
        [{ events: [] }, 'events', 'must name at least one event type'],
        [{ events: ['order.shipped'] }, 'events.0', expect.stringContaining('is not an event type')],
        [{ events: ['webhook.test'] }, 'events.0', expect.stringContaining('is not an event type')],
        [{ format: 'yaml' }, 'format', 'must be json, xml or jwt'],
        [
          { filter: { data: { status: 'Shipped' } } },
          'filter',
          expect.stringContaining('must be an object or an array'),
        ],
        [
          { headers: { 'webhook-signature': 'forged' } },
          'headers.webhook-signature',
          expect.stringContaining('set by the platform'),
        ],
        [
          { headers: { Host: 'evil.example' } },
          'headers.Host',
          expect.stringContaining('set by the platform'),
        ],
        [
          { headers: { 'Content-Type': 'text/plain' } },
          'headers.Content-Type',
          expect.stringContaining('set by the platform'),
        ],
        [
          { headers: { 'X-A': 'a\r\nX-Injected: 1' } },
          'headers.X-A',
          'must be printable ASCII without line breaks',
        ],
        [{ headers: { 'bad name': 'x' } }, 'headers.bad name', 'is not a valid header name'],
        [{ headers: { 'X-A': '1', 'x-a': '2' } }, 'headers.x-a', 'is given twice (names ignore case)'],
        [
          { headers: Object.fromEntries(Array.from({ length: 21 }, (_, n) => [`X-H${n}`, 'v'])) },
          'headers',
          'must have at most 20 headers',
        ],
        [{ metadata: { k: 'v'.repeat(513) } }, 'metadata.k', 'must be at most 512 characters'],
        [
          { metadata: Object.fromEntries(Array.from({ length: 21 }, (_, n) => [`k${n}`, 'v'])) },
          'metadata',
          'must have at most 20 keys',
        ],
        [{ status: 'paused' }, 'status', 'is not a known field'],
        [{ rate_limit: 0 }, 'rate_limit', rateLimitRule],
        [{ rate_limit: 10_001 }, 'rate_limit', rateLimitRule],
        [{ rate_limit: 1.5 }, 'rate_limit', rateLimitRule],
        [{ rate_limit: '10' }, 'rate_limit', rateLimitRule],
        [{ rate_limit: -1 }, 'rate_limit', rateLimitRule],
        [{ rate_limit: true }, 'rate_limit', rateLimitRule],
        [{ rate_limit: [10] }, 'rate_limit', rateLimitRule],
        [{ ordering: 'fifo' }, 'ordering', orderingRule],
        [{ ordering: 'RESOURCE' }, 'ordering', orderingRule],
        [{ ordering: null }, 'ordering', orderingRule],
        [{ ordering: true }, 'ordering', orderingRule],
        [{ circuit: { state: 'closed' } }, 'circuit', 'is not a known field'],
        [{ lane: 'slow' }, 'lane', 'is not a known field'],
        [{ rateLimit: 10 }, 'rateLimit', 'is not a known field'],
        // Keys the AWS SDK's marshaller or JavaScript treat as special; `__proto__` is sent as raw JSON below.
        [{ metadata: { constructor: 'x' } }, 'metadata.constructor', 'is a reserved name'],
        [{ metadata: { prototype: 'x' } }, 'metadata.prototype', 'is a reserved name'],
        [{ headers: { constructor: 'x' } }, 'headers.constructor', 'is a reserved name'],
        [{ headers: { prototype: 'x' } }, 'headers.prototype', 'is a reserved name'],
        // URLs that the URL parser would silently repair, or that are not what they seem.
        [{ url: 'https://hooks.example.com/in\t' }, 'url', 'must not contain spaces or control characters'],
        [{ url: 'https://hooks.exa\r\nmple.com/' }, 'url', 'must not contain spaces or control characters'],
        [{ url: ' https://hooks.example.com/' }, 'url', 'must not contain spaces or control characters'],
        [{ url: 'https://hooks.example.com/a b' }, 'url', 'must not contain spaces or control characters'],
        [{ url: 'https://evil.example\\@127.0.0.1/' }, 'url', 'must not contain backslashes'],
        [{ url: 'https:\\\\hooks.example.com/' }, 'url', 'must not contain backslashes'],
        [{ url: 'https:example.com' }, 'url', 'must start with https:// and the host'],
        [{ url: 'https:///x' }, 'url', 'must start with https:// and the host'],
        [{ url: 'https://example..com/' }, 'url', 'must not have an empty label in its host name'],
        [
          { url: 'https://*.example.com/' },
          'url',
          'must have a host name of letters, digits, -, _ and . only',
        ],
        [
          { url: 'https://-hooks.example.com/' },
          'url',
          'must not have a host name label that starts or ends with -',
        ],
        [
          { url: 'https://hooks-.example.com/' },
          'url',
          'must not have a host name label that starts or ends with -',
        ],
        [{ url: 'https://hooks.example.com:0/' }, 'url', 'must not use port 0'],
        [{ url: 'https://@hooks.example.com/' }, 'url', 'must not contain credentials'],
        [{ url: 'https://hooks.example.com/\ud800' }, 'url', 'must be valid Unicode text'],
        [
          { url: `https://hooks.example.com/${'é'.repeat(2000)}` },
          'url',
          'must be at most 2048 characters once percent-encoded',
        ],
        // Text that is not valid Unicode, or holds control characters.
        [{ name: 'lone\ud800' }, 'name', 'must be valid Unicode text'],
        [{ name: 'two\nlines' }, 'name', 'must be text without control characters'],
        [{ name: 'nul\u0000' }, 'name', 'must be text without control characters'],
        [{ name: 'del\u007f' }, 'name', 'must be text without control characters'],
        [{ description: 'carriage\rreturn' }, 'description', 'must be text without control characters'],
        [{ description: 'bell\u0007' }, 'description', 'must be text without control characters'],
        [{ description: '\udc00' }, 'description', 'must be valid Unicode text'],
        [{ metadata: { k: 'v\u0001' } }, 'metadata.k', 'must be text without control characters'],
        [{ metadata: { k: '\ud83d' } }, 'metadata.k', 'must be valid Unicode text'],
        [{ metadata: { 'k\n': 'v' } }, 'metadata.k\n', 'the key must be text without control characters'],
        [{ metadata: { '\udfff': 'v' } }, 'metadata.\udfff', 'the key must be valid Unicode text'],
        [{ headers: { 'X-\ud800': 'v' } }, 'headers.X-\ud800', 'is not a valid header name'],
        // Filters that would not be stored as they were sent.
        [{ filter: { data: { status: ['\ud800'] } } }, 'filter', 'must be valid Unicode text'],
      ] as const
    ).map(([fields, field, message]) => ({ fields, field, message })),
  )('refuses a wrong $field with a 422 naming it', async ({ fields, field, message }) => {
    const { call } = await newAccount();

    const response = await call('POST', '/v1/webhooks', {
      name: 'x',
      url: 'https://hooks.example.com/in',
      events: ['order.*'],
      ...fields,
    });

    expect(response.status).toBe(422);
    expect(response.contentType).toBe('application/problem+json');
    expect(response.json).toEqual(problem('validation-failed', 422, { errors: [{ field, message }] }));
  });

  it.each([
    ['"metadata":{"__proto__":"x"}', 'metadata.__proto__', 'is a reserved name'],
    ['"metadata":{"a":"b","__proto__":{"polluted":"yes"}}', 'metadata.__proto__', 'is a reserved name'],
    ['"headers":{"__proto__":"x"}', 'headers.__proto__', 'is a reserved name'],
    ['"__proto__":{"name":"y"}', '__proto__', 'is not a known field'],
    [
      '"filter":{"data":{"status":["Shipped"]},"__proto__":{"type":["x"]}}',
      'filter.__proto__',
      'is a reserved name',
    ],
    ['"name":"lone\\ud800"', 'name', 'must be valid Unicode text'],
    ['"filter":{"data":{"status":[1e400]}}', 'filter', expect.stringContaining('finite numbers')],
    [
      '"filter":{"data":{"total":[{"numeric":[">",-1e999]}]}}',
      'filter',
      expect.stringContaining('finite numbers'),
    ],
  ])('refuses the raw JSON %s with a 422 naming %s', async (raw, field, message) => {
    const { call } = await newAccount();

    const response = await call(
      'POST',
      '/v1/webhooks',
      `{"name":"x","url":"https://hooks.example.com/in","events":["order.*"],${raw}}`,
    );

    expect(response.status).toBe(422);
    expect(response.json).toEqual(problem('validation-failed', 422, { errors: [{ field, message }] }));
  });

  it.each([
    [1, 1],
    [10_000, 10_000],
    [null, null],
    [undefined, null],
  ])('creates with rate_limit %s, shown as %s and stored as given', async (rateLimit, shown) => {
    const { accountId, call } = await newAccount();

    const created = await call('POST', '/v1/webhooks', {
      name: 'x',
      url: 'https://hooks.example.com/in',
      events: ['order.*'],
      ...(rateLimit === undefined ? {} : { rate_limit: rateLimit }),
    });
    const id = created.json?.id as string;

    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ rate_limit: shown, circuit: { state: 'closed' }, lane: 'main' });
    expect((await call('GET', `/v1/webhooks/${id}`)).json).toMatchObject({ rate_limit: shown });
    expect((await storedItem(accountId, id)).rateLimit).toBe(shown ?? undefined);
  });

  it.each([
    ['resource', 'resource', 'resource'],
    ['none', 'none', undefined],
    [undefined, 'none', undefined],
  ])('creates with ordering %s, shown as %s and stored as %s', async (ordering, shown, stored) => {
    const { accountId, call } = await newAccount();

    const created = await call('POST', '/v1/webhooks', {
      name: 'x',
      url: 'https://hooks.example.com/in',
      events: ['order.*'],
      ...(ordering === undefined ? {} : { ordering }),
    });
    const id = created.json?.id as string;

    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ ordering: shown });
    expect((await call('GET', `/v1/webhooks/${id}`)).json).toMatchObject({ ordering: shown });
    expect((await call('GET', '/v1/webhooks')).json?.data).toEqual([
      expect.objectContaining({ id, ordering: shown }),
    ]);
    expect((await storedItem(accountId, id)).ordering).toBe(stored);
  });

  it('refuses a rate_limit sent as 1e400 (Infinity to JSON.parse) with a 422 naming it', async () => {
    const { call } = await newAccount();

    const response = await call(
      'POST',
      '/v1/webhooks',
      '{"name":"x","url":"https://hooks.example.com/in","events":["order.*"],"rate_limit":1e400}',
    );

    expect(response.json).toEqual(
      problem('validation-failed', 422, { errors: [{ field: 'rate_limit', message: rateLimitRule }] }),
    );
  });

  it('stores a URL as the parser writes it, which is what it shows and sends to', async () => {
    const { call } = await newAccount();

    const created = await call('POST', '/v1/webhooks', {
      name: 'x',
      url: 'HTTPS://Hooks.Example.COM:443/a/../Wébhooks?x="1"',
      events: ['order.*'],
    });

    expect(created.status).toBe(201);
    expect(created.json?.url).toBe('https://hooks.example.com/W%C3%A9bhooks?x=%221%22');
    expect((await call('GET', `/v1/webhooks/${created.json?.id}`)).json?.url).toBe(created.json?.url);
  });

  it('keeps -0 in a filter as 0, and description line breaks and tabs as sent', async () => {
    const { call } = await newAccount();

    const created = await call(
      'POST',
      '/v1/webhooks',
      '{"name":"x","url":"https://hooks.example.com/in","events":["order.*"],"description":"a\\n\\tb","filter":{"data":{"total":[-0]}}}',
    );

    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ description: 'a\n\tb', filter: { data: { total: [0] } } });
  });

  it('refuses a body over 256 KiB with 413 and a filter nested 4,105 levels deep with 400, never a 500', async () => {
    const { call } = await newAccount();
    const deep = `${'{"a":'.repeat(4105)}1${'}'.repeat(4105)}`;

    const large = await call('POST', '/v1/webhooks', JSON.stringify({ name: 'x'.repeat(300 * 1024) }));
    const nested = await call(
      'POST',
      '/v1/webhooks',
      `{"name":"x","url":"https://hooks.example.com/","events":["order.*"],"filter":${deep}}`,
    );

    expect(large.status).toBe(413);
    expect(large.json).toEqual(
      problem('payload-too-large', 413, {
        errors: [{ field: 'body', message: 'must be at most 262144 bytes' }],
      }),
    );
    expect(nested.status).toBe(400);
    expect(nested.json).toEqual(
      problem('malformed-body', 400, {
        errors: [{ field: 'body', message: expect.stringContaining('deeper than 64') }],
      }),
    );
  });

  it('refuses filters whose $or objects combine in more than 1000 ways with a 422 naming filter, on create and update', async () => {
    const { call, createWebhook } = await newAccount();
    const siblings = (n: number) =>
      Object.fromEntries(
        Array.from({ length: n }, (_, i) => [`f${i}`, { $or: [{ a: ['1'] }, { b: ['2'] }] }]),
      );
    // Issue 13's bombs: 15 and 16 sibling $or objects (600 and 640 characters), and siblings inside an $or.
    const bombs = [
      { data: siblings(15) },
      { data: siblings(16) },
      { $or: [{ data: siblings(10) }, { previous: siblings(10) }] },
    ];
    const refusedAs = (response: Awaited<ReturnType<typeof call>>) => ({
      status: response.status,
      json: response.json,
    });
    const expected = {
      status: 422,
      json: problem('validation-failed', 422, {
        errors: [
          {
            field: 'filter',
            message: `Event pattern is not valid. Reason: ${TOO_MANY_COMBINATIONS}`,
          },
        ],
      }),
    };
    const existing = await createWebhook();

    for (const filter of bombs) {
      const create = await call('POST', '/v1/webhooks', {
        name: 'x',
        url: 'https://hooks.example.com/in',
        events: ['order.*'],
        filter,
      });
      const update = await call('PATCH', `/v1/webhooks/${existing.id}`, { filter });
      expect(refusedAs(create)).toEqual(expected);
      expect(refusedAs(update)).toEqual(expected);
    }
    // Nine siblings combine in 512 ways: within the limit, and stored as sent.
    const accepted = await call('PATCH', `/v1/webhooks/${existing.id}`, { filter: { data: siblings(9) } });
    expect(accepted.status).toBe(200);
    expect(accepted.json?.filter).toEqual({ data: siblings(9) });
  });

  it('keeps an account to its limit of subscriptions, and frees a slot on delete', async () => {
    const { call, createWebhook } = await newAccount();
    const first = await createWebhook();
    await createWebhook();
    await createWebhook();

    const refused = await call('POST', '/v1/webhooks', {
      name: 'x',
      url: 'https://a.example.com/',
      events: ['order.*'],
    });
    await call('DELETE', `/v1/webhooks/${first.id}`);
    const again = await call('POST', '/v1/webhooks', {
      name: 'x',
      url: 'https://a.example.com/',
      events: ['order.*'],
    });

    expect(refused.status).toBe(409);
    expect(refused.json).toEqual(problem('limit-reached', 409));
    expect(again.status).toBe(201);
  });
});

describe('PATCH /v1/webhooks/{id}', () => {
  it('changes the fields given, removes those set to null, and moves to the next version', async () => {
    const { call, createWebhook } = await newAccount();
    const created = await createWebhook({
      description: 'old',
      filter: { data: { status: ['Shipped'] } },
      headers: { 'X-Team': 'ops' },
      metadata: { a: '1' },
    });

    const patched = await call('PATCH', `/v1/webhooks/${created.id}`, {
      name: 'Renamed',
      description: null,
      url: 'https://other.example.com/hooks',
      events: ['draft.*'],
      filter: null,
      format: 'xml',
      headers: { 'X-Other': 'yes' },
      metadata: null,
    });

    expect(patched.status).toBe(200);
    expect(patched.headers.get('etag')).toBe('"2"');
    expect(patched.json).toMatchObject({
      name: 'Renamed',
      description: null,
      url: 'https://other.example.com/hooks',
      events: ['draft.*'],
      filter: null,
      format: 'xml',
      headers: { 'X-Other': 'yes' },
      metadata: {},
      version: 2,
      created_at: created.created_at,
    });
    expect(patched.json).not.toHaveProperty('secret');
    expect((await call('GET', `/v1/webhooks/${created.id}`)).json).toEqual(patched.json);
  });

  it('gives 412 for a stale If-Match and changes nothing; the current ETag or * applies', async () => {
    const { call, createWebhook } = await newAccount();
    const { id } = await createWebhook();
    await call('PATCH', `/v1/webhooks/${id}`, { name: 'second' });

    const stale = await call('PATCH', `/v1/webhooks/${id}`, { name: 'lost update' }, { 'if-match': '"1"' });
    const weak = await call('PATCH', `/v1/webhooks/${id}`, { name: 'weak' }, { 'if-match': 'W/"2"' });
    const current = await call('PATCH', `/v1/webhooks/${id}`, { name: 'third' }, { 'if-match': '"1", "2"' });
    const any = await call('PATCH', `/v1/webhooks/${id}`, { name: 'fourth' }, { 'if-match': '*' });

    expect(stale.status).toBe(412);
    expect(stale.headers.get('etag')).toBe('"2"');
    expect(stale.json).toEqual(
      problem('precondition-failed', 412, {
        errors: [{ field: 'if-match', message: 'must name the current version, "2"' }],
      }),
    );
    expect(weak.status).toBe(412);
    expect(current.json).toMatchObject({ name: 'third', version: 3 });
    expect(any.json).toMatchObject({ name: 'fourth', version: 4 });
  });

  it('pauses and resumes; active re-enables a disabled subscription and clears its reason', async () => {
    const { accountId, call, createWebhook } = await newAccount();
    const { id } = await createWebhook();

    const paused = await call('PATCH', `/v1/webhooks/${id}`, { status: 'paused' });
    await disableBehindTheApi(dynamo(), accountId, id, 'The endpoint answered 410 Gone');
    const disabled = await call('GET', `/v1/webhooks/${id}`);
    const enabled = await call('PATCH', `/v1/webhooks/${id}`, { status: 'active' });

    expect(paused.json).toMatchObject({ status: 'paused', version: 2 });
    expect(disabled.json).toMatchObject({
      status: 'disabled',
      disabled_reason: 'The endpoint answered 410 Gone',
    });
    expect(enabled.json).toMatchObject({ status: 'active', disabled_reason: null, version: 4 });
  });

  it('sets, changes and clears the rate limit, each a new version, and keeps the version when it is the same', async () => {
    const { accountId, call, createWebhook } = await newAccount();
    const { id } = await createWebhook();

    const set = await call('PATCH', `/v1/webhooks/${id}`, { rate_limit: 20 });
    const same = await call('PATCH', `/v1/webhooks/${id}`, { rate_limit: 20 });
    const stale = await call('PATCH', `/v1/webhooks/${id}`, { rate_limit: 5 }, { 'if-match': '"1"' });
    const changed = await call('PATCH', `/v1/webhooks/${id}`, { rate_limit: 10_000 }, { 'if-match': '"2"' });
    const storedWithLimit = await storedItem(accountId, id);
    const cleared = await call('PATCH', `/v1/webhooks/${id}`, { rate_limit: null });
    const clearedAgain = await call('PATCH', `/v1/webhooks/${id}`, { rate_limit: null });

    expect(set.json).toMatchObject({ rate_limit: 20, version: 2 });
    expect(set.headers.get('etag')).toBe('"2"');
    expect(same.json).toMatchObject({ rate_limit: 20, version: 2 });
    expect(stale.status).toBe(412);
    expect(changed.json).toMatchObject({ rate_limit: 10_000, version: 3 });
    expect(storedWithLimit.rateLimit).toBe(10_000);
    expect(cleared.json).toMatchObject({ rate_limit: null, version: 4 });
    expect(clearedAgain.json).toMatchObject({ rate_limit: null, version: 4 });
    expect(await storedItem(accountId, id)).not.toHaveProperty('rateLimit');
    expect((await call('GET', `/v1/webhooks/${id}`)).json).toEqual(cleared.json);
  });

  it('sets and takes back ordering per resource, each a new version, and keeps the version when it is the same', async () => {
    const { accountId, call, createWebhook } = await newAccount();
    const { id } = await createWebhook();

    const ordered = await call('PATCH', `/v1/webhooks/${id}`, { ordering: 'resource' });
    const same = await call('PATCH', `/v1/webhooks/${id}`, { ordering: 'resource' });
    const storedOrdered = await storedItem(accountId, id);
    const unordered = await call('PATCH', `/v1/webhooks/${id}`, { ordering: 'none' }, { 'if-match': '"2"' });
    const unorderedAgain = await call('PATCH', `/v1/webhooks/${id}`, { ordering: 'none' });
    const wrong = await call('PATCH', `/v1/webhooks/${id}`, { ordering: 'strict', name: '' });

    expect(ordered.json).toMatchObject({ ordering: 'resource', version: 2 });
    expect(same.json).toMatchObject({ ordering: 'resource', version: 2 });
    expect(storedOrdered.ordering).toBe('resource');
    expect(unordered.json).toMatchObject({ ordering: 'none', version: 3 });
    expect(unorderedAgain.json).toMatchObject({ ordering: 'none', version: 3 });
    expect(await storedItem(accountId, id)).not.toHaveProperty('ordering');
    expect(wrong.json).toEqual(
      problem('validation-failed', 422, {
        errors: [
          { field: 'name', message: 'must not be empty' },
          { field: 'ordering', message: orderingRule },
        ],
      }),
    );
    expect((await call('GET', `/v1/webhooks/${id}`)).json).toEqual(unorderedAgain.json);
  });

  it('shows what the delivery path keeps, and a patch leaves it as stored: circuit, lane, failures, back-off', async () => {
    const { accountId, call, createWebhook } = await newAccount();
    const { id } = await createWebhook();
    const kept = failingEndpoint();
    await keepBehindTheApi(accountId, id, kept);

    const patched = await call('PATCH', `/v1/webhooks/${id}`, { name: 'Renamed', rate_limit: 3 });
    const item = await storedItem(accountId, id);

    expect(patched.json).toMatchObject({
      name: 'Renamed',
      rate_limit: 3,
      version: 2,
      circuit: { state: 'open', opened_at: kept.circuit.openedAt, next_probe_at: kept.circuit.probeAt },
      lane: 'slow',
      slow_since: kept.slowSince,
      back_off_until: kept.backOffUntil,
    });
    expect(patched.json?.circuit).not.toHaveProperty('token');
    expect(item).toMatchObject({ ...kept, name: 'Renamed', rateLimit: 3, version: 2 });
    expect((await call('GET', `/v1/webhooks/${id}`)).json).toEqual(patched.json);
  });

  it('does not show a back-off that has passed', async () => {
    const { accountId, call, createWebhook } = await newAccount();
    const { id } = await createWebhook();
    await keepBehindTheApi(accountId, id, { backOffUntil: new Date(Date.now() - 1000).toISOString() });

    const read = await call('GET', `/v1/webhooks/${id}`);

    expect(read.json).toMatchObject({ back_off_until: null, circuit: { state: 'closed' }, lane: 'main' });
  });

  it.each(['active', 'paused'])(
    'taking a disabled subscription to %s clears its circuit, failures and back-off in the same write, and keeps its lane',
    async (status) => {
      const { accountId, call, createWebhook } = await newAccount();
      const { id } = await createWebhook();
      const kept = failingEndpoint();
      await keepBehindTheApi(accountId, id, kept);
      await disableBehindTheApi(dynamo(), accountId, id, 'The endpoint failed for 5 days');

      const changed = await call('PATCH', `/v1/webhooks/${id}`, { status });
      const item = await storedItem(accountId, id);

      expect(changed.json).toMatchObject({
        status,
        disabled_reason: null,
        version: 3,
        circuit: { state: 'closed' },
        back_off_until: null,
        lane: 'slow',
        slow_since: kept.slowSince,
      });
      for (const field of [
        'circuit',
        'consecutiveFailures',
        'laneEvidence',
        'backOffUntil',
        'failingSince',
        'disabledReason',
      ]) {
        expect(item).not.toHaveProperty(field);
      }
      expect(item).toMatchObject({ status, slowSince: kept.slowSince, version: 3 });
      expect((await call('GET', `/v1/webhooks/${id}`)).json).toEqual(changed.json);
    },
  );

  it('keeps the circuit of a subscription paused and resumed: only leaving disabled clears it', async () => {
    const { accountId, call, createWebhook } = await newAccount();
    const { id } = await createWebhook();
    const kept = failingEndpoint();
    await keepBehindTheApi(accountId, id, kept);

    await call('PATCH', `/v1/webhooks/${id}`, { status: 'paused' });
    const resumed = await call('PATCH', `/v1/webhooks/${id}`, { status: 'active' });

    expect(resumed.json).toMatchObject({ status: 'active', version: 3, circuit: { state: 'open' } });
    expect(await storedItem(accountId, id)).toMatchObject(kept);
  });

  it('keeps the version for a patch that changes nothing', async () => {
    const { call, createWebhook } = await newAccount();
    const { id } = await createWebhook({ name: 'Same' });

    const response = await call('PATCH', `/v1/webhooks/${id}`, { name: 'Same', events: ['order.*'] });

    expect(response.json).toMatchObject({ name: 'Same', version: 1 });
  });

  it.each(
    (
      [
        [
          { status: 'disabled' },
          'status',
          'must be active or paused (disabled is set by the platform after failures)',
        ],
        [{ name: null }, 'name', 'must be a string'],
        [
          { url: 'http://169.254.170.2/v2/credentials' },
          'url',
          'must not point at a link-local or metadata address',
        ],
        [{ events: ['order.*', 'nope'] }, 'events.1', expect.stringContaining('is not an event type')],
        [{ secret: 'whsec_mine' }, 'secret', 'is not a known field'],
        [{ version: 9 }, 'version', 'is not a known field'],
        [{ metadata: { constructor: 'x' } }, 'metadata.constructor', 'is a reserved name'],
        [{ headers: { prototype: 'x' } }, 'headers.prototype', 'is a reserved name'],
        [{ url: 'https://hooks.example.com/\n' }, 'url', 'must not contain spaces or control characters'],
        [{ url: 'https://evil.example\\@127.0.0.1/' }, 'url', 'must not contain backslashes'],
        [{ url: 'https:hooks.example.com' }, 'url', 'must start with https:// and the host'],
        [{ name: 'lone\udbff' }, 'name', 'must be valid Unicode text'],
        [{ description: 'form\ffeed' }, 'description', 'must be text without control characters'],
        [{ metadata: { k: 'a\u001bb' } }, 'metadata.k', 'must be text without control characters'],
        [{ rate_limit: 0 }, 'rate_limit', rateLimitRule],
        [{ rate_limit: 10_001 }, 'rate_limit', rateLimitRule],
        [{ rate_limit: 1.5 }, 'rate_limit', rateLimitRule],
        [{ rate_limit: '10' }, 'rate_limit', rateLimitRule],
        [{ circuit: { state: 'closed' } }, 'circuit', 'is not a known field'],
        [{ back_off_until: null }, 'back_off_until', 'is not a known field'],
        [{ slow_since: null }, 'slow_since', 'is not a known field'],
      ] as const
    ).map(([patch, field, message]) => ({ patch, field, message })),
  )(
    'refuses a patch of $field with a 422 naming it, and changes nothing',
    async ({ patch, field, message }) => {
      const { call, createWebhook } = await newAccount();
      const { id } = await createWebhook();

      const response = await call('PATCH', `/v1/webhooks/${id}`, patch);

      expect(response.status).toBe(422);
      expect(response.json).toEqual(problem('validation-failed', 422, { errors: [{ field, message }] }));
      expect((await call('GET', `/v1/webhooks/${id}`)).json).toMatchObject({ version: 1 });
    },
  );

  it.each([
    ['{"metadata":{"__proto__":"x"}}', 'metadata.__proto__', 'is a reserved name'],
    ['{"headers":{"__proto__":"x"}}', 'headers.__proto__', 'is a reserved name'],
    ['{"filter":{"__proto__":{"data":{"status":["Shipped"]}}}}', 'filter.__proto__', 'is a reserved name'],
    ['{"filter":{"data":{"n":[1e400]}}}', 'filter', expect.stringContaining('finite numbers')],
  ])(
    'refuses the raw JSON patch %s with a 422 naming %s, and changes nothing',
    async (raw, field, message) => {
      const { call, createWebhook } = await newAccount();
      const { id } = await createWebhook();

      const response = await call('PATCH', `/v1/webhooks/${id}`, raw);

      expect(response.json).toEqual(problem('validation-failed', 422, { errors: [{ field, message }] }));
      expect((await call('GET', `/v1/webhooks/${id}`)).json).toMatchObject({ version: 1 });
    },
  );

  it('applies 20 concurrent patches without If-Match, the last writer winning, and none lost to a 409', async () => {
    const { call, createWebhook } = await newAccount();
    const { id } = await createWebhook();

    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        call('PATCH', `/v1/webhooks/${id}`, { metadata: { n: String(n) } }),
      ),
    );
    const read = await call('GET', `/v1/webhooks/${id}`);

    expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
    const versions = answers.map((answer) => answer.json?.version as number);
    expect(new Set(versions).size).toBe(20);
    const last = answers[versions.indexOf(Math.max(...versions))];
    expect(read.json).toMatchObject({ version: 21, metadata: last?.json?.metadata });
  });

  it('gives 412 to concurrent patches with the same If-Match but one', async () => {
    const { call, createWebhook } = await newAccount();
    const { id } = await createWebhook();

    const answers = await Promise.all(
      Array.from({ length: 5 }, (_, n) =>
        call('PATCH', `/v1/webhooks/${id}`, { name: `n${n}` }, { 'if-match': '"1"' }),
      ),
    );

    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([200, 412, 412, 412, 412]);
  });

  it('pauses a disabled subscription and clears its reason too', async () => {
    const { accountId, call, createWebhook } = await newAccount();
    const { id } = await createWebhook();
    await disableBehindTheApi(dynamo(), accountId, id, 'The endpoint answered 410 Gone');

    const paused = await call('PATCH', `/v1/webhooks/${id}`, { status: 'paused' });

    expect(paused.json).toMatchObject({ status: 'paused', disabled_reason: null, version: 3 });
  });

  it('refuses a body that is not an object', async () => {
    const { call, createWebhook } = await newAccount();
    const { id } = await createWebhook();

    const response = await call('PATCH', `/v1/webhooks/${id}`, '[1,2]');

    expect(response.json).toEqual(
      problem('validation-failed', 422, { errors: [{ field: 'body', message: 'must be a JSON object' }] }),
    );
  });
});

describe('DELETE /v1/webhooks/{id}', () => {
  it('answers 204, then 404 to every call on it', async () => {
    const { call, createWebhook } = await newAccount();
    const { id } = await createWebhook();

    const deleted = await call('DELETE', `/v1/webhooks/${id}`);
    const after = await Promise.all([
      call('GET', `/v1/webhooks/${id}`),
      call('PATCH', `/v1/webhooks/${id}`, { name: 'x' }),
      call('DELETE', `/v1/webhooks/${id}`),
      call('POST', `/v1/webhooks/${id}/rotate-secret`),
      call('POST', `/v1/webhooks/${id}/test`),
    ]);
    const listed = await call('GET', '/v1/webhooks');

    expect(deleted.status).toBe(204);
    expect(deleted.json).toBeUndefined();
    expect(after.map((response) => response.status)).toEqual([404, 404, 404, 404, 404]);
    expect(after[0]?.json).toEqual(problem('not-found', 404));
    expect(listed.json?.data).toEqual([]);
  });

  it('deletes while concurrent patches without If-Match keep changing it', async () => {
    const { call, createWebhook } = await newAccount();
    const { id } = await createWebhook();

    const [deleted, ...patched] = await Promise.all([
      call('DELETE', `/v1/webhooks/${id}`),
      ...Array.from({ length: 10 }, (_, n) => call('PATCH', `/v1/webhooks/${id}`, { name: `n${n}` })),
    ]);

    expect(deleted?.status).toBe(204);
    expect(patched.every((answer) => answer.status === 200 || answer.status === 404)).toBe(true);
    expect((await call('GET', `/v1/webhooks/${id}`)).status).toBe(404);
  });

  it('gives 412 for a stale If-Match and keeps the subscription', async () => {
    const { call, createWebhook } = await newAccount();
    const { id } = await createWebhook();
    await call('PATCH', `/v1/webhooks/${id}`, { name: 'v2' });

    const stale = await call('DELETE', `/v1/webhooks/${id}`, undefined, { 'if-match': '"1"' });

    expect(stale.status).toBe(412);
    expect((await call('GET', `/v1/webhooks/${id}`)).status).toBe(200);
  });
});
