import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookSender } from '#core/egress/webhook-sender.ts';

/** A loopback server whose every path is a behaviour of the receiver; it counts the requests each path got. */
let server: Server;
let origin: string;
const hits = new Map<string, number>();
const open = new Set<ServerResponse>();
const behaviours: Record<string, (res: ServerResponse) => void> = {
  '/ok': (res) => res.writeHead(202, { 'retry-after': '7' }).end('thanks'),
  '/early-hints': (res) => {
    res.writeEarlyHints({ link: '</style.css>; rel=preload' });
    res.writeHead(200).end('after hints');
  },
  '/endless': (res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const chunk = 'x'.repeat(16 * 1024);
    const pump = () => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  },
  '/never': (res) => {
    open.add(res); // headers never come
  },
  '/drip': (res) => {
    res.writeHead(200);
    const drip = setInterval(() => (res.destroyed ? clearInterval(drip) : res.write('.')), 50);
    res.on('close', () => clearInterval(drip));
  },
  '/redirect': (res) => res.writeHead(302, { location: '/ok' }).end(),
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    req.resume();
    req.on('end', () => (behaviours[path] ?? ((response) => response.writeHead(404).end()))(res));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const res of open) res.destroy();
  server.closeAllConnections();
  server.close();
});

const webhook = (url: string) => ({ url, body: '{"a":1}', contentType: 'application/json', headers: {} });

describe('WebhookSender', () => {
  const sender = new WebhookSender('allow-private', 2000);
  afterAll(() => sender.close());

  it('gives the status, Retry-After and body of an answer, and its time in two parts', async () => {
    const outcome = await sender.send(webhook(`${origin}/ok`));
    expect(outcome).toMatchObject({ kind: 'response', statusCode: 202, retryAfter: '7', excerpt: 'thanks' });
    expect(outcome.answerMs).toBeDefined();
    expect(outcome.setupMs + (outcome.answerMs ?? Number.NaN)).toBe(outcome.latencyMs);
  });

  it('waits past informational (1xx) answers for the final one', async () => {
    expect(await sender.send(webhook(`${origin}/early-hints`))).toMatchObject({
      kind: 'response',
      statusCode: 200,
      excerpt: 'after hints',
    });
  });

  it('reads no more than 1 KiB of an endless answer, and does not wait for its end', async () => {
    const outcome = await sender.send(webhook(`${origin}/endless`));
    expect(outcome).toMatchObject({ kind: 'response', statusCode: 200 });
    expect(outcome.kind === 'response' && outcome.excerpt).toBe('x'.repeat(1024));
    expect(outcome.latencyMs).toBeLessThan(1000);
  });

  it('does not follow a redirect', async () => {
    const before = hits.get('/ok') ?? 0;
    expect(await sender.send(webhook(`${origin}/redirect`))).toMatchObject({
      kind: 'response',
      statusCode: 302,
    });
    expect(hits.get('/ok') ?? 0).toBe(before);
  });

  it('gives up at the deadline of the attempt when no answer comes', async () => {
    const outcome = await sender.send(webhook(`${origin}/never`), 300);
    expect(outcome).toMatchObject({
      kind: 'error',
      errorKind: 'timeout',
      error: 'TimeoutError: no complete answer within 300 ms',
    });
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(300);
    expect(outcome.latencyMs).toBeLessThan(800);
  });

  it('gives up at the deadline when the answer trickles in without ending', async () => {
    const outcome = await sender.send(webhook(`${origin}/drip`), 400);
    expect(outcome).toMatchObject({ kind: 'error', errorKind: 'timeout' });
    expect(outcome.latencyMs).toBeLessThan(900);
  });

  it('waits no longer than its own timeout, whatever the caller asks', async () => {
    const short = new WebhookSender('allow-private', 300);
    const outcome = await short.send(webhook(`${origin}/never`), 60_000);
    await short.close();
    expect(outcome).toMatchObject({ kind: 'error', errorKind: 'timeout' });
    expect(outcome.latencyMs).toBeLessThan(800);
  });

  it('gives up at the deadline while still connecting, and then never sends the request', async () => {
    let answer: (() => void) | undefined;
    const stalled = new WebhookSender('allow-private', 5000, (_host, _options, callback) => {
      answer = () => callback(null, [{ address: '127.0.0.1', family: 4 }]);
    });
    const port = (server.address() as AddressInfo).port;
    const before = hits.get('/ok') ?? 0;
    const outcome = await stalled.send(webhook(`http://stalled.example:${port}/ok`), 300);
    expect(outcome).toMatchObject({ kind: 'error', errorKind: 'timeout' });
    expect(outcome.latencyMs).toBeLessThan(800);
    answer?.(); // the name resolves late: the connection opens, but nothing is sent on it
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(hits.get('/ok') ?? 0).toBe(before);
    await stalled.close();
  });

  it('reports an address that is not a URL as a failed attempt instead of throwing', async () => {
    expect(await sender.send(webhook('not a url'))).toEqual({
      kind: 'error',
      errorKind: 'network_error',
      error: 'not a URL',
      latencyMs: 0,
      setupMs: 0,
    });
  });

  it('keeps its connections open between attempts, many at a time', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, () => sender.send(webhook(`${origin}/ok`))),
    );
    expect(outcomes.every((outcome) => outcome.kind === 'response' && outcome.statusCode === 202)).toBe(true);
  });
});
