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

/** Why an attempt was given up: it had no complete answer by its deadline. */
export class DeadlineError extends Error {
  override name = 'TimeoutError';
}

/**
 * One POST in flight, as undici's dispatch handler: it keeps the status, `Retry-After` and the start of the
 * body (at most {@link excerptBytes}; a longer body is cut off, so a huge or endless answer costs nothing
 * more) and settles its outcome once, when the answer ends, on an error, or at its deadline.
 */
export class Attempt implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private statusCode = 0;
  private retryAfter: string | undefined;
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private settled = false;

  constructor(
    /** When it started (`performance.now()`) and by when it must be over. */
    private readonly started: number,
    readonly deadline: number,
    private readonly settle: (outcome: AttemptOutcome) => void,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Given up while it waited for a connection: it is not sent at all.
    if (this.settled) controller.abort(new DeadlineError('deadline passed before sending'));
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

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.fail(error);
  }

  /** Gives up at the deadline: an outcome now, and the request aborted (or never sent). */
  expire(): void {
    this.fail(new DeadlineError(`no complete answer within the deadline`));
    this.controller?.abort(new DeadlineError('deadline passed'));
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
      latencyMs: this.latency(),
    });
  }

  private fail(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.settle({
      kind: 'error',
      errorKind: kindOf(error),
      error: describe(error),
      latencyMs: this.latency(),
    });
  }

  private latency(): number {
    return Math.round(performance.now() - this.started);
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
