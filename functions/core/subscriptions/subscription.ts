import * as z from 'zod/mini';
import { eventCatalog, isEventType, resourceOf } from '../events/catalog.ts';

/** `active` subscriptions receive events; `paused` ones are skipped; `disabled` ones were stopped by us. */
export const subscriptionStatuses = ['active', 'paused', 'disabled'] as const;
export type SubscriptionStatus = (typeof subscriptionStatuses)[number];

/**
 * How a subscription's webhooks are encoded: the JSON envelope, the same as XML, or the reference platform's
 * (Shipmondo's) own form, `{"data":"<JWT>"}` with `SMD-*` headers (payloads/jwt-payload.ts).
 */
export const payloadFormats = ['json', 'xml', 'jwt'] as const;
export type PayloadFormat = (typeof payloadFormats)[number];

/**
 * Whether a subscription's deliveries keep their resource's order: `none` (at least once, in any order) or
 * `resource` (one at a time per resource, oldest first, never one older than one delivered; design notes:
 * Ordered delivery).
 */
export const orderings = ['none', 'resource'] as const;
export type Ordering = (typeof orderings)[number];

/** A secret that was current before a rotation, and keeps signing until `expiresAt`. */
const previousSecretSchema = z.object({
  secret: z.string().check(z.minLength(1)),
  expiresAt: z.iso.datetime(),
});

export type PreviousSecret = z.infer<typeof previousSecretSchema>;

/** The bounds of a subscription's `rateLimit`, in deliveries a second. */
export const minRateLimit = 1;
export const maxRateLimit = 10_000;

/**
 * An open circuit: the endpoint kept failing, so its deliveries are held (not attempted) until a probe, one at
 * a time, gets a 2xx. Only the probe message whose `token` this names may probe.
 */
export const circuitSchema = z.object({
  openedAt: z.iso.datetime(),
  /** When the live probe is due. */
  probeAt: z.iso.datetime(),
  /** The live probe's wait: doubled after each failed probe, up to the deployment's most. */
  probeDelaySeconds: z.number().check(z.int(), z.positive()),
  token: z.string().check(z.minLength(1)),
  /** What the attempt that opened it, or the last failed probe, got. */
  lastError: z.optional(z.string()),
});

export type Circuit = z.infer<typeof circuitSchema>;

/**
 * A webhook subscription as stored, and as it is read back (every item goes through this schema). The signing
 * secrets never leave the store except in the answer to a create or a rotation.
 */
export const subscriptionSchema = z.object({
  id: z.string().check(z.minLength(1)),
  accountId: z.string().check(z.minLength(1)),
  name: z.string(),
  description: z.optional(z.string()),
  url: z.string(),
  /** Event types, exact (`order.created`) or a whole resource (`order.*`). */
  events: z.array(z.string()),
  /** An EventBridge event pattern over the webhook body, as JSON text; none takes every selected event. */
  filter: z.optional(z.string()),
  status: z.enum(subscriptionStatuses),
  disabledReason: z.optional(z.string()),
  format: z.enum(payloadFormats),
  /** Sent on every attempt beside the platform's own headers. */
  headers: z.record(z.string(), z.string()),
  /** The current signing secret (`whsec_...`). */
  secret: z.string().check(z.minLength(1)),
  /**
   * The secrets that were current before rotations, newest first, each signing beside the current one until
   * its own `expiresAt`: a rotation never shortens the overlap an earlier one gave.
   */
  previousSecrets: z.optional(z.array(previousSecretSchema)),
  metadata: z.record(z.string(), z.string()),
  /**
   * At most this many deliveries a second to its endpoint (1 to 10,000); none when absent. Deliveries over the
   * rate wait their turn: they are not failed and use no attempt.
   */
  rateLimit: z.optional(z.number().check(z.int(), z.minimum(minRateLimit), z.maximum(maxRateLimit))),
  /** `none` when absent (items written before ordering existed). */
  ordering: z.optional(z.enum(orderings)),
  /**
   * The key a `jwt` subscription's JWTs are signed with, stored sealed as its signing secrets are (plain, it is
   * `encodeJwtKey`'s form); present exactly when the format is `jwt`. Never shown.
   */
  jwtKey: z.optional(z.string().check(z.minLength(1))),
  /**
   * Its id in the compatible API (`/api/public/v3/webhooks/{id}`, the `SMD-Webhook-Id` header): a positive
   * integer, unique in the deployment, given when it first has the `jwt` format and kept.
   */
  compatibleId: z.optional(z.number().check(z.int(), z.positive())),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  /** Bumped by every change; the API's ETag. */
  version: z.number().check(z.int(), z.positive()),
  // Kept by the delivery path, not by clients (no version bump):
  /** Since when its endpoint answers slower than the main lane waits; its deliveries go to the slow lane. */
  slowSince: z.optional(z.iso.datetime()),
  /** The first failed attempt since the last success; disabled when this is too long ago. */
  failingSince: z.optional(z.iso.datetime()),
  /**
   * Answers in a row that contradict its lane: slower than the main lane's answer wait while in the main lane,
   * quick while in the slow lane. Enough of them move it (see `laneEvidence` in platform.ts).
   */
  laneEvidence: z.optional(z.number().check(z.int(), z.minimum(0))),
  /** Failed attempts in a row that say the endpoint is unavailable (see `countsAgainstCircuit`). */
  consecutiveFailures: z.optional(z.number().check(z.int(), z.minimum(0))),
  /** Present while its circuit is open: its deliveries are held until a probe gets an answer. */
  circuit: z.optional(circuitSchema),
  /** Until when its endpoint asked to be left alone (`Retry-After` on a 429 or 503): deliveries wait till then. */
  backOffUntil: z.optional(z.iso.datetime()),
});

