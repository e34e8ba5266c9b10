import { derivedId } from '../ids.ts';
import { canonicalJson } from './canonical-json.ts';
import type { BusEvent } from './catalog.ts';

/** The JSON body a subscriber receives. */
export interface WebhookEnvelope {
  /** The event's own id (`evt_...`): the same for every subscription that gets it. */
  readonly id: string;
  readonly type: string;
  readonly occurred_at: string;
  /** The publisher's tie-breaker among a resource's events at the same time, when it gave one. */
  readonly sequence?: number;
  readonly data: Record<string, unknown>;
  readonly previous?: Record<string, unknown>;
  /** Who acted, when the publisher said. */
  readonly actor?: string;
}

/** What identifies a bus event whatever EventBridge calls it: who published what. */
export type EventContent = Pick<BusEvent, 'source' | 'detail-type' | 'detail'>;

/**
 * The id of a bus event (`evt_...`): derived from its content (source, type and detail, keys in any order),
 * not from EventBridge's id, so that the same event fanned out again, published again by a retrying publisher,
 * or replayed from an archive (which gives it a new EventBridge id) is the same event, and is delivered once.
 * Two events differ in their detail (its `occurred_at` at least).
 */
export function eventIdOf(event: EventContent): string {
  // The detail's fields the platform reads, and nothing a publisher (or the API) adds beside them.
  const { account_id, id, occurred_at, sequence, data, previous, actor } = event.detail;
  // canonicalJson leaves out what is undefined: events without a sequence or an actor keep the ids they always had.
  const detail = { account_id, id, occurred_at, sequence, data, previous, actor };
  return derivedId('evt', event.source, event['detail-type'], canonicalJson(detail));
}

/**
 * The webhook body for a bus event: its own id, its type, and the publisher's detail minus the account (the
 * resource's id is in `data`).
 */
export function envelopeOf(event: BusEvent): WebhookEnvelope {
  const { occurred_at, sequence, data, previous, actor } = event.detail;
  return {
    id: eventIdOf(event),
    type: event['detail-type'],
    occurred_at,
    ...(sequence === undefined ? {} : { sequence }),
    data,
    ...(previous === undefined ? {} : { previous }),
    ...(actor === undefined ? {} : { actor }),
  };
}
