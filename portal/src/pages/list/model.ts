import type { Delivery, Page, ReadPage, Subscription } from '../../api.ts';
import { attemptResult, deliveryStatusLabel, formatRelative } from '../../format.ts';

/** How many subscriptions a page of the list asks for. */
export const pageSize = 20;

/** A subscription with the outcome of its latest delivery (undefined: none yet; null: could not be read). */
export interface Row {
  readonly subscription: Subscription;
  readonly latest: Delivery | undefined | null;
}

/** The rows shown below the first page ("Show more"), and the cursor of the page after them. */
export interface More {
  readonly rows: readonly Row[];
  readonly cursor: string | null;
}

/** How many of an id's last characters a card shows: enough to tell apart two subscriptions of the same name. */
const shownIdLength = 6;

/**
 * A subscription's id as its card shows it: its last characters (the random end of the id, where two ids
 * differ), with an ellipsis for the rest.
 */
export const shortId = (id: string): string =>
  id.length <= shownIdLength + 1 ? id : `…${id.slice(-shownIdLength)}`;

/** The address of the first page of subscriptions, or of the page at `cursor`. */
export function subscriptionsPath(cursor: string | null = null): string {
  return cursor === null
    ? `/v1/webhooks?limit=${pageSize}`
    : `/v1/webhooks?limit=${pageSize}&cursor=${encodeURIComponent(cursor)}`;
}

/** The address of a subscription's latest delivery. */
export const latestDeliveryPath = (subscriptionId: string) =>
  `/v1/webhooks/${subscriptionId}/deliveries?limit=1`;

/**
 * Each subscription with its latest delivery, read at once for all of them; one whose deliveries cannot be
 * read is still listed, its latest delivery `null`.
 */
export function withLatest(subscriptions: readonly Subscription[], read: ReadPage<Delivery>): Promise<Row[]> {
  return Promise.all(
    subscriptions.map(async (subscription) => {
      try {
        const page = await read(latestDeliveryPath(subscription.id));
        return { subscription, latest: page.data[0] };
      } catch {
        return { subscription, latest: null };
      }
    }),
  );
}

/** The first page, loaded again: no rows below it, and its cursor for the next. */
export const afterFirstPage = (page: Page<Subscription>): More => ({ rows: [], cursor: page.next_cursor });

/** The rows below the first page with one more page of them. */
export const withMoreRows = (before: More, added: readonly Row[], cursor: string | null): More => ({
  rows: [...before.rows, ...added],
  cursor,
});

/** Whether the list may load its first page again to keep the outcomes current: not once more are shown. */
export const refreshes = (more: More): boolean => more.rows.length === 0;

/** What the list shows: a loading line, the line for no subscriptions, or the cards. */
export function listShows(first: {
  readonly loading: boolean;
  readonly loaded: boolean;
  readonly error: string | undefined;
  readonly rows: number;
}): 'loading' | 'none' | 'cards' {
  if (first.loading && !first.loaded) return 'loading';
  return first.rows === 0 && first.error === undefined ? 'none' : 'cards';
}

/** A latest delivery in words: a badge (a delivery's status) and a line, or a hint alone. */
export type LatestOutcome =
  | { readonly kind: 'hint'; readonly text: string }
  | {
      readonly kind: 'delivery';
      readonly status: Delivery['status'];
      readonly label: string;
      readonly text: string;
    };

/**
 * How a row's latest delivery went: its status, and its latest attempt's result and when (or its event type, not
 * attempted yet).
 */
export function latestOutcome(latest: Row['latest'], now = Date.now()): LatestOutcome {
  if (latest === null) return { kind: 'hint', text: 'Could not be read' };
  if (latest === undefined) return { kind: 'hint', text: 'No deliveries yet' };
  const attempt = latest.attempts.at(-1);
  return {
    kind: 'delivery',
    status: latest.status,
    label: deliveryStatusLabel[latest.status],
    text:
      attempt === undefined
        ? `${latest.event_type}, not attempted yet`
        : `${attemptResult(attempt)}, ${formatRelative(attempt.at, now)}`,
  };
}
