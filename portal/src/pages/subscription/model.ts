import {
  type Answer,
  ApiError,
  type Delivery,
  type Page,
  type ReadPage,
  type Subscription,
} from '../../api.ts';
import { deliveryStatusLabel } from '../../format.ts';
import type { Notice, RevealedSecret } from '../../session.ts';
import { anyTime, hasWindow, setWindow, type TimeWindow } from '../../time-window.ts';

/** Which deliveries the list shows: all, or those of one status. */
export type DeliveryFilter = '' | Delivery['status'];

/** The delivery list's state: its filter, its time window, and how many deliveries it shows. */
export interface DeliveryListState {
  readonly filter: DeliveryFilter;
  readonly shown: number;
  /** Deliveries of the events the platform received in this window (the browser's time); open ends for all. */
  readonly window: TimeWindow;
}

/** How many deliveries the list shows at first, and how many more each "Show more" adds. */
const step = 20;
/** The most the list shows (one page of the API). */
const most = 100;

/** The list as the page opens: all deliveries, the first 20. */
export const openingList: DeliveryListState = { filter: '', shown: step, window: anyTime };

/** The list filtered anew (in the same window unless another is given): from its first 20 again. */
export const withFilter = (filter: DeliveryFilter, window: TimeWindow = anyTime): DeliveryListState => ({
  filter,
  shown: step,
  window,
});

/** The list in another time window, with the same filter: from its first 20 again. */
export const withWindow = (list: DeliveryListState, window: TimeWindow): DeliveryListState => ({
  ...list,
  shown: step,
  window,
});

/** What the list says when it has no delivery to show, by its filter and window. */
export function noDeliveriesWords(list: Pick<DeliveryListState, 'filter' | 'window'>): string {
  const inWindow = hasWindow(list.window) ? ' in this time window' : '';
  if (list.filter !== '')
    return `No ${deliveryStatusLabel[list.filter].toLowerCase()} deliveries${inWindow}.`;
  return inWindow === ''
    ? 'No deliveries yet. Send a test event to see one here.'
    : `No deliveries${inWindow}.`;
}

/** The list with 20 more shown, 100 at the most. */
export const withMoreShown = (list: DeliveryListState): DeliveryListState => ({
  ...list,
  shown: Math.min(list.shown + step, most),
});

/** Whether "Show more" is offered: the API has more, and the list shows fewer than it can. */
export const offersMore = (list: DeliveryListState, page: Page<Delivery> | undefined): boolean =>
  page?.next_cursor != null && list.shown < most;

/**
 * Whether a delivery offers "Retry now" (its subscription active): not a superseded one, which the API refuses to
 * send (a newer event of its resource was delivered; sending it would reorder them).
 */
export const offersRetry = (delivery: Pick<Delivery, 'status'>): boolean => delivery.status !== 'superseded';

/** The address of the deliveries the list shows. */
export function deliveriesPath(
  id: string,
  list: DeliveryListState,
  offsetAt?: (value: string) => number,
): string {
  const query = new URLSearchParams({ limit: String(Math.min(list.shown, most)) });
  if (list.filter !== '') query.set('status', list.filter);
  setWindow(query, list.window, offsetAt);
  return `/v1/webhooks/${id}/deliveries?${query.toString()}`;
}

/**
 * The deliveries the list shows, with the one opened by a link (from an event's page) first: as the list has
 * it when it is there (the list is refreshed), else as it was read on its own (older than the list reaches,
 * or of another status than the filter's).
 */
export function withOpenedFirst(
  listed: readonly Delivery[],
  opened: Delivery | undefined,
): readonly Delivery[] {
  if (opened === undefined) return listed;
  const current = listed.find((delivery) => delivery.id === opened.id) ?? opened;
  return [current, ...listed.filter((delivery) => delivery.id !== opened.id)];
}

/**
 * What the chart follows: each delivery's id, attempt count and status. When it changes, a delivery's
 * attempts changed, and the chart is counted again.
 */
export const fingerprintOf = (deliveries: readonly Delivery[]): string =>
  deliveries.map((delivery) => `${delivery.id}:${delivery.attempt_count}:${delivery.status}`).join();

/** How far back the chart's deliveries go (retries span about a day), and how many pages of 100 it reads. */
const chartDays = 2;
const chartPages = 5;

/**
 * The deliveries the chart counts: those of the last two days, newest first, at most 500; `partial` when
 * there were more.
 */
export async function recentDeliveries(
  id: string,
  read: ReadPage<Delivery>,
  now = Date.now(),
): Promise<{ deliveries: Delivery[]; partial: boolean }> {
  const since = now - chartDays * 86_400_000;
  const deliveries: Delivery[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < chartPages; page++) {
    const query = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const answer = await read(`/v1/webhooks/${id}/deliveries?limit=100${query}`);
    deliveries.push(...answer.data);
    cursor = answer.next_cursor;
    const oldest = answer.data.at(-1);
    if (cursor === null || oldest === undefined || Date.parse(oldest.created_at) < since) {
      return { deliveries, partial: false };
    }
  }
  return { deliveries, partial: true };
}

