/**
 * Shared plumbing for the sandbox's AWS JSON 1.0 / 1.1 services (SQS, EventBridge, ...): read the request,
 * run the operation, and answer with the success JSON or the error shape the AWS SDK v3 parses
 * (`__type` in the body, `x-amzn-query-error` for services in awsQueryCompatible mode such as SQS).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Options of an {@link AwsServiceError}. */
export interface AwsServiceErrorOptions {
  /** HTTP status. @default 400 */
  readonly statusCode?: number;
  /**
   * The awsQuery error code sent in the `x-amzn-query-error` header, e.g. `AWS.SimpleQueueService.NonExistentQueue`.
   * Only awsQueryCompatible services (SQS) send it; without it no header is written.
   */
  readonly queryErrorCode?: string;
  /** Whether the caller is at fault (`Sender`) or the service (`Receiver`). @default statusCode < 500 */
  readonly senderFault?: boolean;
  /**
   * Shape namespace of `__type` when it is not the service's own, e.g. `com.amazon.coral.service` for
   * `UnknownOperationException` and `SerializationException`.
   */
  readonly namespace?: string;
  readonly cause?: unknown;
}

/** An error that is answered to the client in AWS's error shape. */
export class AwsServiceError extends Error {
  /** The error code, e.g. `QueueDoesNotExist`; the SDK turns it into the exception's `name`. */
  readonly code: string;
  readonly statusCode: number;
  readonly queryErrorCode: string | undefined;
  readonly senderFault: boolean;
  readonly namespace: string | undefined;

  constructor(code: string, message: string, options: AwsServiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AwsServiceError';
    this.code = code;
    this.statusCode = options.statusCode ?? 400;
    this.queryErrorCode = options.queryErrorCode;
    this.senderFault = options.senderFault ?? this.statusCode < 500;
    this.namespace = options.namespace;
  }
}

/** Namespace of the errors raised by the AWS request-handling framework rather than by a service's model. */
export const CORAL_SERVICE_NAMESPACE = 'com.amazon.coral.service';

/** The error AWS answers for an `X-Amz-Target` operation the service does not know. */
export function unknownOperationError(operation: string, detail?: string): AwsServiceError {
  return new AwsServiceError('UnknownOperationException', detail ?? `Unknown operation ${operation}`, {
    namespace: CORAL_SERVICE_NAMESPACE,
  });
}

/** Largest request body accepted (SQS and EventBridge requests are at most about 1 MiB of payload). */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

/**
 * How much more of a refused body is read and thrown away, so that its connection can take the next request.
 * A client that keeps sending past this has its connection closed.
 */
export const DISCARD_AFTER_REFUSAL_BYTES = 64 * 1024 * 1024;

/**
 * Reads the whole request body as bytes, or undefined as soon as it grows past `maxBytes`, so that the caller
 * can answer 413 at once. The rest of a refused body is still read and discarded (up to
 * {@link DISCARD_AFTER_REFUSAL_BYTES} more; beyond that the connection is closed): a body left unread would
 * keep its keep-alive connection waiting for it, and the next request on it would never be answered.
 * Rejects if the client goes away before the body ends.
 */
export function readBodyBytes(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer | string) => {
      size += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      if (refused) {
        if (size > maxBytes + DISCARD_AFTER_REFUSAL_BYTES) req.socket.destroy();
        return;
      }
      if (size > maxBytes) {
        refused = true;
        chunks.length = 0;
        resolve(undefined);
        return;
      }
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    });
    req.once('end', () => {
      if (!refused) resolve(Buffer.concat(chunks));
    });
    // `on`, not `once`: a request may fail again after it was refused (the client goes away while it is
    // discarded), and an error without a listener would end the process.
    req.on('error', (error) => {
      if (!refused) reject(error);
    });
    req.once('close', () => {
      if (!refused && !req.complete) reject(new Error('The client closed the request before its body ended'));
    });
  });
}

/** Reads the whole request body as UTF-8; rejects bodies over 8 MiB with a 413 `AwsServiceError`. */
export async function readBody(req: IncomingMessage, maxBytes: number = MAX_BODY_BYTES): Promise<string> {
  const body = await readBodyBytes(req, maxBytes);
  if (body === undefined) {
    throw new AwsServiceError('RequestEntityTooLarge', `Request body is larger than ${maxBytes} bytes.`, {
      statusCode: 413,
    });
  }
  return body.toString('utf8');
}

/** Parses an AWS JSON request body; an empty body is `{}`. Throws `SerializationException` as AWS does. */
export function parseJsonBody(body: string): unknown {
  if (body.trim() === '') return {};
  try {
    return JSON.parse(body) as unknown;
  } catch (error) {
    throw new AwsServiceError(
      'SerializationException',
      'Start of structure or map found where not expected.',
      {
        namespace: CORAL_SERVICE_NAMESPACE,
        cause: error,
      },
    );
  }
}

/** How {@link respondAwsJson} writes answers. */
export interface AwsJsonResponseOptions {
  /** The service's shape namespace, e.g. `com.amazonaws.sqs` or `com.amazonaws.eventbridge`. */
  readonly namespace: string;
  /** `1.0` (SQS, DynamoDB) or `1.1` (EventBridge). @default '1.0' */
  readonly jsonVersion?: '1.0' | '1.1';
  /**
   * Called with errors that are not {@link AwsServiceError}s (answered as a 500 `InternalFailure` without
   * internals), after the one line that every 500 writes to stderr.
   */
  readonly onInternalError?: (error: unknown) => void;
}

