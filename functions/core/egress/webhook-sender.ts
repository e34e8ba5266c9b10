import { lookup } from 'node:dns';
import type { Agent as UndiciAgent } from 'undici';
import Agent from 'undici/lib/dispatcher/agent.js';
import { settings } from '../settings.ts';
import { Attempt, type AttemptBounds, type AttemptOutcome } from './attempt.ts';
import {
  type AddressLookup,
  type ConnectionStats,
  ConnectionTally,
  guardedConnector,
} from './guarded-connector.ts';
import { sentHeaders, type WebhookRequest } from './request-headers.ts';
import type { TargetPolicy } from './target-guard.ts';

export type { AttemptBounds } from './attempt.ts';
export type { ConnectionStats } from './guarded-connector.ts';

/** The longest a receiver may take to answer; slower answers count as failures. */
export const deliveryTimeoutMs = settings.deliveryTimeoutSeconds.default * 1000;

export type { WebhookRequest } from './request-headers.ts';
export { userAgent } from './request-headers.ts';

/** How often deadlines are checked while attempts are in flight: how late, at most, one is given up. */
const deadlineTickMs = 10;

/** How many endpoint URLs are kept parsed. */
const parsedUrlsKept = 1000;

/**
 * How long an idle connection is kept for reuse, when the server says nothing about it: under the 60 s idle
 * timeout of AWS load balancers and of many proxies, which close without announcing it.
 */
const idleKeptMs = 50_000;

/**
 * The longest an idle connection is kept, whatever the server announces: about a minute. Nothing in flight
 * for longer (in Lambda: an environment frozen that long between invocations) and the next attempt starts on
 * new connections (see {@link WebhookSender.send}).
 */
const idleKeptAtMostMs = 60_000;

/**
 * How much sooner than a server's announced `Keep-Alive: timeout=` an idle connection is dropped, so that a
 * request and the server's close do not cross (undici's default; a hint of 5 s keeps it 3 s, one of 2 s or
 * less not at all).
 */
const idleMarginMs = 2_000;

/**
 * Sends webhooks over pooled keep-alive connections with undici's `Agent`. Redirects are not followed (a 3xx
 * is a failure), and every connection goes through the address guard, which also counts the connections
 * opened ({@link WebhookSender.takeConnectionStats}).
 *
 * The path is kept lean, as it is the one every delivery takes: a subscription's URL is parsed once, not per
 * request; each attempt is a dispatch handler that keeps only what an attempt records (no response stream);
 * and one ticking check, running only while attempts are in flight, gives up those past their deadline
 * instead of a timer and an abort signal for each.
 *
 * Connections stay open between invocations (the sender lives as long as its module) for up to about a
 * minute. What undici 7 does with a POST and a pooled connection the server has closed, found with loopback
 * servers (test/unit/attempt-bounds.test.ts):
 * - Closed while idle (FIN), even while the process was frozen: before writing on an idle connection,
 *   undici yields to the event loop once (its idle-socket check), sees the close, and opens a new
 *   connection. Nothing fails.
 * - Reset while idle (RST): undici fails the requests waiting for that connection (`ECONNRESET`) though none
 *   was written; {@link Attempt} sends such a request once more, on a new connection. Nothing fails.
 * - Closed or dropped as the request is written (a close crossing the request, a FIN or RST lost while the
 *   environment was frozen, a connection Lambda or a NAT gateway purged after minutes idle): the request
 *   is written and fails (`ECONNRESET`, or "other side closed"), or gets no answer at all. undici never
 *   retries a POST, and it cannot be retried safely, as the receiver may have it. This is what the bounds
 *   above keep from happening: idle connections are dropped before the server's announced timeout (or
 *   50 s, unannounced), and after a minute with nothing in flight none is reused. undici's own idle timers
 *   cannot do that alone, as a frozen process runs no timers and the first attempt after a thaw is made
 *   before the overdue ones fire.
 */
export class WebhookSender {
  private agent: UndiciAgent;
  private readonly connect: ReturnType<typeof guardedConnector>;
  private readonly connections = new ConnectionTally();
  private readonly urls = new Map<string, { readonly origin: string; readonly path: string }>();
  private readonly inFlight = new Set<Attempt>();
  private ticking: NodeJS.Timeout | undefined;
  /** When (`Date.now()`, which keeps counting while Lambda freezes the process) the last attempt ended. */
  private idleSince = Date.now();