/** A change of status the page offers, and what it says once done. */
export interface StatusChange {
  readonly to: 'active' | 'paused';
  readonly label: string;
  readonly busyLabel: string;
  readonly done: string;
}

const pause: StatusChange = {
  to: 'paused',
  label: 'Pause',
  busyLabel: 'Pausing…',
  done: 'Paused: no webhooks are sent until you resume.',
};
const resume: StatusChange = {
  to: 'active',
  label: 'Resume',
  busyLabel: 'Resuming…',
  done: 'Resumed: new events are delivered again.',
};
const reenable: StatusChange = {
  to: 'active',
  label: 'Re-enable',
  busyLabel: 'Re-enabling…',
  done: 'Re-enabled: deliveries resume.',
};

/**
 * What can be done with a subscription of this status: events, tests, retries and recovery need an active
 * one; an active one can be paused, a paused one resumed, and one the platform disabled re-enabled.
 */
export function actionsFor(status: Subscription['status']): {
  readonly canDeliver: boolean;
  readonly toggle: StatusChange | undefined;
  readonly reenable: StatusChange | undefined;
} {
  return {
    canDeliver: status === 'active',
    toggle: status === 'active' ? pause : status === 'paused' ? resume : undefined,
    reenable: status === 'disabled' ? reenable : undefined,
  };
}

/** What `POST /v1/webhooks/{id}/recover` answers. */
export interface Recovery {
  readonly recovered: number;
  readonly expired: number;
  /** Those of an ordered subscription not queued: a newer event of their resource was delivered since. */
  readonly superseded: number;
  readonly next_since: string | null;
}

/** What a recovery says of the deliveries it left alone because sending them would reorder. */
function supersededWords(count: number): string {
  return count === 1
    ? '1 was left as it is: a newer event of its resource was delivered since, and sending it now would put it out of order.'
    : `${count} were left as they are: a newer event of their resource was delivered since, and sending them now would put them out of order.`;
}

/** What a recovery says: how many were queued, how many could not be, and whether more remain. */
export function recoveryNotice(recovery: Recovery): Notice {
  const parts = [
    `${recovery.recovered} failed deliver${recovery.recovered === 1 ? 'y' : 'ies'} queued for one more attempt.`,
    recovery.expired > 0 ? `${recovery.expired} could not be: their events are no longer kept.` : '',
    recovery.superseded > 0 ? supersededWords(recovery.superseded) : '',
    recovery.next_since ? 'More remain: recover again to continue.' : '',
  ];
  return { tone: 'success', text: parts.filter(Boolean).join(' ') };
}

/** How long the old secret keeps signing after a rotation: the choices, the first the default. */
export const overlapChoices = [
  { seconds: 86_400, label: '24 hours (recommended)' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 0, label: 'No overlap: the old secret stops at once' },
] as const;

/** What a rotation did: shown once its dialog has closed (a new secret to show, and a notice). */
export interface Rotation {
  readonly secret?: RevealedSecret;
  readonly notice: Notice;
}

/** A rotation of subscription `id` the API answered with a new secret. */
export const rotated = (id: string, secret: string): Rotation => ({
  secret: { id, secret, kind: 'rotated' },
  notice: { tone: 'success', text: 'Secret rotated.' },
});

/** A rotation the API refused, in its words. */
export const rotationFailed = (message: string): Rotation => ({ notice: { tone: 'error', text: message } });

/**
 * What the panel of a new secret says: a created subscription's, or a rotated one's. A `jwt` subscription's
 * webhooks are signed both ways, so its panel says which receivers use the secret and which the JWT key.
 */
export function secretWords(
  kind: RevealedSecret['kind'],
  format: Subscription['format'] = 'json',
): { readonly title: string; readonly note: string } {
  return kind === 'created'
    ? {
        title: 'Subscription created: its signing secret',
        note:
          format === 'jwt'
            ? 'Copy it now: it is shown only this once. Standard Webhooks receivers verify each webhook’s signature with it; receivers written for Shipmondo verify its JWT with your JWT key instead.'
            : 'Copy it now: it is shown only this once. Your endpoint verifies each webhook’s signature with it.',
      }
    : {
        title: 'The new signing secret',
        note: 'Copy it now: it is shown only this once. Until the overlap ends, webhooks carry signatures with both the old and the new secret.',
      };
}

/** The words for a subscription's rate limit. */
export function rateLimitWords(rateLimit: Subscription['rate_limit']): string {
  if (rateLimit === null) return 'No limit';
  return `At most ${rateLimit} deliver${rateLimit === 1 ? 'y' : 'ies'} a second; more wait their turn`;
}

/** What the page says of the endpoint as the platform sees it: its circuit, its lane, and a wait it asked for. */
export interface EndpointWords {
  readonly circuit: string;
  /** The panel of an open circuit: its deliveries are held. */
  readonly held: { readonly title: string; readonly text: string } | undefined;
  readonly lane: string;
  /** A `Retry-After` the endpoint sent that still holds its deliveries; undefined when none does. */
  readonly backOff: string | undefined;
}

