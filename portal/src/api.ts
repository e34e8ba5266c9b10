import type { DeliveryView, RequestView } from '../../functions/api/delivery-view.ts';
import type { EventSummaryView, EventView } from '../../functions/api/event-view.ts';
import type { SubscriptionView } from '../../functions/api/subscription-view.ts';
import {
  portalRequestHeader,
  portalRequestHeaderValue,
} from '../../functions/core/accounts/portal-access.ts';

export type Subscription = SubscriptionView;
export type Delivery = DeliveryView;
export type Attempt = DeliveryView['attempts'][number];
/** The request a delivery's latest attempt sent, as `GET /v1/deliveries/{id}` shows it. */
export type SentRequest = RequestView;

/** An event of the account's log, as `GET /v1/events` lists it. */
export type EventSummary = EventSummaryView;
/** An event as `GET /v1/events/{id}` shows it: its body's `data` and its deliveries. */
export type EventDetail = EventView;
/** A delivery as an event's page lists it: its latest attempt only. */
export type EventDelivery = EventView['deliveries'][number];

/** An event type of the catalog, as `GET /v1/event-types` gives it (the portal needs no schema). */
export interface EventType {
  readonly type: string;
  readonly description: string;
}

/** A page of a list. */
export interface Page<T> {
  readonly data: T[];
  readonly next_cursor: string | null;
}

/** Reads the page of a list at an address of the API. */
export type ReadPage<T> = (path: string) => Promise<Page<T>>;

/** A wrong field, as the API names it in a problem's `errors`. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** An answer that is not a success: the API's problem+json, or a network failure (status 0). */
export class ApiError extends Error {
  override name = 'ApiError';

  constructor(
    readonly status: number,
    readonly problemType: string,
    message: string,
    readonly errors: readonly FieldError[] = [],
  ) {
    super(message);
  }
}

/** A success: the body and the ETag, if any. */
export interface Answer<T> {
  readonly data: T;
  readonly etag: string | undefined;
}

/** An HTTP method the portal uses. */
export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** Who makes a request: the token it carries, and who hears when the API refuses that token. */
export interface Caller {
  readonly token: string;
  refused(detail: string): void;
}

/**
 * Calls the public API on this origin with the caller's token. Every request says it comes from the portal
 * (the API takes portal tokens only so). A 401 ends the session: the link expired or is not valid.
 */
export async function request<T>(
  caller: Caller,
  method: Method,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer<T>> {
  // Node's fetch types (the unit tests check this file under them) lack `cache`, which Node's fetch takes.
  const init: RequestInit & { cache: 'no-store' } = {
    method,
    headers: {
      authorization: `Bearer ${caller.token}`,
      [portalRequestHeader]: portalRequestHeaderValue,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    cache: 'no-store',
    credentials: 'omit',
    redirect: 'error',
  };
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', 'The API could not be reached. Check your connection and try again.');
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (response.ok) return { data: json as T, etag: response.headers.get('etag') ?? undefined };
  const problem = (json ?? {}) as { type?: string; detail?: string; errors?: FieldError[] };
  const detail = problem.detail ?? `The API answered ${response.status}`;
  if (response.status === 401) caller.refused(detail);
  throw new ApiError(
    response.status,
    (problem.type ?? '').replace('urn:webhooks:problem:', ''),
    detail,
    Array.isArray(problem.errors) ? problem.errors : [],
  );
}

/** What a failed action tells the person: the API's own words. */
export function messageOf(error: unknown): string {
  return error instanceof ApiError ? error.message : 'Something went wrong in the portal. Reload the page.';
}
