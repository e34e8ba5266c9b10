import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the receiver got. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The headers as they came on the wire: names in their own case, then values, in order. */
  readonly rawHeaders: readonly string[];
  readonly body: string;
}

/**
 * How the receiver answers: a status, headers and body, after an optional delay; by default 204 at once. A
 * `reset` reply drops the connection without answering.
 */
export type Reply =
  | { status: number; headers?: Record<string, string>; body?: string; delayMs?: number }
  | { reset: true };

/** Decides the reply to a request; it may take its time (a receiver that verifies a token first). */
export type Replier = (request: ReceivedRequest) => Reply | Promise<Reply>;

/**
 * A real HTTP receiver on loopback that records every request and answers with `reply` (which a test may change
 * between requests). `next()` resolves with the next request, waiting for it if needed.
 */
export async function startReceiver(reply: Replier = () => ({ status: 204 }), port = 0) {
  const received: ReceivedRequest[] = [];
  const waiters: ((request: ReceivedRequest) => void)[] = [];
  let answer = reply;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    received.push(request);
    const replying = answer(request);
    // Waiters are served in arrival order, even when a later request's reply is decided sooner.
    waiters.shift()?.(request);
    const reply = await replying;
    if ('reset' in reply) {
      req.socket.destroy();
      return;
    }
    const { status, headers, body, delayMs } = reply;
    if (delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (!res.destroyed) res.writeHead(status, headers).end(body);
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const { port: boundPort } = server.address() as AddressInfo;
  let delivered = 0;
  return {
    url: `http://127.0.0.1:${boundPort}/webhooks`,
    port: boundPort,
    received,
    answerWith(next: Replier) {
      answer = next;
    },
    /** The next request not yet taken by an earlier `next()`. */
    next(timeoutMs = 20_000): Promise<ReceivedRequest> {
      const ready = received[delivered];
      delivered++;
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('No webhook arrived in time')), timeoutMs);
        waiters.push((request) => {
          clearTimeout(timer);
          resolve(request);
        });
      });
    },
    async close() {
      server.closeAllConnections();
      server.close();
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
