import type { EventSummary, EventType, Page } from '../../api.ts';
import { anyTime, hasWindow, setWindow, type TimeWindow } from '../../time-window.ts';

/** How many events a page of the log asks for. */
export const pageSize = 25;

/** The log's filters as the form holds them: a type, a resource id and a time window in the browser's time. */
export interface EventFilters extends TimeWindow {
  readonly eventType: string;
  readonly resourceId: string;
}

/** The log as the page opens: every event. */
export const noFilters: EventFilters = { eventType: '', resourceId: '', ...anyTime };

/** Whether any filter is set (the empty log's words differ). */
export const isFiltered = (filters: EventFilters): boolean =>
  filters.eventType !== '' || filters.resourceId.trim() !== '' || hasWindow(filters);

/**
 * The address of the log's first page with these filters, or of the page at `cursor`: the time window as ISO
 * date-times with the browser's offset (`since` inclusive, `until` exclusive, as the API reads them).
 */
export function eventsPath(
  filters: EventFilters,
  cursor: string | null = null,
  offsetAt?: (value: string) => number,
): string {
  const query = new URLSearchParams({ limit: String(pageSize) });
  if (filters.eventType !== '') query.set('event_type', filters.eventType);
  if (filters.resourceId.trim() !== '') query.set('resource_id', filters.resourceId.trim());
  setWindow(query, filters, offsetAt);
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
 * What the log says when it shows no events: a filtered log says nothing matched (and how to widen it), or, while
 * `more` (a cursor) remains, that nothing read so far matched; an unfiltered one says where events come from.
 */
export function emptyLogWords(filters: EventFilters, more = false): string {
  // A filtered page may come back empty while older events remain unread (the API reads a bounded stretch).
  if (more)
    return 'None of the events read so far match these filters. Load more events to look further back.';
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
