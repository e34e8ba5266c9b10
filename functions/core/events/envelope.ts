import { derivedId } from '../ids.ts';
import type { BusEvent } from './catalog.ts';

/** The JSON body a subscriber receives. */
export interface WebhookEnvelope {
  /** The event's own id (`evt_...`): the same for every subscription that gets it. */
  readonly id: string;
  readonly type: string;
  readonly occurred_at: string;
  readonly data: Record<string, unknown>;
  readonly previous?: Record<string, unknown>;
}

/** The webhook id of a bus event: derived from EventBridge's id, so fanning it out again gives the same. */
export function eventIdOf(busEventId: string): string {
  return derivedId('evt', busEventId);
}

/**
 * The webhook body for a bus event: its own id, its type, and the publisher's detail minus the account (the
 * resource's id is in `data`).
 */
export function envelopeOf(event: BusEvent): WebhookEnvelope {
  const { occurred_at, data, previous } = event.detail;
  return {
    id: eventIdOf(event.id),
    type: event['detail-type'],
    occurred_at,
    data,
    ...(previous === undefined ? {} : { previous }),
  };
}
