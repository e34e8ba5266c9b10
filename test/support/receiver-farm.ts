/**
 * A farm of webhook receivers on loopback that behave like customers' endpoints on the internet: HTTPS, each on
 * a host of its own, some distance away, slow to answer, and at times rate-limited, down or unresponsive. Shared
 * by integration tests and `npm run bench`.
 *
 * The model of distance, per endpoint with a round-trip time `rttMs`:
 * - A new connection costs 2 RTT before its first request can be sent: one for TCP's handshake, one for TLS
 *   1.3's. The farm accepts the TCP socket on a plain `net.Server`, waits 2 RTT, and only then hands the socket
 *   to the TLS server, so the client's handshake finishes 2 RTT after it connected.
 * - Each request costs 1 RTT on top of the endpoint's answer time: half before the endpoint sees it (its
 *   recorded arrival), half after it answers (the way back), so the answer is written at arrival + answer time
 *   + RTT/2.
 * So a request on a new connection answers after 3 RTT + answer time, one on a kept-alive connection after
 * 1 RTT + answer time. Loopback's own latency (tens of microseconds) is not subtracted.
 *
 * Each endpoint listens on its own loopback address (127.0.0.2, 127.0.0.3, ... in order), so a client cannot
 * reuse one endpoint's connection for another, as with real endpoints. Binding 127.0.0.N for N > 1 works on
 * Linux as is; macOS needs an alias per address (`sudo ifconfig lo0 alias 127.0.0.2 up`).
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import { fileURLToPath } from 'node:url';
import { type AnswerTime, answerTimeSampler, seedOf } from './answer-times.ts';

export type { AnswerTime } from './answer-times.ts';

const tlsFixtures = new URL('../fixtures/tls/', import.meta.url);

/**
 * The absolute path of the test CA that signed the farm's certificate. A client trusts the farm with
 * `new Agent({ connect: { ca: readFileSync(testCaPath) } })`, or, for a child process, with
 * `NODE_EXTRA_CA_CERTS=<testCaPath>` in its environment (Node reads it only at process start).
 */
export const testCaPath: string = fileURLToPath(new URL('ca.pem', tlsFixtures));

/**
 * How an endpoint answers; a name alone is that kind with its defaults.
 * - `healthy`: `status` (default 200) with a short JSON body, after its answer time.
 * - `hang`: reads the request and never answers; the connection stays open until the client gives up.
 * - `unavailable`: 503 at once (after the RTT), with `Retry-After` if `retryAfterSeconds` is given.
 * - `refuse`: the port is closed and every open connection dropped, so connecting fails with ECONNREFUSED; any
 *   other behaviour re-opens the same address and port.
 * - `capacity`: healthy for up to `perSecond` requests in any 1 s (a sliding window over the requests it let
 *   through), 429 with `Retry-After: 1` at once for the others.
 */
export type Behaviour = Exclude<BehaviourSpec['kind'], 'capacity'> | BehaviourSpec;

export type BehaviourSpec =
  | { readonly kind: 'healthy'; readonly status?: number }
  | { readonly kind: 'hang' }
  | { readonly kind: 'unavailable'; readonly retryAfterSeconds?: number }
  | { readonly kind: 'refuse' }
  | { readonly kind: 'capacity'; readonly perSecond: number };

/** One endpoint of the farm. */
export interface EndpointSpec {
  /** Names the endpoint in its URL (`/webhooks/<name>`) and in `farm.endpoint(name)`; unique in a farm. */
  readonly name: string;
  /** The loopback address to listen on. @default 127.0.0.N, N = 2 + the endpoint's place in the list */
  readonly host?: string;
  /** The round-trip time to the endpoint, ms. @default 0 */
  readonly rttMs?: number;
  /** How long the endpoint takes to answer a healthy request, drawn per request. @default { fixedMs: 0 } */
  readonly answerTime?: AnswerTime;
  /** @default 'healthy' */
  readonly behaviour?: Behaviour;
  /** Seeds the answer-time draws. @default a hash of `name` */
  readonly seed?: number;
  /** Whether to keep each request's body; a long benchmark may not need them. @default true */
  readonly keepBodies?: boolean;
}

