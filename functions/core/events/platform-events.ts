import { platformEventSource } from '../platform.ts';

/** A subscription was disabled: 410 Gone, or failing without a single success for `disableAfter`. */
export interface WebhookDisabledEvent {
  readonly type: 'webhook.disabled';
  readonly detail: {
    readonly account_id: string;
    readonly webhook_id: string;
    readonly reason: string;
    readonly disabled_at: string;
  };
}

/**
 * A delivery failed for good: its last scheduled attempt failed, its endpoint answered 410 Gone, its subscription
 * was disabled, or its body has no form the subscription takes. It is `failed` on its record (`recover` sends it
 * again); no dead-letter queue keeps it: the customer's endpoint failed, not the platform.
 */
export interface DeliveryFailedEvent {
  readonly type: 'delivery.failed';
  readonly detail: {
    readonly account_id: string;
    readonly webhook_id: string;
    readonly delivery_id: string;
    readonly event_id: string;
    readonly event_type: string;
    readonly attempts: number;
    readonly reason: string;
    readonly failed_at: string;
  };
}

/** The first success of a subscription after failures. */
export interface DeliveryRecoveredEvent {
  readonly type: 'delivery.recovered';
  readonly detail: {
    readonly account_id: string;
    readonly webhook_id: string;
    readonly delivery_id: string;
    readonly event_id: string;
    readonly failing_since: string;
    readonly recovered_at: string;
  };
}

/** An endpoint's circuit opened: its deliveries are held, and one probe at a time tests it. */
export interface CircuitOpenedEvent {
  readonly type: 'webhook.circuit_opened';
  readonly detail: {
    readonly account_id: string;
    readonly webhook_id: string;
    readonly opened_at: string;
    /** The failed attempts in a row that opened it. */
    readonly consecutive_failures: number;
    /** What the last of them came to: `HTTP 503`, or the error (a timeout, a refused connection, ...). */
    readonly last_error: string;
    readonly next_probe_at: string;
  };
}

/** An endpoint's circuit closed (a probe's, or any attempt's, 2xx): its held deliveries go out, oldest first. */
export interface CircuitClosedEvent {
  readonly type: 'webhook.circuit_closed';
  readonly detail: {
    readonly account_id: string;
    readonly webhook_id: string;
    /** When the circuit opened: with `closed_at`, how long the endpoint was held. */
    readonly opened_at: string;
    readonly closed_at: string;
  };
}

/**
 * The platform's own events, put on the bus under its own source for operators' rules (alerts, tickets,
 * dashboards). The bus rules that feed fan-out never match that source, so subscribers never get them. Their
 * details are snake_case, as the API's fields are; times are ISO 8601 strings.
 */
export type PlatformEvent =
  | WebhookDisabledEvent
  | DeliveryFailedEvent
  | DeliveryRecoveredEvent
  | CircuitOpenedEvent
  | CircuitClosedEvent;

/** The `PutEvents` entry of a platform event. */
export function platformEventEntry(event: PlatformEvent, eventBusName: string) {
  return {
    EventBusName: eventBusName,
    Source: platformEventSource,
    DetailType: event.type,
    Detail: JSON.stringify(event.detail),
  };
}
