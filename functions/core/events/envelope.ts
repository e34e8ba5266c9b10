import type { BusEvent } from './catalog.ts';

/** The JSON body a subscriber receives. */
export interface WebhookEnvelope {
  readonly id: string;
  readonly type: string;
  readonly occurred_at: string;
  readonly data: Record<string, unknown>;
  readonly previous?: Record<string, unknown>;
}

/** The webhook body for a bus event: the publisher's detail, minus the account, plus the event type. */
export function envelopeOf(event: BusEvent): WebhookEnvelope {
  const { id, occurred_at, data, previous } = event.detail;
  return {
    id,
    type: event['detail-type'],
    occurred_at,
    data,
    ...(previous === undefined ? {} : { previous }),
  };
}
