import { lookup } from 'node:dns';
import type { Agent as UndiciAgent } from 'undici';
import Agent from 'undici/lib/dispatcher/agent.js';
import { productVersion } from '../platform.ts';
import { settings } from '../settings.ts';
import { Attempt, type AttemptOutcome } from './attempt.ts';
import { type AddressLookup, guardedConnector } from './guarded-connector.ts';
import type { TargetPolicy } from './target-guard.ts';

/** The longest a receiver may take to answer; slower answers count as failures. */
export const deliveryTimeoutMs = settings.deliveryTimeoutSeconds.default * 1000;

/** How the platform introduces itself to receivers. */
export const userAgent = `Hookbridge/${productVersion} (webhooks; +https://www.standardwebhooks.com/)`;

/** One POST to send: where, the exact body, its media type, and the headers (signature included). */
export interface WebhookRequest {
  readonly url: string;
  readonly body: string;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** How often deadlines are checked while attempts are in flight: how late, at most, one is given up. */
const deadlineTickMs = 10;

/** How many endpoint URLs are kept parsed. */
const parsedUrlsKept = 1000;

/**
 * Sends webhooks over pooled keep-alive connections with undici's `Agent`. Redirects are not followed (a 3xx
 * is a failure), and every connection goes through the address guard.
 *
 * The path is kept lean, as it is the one every delivery takes: a subscription's URL is parsed once, not per
 * request; each attempt is a dispatch handler that keeps only what an attempt records (no response stream);
 * and one ticking check, running only while attempts are in flight, gives up those past their deadline
 * instead of a timer and an abort signal for each.
 */
export class WebhookSender {
  private readonly agent: UndiciAgent;
  private readonly urls = new Map<string, { readonly origin: string; readonly path: string }>();
  private readonly inFlight = new Set<Attempt>();
  private ticking: NodeJS.Timeout | undefined;

  /** `lookup` answers for host names; only tests pass another than the system's. */
  constructor(
    policy: TargetPolicy,
    private readonly timeoutMs: number = deliveryTimeoutMs,
    lookupAddresses: AddressLookup = lookup,
  ) {
    this.agent = new Agent({
      connect: guardedConnector(policy, timeoutMs, lookupAddresses),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      keepAliveTimeout: 10_000,
    });
  }

  /**
   * Makes one attempt, waiting at most `timeoutMs` (at most the sender's own) for the whole answer; never
   * throws for the receiver's faults, which are part of the outcome.
   */
  send(webhook: WebhookRequest, timeoutMs: number = this.timeoutMs): Promise<AttemptOutcome> {
    const started = performance.now();
    const target = this.parsed(webhook.url);
    if (target === undefined) {
      return Promise.resolve({ kind: 'error', errorKind: 'network_error', error: 'not a URL', latencyMs: 0 });
    }
    const { origin, path } = target;
    return new Promise((resolve) => {
      const attempt = new Attempt(started, started + Math.min(timeoutMs, this.timeoutMs), (outcome) => {
        this.inFlight.delete(attempt);
        resolve(outcome);
      });
      this.inFlight.add(attempt);
      this.ticking ??= setInterval(() => this.expireOverdue(), deadlineTickMs).unref();
      this.agent.dispatch(
        {
          origin,
          path,
          method: 'POST',
          body: webhook.body,
          headers: { ...webhook.headers, 'content-type': webhook.contentType, 'user-agent': userAgent },
        },
        attempt,
      );
    });
  }

  async close(): Promise<void> {
    clearInterval(this.ticking);
    this.ticking = undefined;
    await this.agent.close();
  }

  private expireOverdue(): void {
    const now = performance.now();
    for (const attempt of this.inFlight) if (attempt.deadline <= now) attempt.expire();
    if (this.inFlight.size === 0) {
      clearInterval(this.ticking);
      this.ticking = undefined;
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
