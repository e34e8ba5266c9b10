import type { Dispatcher } from 'undici';

/** What went wrong in an attempt, as a kind a client can branch on. */
export const attemptErrorKinds = [
  'http_status',
  'timeout',
  'connection_refused',
  'connection_reset',
  'dns_failure',
  'blocked_address',
  'tls_error',
  'slow_endpoint',
  'network_error',
  'outcome_unknown',
] as const;
export type AttemptErrorKind = (typeof attemptErrorKinds)[number];

/** The bound on a kept response excerpt. */
export const excerptBytes = 1024;

/** At most `bytes` of UTF-8, cut at a character boundary. */
export function truncateUtf8(text: string, bytes: number): string {
  const buffer = Buffer.from(text, 'utf8');
  if (buffer.length <= bytes) return text;
  let end = bytes;
  // Back off continuation bytes (10xxxxxx) so no character is cut in half.
  while (end > 0 && ((buffer[end] ?? 0) & 0xc0) === 0x80) end--;
  return buffer.subarray(0, end).toString('utf8');
}

/** How long an attempt may take, in two parts timed separately. */
export interface AttemptBounds {
  /** Longest wait until the request is written: a free connection from the pool, or a new one (DNS, TCP, TLS). */
  readonly connectMs: number;
  /** Longest wait for the complete answer, from the moment the request was written to the connection. */
  readonly answerMs: number;
}

/**
 * What one attempt gave: an HTTP answer, or an error before one (DNS, refused, timeout, blocked). Its times, in
 * whole milliseconds: `latencyMs` the whole attempt; `setupMs` from its start until the request was written
 * (or, if it never was, until the error); `answerMs` from then to the end, absent when the request was never
 * written, so `answerMs !== undefined` says whether the request left.
 */
export type AttemptOutcome =
  | {
      readonly kind: 'response';
      readonly statusCode: number;
      readonly retryAfter?: string;
      readonly excerpt: string;
      readonly latencyMs: number;
      readonly setupMs: number;
      readonly answerMs?: number;
    }
  | {
      readonly kind: 'error';
      readonly errorKind: Exclude<AttemptErrorKind, 'http_status'>;
      readonly error: string;
      readonly latencyMs: number;
      readonly setupMs: number;
      readonly answerMs?: number;
    };

/** Whether an attempt succeeded: a 2xx answer. */
export const isSuccess = (outcome: AttemptOutcome): boolean =>
  outcome.kind === 'response' && outcome.statusCode >= 200 && outcome.statusCode < 300;

/** An attempt's outcome in a few words: `HTTP 503`, or the error. */
export const describeOutcome = (outcome: AttemptOutcome): string =>
  outcome.kind === 'response' ? `HTTP ${outcome.statusCode}` : outcome.error;

/** Why an attempt was given up: a bound passed before the connection or the complete answer came. */
export class DeadlineError extends Error {
  override name = 'TimeoutError';
}

/** Errors that say the connection broke (reset or closed by the other side), not that it was refused. */
const brokenConnection = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

/**
 * One POST in flight, as undici's dispatch handler: it keeps the status, `Retry-After` and the start of the
 * body (at most {@link excerptBytes}; a longer body is cut off, so a huge or endless answer costs nothing
 * more) and settles its outcome once, when the answer ends, on an error, or at its deadline.
 *
 * Its deadline is `started + connectMs` until the request is written, then `written + answerMs`: undici calls
 * `onRequestStart` from `writeH1` when a connected socket is about to get the request, and that is the
 * moment "written". Given a single number, the deadline is `started + ms` throughout, as one bound on the
 * whole. The sender's ticking check reads {@link Attempt.deadline}; nothing here sets a timer.
 */
export class Attempt implements Dispatcher.DispatchHandler {
  /** By when it must be over (`performance.now()` time); it moves once, when the request is written. */
  deadline: number;
  private controller: Dispatcher.DispatchController | undefined;
  private written: number | undefined;
  private statusCode = 0;
  private retryAfter: string | undefined;
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private settled = false;

