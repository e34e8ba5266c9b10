import * as z from 'zod/mini';
import { type TargetPolicy, targetUrlProblem } from '../delivery/target-guard.ts';
import { eventCatalog, isEventType, resourceOf } from '../events/catalog.ts';
import { type ContentFilter, contentFilterProblem } from './content-filter.ts';

/** `active` subscriptions receive events; `paused` ones are skipped; `disabled` ones were stopped by us. */
export type SubscriptionStatus = 'active' | 'paused' | 'disabled';

/** A webhook subscription as stored. The signing secrets never leave the store except at creation. */
export interface Subscription {
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
  readonly description?: string;
  readonly url: string;
  /** Event types, exact (`order.created`) or a whole resource (`order.*`). */
  readonly events: readonly string[];
  /** An EventBridge event pattern over the webhook body, as JSON text; none takes every selected event. */
  readonly filter?: ContentFilter;
  readonly status: SubscriptionStatus;
  readonly disabledReason?: string;
  /** The current secret first; after a rotation the previous one follows until it expires. */
  readonly secrets: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

/** The parts of a subscription that decide which events it gets. */
export type SubscriptionRouting = Pick<Subscription, 'id' | 'accountId' | 'status' | 'events' | 'filter'>;

function isEventSelector(value: string): boolean {
  if (value.endsWith('.*')) return Object.hasOwn(eventCatalog, value.slice(0, -2));
  return isEventType(value);
}

/** True when the subscription selects this event type. */
export function selectsEventType(subscription: Pick<Subscription, 'events'>, type: string): boolean {
  return subscription.events.some((selector) =>
    selector.endsWith('.*') ? selector.slice(0, -2) === resourceOf(type) : selector === type,
  );
}

/** The body of `POST /v1/webhooks`; which URLs are acceptable depends on the deployment's target policy. */
export const createSubscriptionSchema = (policy: TargetPolicy) =>
  z.strictObject({
    name: z
      .string()
      .check(
        z.trim(),
        z.minLength(1, 'must not be empty'),
        z.maxLength(200, 'must be at most 200 characters'),
      ),
    description: z.optional(z.string().check(z.maxLength(1000, 'must be at most 1000 characters'))),
    url: z.string().check(
      z.maxLength(2048, 'must be at most 2048 characters'),
      z.superRefine((url, context) => {
        const problem = targetUrlProblem(url, policy);
        if (problem !== undefined) context.issues.push({ code: 'custom', message: problem, input: url });
      }),
    ),
    events: z
      .array(
        z.string().check(
          z.superRefine((selector, context) => {
            if (isEventSelector(selector)) return;
            const message = `${selector} is not an event type; use one from the catalog or <resource>.* (e.g. order.*)`;
            context.issues.push({ code: 'custom', message, input: selector });
          }),
        ),
      )
      .check(
        z.minLength(1, 'must name at least one event type'),
        z.maxLength(100, 'must name at most 100 event types'),
      ),
    filter: z.optional(
      z.record(z.string(), z.unknown()).check(
        z.superRefine((filter, context) => {
          const problem = contentFilterProblem(filter);
          if (problem !== undefined) context.issues.push({ code: 'custom', message: problem, input: filter });
        }),
      ),
    ),
    metadata: z.optional(
      z
        .record(z.string().check(z.maxLength(64)), z.string().check(z.maxLength(512)))
        .check(z.refine((value) => Object.keys(value).length <= 20, 'must have at most 20 keys')),
    ),
  });

export type CreateSubscriptionInput = z.infer<ReturnType<typeof createSubscriptionSchema>>;

/** What the API shows of a subscription: everything but the secrets, in the API's snake_case. */
export function publicView(subscription: Subscription): Record<string, unknown> {
  return {
    id: subscription.id,
    name: subscription.name,
    description: subscription.description ?? null,
    url: subscription.url,
    events: subscription.events,
    filter: subscription.filter === undefined ? null : JSON.parse(subscription.filter),
    status: subscription.status,
    disabled_reason: subscription.disabledReason ?? null,
    metadata: subscription.metadata,
    created_at: subscription.createdAt,
    updated_at: subscription.updatedAt,
    version: subscription.version,
  };
}
