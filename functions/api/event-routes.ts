import * as z from 'zod/mini';
import { type EventLogPorts, eventWithDeliveries } from '#core/deliveries/event-log.ts';
import type { EventLogPage, EventLogQuery } from '#core/deliveries/event-log-store.ts';
import { testEventType } from '#core/platform.ts';
import { json, type Route } from './api-request.ts';
import { eventSummaryView, eventView } from './event-view.ts';
import {
  decodeTimedCursor,
  encodeCursor,
  eventTypeQuery,
  limitOf,
  pagingQuery,
  parseQuery,
  timeWindowQuery,
  windowOf,
} from './list-query.ts';
import { eventIdParam, eventNotFound } from './path-ids.ts';

/** What the events log's routes need. */
export interface EventRoutesDependencies extends EventLogPorts {
  readonly events: (accountId: string, query: EventLogQuery) => Promise<EventLogPage>;
}

const listQuerySchema = z.strictObject({
  ...pagingQuery,
  ...timeWindowQuery,
  event_type: z.optional(z.union([eventTypeQuery, z.literal(testEventType)])),
  resource_id: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
});

/** The account's events log: its events, newest first, and one event with its deliveries. */
export function eventRoutes(deps: EventRoutesDependencies): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/events',
      handler: async (request) => {
        const query = parseQuery(listQuerySchema, request.query);
        const cursor = query.cursor === undefined ? undefined : decodeTimedCursor(query.cursor);
        const page = await deps.events(request.accountId, {
          limit: limitOf(query),
          ...(cursor === undefined ? {} : { after: { at: cursor.at, eventId: cursor.after } }),
          ...windowOf(query),
          ...(query.event_type === undefined ? {} : { eventType: query.event_type }),
          ...(query.resource_id === undefined ? {} : { resourceId: query.resource_id }),
        });
        return json(200, {
          data: page.items.map(eventSummaryView),
          next_cursor: page.next === undefined ? null : encodeCursor(page.next.eventId, page.next.at),
        });
      },
    },
    {
      method: 'GET',
      path: '/v1/events/{id}',
      handler: async (request) => {
        const id = eventIdParam(request);
        const found = await eventWithDeliveries(request.accountId, id, deps);
        if (found === undefined) throw eventNotFound(id);
        return json(200, eventView(found.event, found.deliveries));
      },
    },
  ];
}