/** The endpoint's state in words; `at` writes a moment as people read it. */
export function endpointWords(subscription: Subscription, at: (iso: string) => string): EndpointWords {
  const { circuit, slow_since: slowSince, back_off_until: backOffUntil } = subscription;
  return {
    circuit:
      circuit.state === 'closed'
        ? 'Closed: deliveries are attempted as usual'
        : `Open since ${at(circuit.opened_at)}: deliveries are held. Next probe: ${at(circuit.next_probe_at)}`,
    held:
      circuit.state === 'closed'
        ? undefined
        : {
            title: 'Deliveries are held',
            text: `The endpoint kept failing, so since ${at(circuit.opened_at)} its deliveries wait as pending: they are not attempted and use no attempt. One delivery at a time probes the endpoint, the next at ${at(circuit.next_probe_at)}; once one succeeds, the held deliveries go out, oldest first.`,
          },
    lane:
      slowSince === null
        ? 'Main: the endpoint answers quickly'
        : `Slow since ${at(slowSince)}: the endpoint answers slowly, so its deliveries go in the slow lane, which waits longer for each answer (a slow answer is still a success)`,
    backOff:
      backOffUntil === null
        ? undefined
        : `The endpoint asked to be left alone (Retry-After) until ${at(backOffUntil)}: its deliveries wait till then, using no attempt`,
  };
}

/** Where the Shipmondo-compatible API keeps its webhooks: `/api/public/v3/webhooks/{compatible id}`. */
export const compatibleWebhooksPath = '/api/public/v3/webhooks';

/** What the page says of a subscription's id in the Shipmondo-compatible API. */
export interface CompatibleWords {
  readonly id: number;
  /** Its address in the compatible API; undefined while that API does not list it. */
  readonly path: string | undefined;
  /** Why the compatible API does not list it now (`not listed ... while ...`); undefined when it does. */
  readonly unlisted: string | undefined;
}

/**
 * A subscription's compatible id in words, or undefined for one that has none (it is given when a subscription
 * first has the `jwt` format, and kept). The compatible API lists only a `jwt` subscription with exactly one
 * event type, not a wildcard (its webhooks have one resource and action), so an id it cannot be reached by says
 * why rather than show an address that answers 404.
 */
export function compatibleWords(subscription: Subscription): CompatibleWords | undefined {
  const id = subscription.compatible_id;
  if (id === null) return undefined;
  const [only, ...others] = subscription.events;
  const unlisted =
    subscription.format !== 'jwt'
      ? 'not listed by the Shipmondo-compatible API while its format is not JWT'
      : only === undefined || others.length > 0 || only.endsWith('.*')
        ? 'not listed by the Shipmondo-compatible API while it has more than one event type or a wildcard'
        : undefined;
  return { id, path: unlisted === undefined ? `${compatibleWebhooksPath}/${id}` : undefined, unlisted };
}

/** What the page says of a `jwt` subscription's key, which the API takes but never shows. */
export const jwtKeyWords =
  'Set, and never shown again. To replace it, edit the subscription and type a new one.';

/** What a subscription's page (or its edit form) says when it cannot show the subscription. */
export interface SubscriptionProblem {
  readonly title: string;
  readonly text: string;
}

/**
 * What the page says when the API has no such subscription (404: unknown, another account's, or deleted), in the
 * portal's words ("subscription"; the API says "webhook"), or undefined for any other failure.
 */
export function missingSubscription(error: unknown, id: string): SubscriptionProblem | undefined {
  return error instanceof ApiError && error.status === 404
    ? {
        title: 'Subscription not found',
        text: `Your account has no subscription ${id}: it was deleted, or the address is wrong.`,
      }
    : undefined;
}

/** A subscription as its page and its edit form read it: the API's answer, or what to say when it has none. */
export type SubscriptionRead =
  | { answer: Answer<Subscription>; problem?: undefined }
  | { answer?: undefined; problem: SubscriptionProblem };

/** Reads a subscription (`read`), answering a 404 with what the page says instead; other failures throw. */
export async function readSubscription(
  read: () => Promise<Answer<Subscription>>,
  id: string,
): Promise<SubscriptionRead> {
  try {
    return { answer: await read() };
  } catch (error) {
    const problem = missingSubscription(error, id);
    if (problem === undefined) throw error;
    return { problem };
  }
}

/**
 * What a subscription's page or edit form says instead of the subscription, from its read (`read`: the answer or
 * a 404's words) and the read's failure (`error`: any other, in the API's or the portal's words); undefined
 * while it is read or when it is there.
 */
export function subscriptionProblemOf(
  read: SubscriptionRead | undefined,
  error: string | undefined,
): SubscriptionProblem | undefined {
  if (read?.problem !== undefined) return read.problem;
  return error === undefined ? undefined : { title: 'The subscription could not be read', text: error };
}
