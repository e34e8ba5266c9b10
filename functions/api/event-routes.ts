import * as z from 'zod/mini';
import { type EventLogPorts, eventWithDeliveries } from '#core/deliveries/event-log.ts';
import type { EventLogPage, EventLogQuery } from '#core/deliveries/event-log-store.ts';
import { problems } from '#core/http/problem.ts';
import { testEventType } from '#core/platform.ts';
import { json, type Route } from './api-request.ts';
import { eventSummaryView, eventView } from './event-view.ts';
import {
  decodeTimedCursor,
  encodeCursor,
  eventTypeQuery,
  pageSize,
  pagingQuery,
  parseQuery,
  timeWindowQuery,
  windowOf,
} from './list-query.ts';

/** Event ids as the platform derives them (`eventIdOf`); anything else is not found without a lookup. */
export const eventIdPattern = /^evt_[0-9a-hjkmnp-tv-z]{26}$/;

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

const notFound = (id: string) =>
  problems.notFound(`No event ${id.length > 64 ? `${id.slice(0, 64)}...` : id} in your account`);

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
          limit: query.limit === undefined ? pageSize.default : Number(query.limit),
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
        const id = request.params.id ?? '';
        const found = eventIdPattern.test(id)
          ? await eventWithDeliveries(request.accountId, id, deps)
          : undefined;
        if (found === undefined) throw notFound(id);
        return json(200, eventView(found.event, found.deliveries));
      },
    },
  ];
}