  constructor(
    /** When it started (`performance.now()`). */
    private readonly started: number,
    /** Its bounds, already capped by the sender: two parts, or one number for the whole from the start. */
    private readonly bounds: AttemptBounds | number,
    private readonly settle: (outcome: AttemptOutcome) => void,
    /**
     * Dispatches the same request again, once, if the connection it was queued on broke before it was
     * written (see {@link Attempt.onResponseError}).
     */
    private resend?: () => void,
  ) {
    this.deadline = started + (typeof bounds === 'number' ? bounds : bounds.connectMs);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // Given up while it waited for a connection: it is not sent at all. Throwing (rather than
    // `controller.abort()`, which destroys the socket) makes undici drop the request unwritten and keep the
    // new connection in its pool, where the next attempt to the endpoint finds it ready.
    if (this.settled) throw new DeadlineError('given up before sending');
    this.controller = controller;
    this.written = performance.now();
    if (typeof this.bounds !== 'number') this.deadline = this.written + this.bounds.answerMs;
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, unknown>,
  ) {
    if (statusCode < 200) return; // informational (1xx): the answer is still to come
    this.statusCode = statusCode;
    const retryAfter = headers['retry-after'];
    this.retryAfter = typeof retryAfter === 'string' ? retryAfter : undefined;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.size > excerptBytes) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size > excerptBytes) {
      this.answered();
      controller.abort(new Error('response body longer than its excerpt'));
    }
  }

  onResponseEnd(): void {
    this.answered();
  }

  /**
   * An error ends the attempt, but for one case: the pooled connection it was queued on broke before the
   * request was written to it. A keep-alive connection the server reset while idle does that: undici fails
   * the requests waiting for it (`ECONNRESET`) although none left. The request then goes out once more, on a
   * new connection, under the same deadline.
   */
  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    const resend = this.resend;
    if (resend !== undefined && this.written === undefined && !this.settled && brokeConnection(error)) {
      this.resend = undefined;
      resend();
      return;
    }
    this.fail(error);
  }

  /** Gives up at the deadline: an outcome now, and the request aborted (or, still unwritten, never sent). */
  expire(): void {
    this.fail(new DeadlineError(this.overdue()));
    this.controller?.abort(new DeadlineError('deadline passed'));
  }

  /** Which bound passed. */
  private overdue(): string {
    const bounds = this.bounds;
    if (this.written === undefined) {
      return `no connection within ${typeof bounds === 'number' ? bounds : bounds.connectMs} ms`;
    }
    return typeof bounds === 'number'
      ? `no complete answer within ${bounds} ms`
      : `no complete answer within ${bounds.answerMs} ms of sending`;
  }

  private answered(): void {
    if (this.settled) return;
    this.settled = true;
    const excerpt =
      this.size === 0 ? '' : truncateUtf8(Buffer.concat(this.chunks).toString('utf8'), excerptBytes);
    this.settle({
      kind: 'response',
      statusCode: this.statusCode,
      ...(this.retryAfter === undefined ? {} : { retryAfter: this.retryAfter }),
      excerpt,
      ...this.times(),
    });
  }

  private fail(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.settle({ kind: 'error', errorKind: kindOf(error), error: describe(error), ...this.times() });
  }

  /** The whole, and its two parts; the parts add up to the whole. */
  private times(): { latencyMs: number; setupMs: number; answerMs?: number } {
    const latencyMs = Math.round(performance.now() - this.started);
    if (this.written === undefined) return { latencyMs, setupMs: latencyMs };
    const setupMs = Math.round(this.written - this.started);
    return { latencyMs, setupMs, answerMs: latencyMs - setupMs };
  }
}

function brokeConnection(error: Error): boolean {
  const code = (error as { code?: string }).code;
  return code !== undefined && brokenConnection.has(code);
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
    // Node's TLS errors, and OpenSSL's verification codes (UNABLE_TO_VERIFY_LEAF_SIGNATURE, a certificate
    // from a CA the platform does not trust, names neither CERT nor TLS).
    if (/^ERR_TLS|^ERR_SSL|CERT|SSL|TLS|VERIFY|SELF_SIGNED|ISSUER/.test(code ?? '')) return 'tls_error';
  }
  return 'network_error';
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  const code = (error as { code?: string }).code;
  return `${code ?? error.name}: ${error.message}${cause}`.slice(0, 500);
}
