import { type LookupAddress, type LookupAllOptions, type LookupOptions, lookup } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, buildConnector, request } from 'undici';
import { productVersion } from '../platform.ts';
import { type AttemptErrorKind, excerptBytes, truncateUtf8 } from './delivery-record.ts';
import { addressProblem, type TargetPolicy } from './target-guard.ts';

/** The longest a receiver may take to answer; slower answers count as failures. */
export const deliveryTimeoutMs = 15_000;

/** How the platform introduces itself to receivers. */
export const userAgent = `Hookbridge/${productVersion} (webhooks; +https://www.standardwebhooks.com/)`;

/** What one attempt gave: an HTTP answer, or an error before one (DNS, refused, timeout, blocked). */
export type AttemptOutcome =
  | {
      readonly kind: 'response';
      readonly statusCode: number;
      readonly retryAfter?: string;
      readonly excerpt: string;
      readonly latencyMs: number;
    }
  | {
      readonly kind: 'error';
      readonly errorKind: Exclude<AttemptErrorKind, 'http_status'>;
      readonly error: string;
      readonly latencyMs: number;
    };

/** One POST to send: where, the exact body, its media type, and the headers (signature included). */
export interface WebhookRequest {
  readonly url: string;
  readonly body: string;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** A connection refused by the address guard before any packet was sent. */
export class BlockedAddressError extends Error {
  override name = 'BlockedAddressError';
}

/** `dns.lookup` in its every-address form: what the guard asks, and what a test may answer instead of DNS. */
export type AddressLookup = (
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

type NetLookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * The lookup a socket uses for a name: every address the name resolves to must be allowed, or the connection
 * is refused, so a name that resolves to a private address (at save time or later) is never connected to.
 */
function guardedLookup(policy: TargetPolicy, resolve: AddressLookup) {
  return (hostname: string, options: LookupOptions, callback: NetLookupCallback): void => {
    resolve(hostname, { family: options.family, hints: options.hints, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      for (const entry of addresses) {
        const problem = addressProblem(entry.address, policy);
        if (problem !== undefined) {
          return callback(new BlockedAddressError(`blocked ${hostname} (${entry.address}): ${problem}`), []);
        }
      }
      const first = addresses[0];
      if (first === undefined) {
        return callback(Object.assign(new Error(`No address for ${hostname}`), { code: 'ENOTFOUND' }), []);
      }
      return options.all ? callback(null, addresses) : callback(null, first.address, first.family);
    });
  };
}

/**
 * Opens connections through the guard: a literal IP host (which sockets connect to without a lookup) is
 * judged here, a name by `guardedLookup`; either way nothing is sent to a refused address.
 */
function guardedConnector(policy: TargetPolicy, timeoutMs: number, resolve: AddressLookup) {
  const connect = buildConnector({ lookup: guardedLookup(policy, resolve), timeout: timeoutMs });
  return (options: buildConnector.Options, callback: buildConnector.Callback): void => {
    const problem = isIP(options.hostname) === 0 ? undefined : addressProblem(options.hostname, policy);
    if (problem === undefined) connect(options, callback);
    else callback(new BlockedAddressError(`blocked ${options.hostname}: ${problem}`), null);
  };
}

/**
 * The start of a response body, at most {@link excerptBytes}. A longer body is not read to its end: the
 * connection is dropped instead, so a huge or endless answer costs nothing more.
 */
async function readExcerpt(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > excerptBytes) {
      body.destroy();
      break;
    }
  }
  return truncateUtf8(Buffer.concat(chunks).toString('utf8'), excerptBytes);
}

/**
 * Sends webhooks over pooled keep-alive connections. Redirects are not followed (a 3xx is a failure), and
 * every connection goes through the address guard.
 */
export class WebhookSender {
  private readonly agent: Agent;

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
   * Makes one attempt, waiting at most `timeoutMs` (at most the sender's own) for the answer; never throws
   * for the receiver's faults, which are part of the outcome.
   */
  async send(webhook: WebhookRequest, timeoutMs: number = this.timeoutMs): Promise<AttemptOutcome> {
    const started = performance.now();
    const latency = () => Math.round(performance.now() - started);
    const timeout = Math.min(timeoutMs, this.timeoutMs);
    try {
      const response = await request(webhook.url, {
        method: 'POST',
        dispatcher: this.agent,
        body: webhook.body,
        headers: {
          ...webhook.headers,
          'content-type': webhook.contentType,
          'user-agent': userAgent,
        },
        headersTimeout: timeout,
        bodyTimeout: timeout,
        signal: AbortSignal.timeout(timeout),
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
      return { kind: 'error', errorKind: kindOf(error), error: describe(error), latencyMs: latency() };
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

const errorKinds: Record<string, Exclude<AttemptErrorKind, 'http_status'>> = {
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  TimeoutError: 'timeout',
  ETIMEDOUT: 'timeout',
  ECONNREFUSED: 'connection_refused',
  ECONNRESET: 'connection_reset',
  EPIPE: 'connection_reset',
  UND_ERR_SOCKET: 'connection_reset',
  ENOTFOUND: 'dns_failure',
  EAI_AGAIN: 'dns_failure',
  ENODATA: 'dns_failure',
  BlockedAddressError: 'blocked_address',
};

/** What kind of failure an error before any answer is. */
function kindOf(error: unknown): Exclude<AttemptErrorKind, 'http_status'> {
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    const code = (cause as { code?: string }).code;
    const kind = errorKinds[code ?? ''] ?? errorKinds[cause.name];
    if (kind !== undefined) return kind;
    if (code?.startsWith('ERR_TLS') || code?.includes('CERT') || /SSL|TLS/.test(code ?? ''))
      return 'tls_error';
  }
  return 'network_error';
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  const code = (error as { code?: string }).code;
  return `${code ?? error.name}: ${error.message}${cause}`.slice(0, 500);
}
