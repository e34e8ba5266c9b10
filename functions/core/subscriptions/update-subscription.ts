import { isDeepStrictEqual } from 'node:util';
import {
  type ChangeWithReset,
  changeSubscription,
  nextVersion,
  type SubscriptionRecords,
  type VersionPrecondition,
} from './change-subscription.ts';
import { assertDeliverableUrl, type CreateSubscriptionPorts } from './create-subscription.ts';
import { type JwtFormatPorts, withJwtKey } from './jwt-format.ts';
import type { DeliveryKeptField, Subscription } from './subscription.ts';
import { InvalidSubscriptionError } from './subscription-errors.ts';
import type { UpdateSubscriptionInput } from './subscription-input.ts';

/** What updating a subscription needs from the world. */
export interface UpdateSubscriptionPorts
  extends SubscriptionRecords,
    JwtFormatPorts,
    Pick<CreateSubscriptionPorts, 'verificationProblem'> {
  readonly urlProblem: (url: string) => Promise<string | undefined>;
  readonly now: () => Date;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * What the delivery path kept of a disabled subscription's endpoint that a client's taking it out of `disabled`
 * clears, so that it starts afresh: its failure streak (towards disabling it again, and towards opening its
 * circuit), its circuit and its back-off. Not its lane: how fast its endpoint answers still holds.
 */
export const resetWhenReenabled = [
  'failingSince',
  'consecutiveFailures',
  'laneEvidence',
  'circuit',
  'backOffUntil',
] as const satisfies readonly DeliveryKeptField[];

/**
 * True when the client takes a subscription the platform disabled out of `disabled`: to active or paused, the
 * only statuses a client sets.
 */
const leavesDisabled = (current: Subscription, patch: UpdateSubscriptionInput) =>
  current.status === 'disabled' && patch.status !== undefined;

/** The subscription with the patch applied: given fields replace stored ones, `null` removes optional ones. */
export function applyPatch(current: Subscription, patch: UpdateSubscriptionInput): Subscription {
  const next: Mutable<Subscription> = { ...current };
  if (patch.name !== undefined) next.name = patch.name;
  if (patch.description === null) delete next.description;
  else if (patch.description !== undefined) next.description = patch.description;
  if (patch.url !== undefined) next.url = patch.url;
  if (patch.events !== undefined) next.events = [...new Set(patch.events)];
  if (patch.filter === null) delete next.filter;
  else if (patch.filter !== undefined) next.filter = JSON.stringify(patch.filter);
  if (patch.format !== undefined) next.format = patch.format;
  if (patch.headers !== undefined) next.headers = patch.headers ?? {};
  if (patch.metadata !== undefined) next.metadata = patch.metadata ?? {};
  if (patch.rate_limit === null) delete next.rateLimit;
  else if (patch.rate_limit !== undefined) next.rateLimit = patch.rate_limit;
  // Absent is `none`; a change applies to events fanned out after it (their deliveries take the lane it names).
  if (patch.ordering === 'none') delete next.ordering;
  else if (patch.ordering !== undefined) next.ordering = patch.ordering;
  if (patch.status !== undefined && patch.status !== current.status) {
    next.status = patch.status;
    // Active or paused by the client's choice: whatever disabled it no longer holds, and a re-enabled
    // subscription starts afresh (its failures so far no longer count towards disabling it again).
    delete next.disabledReason;
    if (leavesDisabled(current, patch)) for (const field of resetWhenReenabled) delete next[field];
  }
  return next;
}

/**
 * Applies a client's patch. A `jwt_key` sets a `jwt` subscription's key (a subscription that becomes `jwt`
 * needs one, and takes a compatible id), once its endpoint took the verification request; one that leaves `jwt`
 * drops its key. Setting `status: active` re-enables a disabled subscription and clears its
 * reason, and in the same conditional write what the delivery path kept of its endpoint
 * ({@link resetWhenReenabled}). A patch that changes nothing writes nothing and keeps the version.
 */
export async function updateSubscription(
  accountId: string,
  id: string,
  patch: UpdateSubscriptionInput,
  precondition: VersionPrecondition | undefined,
  ports: UpdateSubscriptionPorts,
): Promise<Subscription> {
  return changeSubscription(
    accountId,
    id,
    precondition,
    async (current): Promise<Subscription | ChangeWithReset> => {
      const patched = await withJwtKey(applyPatch(current, patch), patch.jwt_key, ports);
      if (isDeepStrictEqual(patched, current)) return current;
      if (patched.url !== current.url) await assertDeliverableUrl(patched.url, ports.urlProblem);
      // A subscription that becomes `jwt`, or takes a new key, is a new webhook for its receiver: its endpoint
      // must take the verification request, as at creation. (A new URL alone cannot be: the key is sealed.)
      if (patched.format === 'jwt' && patch.jwt_key !== undefined) {
        const problem = await ports.verificationProblem(patched);
        if (problem !== undefined) throw new InvalidSubscriptionError([{ field: 'url', message: problem }]);
      }
      const next = nextVersion(patched, ports.now());
      return leavesDisabled(current, patch) ? { next, reset: resetWhenReenabled } : next;
    },
    ports,
  );
}
