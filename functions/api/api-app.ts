import { NotFoundError, ParameterValidationError, Router } from '@aws-lambda-powertools/event-handler/http';
import type { Logger } from '@aws-lambda-powertools/logger';
import type {
  APIGatewayProxyEventV2WithLambdaAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import type { CallerContext } from '#core/http/caller.ts';
import { type IdempotencyPorts, idempotent, requestFingerprint } from '#core/http/idempotency.ts';
import { parseJsonBody } from '#core/http/json-body.ts';
import { isLoopbackHost } from '#core/http/loopback.ts';
import { HttpProblem, problems } from '#core/http/problem.ts';
import type { ApiAnswer, ApiRequest, Route } from './api-request.ts';
import { toResult } from './api-request.ts';
import { problemOf } from './domain-problems.ts';

export type ApiEvent = APIGatewayProxyEventV2WithLambdaAuthorizer<CallerContext>;

const knownMethods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** A path without its trailing slash (the router ignores trailing slashes: `/portal/` is `/portal`). */
const trimmed = (path: string) => (path.length > 1 ? path.replace(/\/+$/, '') : path);
/** `/v1/webhooks/{id}` as Powertools writes it (`/v1/webhooks/:id`), and as a pattern for path matching. */
const routerPath = (path: string) => trimmed(path).replace(/\{(\w+)\}/g, ':$1') as `/${string}`;
const pathPattern = (path: string) => new RegExp(`^${trimmed(path).replace(/\{\w+\}/g, '[^/]+')}/?$`);

/**
 * Every answer is marked `Cache-Control: no-store` unless its route says otherwise (the portal's hashed
 * files): creates and rotations carry a signing secret, and no answer of the API itself is meant to be kept
 * by a cache or a proxy.
 */
function notStored(result: APIGatewayProxyStructuredResultV2): APIGatewayProxyStructuredResultV2 {
  return {
    ...result,
    headers: { ...result.headers, 'cache-control': String(result.headers?.['cache-control'] ?? 'no-store') },
  };
}

/** A host as API Gateway names it (`domainName`), optionally with a port: nothing else goes into a link. */
const plainHost = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The origin the caller reached the API at: the scheme API Gateway forwards (`X-Forwarded-Proto`; https on
 * AWS, where the sandbox sends none and a loopback host means http) and the domain it was called on.
 */
function originOf(event: ApiEvent): string {
  const host = event.requestContext.domainName || event.headers.host || '';
  if (!plainHost.test(host)) return '';
  const forwarded = event.headers['x-forwarded-proto']?.split(',')[0]?.trim().toLowerCase();
  const scheme =
    forwarded === 'http' || forwarded === 'https' ? forwarded : isLoopbackHost(host) ? 'http' : 'https';
  return `${scheme}://${host}`;
}

const forbidden = (detail: string) => new HttpProblem(403, 'forbidden', 'Forbidden', detail);

function decodedPath(rawPath: string): string {
  try {
    return decodeURIComponent(rawPath);
  } catch {
    throw problems.notFound(`No resource at ${rawPath.slice(0, 200)} (its percent-encoding is broken)`);
  }
}

/** Whether `path` is `prefix` itself or below it (`prefix/...`). */
const isUnder = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);

/**
 * How the errors of every path under `prefix` (the prefix itself, or it and `/...`) are answered instead of
 * problem+json: a compatible API whose clients expect another platform's error bodies. `render` gets the
 * problem the API would otherwise answer (a 401, 404, 405, 422, 500, ...), to say it in its own way.
 */
export interface ErrorStyle {
  /** A path prefix without a trailing slash, e.g. `/api/public/v3`. */
  readonly prefix: string;
  readonly render: (problem: HttpProblem) => ApiAnswer;
}

/**
 * The API's HTTP layer on Powertools' router: it matches routes and their `{id}`s; around each route this
 * checks the caller (except on public routes), parses the JSON body, and keeps the answer of a POST that
 * carries an `Idempotency-Key`. Every error is problem+json, unless an {@link ErrorStyle} of `errorStyles`
 * covers its path: unknown paths 404, known paths with another method 405 (the router itself knows no 405, so
 * the route table answers which methods a path has). No answer may be cached (`Cache-Control: no-store`)
 * unless its route sets its own `Cache-Control`. A route that is `apiKeyOnly` refuses portal tokens with a 403.
 */
