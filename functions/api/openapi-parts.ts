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
export const parameter = (name: string) => ({ $ref: `#/components/parameters/${name}` });
export const response = (name: string) => ({ $ref: `#/components/responses/${name}` });
export const header = (name: string) => ({ $ref: `#/components/headers/${name}` });

export type Examples = Record<string, { readonly summary: string; readonly value: unknown }>;

export const jsonContent = (schema: object, examples?: Examples) => ({
  'application/json': { schema, ...(examples === undefined ? {} : { examples }) },
});
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
