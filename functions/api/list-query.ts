import * as z from 'zod/mini';
import { eventTypes } from '#core/events/catalog.ts';
import { fieldErrors } from '#core/field-errors.ts';
import { problems } from '#core/http/problem.ts';

/** Page sizes of every list: 1 to 100, 20 by default. */
export const pageSize = { default: 20, max: 100 } as const;

/**
 * A query parameter that must be a whole number, written in decimal digits, from `min` to `max` (no `max`: as
 * large as a safe integer); kept as the text it came as.
 */
export function wholeNumberQuery(min: number, max?: number) {
  const message =
    max === undefined
      ? `must be a whole number of at least ${min}`
      : `must be a whole number from ${min} to ${max}`;
  // At most as many digits as `max` has (leading zeros count), or 15: a safe integer whatever the digits.
  const digits = new RegExp(`^\\d{1,${max === undefined ? 15 : String(max).length}}$`);
  return z
    .string()
    .check(
      z.refine(
        (value) => digits.test(value) && Number(value) >= min && (max === undefined || Number(value) <= max),
        { message },
      ),
    );
}

/** The query parameters every list takes: `limit` and `cursor`. */
export const pagingQuery = {
  limit: z.optional(wholeNumberQuery(1, pageSize.max)),
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

/** `since` (inclusive) and `until` (exclusive): ISO 8601 date-times with an offset, as recover's body takes. */
export const timeWindowQuery = {
  since: z.optional(z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with an offset' })),
  until: z.optional(z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with an offset' })),
};

/** The window `since`/`until` name, or a 422 on `until` when it ends before it starts. */
export function windowOf(query: { since?: string; until?: string }): { since?: Date; until?: Date } {
  const since = query.since === undefined ? undefined : new Date(query.since);
  const until = query.until === undefined ? undefined : new Date(query.until);
  if (since !== undefined && until !== undefined && since > until)
    throw problems.validation([{ field: 'until', message: 'must not be before since' }]);
  return { ...(since === undefined ? {} : { since }), ...(until === undefined ? {} : { until }) };
}

const cursorSchema = z.object({
  after: z.string().check(z.regex(/^[a-z]+_[0-9a-z]{1,64}$/)),
  /** For a list ordered by a time beside the id (the events log): the time of the item continued after. */
  at: z.optional(z.number().check(z.int(), z.minimum(0))),
});

/** An opaque cursor for the page after the item with this id (and, for lists ordered by time, this time). */
export function encodeCursor(after: string, at?: number): string {
  return Buffer.from(JSON.stringify(at === undefined ? { after } : { after, at })).toString('base64url');
}

/** The id a cursor continues after, or a 422 for a cursor this API did not give. */
export function decodeCursor(cursor: string): string {
  return decodeCursorOf(cursor).after;
}

/** The id and time a cursor of a list ordered by time continues after, or a 422 for one this API did not give. */
export function decodeTimedCursor(cursor: string): { after: string; at: number } {
  const { after, at } = decodeCursorOf(cursor);
  if (at === undefined) throw notACursor();
  return { after, at };
}

const notACursor = () => problems.validation([{ field: 'cursor', message: 'is not a cursor this API gave' }]);

function decodeCursorOf(cursor: string): z.infer<typeof cursorSchema> {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const result = z.safeParse(cursorSchema, decoded);
  if (!result.success) throw notACursor();
  return result.data;
}

/** The page size `limit` asks for (already checked by {@link pagingQuery}), or the default. */
export const limitOf = (query: { limit?: string }): number =>
  query.limit === undefined ? pageSize.default : Number(query.limit);

/** Resolves `limit` and `cursor` to a page size and the id to continue after. */
export function pageOf(query: { limit?: string; cursor?: string }): { limit: number; after?: string } {
  return {
    limit: limitOf(query),
    ...(query.cursor === undefined ? {} : { after: decodeCursor(query.cursor) }),
  };
}
