import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { finished } from 'node:stream/promises';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import { httpApi } from '../functions/core/platform.ts';
import { readBodyBytes } from './aws-json-protocol.ts';
import type { LocalFunction } from './lambda-runtime.ts';

/** HTTP APIs refuse payloads over 10 MB. */
const maxPayloadBytes = 10 * 1024 * 1024;
const textMediaType =
  /^(?:text\/|application\/(?:[\w.+-]+\+)?(?:json|xml|javascript|x-www-form-urlencoded))/i;

interface GatewayAnswer {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: string | Buffer;
}

const gatewayError = (statusCode: number, message: string): GatewayAnswer => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ message }),
});

/** Payload 2.0 headers: lower-case names, repeated values joined by commas, cookies apart. */
function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headersDistinct)) {
    if (name === 'cookie' || value === undefined) continue;
    headers[name] = value.join(',');
  }
  return headers;
}

/** Own properties, as `JSON.parse` makes the event on AWS: `?__proto__=1` is a parameter like any other. */
function queryParameters(search: URLSearchParams): Record<string, string> | undefined {
  const parameters = Object.fromEntries(
    [...new Set(search.keys())].map((key) => [key, search.getAll(key).join(',')]),
  );
  return Object.keys(parameters).length > 0 ? parameters : undefined;
}

/**
 * Plays an API Gateway HTTP API with one `$default` route behind a Lambda authorizer (payload 2.0, simple
 * responses): an HTTP request becomes an `APIGatewayProxyEventV2`, the authorizer runs first, and the function's
 * result becomes the HTTP response as API Gateway would map it.
 */
export class LocalHttpApi {
  constructor(
    private readonly authorizer: LocalFunction,
    private readonly api: LocalFunction,
    private readonly region: string,
  ) {}

  /** Requests being served now: from their first byte read to their answer's last byte written. */
  readonly #serving = new Set<Promise<void>>();

  /** How many requests it is serving now (the authorizer or the API function invoked, or their body read). */
  get inFlight(): number {
    return this.#serving.size;
  }

  /**
   * Resolves once every request being served now has been answered, or after `timeoutMs` (for a client that
   * never finishes sending its body: once its body is in, the functions' timeouts bound a request).
   */
  async finish(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((done) => {
      timer = setTimeout(done, timeoutMs);
    });
    await Promise.race([Promise.allSettled([...this.#serving]), timedOut]);
    clearTimeout(timer);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const serving = this.serve(req, res);
    this.#serving.add(serving);
    try {
      await serving;
    } finally {
      this.#serving.delete(serving);
    }
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = await readBodyBytes(req, maxPayloadBytes);
    const answer = await (rawBody === undefined
      ? Promise.resolve(gatewayError(413, 'Request Entity Too Large'))
      : this.answer(req, rawBody)
    ).catch((error: unknown) => {
      console.error('[api-gateway] function failed:', error);
      return gatewayError(500, 'Internal Server Error');
    });
    res.writeHead(answer.statusCode, { ...answer.headers, 'apigw-requestid': randomUUID() });
    res.end(answer.body);
    // Served once the answer is written out, so that a server closing after it does not cut it off.
    await finished(res).catch(() => undefined);
  }

  private async answer(req: IncomingMessage, rawBody: Buffer): Promise<GatewayAnswer> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const event = this.proxyEvent(req, url, rawBody);

    const authorization = (await this.authorizer.invoke(
      this.authorizerEvent(event),
    )) as APIGatewaySimpleAuthorizerWithContextResult<Record<string, unknown>>;
    if (authorization?.isAuthorized !== true) return gatewayError(403, 'Forbidden');
    event.requestContext.authorizer = { lambda: authorization.context ?? {} };

    return this.responseOf(await this.api.invoke(event));
  }

  private proxyEvent(
    req: IncomingMessage,
    url: URL,
    rawBody: Buffer,
  ): APIGatewayProxyEventV2 & {
    requestContext: { authorizer?: { lambda: Record<string, unknown> } };
  } {
    const headers = headersOf(req);
    const now = new Date();
    const method = req.method ?? 'GET';
    // Text by its media type and its bytes: a body that is not UTF-8 reaches the function as it came, base64.
    const isText =
      rawBody.length === 0 || (textMediaType.test(headers['content-type'] ?? '') && isUtf8(rawBody));
    const cookies = req.headersDistinct.cookie?.flatMap((value) => value.split(/;\s*/));
    return {
      version: '2.0',
      routeKey: httpApi.routeKey,
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      ...(cookies ? { cookies } : {}),
      headers,
      ...(queryParameters(url.searchParams)
        ? { queryStringParameters: queryParameters(url.searchParams) }
        : {}),
      requestContext: {
        accountId: '000000000000',
        apiId: 'sandbox',
        domainName: headers.host ?? 'localhost',
        domainPrefix: (headers.host ?? 'localhost').split('.')[0] ?? 'localhost',
        http: {
          method,
          path: url.pathname,
          protocol: `HTTP/${req.httpVersion}`,
          sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
          userAgent: headers['user-agent'] ?? '',
        },
        requestId: randomUUID(),
        routeKey: httpApi.routeKey,
        stage: '$default',
        time: now.toISOString(),
        timeEpoch: now.getTime(),
      },
      ...(rawBody.length > 0 ? { body: isText ? rawBody.toString('utf8') : rawBody.toString('base64') } : {}),
      isBase64Encoded: !isText,
    };
  }

  /** The authorizer's event; like API Gateway, it leaves out cookies and query parameters when there are none. */
  private authorizerEvent(event: APIGatewayProxyEventV2): APIGatewayRequestAuthorizerEventV2 {
    return {
      version: '2.0',
      type: 'REQUEST',
      routeArn: `arn:aws:execute-api:${this.region}:000000000000:sandbox/$default/${event.requestContext.http.method}${event.rawPath}`,
      identitySource: [],
      routeKey: event.routeKey,
      rawPath: event.rawPath,
      rawQueryString: event.rawQueryString,
      ...(event.cookies ? { cookies: event.cookies } : {}),
      headers: event.headers as Record<string, string>,
      ...(event.queryStringParameters
        ? { queryStringParameters: event.queryStringParameters as Record<string, string> }
        : {}),
      requestContext: event.requestContext,
    } as APIGatewayRequestAuthorizerEventV2;
  }

  /** Payload 2.0 response mapping: a result without `statusCode` is a 200 JSON body. */
  private responseOf(result: unknown): GatewayAnswer {
    if (result === null || typeof result !== 'object' || !('statusCode' in result)) {
      return {
        statusCode: 200,
        headers: { 'content-type': 'application/json' },
        body: typeof result === 'string' ? result : JSON.stringify(result),
      };
    }
    const structured = result as APIGatewayProxyStructuredResultV2;
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(structured.headers ?? {})) headers[name] = String(value);
    if (structured.cookies?.length) headers['set-cookie'] = structured.cookies;
    const body = structured.body ?? '';
    return {
      statusCode: structured.statusCode ?? 200,
      headers,
      body: structured.isBase64Encoded ? Buffer.from(body, 'base64') : body,
    };
  }
}
