import * as z from 'zod/mini';
import type { FieldError } from '#core/field-errors.ts';
import { problems } from '#core/http/problem.ts';
import { parseQuery, wholeNumberQuery } from './list-query.ts';
import type { ShipmondoWebhook } from './shipmondo-view.ts';

/** Page sizes of the compatible API's list, as the reference platform has them: 1 to 50, 20 by default. */
export const shipmondoPageSize = { default: 20, max: 50 } as const;

const timeMessage =
  'must be an ISO 8601 date-time (2026-11-27T10:15:00Z, with an offset such as +02:00 or +0200, or without one for UTC) or a date (2026-11-27)';

/** A date-time with `Z`, `+hh:mm`, or no offset at all. */
const dateTime = z.iso.datetime({ offset: true, local: true });
const date = z.iso.date();
/** A date-time's `+hhmm` offset (PHP's DATE_ISO8601), as its hours and minutes. */
const compactOffset = /(T[\d:.]+[+-]\d{2})(\d{2})$/;
const hasOffset = /(?:Z|[+-]\d{2}:\d{2})$/i;
/**
 * A `+` offset written raw in a URL, which a query string reads as a space (`...T10:15:00 02:00`): what else a
 * space before an offset could mean, nothing does, so it is read as the `+` it was.
 */
const spacedOffset = /(T[\d:.]+) (\d{2}:?\d{2})$/;

/**
 * A time bound as the instant it means, or undefined when it is none: a date alone is its midnight UTC, a
 * `+hhmm` offset is `+hh:mm` (and a `+` sent unencoded, which arrives as a space, is a `+`), and a date-time without an offset is UTC (Python's naive `isoformat()`; the
 * platform's times are all UTC, and JavaScript would read it in the server's zone).
 */
function instantOf(value: string): number | undefined {
  if (z.safeParse(date, value).success) return Date.parse(`${value}T00:00:00Z`);
  const written = value.replace(spacedOffset, '$1+$2').replace(compactOffset, '$1:$2');
  if (!z.safeParse(dateTime, written).success) return undefined;
  return Date.parse(hasOffset.test(written) ? written : `${written}Z`);
}

/** A time bound: a date-time (see {@link instantOf}) or a date alone; the instant it means. */
const timeBound = z.pipe(
  z.string().check(z.refine((value) => instantOf(value) !== undefined, timeMessage)),
  z.transform((value) => instantOf(value) ?? Number.NaN),
);

/**
 * `active` as the reference's clients send it: `true`/`false` in any case (Python's requests writes `True`),
 * or `1`/`0` (PHP's http_build_query writes booleans so); anything else is refused rather than guessed.
 */
const activeFilter = z.pipe(
  z
    .string()
    .check(z.refine((value) => /^(?:true|false|1|0)$/i.test(value), 'must be true or false (1 or 0 too)')),
  z.transform((value) => /^(?:true|1)$/i.test(value)),
);

/**
 * The query of `GET /api/public/v3/webhooks`: paging (`page` from 1, `per_page` 1 to 50) and filters, each of
 * them optional. Unknown parameters are ignored, as the reference platform ignores them.
 */
export const shipmondoListQuerySchema = z.object({
  page: z.optional(wholeNumberQuery(1)),
  per_page: z.optional(wholeNumberQuery(1, shipmondoPageSize.max)),
  id: z.optional(wholeNumberQuery(1)),
  name: z.optional(z.string()),
  active: z.optional(activeFilter),
  created_at_min: z.optional(timeBound),
  created_at_max: z.optional(timeBound),
  updated_at_min: z.optional(timeBound),
  updated_at_max: z.optional(timeBound),
});

export type ShipmondoListQuery = z.infer<typeof shipmondoListQuerySchema>;

const listParameters: ReadonlySet<string> = new Set(Object.keys(shipmondoListQuerySchema.shape));

/**
 * How the query string gives the list's parameters, wrong: one given twice (`id=2&id=3`, which API Gateway
 * joins into `2,3`) or as a list (`id[]=2`, PHP's `id[0]=2`). Each filter takes one value, and a list cannot
 * be answered as it is meant, so it is said, not guessed (taking one value would answer a part as the whole).
 */
function repeatedOrListed(rawQuery: string): FieldError[] {
  const counts = new Map<string, number>();
  for (const name of new URLSearchParams(rawQuery).keys()) counts.set(name, (counts.get(name) ?? 0) + 1);
  const found = new Map<string, string>();
  for (const [name, count] of counts) {
    const listed = /^([^[\]]+)\[/.exec(name)?.[1];
    if (listed !== undefined && listParameters.has(listed) && !found.has(listed)) {
      found.set(listed, `give one value (${listed}=...); a list (${name}=...) is not taken`);
    } else if (listParameters.has(name) && count > 1) {
      found.set(name, `give it once (it came ${count} times)`);
    }
  }
  return [...found].map(([field, message]) => ({ field, message }));
}

/**
 * The list's query: `query` read by {@link shipmondoListQuerySchema} (unknown parameters ignored), after
 * `rawQuery` is checked to give each known parameter at most once and none as a list; else a 422 naming it.
 */
export function parseShipmondoListQuery(rawQuery: string, query: Record<string, string>): ShipmondoListQuery {
  const wrong = repeatedOrListed(rawQuery);
  if (wrong.length > 0) throw problems.validation(wrong);
  return parseQuery(shipmondoListQuerySchema, query);
}

/** One page of webhooks and where it stands, for the `X-*` headers. */
export interface ShipmondoPage {
  readonly webhooks: readonly ShipmondoWebhook[];
  readonly perPage: number;
  readonly currentPage: number;
  readonly totalCount: number;
  readonly totalPages: number;
}

const within = (time: string, min: number | undefined, max: number | undefined) => {
  const at = Date.parse(time);
  return (min === undefined || at >= min) && (max === undefined || at <= max);
};

/** Whether a webhook passes every filter of the query (bounds are inclusive; `name` is exact). */
function matches(webhook: ShipmondoWebhook, query: ShipmondoListQuery): boolean {
  return (
    (query.id === undefined || webhook.id === Number(query.id)) &&
    (query.name === undefined || webhook.name === query.name) &&
    (query.active === undefined || webhook.active === query.active) &&
    within(webhook.created_at, query.created_at_min, query.created_at_max) &&
    within(webhook.updated_at, query.updated_at_min, query.updated_at_max)
  );
}

/** The page the query asks for of `webhooks` (newest first); a page beyond the last is empty. */
export function shipmondoPageOf(
  webhooks: readonly ShipmondoWebhook[],
  query: ShipmondoListQuery,
): ShipmondoPage {
  const perPage = query.per_page === undefined ? shipmondoPageSize.default : Number(query.per_page);
  const currentPage = query.page === undefined ? 1 : Number(query.page);
  const matching = webhooks.filter((webhook) => matches(webhook, query));
  const start = (currentPage - 1) * perPage;
  return {
    webhooks: matching.slice(start, start + perPage),
    perPage,
    currentPage,
    totalCount: matching.length,
    totalPages: Math.ceil(matching.length / perPage),
  };
}

/** The reference platform's paging headers of a page. */
export function pagingHeaders(page: ShipmondoPage): Record<string, string> {
  return {
    'x-per-page': String(page.perPage),
    'x-current-page': String(page.currentPage),
    'x-total-count': String(page.totalCount),
    'x-total-pages': String(page.totalPages),
  };
}
