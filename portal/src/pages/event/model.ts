import {
  ApiError,
  type Delivery,
  type EventDelivery,
  type EventDetail,
  type ReadPage,
  type Subscription,
} from '../../api.ts';
import { attemptResult, deliveryStatusLabel, formatLatency } from '../../format.ts';
import { href } from '../../routes.ts';

/** The address of an event, with its body and deliveries. */
export const eventPath = (id: string) => `/v1/events/${encodeURIComponent(id)}`;

/** How many pages of 100 subscriptions the page reads for their names (an account rarely has more). */
const namePages = 10;

/**
 * The account's subscriptions' names by id, for the event's deliveries: every page of the list, up to 1,000
 * subscriptions. A delivery whose subscription is not among them (deleted since, or beyond the first 1,000) is
 * shown by its subscription's id.
 */
export async function subscriptionNames(read: ReadPage<Subscription>): Promise<ReadonlyMap<string, string>> {
  const names = new Map<string, string>();
  let cursor: string | null = null;
  for (let page = 0; page < namePages; page++) {
    const query = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const answer = await read(`/v1/webhooks?limit=100${query}`);
    for (const subscription of answer.data) names.set(subscription.id, subscription.name);
    cursor = answer.next_cursor;
    if (cursor === null) break;
  }
  return names;
}

/** A delivery of the event as its row says it. */
export interface DeliveryRow {
  readonly id: string;
  /** The subscription's name, or its id when the portal does not know its name. */
  readonly subscription: string;
  readonly named: boolean;
  readonly status: Delivery['status'];
  readonly statusLabel: string;
  readonly attempts: string;
  readonly lastAnswer: string;
  /** Where the delivery is shown with all its attempts: its subscription's page. */
  readonly href: string;
}

/** A delivery's latest answer in words: "HTTP 200 in 12 ms, 7 Dec 2026, 10:15:00", or that none came yet. */
export function lastAnswerWords(last: EventDelivery['last_attempt'], at: (iso: string) => string): string {
  if (last === null) return 'Not attempted yet';
  const latency = last.latency_ms === null ? '' : ` in ${formatLatency(last.latency_ms)}`;
  return `${attemptResult(last)}${latency}, ${at(last.at)}`;
}

/** The event's deliveries as rows, each named by its subscription where the portal knows it. */
export function deliveryRows(
  event: Pick<EventDetail, 'deliveries'>,
  names: ReadonlyMap<string, string>,
  at: (iso: string) => string,
): DeliveryRow[] {
  return event.deliveries.map((delivery) => {
    const name = names.get(delivery.webhook_id);
    return {
      id: delivery.id,
      subscription: name ?? delivery.webhook_id,
      named: name !== undefined,
      status: delivery.status,
      statusLabel: deliveryStatusLabel[delivery.status],
      attempts: `${delivery.attempt_count} attempt${delivery.attempt_count === 1 ? '' : 's'}`,
      lastAnswer: lastAnswerWords(delivery.last_attempt, at),
      href: href.delivery(delivery.webhook_id, delivery.id),
    };
  });
}

/** An event's body as the page shows it: pretty-printed JSON, two spaces deep. */
export const prettyJson = (data: unknown): string => JSON.stringify(data, null, 2) ?? 'null';

/** What the page says when the event went to no subscription. */
export const noDeliveriesWords =
  'No subscription received this event: none that was active when it arrived takes its type (or a content filter left it out).';

/** What the page says of an event it cannot show. */
export interface EventProblem {
  readonly title: string;
  readonly text: string;
}

/**
 * What the page says when the API has no such event (unknown, another account's, or no longer kept), or
 * undefined for any other failure: that one may pass, so the page keeps what it showed and tries again.
 */
export function missingEvent(error: unknown): EventProblem | undefined {
  return error instanceof ApiError && error.status === 404
    ? {
        title: 'Event not found',
        text: 'Your account’s log has no event with this id. Events are kept as long as their deliveries; older ones are gone.',
      }
    : undefined;
}

/** What the page says when the event could not be read for another reason, in the API's (or the portal's) words. */
export const unreadableEvent = (message: string): EventProblem => ({
  title: 'The event could not be read',
  text: message,
});