/** A request as the endpoint saw it. Times are epoch ms with a fraction (`performance.timeOrigin + now()`). */
export interface RequestRecord {
  /** When the request reached the endpoint: after it was read and half an RTT passed. */
  readonly arrivedAt: number;
  /** The `webhook-id` header, if any. */
  readonly webhookId: string | undefined;
  /** The body as UTF-8; empty when the endpoint does not keep bodies. */
  readonly body: string;
  /** The status written; 0 while unanswered (hanging, still waiting, or the client went away first). */
  readonly status: number;
  /** The answer time waited: the drawn one when healthy, 0 for 429 and 503, which answer at once. */
  readonly answerMs: number;
  /** When the answer was written to the connection (arrival + answer time + RTT/2); 0 while unanswered. */
  readonly answeredAt: number;
}

/** Counts over one endpoint or the whole farm. */
export interface FarmTotals {
  readonly requests: number;
  /** Requests answered 2xx. */
  readonly accepted: number;
  readonly unanswered: number;
  /** Answered requests by status. */
  readonly byStatus: Readonly<Record<number, number>>;
  /** TLS connections that completed their handshake. */
  readonly newConnections: number;
  /** TLS handshakes that failed (for example, a client that does not trust the test CA). */
  readonly failedHandshakes: number;
}

export interface FarmEndpoint {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** `https://<host>:<port>/webhooks/<name>` */
  readonly url: string;
  readonly rttMs: number;
  /** Every request since the start (or the last `clearRecords()`), in order of arrival. */
  readonly requests: readonly RequestRecord[];
  readonly newConnections: number;
  readonly failedHandshakes: number;
  readonly behaviour: BehaviourSpec;
  /** Changes how the endpoint answers requests that arrive from now on; resolves once it is in effect. */
  behave(behaviour: Behaviour): Promise<void>;
  /** The requests answered 2xx. */
  accepted(): RequestRecord[];
  /** The `webhook-id` of each request answered 2xx (duplicates included, in order). */
  idsAccepted(): string[];
  /** Arrivals per whole second since the farm started: index 0 is the first second. */
  requestsPerSecond(): number[];
  totals(): FarmTotals;
  /** Forgets the requests and counts so far, between the phases of a benchmark. */
  clearRecords(): void;
}

export interface ReceiverFarm {
  readonly endpoints: readonly FarmEndpoint[];
  /** The endpoint of that name; throws for an unknown one. */
  endpoint(name: string): FarmEndpoint;
  /** The sum of every endpoint's totals. */
  totals(): FarmTotals;
  /** Closes every listener and connection and cancels every pending answer. */
  close(): Promise<void>;
}

/** Starts one HTTPS server per spec, each on its own loopback address and an ephemeral port. */
export async function startReceiverFarm(endpoints: readonly EndpointSpec[]): Promise<ReceiverFarm> {
  const names = new Set(endpoints.map((spec) => spec.name));
  if (names.size !== endpoints.length) throw new Error('Receiver farm endpoints need distinct names');
  if (endpoints.length > 253) throw new Error('A receiver farm has at most 253 automatic loopback addresses');
  const credentials = {
    cert: readFileSync(new URL('server.pem', tlsFixtures)),
    key: readFileSync(new URL('server-key.pem', tlsFixtures)),
  };
  const startedAt = now();
  const started: Endpoint[] = [];
  try {
    for (const [index, spec] of endpoints.entries()) {
      const endpoint = new Endpoint(spec, spec.host ?? `127.0.0.${index + 2}`, credentials, startedAt);
      started.push(endpoint);
      await endpoint.start();
    }
  } catch (error) {
    await Promise.all(started.map((endpoint) => endpoint.close()));
    throw error;
  }
  return {
    endpoints: started,
    endpoint(name) {
      const found = started.find((endpoint) => endpoint.name === name);
      if (found === undefined) throw new Error(`The receiver farm has no endpoint named ${name}`);
      return found;
    },
    totals: () => sumOf(started.map((endpoint) => endpoint.totals())),
    async close() {
      await Promise.all(started.map((endpoint) => endpoint.close()));
    },
  };
}

/** Epoch ms with a fraction, comparable across processes (unlike `performance.now()` alone). */
const now = (): number => performance.timeOrigin + performance.now();

/** One mutable record per request: a fixed shape, so 20,000+ of them stay small. */
class RecordedRequest implements RequestRecord {
  status = 0;
  answerMs = 0;
  answeredAt = 0;
  constructor(
    readonly arrivedAt: number,
    readonly webhookId: string | undefined,
    readonly body: string,
  ) {}
}

/** What to write and how long to wait first (beyond the half RTT back). */
interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly afterMs: number;
}

class Endpoint implements FarmEndpoint {
  readonly name: string;
  readonly host: string;
  readonly rttMs: number;
  port = 0;
  requests: RecordedRequest[] = [];
  newConnections = 0;
  failedHandshakes = 0;
  behaviour: BehaviourSpec;

