import { platformEventSource } from '../platform.ts';

/**
 * The platform's own events, put on the bus under its own source for operators' rules (alerts, tickets,
 * dashboards). The bus rules that feed fan-out never match that source, so subscribers never get them.
 */
export type PlatformEvent =
  | {
      readonly type: 'webhook.disabled';
      readonly detail: {
        readonly account_id: string;
        readonly webhook_id: string;
        readonly reason: string;
        readonly disabled_at: string;
      };
    }
  | {
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
  | {
      readonly type: 'delivery.recovered';
      readonly detail: {
        readonly account_id: string;
        readonly webhook_id: string;
        readonly delivery_id: string;
        readonly event_id: string;
        readonly failing_since: string;
        readonly recovered_at: string;
      };
    };

/** The `PutEvents` entry of a platform event. */
export function platformEventEntry(event: PlatformEvent, eventBusName: string) {
  return {
    EventBusName: eventBusName,
    Source: platformEventSource,
    DetailType: event.type,
    Detail: JSON.stringify(event.detail),
  };
}