  /**
   * `timeoutMs` bounds every attempt and each of its parts, and a connection's setup (DNS, TCP, TLS). `lookup`
   * answers for host names; only tests pass another than the system's.
   */
  constructor(
    policy: TargetPolicy,
    private readonly timeoutMs: number = deliveryTimeoutMs,
    lookupAddresses: AddressLookup = lookup,
  ) {
    // The connector's own timeout is the longest `connectMs` an attempt can have. An attempt with a shorter one
    // gives up at its own deadline; the connection may still open, and is then kept for the next attempt.
    this.connect = guardedConnector(policy, timeoutMs, lookupAddresses, this.connections);
    this.agent = this.newAgent();
  }

  /**
   * Makes one attempt; never throws for the receiver's faults, which are part of the outcome. `bounds` (each
   * at most the sender's own timeout) is either how long it may wait for a connection and, once the request
   * is written, for the complete answer, or a number of milliseconds for the whole from the start.
   */
  send(webhook: WebhookRequest, bounds: AttemptBounds | number = this.timeoutMs): Promise<AttemptOutcome> {
    const started = performance.now();
    const target = this.parsed(webhook.url);
    if (target === undefined) {
      const error = 'not a URL';
      return Promise.resolve({ kind: 'error', errorKind: 'network_error', error, latencyMs: 0, setupMs: 0 });
    }
    if (this.ticking === undefined && Date.now() - this.idleSince >= idleKeptAtMostMs) this.renewAgent();
    const request: UndiciAgent.DispatchOptions = {
      origin: target.origin,
      path: target.path,
      method: 'POST',
      body: webhook.body,
      headers: sentHeaders(webhook),
    };
    return new Promise((resolve) => {
      const dispatch = () => this.agent.dispatch(request, attempt);
      const attempt = new Attempt(
        started,
        this.capped(bounds),
        (outcome) => {
          this.inFlight.delete(attempt);
          resolve(outcome);
        },
        dispatch,
      );
      this.inFlight.add(attempt);
      this.ticking ??= setInterval(() => this.expireOverdue(), deadlineTickMs).unref();
      dispatch();
    });
  }

  /** The connections opened since the last call, and how long each took to set up; the count starts again. */
  takeConnectionStats(): ConnectionStats {
    return this.connections.take();
  }

  async close(): Promise<void> {
    clearInterval(this.ticking);
    this.ticking = undefined;
    await this.agent.close();
  }

  private newAgent(): UndiciAgent {
    return new Agent({
      connect: this.connect,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      keepAliveTimeout: idleKeptMs,
      keepAliveMaxTimeout: idleKeptAtMostMs,
      keepAliveTimeoutThreshold: idleMarginMs,
    });
  }

  /** New connections from now on: the idle ones may be gone without a word (nothing is in flight on them). */
  private renewAgent(): void {
    const stale = this.agent;
    this.agent = this.newAgent();
    stale.destroy().catch(() => undefined);
  }

  private capped(bounds: AttemptBounds | number): AttemptBounds | number {
    const most = this.timeoutMs;
    if (typeof bounds === 'number') return Math.min(bounds, most);
    if (bounds.connectMs <= most && bounds.answerMs <= most) return bounds;
    return { connectMs: Math.min(bounds.connectMs, most), answerMs: Math.min(bounds.answerMs, most) };
  }

  private expireOverdue(): void {
    const now = performance.now();
    for (const attempt of this.inFlight) if (attempt.deadline <= now) attempt.expire();
    if (this.inFlight.size === 0) {
      clearInterval(this.ticking);
      this.ticking = undefined;
      this.idleSince = Date.now();
    }
  }

  /** The origin and path of an endpoint URL, parsed once. */
  private parsed(url: string): { readonly origin: string; readonly path: string } | undefined {
    let parts = this.urls.get(url);
    if (parts === undefined) {
      if (!URL.canParse(url)) return undefined;
      const parsed = new URL(url);
      parts = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
      if (this.urls.size >= parsedUrlsKept) this.urls.clear();
      this.urls.set(url, parts);
    }
    return parts;
  }
}
