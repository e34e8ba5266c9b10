import type { DeliveryMessage } from './delivery-message.ts';

/** SQS delays a message by at most 15 minutes. */
export const maxDelaySeconds = 900;

/** Where a delivery's message goes next: its lane's queue after a delay, or the retry queue to wait longer. */
export interface Hop {
  readonly queue: 'lane' | 'retry';
  readonly delaySeconds: number;
  readonly message: DeliveryMessage;
}

/**
 * The next hop of a message whose attempt is due at `dueAt` (epoch ms): within 15 minutes, its lane with that
 * delay; later, the retry queue for 15 minutes, marked with when it is due. A wait lives only in SQS (delayed
 * messages are not in flight), so it costs nothing while it waits, survives any crash, and never counts
 * against a queue's in-flight limit.
 */
export function nextHop(message: DeliveryMessage, dueAt: number, now: number): Hop {
  const remaining = Math.max(0, Math.ceil((dueAt - now) / 1000));
  if (remaining <= maxDelaySeconds) {
    const { dueAt: _due, ...rest } = message;
    return { queue: 'lane', delaySeconds: remaining, message: rest };
  }
  return { queue: 'retry', delaySeconds: maxDelaySeconds, message: { ...message, dueAt } };
}
