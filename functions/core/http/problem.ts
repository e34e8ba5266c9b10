import type { FieldError } from '../field-errors.ts';

/**
 * An API error as RFC 9457 problem details. `type` names the kind of problem so clients can branch on it;
 * `errors` lists the fields that were wrong.
 */
export class HttpProblem extends Error {
  override name = 'HttpProblem';

  constructor(
    readonly status: number,
    readonly problemType: string,
    readonly title: string,
    readonly detail: string,
    readonly errors: readonly FieldError[] = [],
    readonly headers: Readonly<Record<string, string>> = {},
    options?: ErrorOptions,
  ) {
    super(detail, options);
  }

  toResponse(): { statusCode: number; headers: Record<string, string>; body: string } {
    return {
      statusCode: this.status,
      headers: { 'content-type': 'application/problem+json', ...this.headers },
      body: JSON.stringify({
        type: `urn:webhooks:problem:${this.problemType}`,
        title: this.title,
        status: this.status,
        detail: this.detail,
        ...(this.errors.length > 0 ? { errors: this.errors } : {}),
      }),
    };
  }
}

export const problems = {
  validation: (errors: readonly FieldError[]) =>
    new HttpProblem(
      422,
      'validation-failed',
      'The request is not valid',
      errors.map((error) => `${error.field}: ${error.message}`).join('; '),
      errors,
    ),
  malformedBody: (detail: string) =>
    new HttpProblem(400, 'malformed-body', 'The body is not valid JSON', detail, [
      { field: 'body', message: detail },
    ]),
  payloadTooLarge: (maxBytes: number) =>
    new HttpProblem(413, 'payload-too-large', 'The body is too large', `Send at most ${maxBytes} bytes`, [
      { field: 'body', message: `must be at most ${maxBytes} bytes` },
    ]),
  unsupportedMediaType: () =>
    new HttpProblem(
      415,
      'unsupported-media-type',
      'Unsupported media type',
      'Send the body as application/json',
      [{ field: 'content-type', message: 'must be application/json' }],
    ),
  unauthorized: (detail: string) =>
    new HttpProblem(
      401,
      'unauthorized',
      'Unauthorized',
      detail,
      [{ field: 'authorization', message: detail }],
      {
        'www-authenticate': 'Bearer',
      },
    ),
  notFound: (detail: string) => new HttpProblem(404, 'not-found', 'Not found', detail),
  methodNotAllowed: (allowed: readonly string[]) =>
    new HttpProblem(405, 'method-not-allowed', 'Method not allowed', `Use ${allowed.join(' or ')}`, [], {
      allow: allowed.join(', '),
    }),
  conflict: (problemType: string, detail: string) => new HttpProblem(409, problemType, 'Conflict', detail),
  preconditionFailed: (detail: string, etag: string) =>
    new HttpProblem(
      412,
      'precondition-failed',
      'Precondition failed',
      detail,
      [{ field: 'if-match', message: `must name the current version, ${etag}` }],
      { etag },
    ),
  internal: () =>
    new HttpProblem(500, 'internal', 'Internal server error', 'Something went wrong on our side; try again'),
};