export type Subscription = z.infer<typeof subscriptionSchema>;

/**
 * The fields the delivery path keeps beside what clients set (its view of the endpoint): written by the delivery
 * path alone, without a version bump, and never written back by a client's change. A change writes what it
 * read, so it would otherwise put back a circuit or a failure streak that the delivery path has since closed or
 * ended (and a stale circuit strands the deliveries it holds).
 */
export const deliveryKeptFields = [
  'slowSince',
  'failingSince',
  'laneEvidence',
  'consecutiveFailures',
  'circuit',
  'backOffUntil',
] as const satisfies readonly (keyof Subscription)[];

export type DeliveryKeptField = (typeof deliveryKeptFields)[number];

/** The parts of a subscription that decide which events it gets. */
export type SubscriptionRouting = Pick<
  Subscription,
  'id' | 'accountId' | 'status' | 'events' | 'filter' | 'ordering'
>;

/** What routing reads of a stored subscription. */
export const subscriptionRoutingSchema = z.pick(subscriptionSchema, {
  id: true,
  accountId: true,
  status: true,
  events: true,
  filter: true,
  ordering: true,
});

/**
 * A subscription as items written before `previousSecrets` hold it: their one previous secret
 * (`previousSecret`, `previousSecretExpiresAt`) read as a list of one, so an overlap under way when the
 * platform is updated keeps signing. The store reads items through this schema and removes the old
 * attributes when it next writes one.
 */
export const storedSubscriptionSchema = z.pipe(
  z.transform((item: unknown) => {
    if (item === null || typeof item !== 'object') return item;
    const { previousSecret, previousSecretExpiresAt, ...rest } = item as Record<string, unknown>;
    if ('previousSecrets' in rest || typeof previousSecret !== 'string') return rest;
    return { ...rest, previousSecrets: [{ secret: previousSecret, expiresAt: previousSecretExpiresAt }] };
  }),
  subscriptionSchema,
);

/** Attributes that items written before `previousSecrets` may hold, and that no write leaves behind. */
export const legacySubscriptionAttributes = ['previousSecret', 'previousSecretExpiresAt'] as const;

/** The previous secrets still signing at `now`, newest first. */
export function previousSecretsAt(subscription: Subscription, now: Date): PreviousSecret[] {
  return (subscription.previousSecrets ?? []).filter(
    (previous) => Date.parse(previous.expiresAt) > now.getTime(),
  );
}

/**
 * The secrets that sign a webhook sent at `now`: the current one, then each previous one while its overlap
 * lasts, so a receiver holding any of them can verify.
 */
export function signingSecrets(subscription: Subscription, now: Date): string[] {
  return [subscription.secret, ...previousSecretsAt(subscription, now).map((previous) => previous.secret)];
}

/** True for `order.created` (a catalog type) or `order.*` (every type of a resource). */
export function isEventSelector(value: string): boolean {
  if (value.endsWith('.*')) return Object.hasOwn(eventCatalog, value.slice(0, -2));
  return isEventType(value);
}

/** True when the subscription selects this event type. */
export function selectsEventType(subscription: Pick<Subscription, 'events'>, type: string): boolean {
  return subscription.events.some((selector) =>
    selector.endsWith('.*') ? selector.slice(0, -2) === resourceOf(type) : selector === type,
  );
}
