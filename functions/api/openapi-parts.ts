/**
 * The pieces the OpenAPI document is made of: schemas from zod, references, and the answers every operation
 * shares. The document itself is assembled in openapi.ts.
 */
import * as z from 'zod/mini';
import type { JsonSchema } from '#core/events/event-types.ts';

/** A zod schema as JSON Schema (2020-12) for the document, without `$schema`. */
export function jsonSchema(schema: z.ZodMiniType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    reused: 'inline',
    // Checks that need code (URL guard, event selectors, filter syntax) are described in words instead.
    unrepresentable: 'any',
    override: ({ jsonSchema }) => {
      if (jsonSchema.format === 'date-time') delete jsonSchema.pattern;
    },
  });
  return rest;
}

// Small pieces every path is made of.

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** The schema of one page of a list: `{"data": [<item>...], "next_cursor": string | null}`, as every list answers. */
export const listPage = (item: string) => ({
  type: 'object',
  required: ['data', 'next_cursor'],
  properties: {
    data: { type: 'array', items: ref(item) },
    next_cursor: { type: ['string', 'null'] },
  },
});
export const parameter = (name: string) => ({ $ref: `#/components/parameters/${name}` });
export const response = (name: string) => ({ $ref: `#/components/responses/${name}` });
export const header = (name: string) => ({ $ref: `#/components/headers/${name}` });

export type Examples = Record<string, { readonly summary: string; readonly value: unknown }>;

export const jsonContent = (schema: object, examples?: Examples) => ({
  'application/json': { schema, ...(examples === undefined ? {} : { examples }) },
});
/** The `Idempotency-Key` parameter, as every POST of either API takes it (api-app.ts). */
export const idempotencyKeyParameter = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Makes a POST safe to retry. Keys are per account and kept 24 h. The same key with the same method, path and body (compared byte for byte: the same JSON written differently is another body) gives the first answer again, with `Idempotent-Replayed: true`; with another request, 422; while the first request is still running, 409 `idempotency-key-in-use`. Only 2xx answers are kept, so a failed request may be retried with its key.',
  schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' },
} as const;

/** The headers both APIs' answers may carry, as components.headers. */
export const sharedHeaders = {
  Allow: {
    description: 'The methods the path has, e.g. "GET, PATCH, DELETE"',
    schema: { type: 'string' },
  },
  IdempotentReplayed: {
    description: '`true` when this is the stored answer of an earlier request with the same Idempotency-Key',
    schema: { type: 'string', const: 'true' },
  },
  CacheControl: {
    description: 'Every answer is no-store: some carry a signing secret, none is meant to be cached',
    schema: { type: 'string', const: 'no-store' },
  },
} as const;

/** The headers of every answer, and those of a POST's answer (which may be a replay). */
export const everyAnswer = { 'Cache-Control': header('CacheControl') };
export const problem = (description: string, headers: Record<string, object> = {}) => ({
  description,
  headers: { ...everyAnswer, ...headers },
  content: { 'application/problem+json': { schema: ref('Problem') } },
});
export const postAnswer = { ...everyAnswer, 'Idempotent-Replayed': header('IdempotentReplayed') };

/** The problems of an operation with a JSON body. */
export const bodyProblems = {
  '400': response('MalformedBody'),
  '413': response('PayloadTooLarge'),
  '415': response('UnsupportedMediaType'),
  '422': response('ValidationFailed'),
};

export interface OperationOptions {
  /** Served without an API key. @default false */
  readonly public?: boolean;
}

/**
 * An operation with the answers any route can give: 404 (another path, or an id that is not there), 405 (the
 * path, another method, with `Allow`), 500, and, unless it is public, 401.
 */
export function operation<T extends { responses: Record<string, unknown> }>(
  spec: T,
  options: OperationOptions = {},
) {
  return {
    ...spec,
    ...(options.public ? { security: [] } : {}),
    responses: {
      ...spec.responses,
      ...(options.public ? {} : { '401': response('Unauthorized') }),
      '404': response('NotFound'),
      '405': response('MethodNotAllowed'),
      '500': response('Internal'),
    },
  };
}

/** `GET .../openapi.json` of either API: the document itself, served without a key. */
export function documentOperation() {
  return operation(
    {
      operationId: 'getOpenApi',
      summary: 'This document',
      responses: {
        '200': {
          description: 'OpenAPI 3.1',
          headers: everyAnswer,
          content: jsonContent({ type: 'object' }),
        },
      },
    },
    { public: true },
  );
}
