import { eventTypeDocuments } from '#core/events/event-types.ts';
import { json, type Route } from './api-request.ts';
import { openApiDocument } from './openapi.ts';

/** The API's description of itself, served without a key: the event catalog and the OpenAPI document. */
export function catalogRoutes(): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/event-types',
      public: true,
      handler: async () => json(200, { data: eventTypeDocuments(), next_cursor: null }),
    },
    {
      method: 'GET',
      path: '/v1/openapi.json',
      public: true,
      handler: async () => json(200, openApiDocument()),
    },
  ];
}
