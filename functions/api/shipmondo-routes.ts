import type { TargetPolicy } from '#core/egress/target-guard.ts';
import type { FieldError } from '#core/field-errors.ts';
import { parseRequest } from '#core/http/validation.ts';
import { type CreateSubscriptionPorts, createSubscription } from '#core/subscriptions/create-subscription.ts';
import { type DeleteSubscriptionPorts, deleteSubscription } from '#core/subscriptions/delete-subscription.ts';
import type { Subscription } from '#core/subscriptions/subscription.ts';
import {
  InvalidSubscriptionError,
  SubscriptionNotFoundError,
} from '#core/subscriptions/subscription-errors.ts';
import { type UpdateSubscriptionPorts, updateSubscription } from '#core/subscriptions/update-subscription.ts';
import { type ApiRequest, bodyOrEmpty, json, type Route } from './api-request.ts';
import { inCompatibleNames, shipmondoBasePath } from './shipmondo-errors.ts';
import {
  eventTypeOfInput,
  type ShipmondoUpdateInput,
  shipmondoCreateSchema,
  shipmondoUpdateSchema,
} from './shipmondo-input.ts';
import { shipmondoOpenApiDocument } from './shipmondo-openapi.ts';
import { pagingHeaders, parseShipmondoListQuery, shipmondoPageOf } from './shipmondo-query.ts';
import { type ShipmondoWebhook, shipmondoWebhookOf } from './shipmondo-view.ts';

/** What the compatible API needs: /v1's use cases' ports, and the account's subscriptions with compatible ids. */
export interface ShipmondoRoutesDependencies
  extends CreateSubscriptionPorts,
    UpdateSubscriptionPorts,
    DeleteSubscriptionPorts {
  /** The account's subscriptions that have a compatible id (or the one with `compatibleId`), newest first. */
  readonly compatible: (accountId: string, compatibleId?: number) => Promise<Subscription[]>;
  readonly targetPolicy: TargetPolicy;
}

/** The path's `{id}`: a positive integer in decimal digits, or a 404 (the reference's ids are integers). */
function compatibleIdParam(request: ApiRequest): number {
  const id = request.params.id ?? '';
  if (!/^[1-9]\d{0,14}$/.test(id)) throw new SubscriptionNotFoundError(id.slice(0, 64));
  return Number(id);
}

/** A subscription the compatible API has just made or changed, as it shows it. */
function shown(subscription: Subscription): ShipmondoWebhook {
  const webhook = shipmondoWebhookOf(subscription);
  // Made or changed through this API, which keeps it one jwt type with a compatible id.
  if (webhook === undefined)
    throw new Error(`Webhook ${subscription.id} is no longer one the compatible API shows`);
  return webhook;
}

/** What a PUT may not change: `key` at all; `endpoint`, `action` and `resource_name` unless given as they are. */
function unchangeable(body: object, input: ShipmondoUpdateInput, webhook: ShipmondoWebhook): FieldError[] {
  const problems: FieldError[] = [];
  if (Object.hasOwn(body, 'key')) {
    problems.push({
      field: 'key',
      message: 'cannot be changed or read back; create a webhook with the new key',
    });
  }
  for (const field of ['endpoint', 'action', 'resource_name'] as const) {
    if (input[field] !== undefined && input[field] !== webhook[field]) {
      problems.push({
        field,
        message: `cannot be changed (it is ${webhook[field]}); only name and active can; create a webhook for another`,
      });
    }
  }
  return problems;
}

/**
 * `/api/public/v3`: the Shipmondo-compatible webhooks API, on the same subscriptions and use cases as /v1. A
 * webhook is a `jwt` subscription of one event type, found by its compatible id; the others are not there. Every
 * route takes an API key (Basic or Bearer), never a portal token. Errors are the compatible API's
 * (shipmondo-errors.ts, which createApi is given for this prefix).
 */
export function shipmondoRoutes(deps: ShipmondoRoutesDependencies): Route[] {
  const createSchema = shipmondoCreateSchema(deps.targetPolicy);
  const updateSchema = shipmondoUpdateSchema(deps.targetPolicy);
  const webhooks = `${shipmondoBasePath}/webhooks`;

  /** The account's webhook with this id, and its subscription; a 404 when the API does not show one. */
  async function found(accountId: string, id: number) {
    for (const subscription of await deps.compatible(accountId, id)) {
      const webhook = shipmondoWebhookOf(subscription);
      if (webhook !== undefined) return { subscription, webhook };
    }
    throw new SubscriptionNotFoundError(String(id));
  }

  return [
    {
      method: 'GET',
      path: `${shipmondoBasePath}/openapi.json`,
      public: true,
      handler: async () => json(200, shipmondoOpenApiDocument()),
    },
    {
      method: 'GET',
      path: webhooks,
      apiKeyOnly: true,
      handler: async (request) => {
        const query = parseShipmondoListQuery(request.rawQuery, request.query);
        const subscriptions = await deps.compatible(request.accountId);
        const page = shipmondoPageOf(
          subscriptions.flatMap((subscription) => shipmondoWebhookOf(subscription) ?? []),
          query,
        );
        return json(200, page.webhooks, pagingHeaders(page));
      },
    },
    {
      method: 'POST',
      path: webhooks,
      apiKeyOnly: true,
      handler: async (request) => {
        const input = parseRequest(createSchema, request.body);
        const { subscription } = await inCompatibleNames(() =>
          createSubscription(
            request.accountId,
            {
              name: input.name,
              url: input.endpoint,
              events: [eventTypeOfInput(input)],
              format: 'jwt',
              jwt_key: input.key,
            },
            deps,
          ),
        );
        // The reference answers a create with an array holding the webhook.
        return json(200, [shown(subscription)]);
      },
    },
    {
      method: 'GET',
      path: `${webhooks}/{id}`,
      apiKeyOnly: true,
      handler: async (request) => {
        const { webhook } = await found(request.accountId, compatibleIdParam(request));
        return json(200, webhook);
      },
    },
    {
      method: 'PUT',
      path: `${webhooks}/{id}`,
      apiKeyOnly: true,
      handler: async (request) => {
        const { subscription, webhook } = await found(request.accountId, compatibleIdParam(request));
        // No body is `{}`: the reference's document declares none for PUT, so clients made from it send none.
        const body = bodyOrEmpty(request);
        const input = parseRequest(updateSchema, body);
        const problems = unchangeable(body as object, input, webhook);
        if (problems.length > 0) throw new InvalidSubscriptionError(problems);
        const changed = await inCompatibleNames(() =>
          updateSubscription(
            request.accountId,
            subscription.id,
            {
              ...(input.name === undefined ? {} : { name: input.name }),
              // Active or paused; a webhook the platform disabled after failures is re-enabled by `true`.
              ...(input.active === undefined ? {} : { status: input.active ? 'active' : 'paused' }),
            },
            undefined,
            deps,
          ),
        );
        return json(200, shown(changed));
      },
    },
    {
      method: 'DELETE',
      path: `${webhooks}/{id}`,
      apiKeyOnly: true,
      handler: async (request) => {
        const { subscription, webhook } = await found(request.accountId, compatibleIdParam(request));
        await deleteSubscription(request.accountId, subscription.id, undefined, deps);
        // The reference answers a delete with the webhook as it was.
        return json(200, webhook);
      },
    },
  ];
}