const internalFailure = () =>
  new AwsServiceError('InternalFailure', 'The request processing has failed because of an unknown error.', {
    statusCode: 500,
    namespace: CORAL_SERVICE_NAMESPACE,
  });

/**
 * An error on one line, for a log line: its name, message and where it was thrown. Never throws, whatever
 * was thrown.
 */
export function errorLine(error: unknown): string {
  try {
    if (!(error instanceof Error)) return String(error).replace(/\s+/g, ' ');
    const where = error.stack
      ?.split('\n')
      .find((line) => line.trim().startsWith('at '))
      ?.trim();
    return `${error.name}: ${error.message}${where === undefined ? '' : ` (${where})`}`.replace(/\s+/g, ' ');
  } catch {
    return 'an error that cannot be shown';
  }
}

/** Every 500 says why on stderr, in one line that names the operation, so that none passes silently. */
function logServerError(
  operation: string,
  requestId: string,
  answered: AwsServiceError,
  cause: unknown,
): void {
  const reason = cause === answered ? `${answered.code}: ${answered.message}` : errorLine(cause);
  console.error(
    `[aws-json] ${operation} answered ${answered.statusCode} ${answered.code} (request ${requestId}): ${reason}`,
  );
}

/**
 * Runs `work` and writes its result as the AWS JSON success response, or the AWS error shape if it throws.
 * Never rejects: anything that is not an {@link AwsServiceError} becomes a 500 `InternalFailure` without
 * internals. Every answer of 500 or more is logged to stderr first, as one line naming `operation`.
 *
 * @param operation - what the request is for, for that line, e.g. `AWSEvents.PutEvents`.
 */
export async function respondAwsJson(
  res: ServerResponse,
  work: () => Promise<unknown>,
  options: AwsJsonResponseOptions,
  operation = 'AWS JSON request',
): Promise<void> {
  const requestId = randomUUID();
  const contentType = `application/x-amz-json-${options.jsonVersion ?? '1.0'}`;
  let status = 200;
  let body: string;
  const headers: Record<string, string> = { 'Content-Type': contentType, 'x-amzn-RequestId': requestId };
  const fail = (error: unknown) => {
    const serviceError = error instanceof AwsServiceError ? error : internalFailure();
    if (serviceError.statusCode >= 500) logServerError(operation, requestId, serviceError, error);
    if (!(error instanceof AwsServiceError)) {
      try {
        options.onInternalError?.(error);
      } catch {
        // The caller's own reporting failing must not keep the client waiting for an answer.
      }
    }
    status = serviceError.statusCode;
    if (serviceError.queryErrorCode !== undefined) {
      headers['x-amzn-query-error'] =
        `${serviceError.queryErrorCode};${serviceError.senderFault ? 'Sender' : 'Receiver'}`;
    }
    return JSON.stringify(awsJsonErrorBody(serviceError, options.namespace));
  };
  try {
    // Serialised inside the try: a result that cannot be written (too deep, a BigInt) is a 500 as well.
    body = JSON.stringify((await work()) ?? {}) ?? '{}';
  } catch (error) {
    body = fail(error);
  }
  if (res.destroyed || res.writableEnded) return;
  headers['Content-Length'] = String(Buffer.byteLength(body));
  res.writeHead(status, headers);
  res.end(body);
}

/** The JSON body of an AWS JSON protocol error. */
export function awsJsonErrorBody(
  error: AwsServiceError,
  namespace: string,
): { __type: string; message: string } {
  return { __type: `${error.namespace ?? namespace}#${error.code}`, message: error.message };
}

/** A service that {@link handleAwsJsonRequest} dispatches to. */
export interface AwsJsonService extends AwsJsonResponseOptions {
  /** The `X-Amz-Target` prefix before the dot, e.g. `AmazonSQS` or `AWSEvents`. */
  readonly targetPrefix: string;
  /** Runs one operation; `signal` aborts when the client goes away (long polls stop waiting). */
  handle(operation: string, input: unknown, signal: AbortSignal): Promise<unknown>;
}

/** The operation named by an `X-Amz-Target` header for `targetPrefix`, or `undefined` if it is for another service. */
export function operationFromTarget(
  target: string | string[] | undefined,
  targetPrefix: string,
): string | undefined {
  if (typeof target !== 'string') return undefined;
  const prefix = `${targetPrefix}.`;
  return target.startsWith(prefix) ? target.slice(prefix.length) : undefined;
}

/**
 * Serves one AWS JSON request end to end: reads and parses the body, dispatches the `X-Amz-Target` operation
 * to `service.handle`, and writes the answer. Requests may arrive on any path, as with the real endpoints.
 */
export async function handleAwsJsonRequest(
  req: IncomingMessage,
  res: ServerResponse,
  service: AwsJsonService,
): Promise<void> {
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  const target = req.headers['x-amz-target'];
  await respondAwsJson(
    res,
    async () => {
      const body = await readBody(req);
      const operation = operationFromTarget(target, service.targetPrefix);
      if (req.method !== 'POST' || operation === undefined) {
        throw unknownOperationError(String(target ?? ''));
      }
      return service.handle(operation, parseJsonBody(body), abort.signal);
    },
    service,
    typeof target === 'string'
      ? target.slice(0, 200)
      : `${service.targetPrefix} request without X-Amz-Target`,
  );
}
