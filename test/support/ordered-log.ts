import { expect } from 'vitest';
import type { ReceivedRequest } from './receiver.ts';

/** A request as a receiver of order status changes answered it: its delivery, the order, the change, the status. */
export interface Answered {
  readonly webhookId: string;
  readonly orderId: string;
  /** Which change of its order (seconds of `occurred_at` after the test's base time). */
  readonly step: number;
  readonly status: number;
}

/** The request, answered `status`, as a log of answers keeps it. */
export function answered(request: ReceivedRequest, base: number, status: number): Answered {
  const { data, occurred_at } = JSON.parse(request.body) as { data: { id: string }; occurred_at: string };
  return {
    webhookId: String(request.headers['webhook-id']),
    orderId: data.id,
    step: (Date.parse(occurred_at) - base) / 1000,
    status,
  };
}

/** One order's requests in the order they arrived, for a failure's message: `3 5! 5` (`!` not accepted). */
export const storyOf = (requests: readonly Answered[]): string =>
  requests.map((request) => `${request.step}${request.status === 200 ? '' : '!'}`).join(' ');

/**
 * Expects one order's requests (in arrival order) to be what an ordered subscription promises: what the receiver
 * accepted is strictly newer each time (a repeat of the same webhook-id aside: at least once), and no request is
 * older than one it accepted. Answers the newest change accepted (-1 for none).
 */
export function expectAcceptedInOrder(requests: readonly Answered[], orderId: string): number {
  let newest = -1;
  let newestId = '';
  for (const request of requests) {
    const repeat = request.webhookId === newestId;
    expect(request.step > newest || repeat, `${orderId}: ${storyOf(requests)}`).toBe(true);
    if (request.status === 200) {
      newest = request.step;
      newestId = request.webhookId;
    }
  }
  return newest;
}
