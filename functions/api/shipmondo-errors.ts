import type { FieldError } from '#core/field-errors.ts';
import type { HttpProblem } from '#core/http/problem.ts';
import { InvalidSubscriptionError } from '#core/subscriptions/subscription-errors.ts';
import type { ErrorStyle } from './api-app.ts';
import { type ApiAnswer, json } from './api-request.ts';

/** Where the compatible API lives: every path under it answers errors as {@link shipmondoErrors} says. */
export const shipmondoBasePath = '/api/public/v3';

/** The reference platform's answers to a refused credential and to an unknown resource, word for word. */
export const shipmondoMessages = {
  unauthorized: 'Invalid API User or API Key',
  notFound: 'Resource not found',
  internal: 'Internal server error; try again later',
} as const;

/** What a Basic client is asked for, as the reference's clients expect (they send Basic credentials). */
export const shipmondoChallenge = 'Basic realm="Hookbridge"';

const answer = (status: number, error: string, headers: Record<string, string> = {}): ApiAnswer =>
  json(status, { error }, headers);

/** What a problem's fields say (`endpoint: must be ...; key: must not be empty`), or its detail. */
const said = (problem: HttpProblem) =>
  problem.errors.length > 0
    ? problem.errors.map((error) => `${error.field}: ${error.message}`).join('; ')
    : problem.detail;

/**
 * A problem as the compatible API answers it: `application/json` `{"error": "..."}` as the reference platform
 * answers. A refused credential, and a portal token (which opens only the portal, whose API is /v1), is the
 * reference's 401 with a Basic challenge; an unknown path or id its 404; input that is not right, in the body,
 * the query or its framing (not JSON, too large), 422 naming the field, the only status the reference has for
 * input; an account with its maximum of webhooks too, since it can do nothing but change its request. What a
 * client may simply retry (a change that other requests kept overtaking, an Idempotency-Key still in use) keeps
 * its 409, and a wrong method its 405 and `Allow`.
 */
export function shipmondoError(problem: HttpProblem): ApiAnswer {
  if (problem.status === 401 || problem.status === 403) {
    return answer(401, shipmondoMessages.unauthorized, { 'www-authenticate': shipmondoChallenge });
  }
  if (problem.status === 404) return answer(404, shipmondoMessages.notFound);
  if (problem.status === 405) {
    return answer(405, `Method not allowed; this path takes ${problem.headers.allow}`, {
      ...problem.headers,
    });
  }
  if (problem.status >= 500) return answer(problem.status, shipmondoMessages.internal);
  if (problem.status === 409 && problem.problemType !== 'limit-reached') return answer(409, said(problem));
  return answer(422, said(problem));
}

/** The compatible API's error style, for createApi. */
export const shipmondoErrorStyle: ErrorStyle = { prefix: shipmondoBasePath, render: shipmondoError };

/** /v1's field names in a use case's errors, as the compatible API names them. */
const compatibleNames: Readonly<Record<string, string>> = {
  url: 'endpoint',
  jwt_key: 'key',
  events: 'action',
};

const renamed = (error: FieldError): FieldError => ({
  ...error,
  field: compatibleNames[error.field.split('.')[0] ?? ''] ?? error.field,
});

/**
 * Runs a use case of /v1's and says its invalid input in the compatible API's names (`endpoint: did not take the
 * verification request...`, not `url: ...`).
 */
export async function inCompatibleNames<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof InvalidSubscriptionError) {
      throw new InvalidSubscriptionError(error.errors.map(renamed));
    }
    throw error;
  }
}
