import * as z from 'zod/mini';
import { eventTypes } from '#core/events/catalog.ts';
import { fieldErrors } from '#core/field-errors.ts';
import { problems } from '#core/http/problem.ts';

/** Page sizes of every list: 1 to 100, 20 by default. */
export const pageSize = { default: 20, max: 100 } as const;

const limitSchema = z.string().check(
  z.refine((value) => /^\d{1,3}$/.test(value) && Number(value) >= 1 && Number(value) <= pageSize.max, {
    message: `must be a whole number from 1 to ${pageSize.max}`,
  }),
);

/** The query parameters every list takes: `limit` and `cursor`. */
export const pagingQuery = {
  limit: z.optional(limitSchema),
  cursor: z.optional(z.string().check(z.maxLength(512, 'is not a cursor this API gave'))),
};

/** `event_type`: one type of the catalog. */
export const eventTypeQuery = z.enum(
  eventTypes as [string, ...string[]],
  'must be an event type of the catalog',
);

/** Reads query parameters with a schema (unknown ones refused), or throws a 422 naming each wrong one. */
export function parseQuery<T extends z.ZodMiniType>(schema: T, query: Record<string, string>): z.infer<T> {
  const result = z.safeParse(schema, query);
  if (!result.success) throw problems.validation(fieldErrors(result.error, query));
  return result.data;
}

const cursorSchema = z.object({ after: z.string().check(z.regex(/^[a-z]+_[0-9a-z]{1,64}$/)) });

/** An opaque cursor for the page after the item with this id. */
export function encodeCursor(after: string): string {
  return Buffer.from(JSON.stringify({ after })).toString('base64url');
}

/** The id a cursor continues after, or a 422 for a cursor this API did not give. */
export function decodeCursor(cursor: string): string {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const result = z.safeParse(cursorSchema, decoded);
  if (!result.success)
    throw problems.validation([{ field: 'cursor', message: 'is not a cursor this API gave' }]);
  return result.data.after;
}

/** Resolves `limit` and `cursor` to a page size and the id to continue after. */
export function pageOf(query: { limit?: string; cursor?: string }): { limit: number; after?: string } {
  return {
    limit: query.limit === undefined ? pageSize.default : Number(query.limit),
    ...(query.cursor === undefined ? {} : { after: decodeCursor(query.cursor) }),
  };
}
