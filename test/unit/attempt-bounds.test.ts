import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type AddressLookup, ConnectionTally } from '#core/egress/guarded-connector.ts';
import { type WebhookRequest, WebhookSender } from '#core/egress/webhook-sender.ts';

/**
 * A loopback receiver whose paths are behaviours; it counts the requests each path got and keeps its open
 * connections, newest last, so a test can close one under the sender.
 */
let server: Server;
let port: number;
const hits = new Map<string, number>();
const connections: Socket[] = [];
const open = new Set<ServerResponse>();
const behaviours: Record<string, (res: ServerResponse) => void> = {
  '/ok': (res) => res.writeHead(200).end('ok'),
  '/answer-in-600ms': (res) => {
    open.add(res);
    setTimeout(() => res.writeHead(200).end('late but whole'), 600);
  },
  '/never': (res) => {
    open.add(res); // headers never come
  },
  '/drop': (res) => res.socket?.resetAndDestroy(),
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    req.resume();
    req.on('end', () => (behaviours[path] ?? ((response) => response.writeHead(404).end()))(res));
  });
  server.keepAliveTimeout = 0; // announces no Keep-Alive timeout and closes no idle connection itself
  server.on('connection', (socket: Socket) => {
    connections.push(socket);
    socket.on('close', () => connections.splice(connections.indexOf(socket), 1));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  for (const res of open) res.destroy();
  server.closeAllConnections();
  server.close();
});

const senders: WebhookSender[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(senders.splice(0).map((sender) => sender.close()));
});

/**
 * A sender whose names all resolve to the receiver's address after `lookupMs`: a far endpoint's connection
 * setup, which loopback TCP cannot show (the kernel completes a loopback handshake at once, even when the
 * server accepts late).
 */
function senderWithSetup(lookupMs: number, timeoutMs = 5000): WebhookSender {
  const slowLookup: AddressLookup = (_hostname, _options, callback) => {
    setTimeout(() => callback(null, [{ address: '127.0.0.1', family: 4 }]), lookupMs);
  };
  const sender = new WebhookSender('allow-private', timeoutMs, slowLookup);
  senders.push(sender);
  return sender;
}

const webhook = (url: string): WebhookRequest => ({
  url,
  body: '{"a":1}',
  contentType: 'application/json',
  headers: {},
});
const at = (host: string, path: string) => webhook(`http://${host}:${port}${path}`);

describe('an attempt timed in two parts', () => {
  it('gives a far endpoint its connection time apart from its answer time', async () => {
    const sender = senderWithSetup(400);

    const outcome = await sender.send(at('far.example', '/answer-in-600ms'), {
      connectMs: 500,
      answerMs: 800,
    });

    expect(outcome).toMatchObject({ kind: 'response', statusCode: 200, excerpt: 'late but whole' });
    expect(outcome.setupMs).toBeGreaterThanOrEqual(400);
    expect(outcome.answerMs).toBeGreaterThanOrEqual(600);
    expect(outcome.latencyMs).toBe(outcome.setupMs + (outcome.answerMs ?? Number.NaN));
  });

  it('counts the connection time against a single number, which bounds the whole from the start', async () => {
    const sender = senderWithSetup(400);

    const outcome = await sender.send(at('far.example', '/answer-in-600ms'), 900);

    expect(outcome).toMatchObject({
      kind: 'error',
      errorKind: 'timeout',
      error: expect.stringContaining('no complete answer within 900 ms'),
    });
    expect(outcome.setupMs).toBeGreaterThanOrEqual(400);
    expect(outcome.answerMs).toBeDefined();
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(900);
  });

  it('gives up on a connection slower than connectMs, and the request is never sent', async () => {
    const sender = senderWithSetup(600);
    const before = hits.get('/ok') ?? 0;

    const outcome = await sender.send(at('slow-dns.example', '/ok'), { connectMs: 300, answerMs: 2000 });
    await sleep(600); // the name resolves meanwhile and the connection opens

    expect(outcome).toMatchObject({
      kind: 'error',
      errorKind: 'timeout',
      error: expect.stringContaining('no connection within 300 ms'),
    });
    expect(outcome).not.toHaveProperty('answerMs');
    expect(outcome.setupMs).toBe(outcome.latencyMs);
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(300);
    expect(hits.get('/ok') ?? 0).toBe(before);
  });

  it('keeps a connection that opened after its attempt gave up, for the next attempt', async () => {
    const sender = senderWithSetup(600);
    await sender.send(at('slow-dns.example', '/ok'), { connectMs: 300, answerMs: 2000 });
    await sleep(600);

    const next = await sender.send(at('slow-dns.example', '/ok'), { connectMs: 300, answerMs: 2000 });

    expect(next).toMatchObject({ kind: 'response', statusCode: 200 });
    expect(sender.takeConnectionStats().opened).toBe(1);
  });

  it('gives up on an answer slower than answerMs after sending, and says the request left', async () => {
    const sender = senderWithSetup(0);
    const before = hits.get('/never') ?? 0;

    const outcome = await sender.send(at('near.example', '/never'), { connectMs: 500, answerMs: 300 });

    expect(outcome).toMatchObject({
      kind: 'error',
      errorKind: 'timeout',
      error: expect.stringContaining('no complete answer within 300 ms of sending'),
    });
    expect(outcome.answerMs).toBeGreaterThanOrEqual(300);
    expect(hits.get('/never') ?? 0).toBe(before + 1);
  });

  it('caps each bound at the sender’s own timeout', async () => {
    const sender = senderWithSetup(0, 300);

    const outcome = await sender.send(at('near.example', '/never'), { connectMs: 60_000, answerMs: 60_000 });

    expect(outcome).toMatchObject({
      kind: 'error',
      errorKind: 'timeout',
      error: expect.stringContaining('no complete answer within 300 ms of sending'),
    });
    expect(outcome.latencyMs).toBeLessThan(2000);
  });

  it('still takes a number as one bound for the whole, from before connecting', async () => {
    const sender = senderWithSetup(600);

    const outcome = await sender.send(at('slow-dns.example', '/ok'), 300);

    expect(outcome).toMatchObject({
      kind: 'error',
      errorKind: 'timeout',
      error: expect.stringContaining('no connection within 300 ms'),
    });
    expect(outcome).not.toHaveProperty('answerMs');
  });
});

