import type { EventSummary, EventType, Page } from '../../api.ts';

/** How many events a page of the log asks for. */
export const pageSize = 25;

/** The log's filters as the form holds them: `from` and `to` are `datetime-local` values (the browser's time). */
export interface EventFilters {
  readonly eventType: string;
  readonly resourceId: string;
  readonly from: string;
  readonly to: string;
}

/** The log as the page opens: every event. */
export const noFilters: EventFilters = { eventType: '', resourceId: '', from: '', to: '' };

/** Whether any filter is set (the empty log's words differ). */
export const isFiltered = (filters: EventFilters): boolean =>
  filters.eventType !== '' || filters.resourceId.trim() !== '' || filters.from !== '' || filters.to !== '';

const localValue = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::(\d{2})(\.\d{1,3})?)?$/;

/** This browser's offset from UTC in minutes east, at a local time (`new Date(value)` reads it as local). */
const browserOffset = (value: string): number => -new Date(value).getTimezoneOffset();

/**
 * A `datetime-local` value (`2026-12-07T10:30`, the browser's time) as an ISO date-time with the browser's
 * offset at that moment (`2026-12-07T10:30:00+01:00`), which the API takes; undefined when it is not a time
 * (empty, or a day that does not exist). The offset is that of the moment itself, so a window across a change
 * to or from summer time is right at both ends.
 */
export function isoOfLocal(value: string, offsetAt = browserOffset): string | undefined {
  const parts = localValue.exec(value);
  if (parts === null) return undefined;
  const [, day = '', hourMinute = '', seconds = '00', fraction = ''] = parts;
  const asUtc = new Date(`${day}T${hourMinute}:${seconds}${fraction}Z`);
  // The Date rolls 31 February over into March, and refuses hour 25: neither is a time.
  if (Number.isNaN(asUtc.getTime()) || asUtc.toISOString().slice(0, 10) !== day) return undefined;
  const offset = offsetAt(value);
  const pad = (n: number) => String(n).padStart(2, '0');
  const zone = `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return `${day}T${hourMinute}:${seconds}${fraction}${zone}`;
}

/** What is wrong with the filters, in words, or undefined when the API can be asked. */
export function filtersProblem(filters: EventFilters, offsetAt = browserOffset): string | undefined {
  const since = filters.from === '' ? undefined : isoOfLocal(filters.from, offsetAt);
  const until = filters.to === '' ? undefined : isoOfLocal(filters.to, offsetAt);
  if (filters.from !== '' && since === undefined) return 'Give the “From” time as a date and a time.';
  if (filters.to !== '' && until === undefined) return 'Give the “To” time as a date and a time.';
  if (since !== undefined && until !== undefined && Date.parse(since) >= Date.parse(until)) {
    return 'The “From” time must be before the “To” time.';
  }
  return undefined;
}

/**
 * The address of the log's first page with these filters, or of the page at `cursor`: the time window as ISO
 * date-times with the browser's offset (`since` inclusive, `until` exclusive, as the API reads them).
 */
export function eventsPath(
  filters: EventFilters,
  cursor: string | null = null,
  offsetAt = browserOffset,
): string {
  const query = new URLSearchParams({ limit: String(pageSize) });
  if (filters.eventType !== '') query.set('event_type', filters.eventType);
  if (filters.resourceId.trim() !== '') query.set('resource_id', filters.resourceId.trim());
  const since = isoOfLocal(filters.from, offsetAt);
  const until = isoOfLocal(filters.to, offsetAt);
  if (since !== undefined) query.set('since', since);
  if (until !== undefined) query.set('until', until);
  if (cursor !== null) query.set('cursor', cursor);
  return `/v1/events?${query.toString()}`;
}

/** The events shown: the pages loaded so far, and the cursor of the next (null: no more). */
export interface EventLog {
  readonly events: readonly EventSummary[];
  readonly cursor: string | null;
}

/** The log of a first page. */
export const firstPage = (page: Page<EventSummary>): EventLog => ({
  events: page.data,
  cursor: page.next_cursor,
});

/** The log with the next page below it ("Load more"). */
export const withNextPage = (log: EventLog, page: Page<EventSummary>): EventLog => ({
  events: [...log.events, ...page.data],
  cursor: page.next_cursor,
});

/**
 * What the log says when it shows no events: a filtered log says nothing matched (and how to widen it); an
 * unfiltered one says where events come from.
 */
export function emptyLogWords(filters: EventFilters): string {
  return isFiltered(filters)
    ? 'No events match these filters. Clear them, or widen the time window, to see more.'
    : 'No events yet. Events published for your account show here as they arrive, whether or not a subscription receives them.';
}

/** The event types the filter offers: the catalog's, in its order, then the portal's test events. */
export function eventTypeChoices(
  catalog: readonly EventType[],
): { readonly value: string; readonly label: string }[] {
  return [
    ...catalog.map((type) => ({ value: type.type, label: type.type })),
    { value: testEventType, label: `${testEventType} (test events)` },
  ];
}

/**
 * The type of the events "Send test event" publishes; not in the catalog (nobody subscribes to it), yet in the
 * log. The same as the platform's (functions/core/platform.ts `testEventType`), written here because the portal
 * bundles no core module but types.
 */
export const testEventType = 'webhook.test';
