import { hashCode, timeCode, timeOfCode } from '../ids.ts';

const subscriptionPrefix = 'sub_';
const idPattern = /^msg_([0-9a-hjkmnp-tv-z]{26})([0-9a-hjkmnp-tv-z]{22})$/;

/**
 * The id of the delivery of one event to one subscription, which is also its `webhook-id`: `msg_`, the
 * subscription's id, the event's time (when it happened, to the millisecond) and a hash of the event and
 * subscription ids. The same event gives the
 * same id however often it is fanned out; ids of one subscription sort by their events' times; and the id says
 * where its record is (under its subscription), so it is found by id alone.
 */
export function deliveryIdOf(
  event: { readonly id: string; readonly time: string },
  subscriptionId: string,
): string {
  const time = Date.parse(event.time);
  return `${deliveryIdFloor(subscriptionId, Number.isNaN(time) ? 0 : time)}${hashCode([event.id, subscriptionId], 12)}`;
}

/**
 * The start of the ids of a subscription's deliveries of events at `time` (epoch ms): every such id begins with
 * it, those of later events sort after it, so a time window is a range of ids.
 */
export function deliveryIdFloor(subscriptionId: string, time: number): string {
  return `msg_${subscriptionId.slice(subscriptionPrefix.length)}${timeCode(time)}`;
}

/** The subscription a delivery id belongs to, or undefined when it is not a delivery id. */
export function subscriptionOfDelivery(id: string): string | undefined {
  const match = idPattern.exec(id);
  return match === null ? undefined : `${subscriptionPrefix}${match[1]}`;
}

/** The time of the event a delivery id stands for (epoch ms), or undefined when it is not a delivery id. */
export function eventTimeOfDelivery(id: string): number | undefined {
  const match = idPattern.exec(id);
  return match?.[2] === undefined ? undefined : timeOfCode(match[2].slice(0, 10));
}
