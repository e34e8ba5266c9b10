import { once } from 'node:events';
import { type Agent, type IncomingHttpHeaders, request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../sandbox/sandbox.ts';
import { eventually } from '../support/eventually.ts';

let sandbox: Sandbox;
let port: number;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, logLevel: 'SILENT' });
  port = Number(new URL(sandbox.endpoint).port);
});
afterAll(async () => {
  await sandbox?.close();
});

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** Whether the request went on a connection an earlier request had used (keep-alive). */
  readonly reusedSocket: boolean;
}

/** One HTTP request to the sandbox's port, with any headers (Host included), as a browser or curl could send it. */
function send(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer | string,
  agent?: Agent,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers, ...(agent === undefined ? {} : { agent }) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            reusedSocket: req.reusedSocket,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A DynamoDB `Scan` of the platform's table, as `curl` or a web page could send it: no signature needed. */
const scan = (headers: Record<string, string>) =>
  send(
    'POST',
    '/',
    {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.Scan',
      // Any signature passes, as with other local AWS emulators.
      authorization:
        'AWS4-HMAC-SHA256 Credential=any/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      'x-amz-date': '20260101T000000Z',
      ...headers,
    },
    JSON.stringify({ TableName: 'webhooks', Limit: 1 }),
  );
const portalSession = (headers: Record<string, string>) =>
  send(
    'POST',
    '/v1/portal-sessions',
    { authorization: `Bearer ${sandbox.apiKey}`, 'content-type': 'application/json', ...headers },
    '{}',
  );
const refused = (message: RegExp) => ({
  status: 403,
  body: expect.stringMatching(message),
  headers: expect.not.objectContaining({ 'access-control-allow-origin': expect.anything() }),
});

describe('the sandbox answers local callers only, by name', () => {
  it.each([
    ['another name on its port (DNS rebinding)', () => `evil.example:${port}`],
    ['a name that only ends in localhost', () => `localhost.evil.example:${port}`],
    ['a name that resolves to 127.0.0.1 through DNS', () => `127.0.0.1.nip.io:${port}`],
    ['a loopback name without the port', () => 'localhost'],
    ['a loopback address with another port', () => `127.0.0.1:${port + 1}`],
  ])('refuses a Host of %s with 403, for its AWS endpoints and its API alike', async (_, host) => {
    const answers = [await scan({ host: host() }), await portalSession({ host: host() })];

    expect(answers).toEqual([
      expect.objectContaining(
        refused(/answers only requests for localhost:\d+, 127\.0\.0\.1:\d+ or \[::1\]:\d+/),
      ),
      expect.objectContaining(refused(/answers only requests for localhost/)),
    ]);
  });

  it.each([
    ['localhost', () => `localhost:${port}`],
    ['127.0.0.1', () => `127.0.0.1:${port}`],
    ['[::1]', () => `[::1]:${port}`],
    ['a-b.localhost', () => `a-b.localhost:${port}`],
  ])('answers a Host of %s with its port, and makes http portal links on that origin', async (name, host) => {
    const answers = [await scan({ host: host() }), await portalSession({ host: host() })];

    expect(answers.map((answer) => answer.status)).toEqual([200, 201]);
    expect(JSON.parse(answers[0]?.body ?? '{}')).toMatchObject({ Count: expect.any(Number) });
    expect(JSON.parse(answers[1]?.body ?? '{}').url).toMatch(
      new RegExp(`^http://${name.replace(/[.[\]]/g, '\\$&')}:${port}/portal/#`),
    );
  });

  it('refuses a web page of another origin, even a local one, its AWS endpoints and their CORS preflight', async () => {
    const origins = ['http://evil.example', `http://localhost:${port + 1}`, 'null'];
    const answers = [];
    for (const origin of origins) {
      answers.push(await scan({ host: `localhost:${port}`, origin }));
      answers.push(
        await send('OPTIONS', '/', {
          host: `localhost:${port}`,
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-amz-target,x-amz-user-agent',
        }),
      );
    }

    expect(answers).toEqual(
      answers.map(() => expect.objectContaining(refused(/do not answer web pages of other origins/))),
    );
    expect((await scan({ host: `localhost:${port}`, origin: `http://localhost:${port}` })).status).toBe(200);
  });
});

/**
 * Two requests written one after the other on one connection (the second only once the first is sent whole),
 * as a keep-alive client does; answers the status lines and bodies of both answers as they came.
 */
async function twoOnOneConnection(first: Buffer, second: Buffer): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const answered = (count: number) =>
    (
      Buffer.concat(chunks)
        .toString('latin1')
        .match(/HTTP\/1\.1 \d{3}/g) ?? []
    ).length >= count;
  try {
    await new Promise<void>((resolve, reject) =>
      socket.write(first, (error) => (error ? reject(error) : resolve())),
    );
    socket.write(second);
    await eventually(async () => (answered(2) || socket.destroyed ? true : undefined), 'two answers', 20_000);
    return Buffer.concat(chunks).toString('latin1');
  } finally {
    socket.destroy();
  }
}

