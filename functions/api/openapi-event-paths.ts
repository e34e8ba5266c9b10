import { eventSummaryViewSchema, eventViewSchema } from './event-view.ts';
import {
  everyAnswer,
  jsonContent,
  jsonSchema,
  listPage,
  operation,
  parameter,
  problem,
  ref,
} from './openapi-parts.ts';
import { eventIdPattern } from './path-ids.ts';

/** `since` and `until`, which the events log and a subscription's deliveries take. */
export const timeWindowParameters = {
  Since: {
    name: 'since',
    in: 'query',
    required: false,
    description:
      'Only from this time on (inclusive): an ISO 8601 date-time with an offset (e.g. 2026-12-07T10:00:00Z), compared with the time the platform took the event. A time before 1970 counts as 1970, one after 2286-11-20T17:46:39.999Z as that time (the last the log holds)',
    schema: { type: 'string', format: 'date-time' },
  },
  Until: {
    name: 'until',
    in: 'query',
    required: false,
    description:
      'Only before this time (exclusive): an ISO 8601 date-time with an offset; before `since` is refused (422 naming `until`). As with `since`, a time before 1970 counts as 1970 and one after 2286-11-20T17:46:39.999Z as that time, so a far `until` (e.g. 9999-12-31T00:00:00Z) means no end',
    schema: { type: 'string', format: 'date-time' },
  },
};

/** The events log: the account's events, and one event with its body's data and its deliveries. */
export function eventPaths() {
  return {
    '/v1/events': {
      get: operation({
        operationId: 'listEvents',
        summary: 'The account’s events, newest first',
        description:
          'Every event the platform took for the account, whether or not a subscription got it, kept as long as deliveries are (30 days by default); `created_at` is when the platform took it. Cursor-paged: pass `next_cursor` as `cursor`. Under `event_type` or `resource_id` a page may hold fewer than `limit` events (even none) and still have a `next_cursor`: keep going until it is null. Unknown query parameters are refused (422).',
        parameters: [
          parameter('Limit'),
          parameter('Cursor'),
          parameter('Since'),
          parameter('Until'),
          {
            name: 'event_type',
            in: 'query',
            required: false,
            description: 'An event type of the catalog, or webhook.test',
            schema: { type: 'string' },
          },
          {
            name: 'resource_id',
            in: 'query',
            required: false,
            description: 'The publisher’s resource id (the event’s `detail.id`, e.g. ord_1042), exactly',
            schema: { type: 'string', minLength: 1, maxLength: 256 },
          },
        ],
        responses: {
          '200': { description: 'A page', headers: everyAnswer, content: jsonContent(ref('EventList')) },
          '422': problem('A query parameter is not valid; `errors` names it'),
        },
      }),
    },
    '/v1/events/{id}': {
      parameters: [parameter('EventId')],
      get: operation({
        operationId: 'getEvent',
        summary: 'One event: its data as the webhook envelope has it, and its deliveries',
        description:
          'An unknown id, an event no longer kept, and another account’s event are all 404. Deliveries are those to the subscriptions the account has now that select the event’s type (a test event: the one it was sent to) and have a record: a deleted subscription’s, or one that no longer selects the type, are not shown.',
        responses: {
          '200': { description: 'The event', headers: everyAnswer, content: jsonContent(ref('Event')) },
        },
      }),
    },
  };
}

/** The path parameter of an event. */
export const eventIdParameter = {
  EventId: {
    name: 'id',
    in: 'path',
    required: true,
    description: 'An event id (evt_...): the webhook envelope’s `id`',
    schema: { type: 'string', pattern: eventIdPattern.source },
  },
};

/** The schemas of the events log. */
export function eventSchemas() {
  return {
    EventSummary: jsonSchema(eventSummaryViewSchema, 'output'),
    Event: jsonSchema(eventViewSchema, 'output'),
    EventList: listPage('EventSummary'),
  };
}
