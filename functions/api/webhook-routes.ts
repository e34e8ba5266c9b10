import * as z from 'zod/mini';
import { type SendTestEventPorts, sendTestEvent } from '#core/deliveries/send-test-event.ts';
import type { TargetPolicy } from '#core/egress/target-guard.ts';
import { parseRequest } from '#core/http/validation.ts';
import { type CreateSubscriptionPorts, createSubscription } from '#core/subscriptions/create-subscription.ts';
import { type DeleteSubscriptionPorts, deleteSubscription } from '#core/subscriptions/delete-subscription.ts';
import { type RotateSecretPorts, rotateSecret } from '#core/subscriptions/rotate-secret.ts';
import { type Subscription, subscriptionStatuses } from '#core/subscriptions/subscription.ts';
import { SubscriptionNotFoundError } from '#core/subscriptions/subscription-errors.ts';
import {
  createSubscriptionSchema,
  rotateSecretSchema,
  updateSubscriptionSchema,
} from '#core/subscriptions/subscription-input.ts';
import type { PageQuery, SubscriptionPage } from '#core/subscriptions/subscription-records.ts';
import { type UpdateSubscriptionPorts, updateSubscription } from '#core/subscriptions/update-subscription.ts';
import { bodyOrEmpty, json, noContent, type Route } from './api-request.ts';
import { encodeCursor, eventTypeQuery, pageOf, pagingQuery, parseQuery } from './list-query.ts';
import { subscriptionIdParam } from './path-ids.ts';
import { subscriptionView } from './subscription-view.ts';
import { etagOf, preconditionOf } from './versions.ts';

/** What the webhook routes need: the use cases' ports, and reads. */
export interface WebhookRoutesDependencies
  extends CreateSubscriptionPorts,
    UpdateSubscriptionPorts,
    DeleteSubscriptionPorts,
    RotateSecretPorts,
    SendTestEventPorts {
  readonly page: (accountId: string, query: PageQuery) => Promise<SubscriptionPage>;
  readonly targetPolicy: TargetPolicy;
}

const listQuerySchema = z.strictObject({
  ...pagingQuery,
  status: z.optional(z.enum(subscriptionStatuses, 'must be active, paused or disabled')),
  event_type: z.optional(eventTypeQuery),
});

/** `/v1/webhooks`: the subscription API. */
export function webhookRoutes(deps: WebhookRoutesDependencies): Route[] {
  const createSchema = createSubscriptionSchema(deps.targetPolicy);
  const updateSchema = updateSubscriptionSchema(deps.targetPolicy);
  const view = (subscription: Subscription) => subscriptionView(subscription, deps.now());
  const withEtag = (subscription: Subscription) => ({ etag: etagOf(subscription.version) });
  return [
    {
      method: 'POST',
      path: '/v1/webhooks',
      handler: async (request) => {
        const input = parseRequest(createSchema, request.body);
        const { subscription, secret } = await createSubscription(request.accountId, input, deps);
        return json(
          201,
          { ...view(subscription), secret },
          { location: `/v1/webhooks/${subscription.id}`, ...withEtag(subscription) },
        );
      },
    },
    {
      method: 'GET',
      path: '/v1/webhooks',
      handler: async (request) => {
        const query = parseQuery(listQuerySchema, request.query);
        const page = await deps.page(request.accountId, {
          ...pageOf(query),
          ...(query.status === undefined ? {} : { status: query.status }),
          ...(query.event_type === undefined ? {} : { eventType: query.event_type }),
        });
        return json(200, {
          data: page.items.map(view),
          next_cursor: page.lastId === undefined ? null : encodeCursor(page.lastId),
        });
      },
    },
    {
      method: 'GET',
      path: '/v1/webhooks/{id}',
      handler: async (request) => {
        const id = subscriptionIdParam(request);
        const subscription = await deps.get(request.accountId, id);
        if (subscription === undefined) throw new SubscriptionNotFoundError(id);
        return json(200, view(subscription), withEtag(subscription));
      },
    },
    {
      method: 'PATCH',
      path: '/v1/webhooks/{id}',
      handler: async (request) => {
        const id = subscriptionIdParam(request);
        const patch = parseRequest(updateSchema, request.body);
        const precondition = preconditionOf(request.headers['if-match']);
        const subscription = await updateSubscription(request.accountId, id, patch, precondition, deps);
        return json(200, view(subscription), withEtag(subscription));
      },
    },
    {
      method: 'DELETE',
      path: '/v1/webhooks/{id}',
      handler: async (request) => {
        const id = subscriptionIdParam(request);
        await deleteSubscription(request.accountId, id, preconditionOf(request.headers['if-match']), deps);
        return noContent();
      },
    },
    {
      method: 'POST',
      path: '/v1/webhooks/{id}/rotate-secret',
      handler: async (request) => {
        const id = subscriptionIdParam(request);
        const input = parseRequest(rotateSecretSchema, bodyOrEmpty(request));
        const precondition = preconditionOf(request.headers['if-match']);
        const { subscription, secret } = await rotateSecret(
          request.accountId,
          id,
          input.previous_secret_expires_in,
          precondition,
          deps,
        );
        return json(200, { ...view(subscription), secret }, withEtag(subscription));
      },
    },
    {
      method: 'POST',
      path: '/v1/webhooks/{id}/test',
      handler: async (request) => {
        const id = subscriptionIdParam(request);
        parseRequest(z.strictObject({}), bodyOrEmpty(request));
        const { eventId, deliveryId } = await sendTestEvent(request.accountId, id, deps);
        return json(202, { delivery_id: deliveryId, event_id: eventId });
      },
    },
  ];
}
