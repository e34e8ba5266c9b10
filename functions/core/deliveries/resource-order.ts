import * as z from 'zod/mini';
import { hashCode } from '../ids.ts';

/**
 * Ordered delivery per resource (design notes: Ordered delivery). A subscription with `ordering: "resource"`
 * gets a resource's events one at a time, oldest first, and never one older than an event it was delivered.
 * Events are ordered by their `occurred_at`, then by the publisher's optional `sequence` (absent counts as 0).
 */

/** An event's place in its resource's order, as an ordered delivery's message carries it. */
export const eventOrderSchema = z.object({
  /** The resource the event is about: its family and id, e.g. `order/1234`. */
  resource: z.string().check(z.minLength(1)),
  /** The event's `occurred_at` (ISO 8601, with an offset). */
  occurredAt: z.string().check(z.minLength(1)),
  /** The publisher's tie-breaker among events of the same resource and time. */
  sequence: z.optional(z.number().check(z.int(), z.minimum(0))),
});

export type EventOrder = z.output<typeof eventOrderSchema>;

/** The resource an event is about: its type's family (`order` of `order.status_updated`) and its id. */
export function resourceOfEvent(eventType: string, resourceId: string): string {
  return `${eventType.slice(0, eventType.indexOf('.'))}/${resourceId}`;
}

/**
 * The FIFO message group of a subscription's deliveries about one resource: the subscription's id and a hash
 * of the resource (a group id holds 128 characters at most; a resource id may hold 256).
 */
export function messageGroupOf(subscriptionId: string, resource: string): string {
  return `${subscriptionId}.${hashCode([resource], 26)}`;
}

/** Where a resource's ordered deliveries stand: the newest event delivered. */
export interface ResourcePosition {
  /** The delivered event's `occurred_at`, as epoch ms. */
  readonly occurredAtMs: number;
  readonly sequence: number;
  readonly eventId: string;
  readonly deliveryId: string;
  readonly deliveredAt: string;
}

/** An event's place as two numbers, compared in turn. */
export function placeOf(order: EventOrder): { readonly occurredAtMs: number; readonly sequence: number } {
  return { occurredAtMs: Date.parse(order.occurredAt), sequence: order.sequence ?? 0 };
}

/**
 * Whether the resource's position makes an event late: a newer event of its resource was delivered, or another
 * event at the same place (the same time and sequence: the first delivered of the two wins, so that what a
 * receiver gets of a resource is strictly newer each time). An event is never late for its own delivery.
 */
export function supersedes(
  position: ResourcePosition | undefined,
  order: EventOrder,
  eventId: string,
): boolean {
  if (position === undefined) return false;
  const { occurredAtMs, sequence } = placeOf(order);
  if (position.occurredAtMs !== occurredAtMs) return position.occurredAtMs > occurredAtMs;
  if (position.sequence !== sequence) return position.sequence > sequence;
  return position.eventId !== eventId;
}
