import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, request } from 'undici';
import { isAllowedAddress, type TargetPolicy } from './target-guard.ts';

/** The longest a receiver may take to answer; slower answers count as failures. */
export const deliveryTimeoutMs = 15_000;
/** How much of a response body is kept for the delivery log. */
export const responseExcerptBytes = 4096;

/** What one attempt gave: an HTTP answer, or an error before one (DNS, refused, timeout, blocked). */
export type AttemptOutcome =
  | {
      readonly kind: 'response';
      readonly statusCode: number;
      readonly retryAfter?: string;
      readonly excerpt: string;
      readonly latencyMs: number;
    }
  | { readonly kind: 'error'; readonly error: string; readonly latencyMs: number };

/** One POST to send: where, the exact body, and the headers (signature included). */
export interface WebhookRequest {
  readonly url: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

export class BlockedAddressError extends Error {
  override name = 'BlockedAddressError';
}

/**
 * A DNS lookup that refuses addresses the policy forbids, so that a name which resolves to a private address
 * (at save time or later) is never connected to.
 */
function guardedLookup(policy: TargetPolicy): typeof lookup {
  return ((hostname: string, options: object, callback: (...args: unknown[]) => void) => {
    lookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error);
      const allowed = addresses.filter((entry) => isAllowedAddress(entry.address, policy));
      if (allowed.length === 0) {
        return callback(new BlockedAddressError(`${hostname} resolves only to blocked addresses`));
      }
      if ((options as { all?: boolean }).all) return callback(null, allowed);
      const first = allowed[0] as LookupAddress;
      return callback(null, first.address, first.family);
    });
  }) as typeof lookup;
}

async function readExcerpt(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size < responseExcerptBytes) chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks).subarray(0, responseExcerptBytes).toString('utf8');
}

/**
 * Sends webhooks over pooled keep-alive connections. Redirects are not followed (a 3xx is a failure), and
 * every connection goes through the address guard.
 */
export class WebhookSender {
  private readonly agent: Agent;

  constructor(
    private readonly policy: TargetPolicy,
    private readonly timeoutMs: number = deliveryTimeoutMs,
  ) {
    this.agent = new Agent({
      connect: { lookup: guardedLookup(policy), timeout: timeoutMs },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      keepAliveTimeout: 10_000,
    });
  }

  /** Makes one attempt; never throws for the receiver's faults, which are part of the outcome. */
  async send(webhook: WebhookRequest): Promise<AttemptOutcome> {
    const started = performance.now();
    const latency = () => Math.round(performance.now() - started);
    try {
      const host = new URL(webhook.url).hostname.replace(/^\[|\]$/g, '');
      if (!isLiteralAllowed(host, this.policy)) {
        throw new BlockedAddressError(`${host} is a blocked address`);
      }
      const response = await request(webhook.url, {
        method: 'POST',
        dispatcher: this.agent,
        body: webhook.body,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'webhook-platform/1 (+https://www.standardwebhooks.com/)',
          ...webhook.headers,
        },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const excerpt = await readExcerpt(response.body);
      const retryAfter = response.headers['retry-after'];
      return {
        kind: 'response',
        statusCode: response.statusCode,
        ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
        excerpt,
        latencyMs: latency(),
      };
    } catch (error) {
      return { kind: 'error', error: describe(error), latencyMs: latency() };
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** Literal IP hosts skip DNS, so the guard checks them here. */
function isLiteralAllowed(host: string, policy: TargetPolicy): boolean {
  return isIP(host) === 0 || isAllowedAddress(host, policy);
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  const code = (error as { code?: string }).code;
  return `${code ?? error.name}: ${error.message}${cause}`.slice(0, 500);
}