export function createApi(
  routes: readonly Route[],
  deps: {
    readonly idempotency: IdempotencyPorts;
    readonly logger: Logger;
    readonly errorStyles?: readonly ErrorStyle[];
    /**
     * Path prefixes under which repeated slashes count as one (`/api/public/v3//webhooks` is
     * `/api/public/v3/webhooks`): a compatible API whose clients' SDKs join a base URL ending in `/` with a path
     * starting with one. Every other path is routed as it came. @default none
     */
    readonly mergeSlashesUnder?: readonly string[];
  },
) {
  const router = new Router({ logger: deps.logger });
  const styleOf = (path: string) => deps.errorStyles?.find(({ prefix }) => isUnder(path, prefix));
  /** The problem as the path's error style says it, or as problem+json. */
  const answer = (problem: HttpProblem, path: string) =>
    styleOf(path)?.render(problem) ?? problem.toResponse();
  const patterns = routes.map((route) => ({ route, pattern: pathPattern(route.path) }));
  const allowedMethods = (path: string) => [
    ...new Set(patterns.filter(({ pattern }) => pattern.test(path)).map(({ route }) => route.method)),
  ];

  /** No route for this method and path: 405 when the path has other methods, else 404. */
  const unroutable = (path: string) => {
    const allowed = allowedMethods(path);
    return allowed.length > 0
      ? problems.methodNotAllowed(allowed)
      : problems.notFound(`No resource at ${path.slice(0, 200)}`);
  };
  const problemFor = (error: unknown, path: string): HttpProblem => {
    if (error instanceof NotFoundError) return unroutable(path);
    // A path parameter that is blank once decoded (`/v1/webhooks/%20`): no such resource.
    if (error instanceof ParameterValidationError)
      return problems.notFound(`No resource at ${path.slice(0, 200)}`);
    const problem = problemOf(error);
    if (problem !== undefined) return problem;
    deps.logger.error('Request failed', { error: error as Error });
    return problems.internal();
  };
  const fail = (error: unknown, event: ApiEvent) => answer(problemFor(error, event.rawPath), event.rawPath);
  router.errorHandler(Error, async (error, { event }) => fail(error, event as ApiEvent));

  // The event each routed event was made from (the router is given a copy without `Host`).
  const originals = new WeakMap<object, ApiEvent>();

  for (const route of routes) {
    router.route(
      async ({ event, params }) => {
        const apiEvent = event as ApiEvent;
        const caller = apiEvent.requestContext.authorizer?.lambda;
        const accountId = caller?.accountId ?? '';
        if (!route.public && accountId === '') {
          throw problems.unauthorized(caller?.authError || 'Send Authorization: Bearer <API key>');
        }
        const credential = accountId === '' ? '' : (caller?.credential ?? '');
        if (route.apiKeyOnly && credential !== 'api-key') {
          throw forbidden(
            `${route.method} ${route.path} takes an API key: a portal link cannot create portal links or manage keys`,
          );
        }
        const rawBody = apiEvent.body ?? '';
        const request: ApiRequest = {
          accountId,
          credential,
          origin: originOf(originals.get(event) ?? apiEvent),
          method: route.method,
          path: apiEvent.rawPath,
          params,
          query: { ...apiEvent.queryStringParameters } as Record<string, string>,
          rawQuery: apiEvent.rawQueryString ?? '',
          headers: apiEvent.headers,
          body: parseJsonBody({
            body: rawBody,
            isBase64Encoded: apiEvent.isBase64Encoded,
            contentType: apiEvent.headers['content-type'],
            contentEncoding: apiEvent.headers['content-encoding'],
          }),
          rawBody,
        };
        const answer =
          route.method === 'POST'
            ? await idempotent(
                accountId,
                request.headers['idempotency-key'],
                requestFingerprint(route.method, request.path, rawBody),
                () => route.handler(request),
                deps.idempotency,
              )
            : await route.handler(request);
        return toResult(answer);
      },
      { method: route.method, path: routerPath(route.path) },
    );
  }

  /** The event with its path's repeated slashes merged, when `mergeSlashesUnder` covers the merged path. */
  const withMergedSlashes = (event: ApiEvent): ApiEvent => {
    const path = event.rawPath.replace(/\/{2,}/g, '/');
    if (path === event.rawPath || !deps.mergeSlashesUnder?.some((prefix) => isUnder(path, prefix)))
      return event;
    return {
      ...event,
      rawPath: path,
      requestContext: { ...event.requestContext, http: { ...event.requestContext.http, path } },
    };
  };

  return async (received: ApiEvent, context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
    const event = withMergedSlashes(received);
    const method = event.requestContext.http.method.toUpperCase();
    try {
      decodedPath(event.rawPath);
      if (!knownMethods.has(method)) throw unroutable(event.rawPath);
    } catch (error) {
      return notStored(fail(error, event));
    }
    // The router builds a web Request from the event: it needs a sane host, and no body on GET or HEAD.
    const { host: _host, 'x-forwarded-proto': _proto, ...headers } = event.headers;
    const routedEvent = {
      ...event,
      headers,
      requestContext: { ...event.requestContext, domainName: 'api.invalid' },
      ...(method === 'GET' || method === 'HEAD' ? { body: undefined, isBase64Encoded: false } : {}),
    };
    originals.set(routedEvent, event);
    const routed = await router.resolve(routedEvent, context);
    return notStored(routed as APIGatewayProxyStructuredResultV2);
  };
}
