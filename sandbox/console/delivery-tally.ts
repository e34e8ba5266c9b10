/**
 * The counts the sandbox's console prints when the sandbox stops: attempts, deliveries that succeeded or failed
 * for good, and those still pending (a retry waiting, a move to the slow lane, a hold), in all and per
 * subscription, tallied from the delivery handler's log records as they pass.
 */
import type { FunctionRecord } from './function-log.ts';

interface Counts {
  attempts: number;
  delivered: number;
  failed: number;
}

/** Records that leave their delivery waiting for a later attempt. */
const leftPending = new Set([
  'Delivery attempt failed; retry scheduled',
  'Delivery moved to the slow lane',
  'Delivery held: the endpoint’s circuit is open',
  'Delivery waits for its turn',
  'Delivery waits',
  'Delivery could not be completed; it will be made again',
]);
const failedForGood = new Set([
  'Delivery failed for good',
  'Delivery dead-lettered: its processing failed on every receive',
]);

/** Subscriptions listed one a line below the totals, when there are more than one and at most this many. */
const listedSubscriptions = 8;

/** Tallies the delivery records it is shown; {@link summary} says what they add up to. */
export class DeliveryTally {
  private readonly counts = new Map<string, Counts>();
  /** Deliveries whose last record left them waiting, with their subscription. */
  private readonly pending = new Map<string, string>();

  /** Counts a record (any function's; only the delivery handler's count). */
  observe(record: FunctionRecord): void {
    const subscription = record.subscriptionName ?? record.subscriptionId;
    const id = record.deliveryId;
    if (subscription === undefined || id === undefined) return;
    const counts = this.countsOf(subscription);
    if (record.outcome !== undefined) counts.attempts++;
    if (record.message === 'Webhook delivered') counts.delivered++;
    if (failedForGood.has(record.message)) counts.failed++;
    const handedBack = record.message === 'Delivery done' && record.summary?.startsWith('handed back');
    if (leftPending.has(record.message) || handedBack) this.pending.set(id, subscription);
    else this.pending.delete(id);
  }

  /** The totals on one line, then one line per subscription when there are a few. */
  summary(): string {
    const all = [...this.counts.entries()];
    if (all.every(([, counts]) => counts.attempts === 0) && this.pending.size === 0) {
      return 'Deliveries this run: none attempted.';
    }
    const total = all.reduce(
      (sum, [, counts]) => ({
        attempts: sum.attempts + counts.attempts,
        delivered: sum.delivered + counts.delivered,
        failed: sum.failed + counts.failed,
      }),
      { attempts: 0, delivered: 0, failed: 0 },
    );
    const lines = [`Deliveries this run: ${this.describe(total, this.pending.size)}.`];
    if (all.length > 1 && all.length <= listedSubscriptions) {
      const width = Math.max(...all.map(([name]) => name.length));
      for (const [name, counts] of all) {
        const pending = [...this.pending.values()].filter((of) => of === name).length;
        lines.push(`  ${name.padEnd(width)}  ${this.describe(counts, pending)}`);
      }
    }
    return lines.join('\n');
  }

  private describe(counts: Counts, pending: number): string {
    const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
    return [
      plural(counts.attempts, 'attempt', 'attempts'),
      `${counts.delivered} delivered`,
      `${counts.failed} failed for good`,
      `${pending} pending (retry, slow lane or held)`,
    ].join(', ');
  }

  private countsOf(subscription: string): Counts {
    let counts = this.counts.get(subscription);
    if (counts === undefined) {
      counts = { attempts: 0, delivered: 0, failed: 0 };
      this.counts.set(subscription, counts);
    }
    return counts;
  }
}