/** A request as its bytes: the request line, headers (with Content-Length), and the body. */
function rawRequest(
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer = Buffer.alloc(0),
) {
  const head = [
    `${method} ${path} HTTP/1.1`,
    ...Object.entries({ ...headers, 'content-length': String(body.length) }).map(
      ([name, value]) => `${name}: ${value}`,
    ),
  ];
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

/** Writes `request` on a connection of its own and answers all the sandbox sent back until it closed it. */
async function aloneOnConnection(request: Buffer): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.end(request);
  await once(socket, 'close');
  return Buffer.concat(chunks).toString('latin1');
}

describe('a request with more than one Host header', () => {
  it.each([
    ['the same local name twice', () => [`localhost:${port}`, `localhost:${port}`]],
    ['a local name, then another name', () => [`localhost:${port}`, `evil.example:${port}`]],
  ])('gets 400 and nothing else, for %s (RFC 9112 section 3.2)', async (_, hosts) => {
    const [first, second] = hosts();
    const request = rawRequest(
      'POST',
      '/v1/portal-sessions',
      { host: first ?? '', authorization: `Bearer ${sandbox.apiKey}`, 'content-type': 'application/json' },
      Buffer.from('{}'),
    );
    // The second Host header goes right after the first.
    const twoHosts = Buffer.from(
      request.toString('latin1').replace(/^(host: .*\r\n)/m, `$1host: ${second}\r\n`),
      'latin1',
    );

    const answer = await aloneOnConnection(twoHosts);

    expect(twoHosts.toString('latin1').match(/^host: /gm)).toHaveLength(2);
    expect(answer.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 400']);
    expect(answer).toContain('{"message":"A request carries one Host header, not several."}');
    expect(answer).not.toContain('portal');
  });
});

describe('a body over the limit', () => {
  it('answers 413 for a body over 10 MB, and the next request on that keep-alive connection gets its answer', async () => {
    const headers = { host: `127.0.0.1:${port}`, authorization: `Bearer ${sandbox.apiKey}` };

    const answers = await twoOnOneConnection(
      rawRequest(
        'POST',
        '/v1/webhooks',
        { ...headers, 'content-type': 'application/json' },
        Buffer.alloc(11 * 1024 * 1024, 0x20),
      ),
      rawRequest('GET', '/v1/webhooks', headers),
    );

    expect(answers.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 413', 'HTTP/1.1 200']);
    expect(answers).toContain('{"message":"Request Entity Too Large"}');
    expect(answers).toContain('"next_cursor"');
  });

  it('answers 413 for an AWS request over 8 MiB, and the next request on that connection gets its answer', async () => {
    const headers = {
      host: `127.0.0.1:${port}`,
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AWSEvents.PutEvents',
    };

    const answers = await twoOnOneConnection(
      rawRequest('POST', '/', headers, Buffer.alloc(9 * 1024 * 1024, 0x20)),
      rawRequest('POST', '/', headers, Buffer.from('{"Entries":[]}')),
    );

    expect(answers.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 413', 'HTTP/1.1 400']);
    expect(answers).toMatch(/ValidationException/);
  });
});