  readonly #tls: HttpsServer;
  readonly #drawAnswerTime: () => number;
  readonly #keepBodies: boolean;
  readonly #farmStartedAt: number;
  #listener: NetServer | undefined;
  /** TCP sockets (before and after the TLS server takes them) and TLS sockets, to drop on refuse and close. */
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  /** Arrival times of the requests let through in the last second, oldest first (capacity only). */
  #admitted: number[] = [];
  #closed = false;

  constructor(
    spec: EndpointSpec,
    host: string,
    credentials: { cert: Buffer; key: Buffer },
    farmStartedAt: number,
  ) {
    this.name = spec.name;
    this.host = host;
    this.rttMs = spec.rttMs ?? 0;
    if (!(this.rttMs >= 0)) throw new RangeError(`rttMs must be at least 0, not ${spec.rttMs}`);
    this.behaviour = specOf(spec.behaviour ?? 'healthy');
    this.#drawAnswerTime = answerTimeSampler(
      spec.answerTime ?? { fixedMs: 0 },
      spec.seed ?? seedOf(spec.name),
    );
    this.#keepBodies = spec.keepBodies ?? true;
    this.#farmStartedAt = farmStartedAt;
    this.#tls = createHttpsServer(
      // Real servers keep idle connections longer than typical clients (60 s behind AWS's load balancers).
      { ...credentials, keepAliveTimeout: 65_000, headersTimeout: 20_000, requestTimeout: 60_000 },
      (request, response) => void this.#answer(request, response),
    );
    this.#tls.on('secureConnection', (socket: Socket) => {
      this.newConnections++;
      this.#track(socket);
    });
    this.#tls.on('tlsClientError', (_error, socket) => {
      this.failedHandshakes++;
      socket.destroy();
    });
  }

  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `https://${host}:${this.port}/webhooks/${encodeURIComponent(this.name)}`;
  }

  /** Binds an ephemeral port (kept for later re-opening), then closes it again if the endpoint starts refusing. */
  async start(): Promise<void> {
    await this.#open();
    if (this.behaviour.kind === 'refuse') await this.#shut();
  }

  async behave(behaviour: Behaviour): Promise<void> {
    const next = specOf(behaviour);
    if (next.kind === 'capacity' && !(Number.isInteger(next.perSecond) && next.perSecond >= 0)) {
      throw new RangeError(`capacity perSecond must be a whole number, not ${next.perSecond}`);
    }
    const wasRefusing = this.behaviour.kind === 'refuse';
    this.behaviour = next;
    this.#admitted = [];
    if (next.kind === 'refuse' && !wasRefusing) await this.#shut();
    if (next.kind !== 'refuse' && wasRefusing) await this.#open();
  }

  accepted(): RecordedRequest[] {
    return this.requests.filter((request) => isSuccess(request.status));
  }

  idsAccepted(): string[] {
    return this.accepted().flatMap((request) => (request.webhookId === undefined ? [] : [request.webhookId]));
  }

  requestsPerSecond(): number[] {
    const counts: number[] = [];
    for (const { arrivedAt } of this.requests) {
      const second = Math.floor((arrivedAt - this.#farmStartedAt) / 1000);
      while (counts.length <= second) counts.push(0);
      counts[second] = (counts[second] ?? 0) + 1;
    }
    return counts;
  }

  totals(): FarmTotals {
    const byStatus: Record<number, number> = {};
    let accepted = 0;
    let unanswered = 0;
    for (const { status } of this.requests) {
      if (status === 0) unanswered++;
      else byStatus[status] = (byStatus[status] ?? 0) + 1;
      if (isSuccess(status)) accepted++;
    }
    return {
      requests: this.requests.length,
      accepted,
      unanswered,
      byStatus,
      newConnections: this.newConnections,
      failedHandshakes: this.failedHandshakes,
    };
  }

  clearRecords(): void {
    this.requests = [];
    this.newConnections = 0;
    this.failedHandshakes = 0;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await this.#shut();
  }

  /**
   * Listens on the endpoint's address (and its port, once it has one). Each TCP connection waits 2 RTT, then
   * goes to the TLS server: the handshake's cost in the model above.
   */
  async #open(): Promise<void> {
    const listener = createNetServer({ pauseOnConnect: true }, (socket) => {
      this.#track(socket);
      this.#after(2 * this.rttMs, () => {
        if (!socket.destroyed) this.#tls.emit('connection', socket);
      });
    });
    listener.listen(this.port, this.host);
    await Promise.race([
      once(listener, 'listening'),
      once(listener, 'error').then(([error]) => {
        throw new Error(`Receiver ${this.name} could not listen on ${this.host}:${this.port}`, {
          cause: error,
        });
      }),
    ]);
    this.port = (listener.address() as AddressInfo).port;
    this.#listener = listener;
    // The http layer starts its checks of headersTimeout and requestTimeout on 'listening'; this server never
    // listens itself, the net.Server above does, so it is told here.
    this.#tls.emit('listening');
  }

  /** Closes the port and drops every connection, as a machine that went away would. */
  async #shut(): Promise<void> {
    const listener = this.#listener;
    this.#listener = undefined;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    // Stops the http layer's connection checks; the callback's "not running" error is expected.
    this.#tls.close(() => {});
    if (listener !== undefined) await new Promise((resolve) => listener.close(resolve));
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => this.#sockets.delete(socket));
  }

  async #answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let body: string;
    try {
      body = await readBody(request);
    } catch {
      return; // The client went away mid-body.
    }
    await this.#wait(this.rttMs / 2);
    const arrivedAt = now();
    const record = new RecordedRequest(
      arrivedAt,
      headerOf(request, 'webhook-id'),
      this.#keepBodies ? body : '',
    );
    this.requests.push(record);
    // Drawn for every request, so request i gets draw i whatever the behaviour: runs stay comparable.
    const answer = this.#decide(arrivedAt, this.#drawAnswerTime());
    if (answer === undefined) return;
    record.answerMs = answer.afterMs;
    await this.#wait(answer.afterMs + this.rttMs / 2);
    if (response.destroyed) return;
    response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    response.end(answer.body);
    record.status = answer.status;
    record.answeredAt = now();
  }

  /** The answer the current behaviour gives a request that arrived at `arrivedAt`; undefined for none. */
  #decide(arrivedAt: number, answerMs: number): Answer | undefined {
    const behaviour = this.behaviour;
    switch (behaviour.kind) {
      case 'healthy':
        return healthyAnswer(behaviour.status ?? 200, answerMs);
      case 'hang':
        return undefined;
      case 'unavailable':
        return {
          status: 503,
          headers:
            behaviour.retryAfterSeconds === undefined
              ? {}
              : { 'retry-after': String(behaviour.retryAfterSeconds) },
          body: '{"error":"unavailable"}',
          afterMs: 0,
        };
      case 'refuse':
        // A request already read when the port closed: its connection is gone, so nothing can be written.
        return undefined;
      case 'capacity': {
        while (this.#admitted.length > 0 && (this.#admitted[0] ?? 0) <= arrivedAt - 1000)
          this.#admitted.shift();
        if (this.#admitted.length >= behaviour.perSecond) {
          return {
            status: 429,
            headers: { 'retry-after': '1' },
            body: '{"error":"rate limited"}',
            afterMs: 0,
          };
        }
        this.#admitted.push(arrivedAt);
        return healthyAnswer(200, answerMs);
      }
    }
  }

  /** A timer that close() cancels, so a closed farm leaves nothing behind on the event loop. */
  #after(ms: number, run: () => void): void {
    if (this.#closed) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, ms);
    this.#timers.add(timer);
  }

  /** Resolves after `ms`, or never once the endpoint is closed (what waited on it is abandoned). */
  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => this.#after(ms, resolve));
  }
}

function healthyAnswer(status: number, answerMs: number): Answer {
  return { status, headers: {}, body: '{"received":true}', afterMs: answerMs };
}

function specOf(behaviour: Behaviour): BehaviourSpec {
  return typeof behaviour === 'string' ? { kind: behaviour } : behaviour;
}

const isSuccess = (status: number): boolean => status >= 200 && status < 300;

function headerOf(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sumOf(totals: readonly FarmTotals[]): FarmTotals {
  const byStatus: Record<number, number> = {};
  for (const each of totals) {
    for (const [status, count] of Object.entries(each.byStatus)) {
      byStatus[Number(status)] = (byStatus[Number(status)] ?? 0) + count;
    }
  }
  const sum = (field: 'requests' | 'accepted' | 'unanswered' | 'newConnections' | 'failedHandshakes') =>
    totals.reduce((total, each) => total + each[field], 0);
  return {
    requests: sum('requests'),
    accepted: sum('accepted'),
    unanswered: sum('unanswered'),
    byStatus,
    newConnections: sum('newConnections'),
    failedHandshakes: sum('failedHandshakes'),
  };
}
