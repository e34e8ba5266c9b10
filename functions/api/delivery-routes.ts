import * as z from 'zod/mini';
import { deliveryStatuses } from '#core/deliveries/delivery-record.ts';
import type { DeliveryPage } from '#core/deliveries/delivery-store.ts';
import { findRequestAsSent } from '#core/deliveries/request-as-sent.ts';
import { findDelivery, type ResendPorts, recoverDeliveries, retryDelivery } from '#core/deliveries/resend.ts';
import { problems } from '#core/http/problem.ts';
import { parseRequest } from '#core/http/validation.ts';
import { testEventType } from '#core/platform.ts';
import { SubscriptionNotFoundError } from '#core/subscriptions/subscription-errors.ts';
import { bodyOrEmpty, json, type Route } from './api-request.ts';
import { deliveryDetailView, deliveryView, recoverBodySchema } from './delivery-view.ts';
import {
  encodeCursor,
  eventTypeQuery,
  pageOf,
  pagingQuery,
  parseQuery,
  timeWindowQuery,
  windowOf,
} from './list-query.ts';
import { deliveryIdParam, subscriptionIdParam } from './path-ids.ts';

/** What the delivery routes need. */
export interface DeliveryRoutesDependencies extends ResendPorts {
  readonly page: (
    subscriptionId: string,
    query: {
      limit: number;
      after?: string;
      status?: (typeof deliveryStatuses)[number];
      eventType?: string;
      since?: Date;
      until?: Date;
    },
  ) => Promise<DeliveryPage>;
  readonly now: () => Date;
}

const listQuerySchema = z.strictObject({
  ...pagingQuery,
  ...timeWindowQuery,
  status: z.optional(z.enum(deliveryStatuses, 'must be pending, succeeded, failed or superseded')),
  event_type: z.optional(z.union([eventTypeQuery, z.literal(testEventType)])),
});

/** Deliveries: a subscription's log, one delivery with its attempts, a retry, and recovery of failures. */
export function deliveryRoutes(deps: DeliveryRoutesDependencies): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/webhooks/{id}/deliveries',
      handler: async (request) => {
        const id = subscriptionIdParam(request);
        const query = parseQuery(listQuerySchema, request.query);
        if ((await deps.subscription(request.accountId, id)) === undefined)
          throw new SubscriptionNotFoundError(id);
        const page = await deps.page(id, {
          ...pageOf(query),
          ...windowOf(query),
          ...(query.status === undefined ? {} : { status: query.status }),
          ...(query.event_type === undefined ? {} : { eventType: query.event_type }),
        });
        return json(200, {
          data: page.items.map(deliveryView),
          next_cursor: page.lastId === undefined ? null : encodeCursor(page.lastId),
        });
      },
    },
    {
      method: 'GET',
      path: '/v1/deliveries/{id}',
      handler: async (request) => {
        const record = await findDelivery(request.accountId, deliveryIdParam(request), deps.record);
        return json(200, deliveryDetailView(record, await findRequestAsSent(record, deps)));
      },
    },
    {
      method: 'POST',
      path: '/v1/deliveries/{id}/retry',
      handler: async (request) => {
        const id = deliveryIdParam(request);
        parseRequest(z.strictObject({}), bodyOrEmpty(request));
        await retryDelivery(request.accountId, id, deps);
        return json(202, { delivery_id: id, status: 'queued' }, { location: `/v1/deliveries/${id}` });
      },
    },
    {
      method: 'POST',
      path: '/v1/webhooks/{id}/recover',
      handler: async (request) => {
        const id = subscriptionIdParam(request);
        const input = parseRequest(recoverBodySchema, request.body);
        const since = new Date(input.since);
        const until = input.until === undefined ? deps.now() : new Date(input.until);
        if (since > until)
          throw problems.validation([{ field: 'until', message: 'must not be before since' }]);
        const recovery = await recoverDeliveries(request.accountId, id, since, until, deps);
        return json(202, {
          recovered: recovery.recovered,
          expired: recovery.expired,
          superseded: recovery.superseded,
          next_since: recovery.continueSince?.toISOString() ?? null,
        });
      },
    },
  ];
}
