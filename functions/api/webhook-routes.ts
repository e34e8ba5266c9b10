import type { TargetPolicy } from '#core/delivery/target-guard.ts';
import { problems } from '#core/http/problem.ts';
import { parseRequest } from '#core/http/validation.ts';
import { newId } from '#core/ids.ts';
import { newSigningSecret } from '#core/signing.ts';
import { createSubscriptionSchema, publicView, type Subscription } from '#core/subscriptions/subscription.ts';
import type { SubscriptionStore } from '#core/subscriptions/subscription-store.ts';
import { json, type Route } from './router.ts';

/** What the webhook routes need. */
export interface WebhookRoutesDependencies {
  readonly subscriptions: Pick<SubscriptionStore, 'create' | 'get' | 'listAll'>;
  readonly targetPolicy: TargetPolicy;
  readonly now: () => Date;
}

/** `/v1/webhooks`: create, list and read subscriptions. */
export function webhookRoutes(deps: WebhookRoutesDependencies): Route[] {
  const createSchema = createSubscriptionSchema(deps.targetPolicy);
  return [
    {
      method: 'POST',
      path: '/v1/webhooks',
      handler: async ({ accountId, body }) => {
        const input = parseRequest(createSchema, body);
        const now = deps.now().toISOString();
        const secret = newSigningSecret();
        const subscription: Subscription = {
          id: newId('sub'),
          accountId,
          name: input.name,
          ...(input.description === undefined ? {} : { description: input.description }),
          url: input.url,
          events: [...new Set(input.events)],
          ...(input.filter === undefined ? {} : { filter: JSON.stringify(input.filter) }),
          status: 'active',
          secrets: [secret],
          metadata: input.metadata ?? {},
          createdAt: now,
          updatedAt: now,
          version: 1,
        };
        await deps.subscriptions.create(subscription);
        return json(
          201,
          { ...publicView(subscription), secret },
          { location: `/v1/webhooks/${subscription.id}` },
        );
      },
    },
    {
      method: 'GET',
      path: '/v1/webhooks',
      handler: async ({ accountId }) => {
        const all = await deps.subscriptions.listAll(accountId);
        return json(200, { data: all.map(publicView) });
      },
    },
    {
      method: 'GET',
      path: '/v1/webhooks/{id}',
      handler: async ({ accountId, params }) => {
        const id = params.id ?? '';
        const subscription = await deps.subscriptions.get(accountId, id);
        if (subscription === undefined) throw problems.notFound(`No webhook ${id}`);
        return json(200, publicView(subscription));
      },
    },
  ];
}