describe('connection counting', () => {
  it('counts one connection for two attempts one after the other to one origin', async () => {
    const sender = senderWithSetup(50);

    await sender.send(at('one.example', '/ok'));
    // undici's pool frees a connection for the next request one event-loop turn after an answer ends; a send in
    // that same turn (e.g. straight from the first one's await) opens a second connection.
    await nextTurn();
    await sender.send(at('one.example', '/ok'));
    const stats = sender.takeConnectionStats();

    expect(stats.opened).toBe(1);
    expect(stats.setupMs).toHaveLength(1);
    expect(stats.setupMs[0]).toBeGreaterThanOrEqual(50);
  });

  it('counts a connection per origin, and starts again after each call', async () => {
    const sender = senderWithSetup(0);

    await Promise.all([sender.send(at('one.example', '/ok')), sender.send(at('two.example', '/ok'))]);
    const first = sender.takeConnectionStats();
    const second = sender.takeConnectionStats();

    expect(first.opened).toBe(2);
    expect(first.setupMs).toHaveLength(2);
    expect(second).toEqual({ opened: 0, setupMs: [] });
  });

  it('counts no connection the address guard refused', async () => {
    const sender = new WebhookSender('public-only', 2000);
    senders.push(sender);

    const outcome = await sender.send(webhook(`http://127.0.0.1:${port}/ok`));

    expect(outcome).toMatchObject({ kind: 'error', errorKind: 'blocked_address' });
    expect(sender.takeConnectionStats()).toEqual({ opened: 0, setupMs: [] });
  });

  it('keeps at most 1,000 setup times a period while counting every connection', () => {
    const tally = new ConnectionTally(() => 0); // every time past the 1,000th replaces the first kept

    for (let ms = 0; ms < 1500; ms++) tally.add(ms);
    const stats = tally.take();

    expect(stats.opened).toBe(1500);
    expect(stats.setupMs).toHaveLength(1000);
    expect(stats.setupMs[0]).toBe(1499);
    expect(stats.setupMs.slice(1)).toEqual(Array.from({ length: 999 }, (_, index) => index + 1));
  });
});

describe('idle connections kept between attempts', () => {
  const local = (path: string) => webhook(`http://127.0.0.1:${port}${path}`);

  /** A sender with one idle connection to the receiver, and that connection's server side. */
  async function withIdleConnection(): Promise<{ sender: WebhookSender; idle: Socket }> {
    const sender = new WebhookSender('allow-private', 2000);
    senders.push(sender);
    await sender.send(local('/ok'));
    await sleep(20);
    sender.takeConnectionStats();
    const idle = connections.at(-1);
    if (idle === undefined) throw new Error('no connection to the receiver');
    return { sender, idle };
  }

  it('reuses an idle connection the receiver keeps open', async () => {
    const { sender } = await withIdleConnection();

    await sleep(200);
    const outcome = await sender.send(local('/ok'));

    expect(outcome).toMatchObject({ kind: 'response', statusCode: 200 });
    expect(sender.takeConnectionStats().opened).toBe(0);
  });

  it('opens a new connection, and fails nothing, when the receiver closed the idle one unseen', async () => {
    const { sender, idle } = await withIdleConnection();

    // The close (FIN) waits in the kernel, unread, when the attempt starts: as after a frozen Lambda thaws.
    idle.destroy();
    const outcome = await sender.send(local('/ok'));

    expect(outcome).toMatchObject({ kind: 'response', statusCode: 200 });
    expect(sender.takeConnectionStats().opened).toBe(1);
  });

  it('sends again on a new connection, and fails nothing, when the receiver reset the idle one unseen', async () => {
    const { sender, idle } = await withIdleConnection();
    const before = hits.get('/ok') ?? 0;

    idle.resetAndDestroy(); // undici fails the request waiting for this connection, unwritten (ECONNRESET)
    const outcome = await sender.send(local('/ok'));

    expect(outcome).toMatchObject({ kind: 'response', statusCode: 200 });
    expect(hits.get('/ok') ?? 0).toBe(before + 1);
    expect(sender.takeConnectionStats().opened).toBe(1);
  });

  it('does not send again a request the connection broke under after it was written', async () => {
    const { sender } = await withIdleConnection();
    const before = hits.get('/drop') ?? 0;

    const outcome = await sender.send(local('/drop'));

    expect(outcome).toMatchObject({ kind: 'error', errorKind: 'connection_reset' });
    expect(outcome.answerMs).toBeDefined();
    expect(hits.get('/drop') ?? 0).toBe(before + 1);
  });

  it('opens new connections after a minute with nothing in flight, as a frozen process runs no idle timers', async () => {
    const { sender } = await withIdleConnection();
    vi.useFakeTimers({ toFake: ['Date'] });

    vi.setSystemTime(Date.now() + 61_000);
    const outcome = await sender.send(local('/ok'));

    expect(outcome).toMatchObject({ kind: 'response', statusCode: 200 });
    expect(sender.takeConnectionStats().opened).toBe(1);
  });
});
