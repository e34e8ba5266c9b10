import type { Credential } from '#core/http/caller.ts';

/** A request as routes see it: the caller's account, path parameters, query, headers and the parsed body. */
export interface ApiRequest {
  /** The caller's account; empty on public routes called without a key. */
  readonly accountId: string;
  /** How the caller proved the account; empty on public routes called without one. */
  readonly credential: Credential | '';
  /**
   * The origin the API was called at (`https://<domain>`, `http://127.0.0.1:4566` in the sandbox), for links
   * to itself; empty when the request's host is not a plain host name.
   */
  readonly origin: string;
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  /** Query parameters; a repeated one's values joined by commas, as API Gateway gives them. */
  readonly query: Readonly<Record<string, string>>;
  /** The query string as it came (`id=2&id=3`), where a repeated parameter can be told from a comma. */
  readonly rawQuery: string;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The parsed JSON body, or undefined when there is none. */
  readonly body: unknown;
  /** The body as it came, for idempotency fingerprints. */
  readonly rawBody: string;
}

/** What a route answers. */
export interface ApiAnswer {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A route: method, a path template such as `/v1/webhooks/{id}`, and its handler. */
export interface Route {
  /** PUT only where a compatible API's clients send it (`/api/public/v3`); /v1 changes with PATCH. */
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  /** Served without an API key (the API's own description, the portal's files). @default false */
  readonly public?: boolean;
  /** Refused to portal tokens (403): only an API key may call it. @default false */
  readonly apiKeyOnly?: boolean;
  readonly handler: (request: ApiRequest) => Promise<ApiAnswer>;
}

/** A JSON answer. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiAnswer {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/** An answer without a body. */
export function noContent(headers: Record<string, string> = {}): ApiAnswer {
  return { statusCode: 204, headers, body: '' };
}

/** An answer as API Gateway (and Powertools' router) takes it. */
export function toResult(answer: ApiAnswer): {
  statusCode: number;
  headers: Record<string, string>;
  body?: string;
} {
  const headers = { ...answer.headers };
  // A web Response (which the router builds) refuses a body, even an empty one, on a 204.
  return answer.body === '' ? { statusCode: answer.statusCode, headers } : { ...answer, headers };
}

/** The body of a POST whose body is optional: none (or only whitespace) is `{}`, but `null` is a body. */
export const bodyOrEmpty = (request: ApiRequest) => (request.body === undefined ? {} : request.body);
