import * as z from 'zod/mini';
import type { TargetPolicy } from '#core/egress/target-guard.ts';
import type { EventType } from '#core/events/catalog.ts';
import {
  actionsOf,
  eventTypeOfAction,
  isShipmondoResource,
  shipmondoResources,
} from '#core/events/shipmondo-actions.ts';
import { createSubscriptionSchema, jwtKeySchema } from '#core/subscriptions/subscription-input.ts';
import { shipmondoActionNames } from './shipmondo-view.ts';

/*
 * The bodies the compatible API takes, in the reference platform's names: `endpoint` is /v1's `url`, `key` its
 * `jwt_key`, `action` and `resource_name` one event type. Name and endpoint are checked by /v1's own schemas
 * (same limits, same messages, the endpoint stored as /v1 stores a URL). Unknown fields are ignored, as the
 * reference's clients may send fields of their own.
 */

/** An enum's message: `is required` when absent (as for every other field), else the values it takes. */
const oneOf = (values: readonly string[]) => ({
  error: (issue: { input?: unknown }) =>
    issue.input === undefined ? 'is required' : `must be one of ${values.join(', ')}`,
});

const resourceSchema = z.enum(shipmondoResources, oneOf(shipmondoResources));
const actionSchema = z.enum(shipmondoActionNames, oneOf(shipmondoActionNames));

/** Why `action` is not one of `resource`'s, or undefined. */
function actionProblem(resource: string, action: string): string | undefined {
  if (!isShipmondoResource(resource) || eventTypeOfAction(resource, action) !== undefined) return undefined;
  return `is not an action of ${resource}; use one of ${actionsOf(resource).join(', ')}`;
}

/** The body of `POST /api/public/v3/webhooks`: every field required; the key of any length from 1 byte. */
export const shipmondoCreateSchema = (policy: TargetPolicy) => {
  const v1 = createSubscriptionSchema(policy).shape;
  return z
    .object({
      name: v1.name,
      endpoint: v1.url,
      key: jwtKeySchema(1),
      action: actionSchema,
      resource_name: resourceSchema,
    })
    .check(
      z.superRefine(({ action, resource_name }, context) => {
        const message = actionProblem(resource_name, action);
        if (message !== undefined)
          context.issues.push({ code: 'custom', message, input: action, path: ['action'] });
      }),
    );
};

export type ShipmondoCreateInput = z.infer<ReturnType<typeof shipmondoCreateSchema>>;

/** The catalog type that a valid create body's resource and action are. */
export function eventTypeOfInput(input: ShipmondoCreateInput): EventType {
  const type = eventTypeOfAction(input.resource_name, input.action);
  // The schema refused any other pair.
  if (type === undefined) throw new Error(`${input.resource_name} has no action ${input.action}`);
  return type;
}

/**
 * The body of `PUT /api/public/v3/webhooks/{id}`: `name` and `active` change the webhook; `endpoint`, `action`
 * and `resource_name` may be sent as they are (a client that sends the whole object back), never changed.
 * A `key` is refused by the route (it is never shown, so a client cannot send the one it has).
 */
export const shipmondoUpdateSchema = (policy: TargetPolicy) => {
  const v1 = createSubscriptionSchema(policy).shape;
  return z.object({
    name: z.optional(v1.name),
    active: z.optional(z.boolean()),
    endpoint: z.optional(v1.url),
    action: z.optional(actionSchema),
    resource_name: z.optional(resourceSchema),
  });
};

export type ShipmondoUpdateInput = z.infer<ReturnType<typeof shipmondoUpdateSchema>>;
