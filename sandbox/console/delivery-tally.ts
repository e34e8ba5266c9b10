/**
 * The counts the sandbox's console prints when the sandbox stops: attempts (a circuit's probes too: each is a
 * request), deliveries that succeeded or failed for good, and those still pending (a retry waiting, a move to
 * the slow lane, a hold), in all and per subscription (by its id, shown by its name), tallied from the delivery
 * handler's log records as they pass.
 */
import { type FunctionRecord, isHandBack, succeeded } from './function-log.ts';
import { printable } from './printable.ts';

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
  /** By subscription id: two subscriptions may share a name. */
  private readonly counts = new Map<string, Counts>();
  /** Subscriptions' names as last logged, by id. */
  private readonly names = new Map<string, string>();
  /** Deliveries whose last record left them waiting, with their subscription's id. */
  private readonly pending = new Map<string, string>();

  /** Counts a record (any function's; only the delivery handler's count). */
  observe(record: FunctionRecord): void {
    const { subscriptionId, deliveryId: id, outcome } = record;
    // A probe or release that sent nothing (a stale probe) names no delivery and made no request.
    if (subscriptionId === undefined || (id === undefined && outcome === undefined)) return;
    const counts = this.countsOf(subscriptionId);
    if (record.subscriptionName !== undefined) this.names.set(subscriptionId, record.subscriptionName);
    if (outcome !== undefined) counts.attempts++;
    // A probe answered with a 2xx delivered the held delivery it carried; one that failed left it held.
    const probed = record.message === 'Circuit probed';
    if (record.message === 'Webhook delivered' || (probed && succeeded(outcome))) counts.delivered++;
    if (failedForGood.has(record.message)) counts.failed++;
    if (id === undefined) return;
    const stillHeld = probed && !succeeded(outcome);
    if (leftPending.has(record.message) || isHandBack(record) || stillHeld)
      this.pending.set(id, subscriptionId);
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
    const pendingOf = (id: string) => [...this.pending.values()].filter((of) => of === id).length;
    // A subscription with nothing to report (a deleted one whose deliveries were dropped unsent) is left out.
    const reported = all.filter(
      ([id, counts]) => counts.attempts + counts.delivered + counts.failed + pendingOf(id) > 0,
    );
    if (reported.length > 1 && reported.length <= listedSubscriptions) {
      const labels = labelsOf(reported.map(([id]) => [id, this.names.get(id)] as const));
      const width = Math.max(...[...labels.values()].map((label) => label.length));
      for (const [id, counts] of reported) {
        lines.push(`  ${(labels.get(id) ?? id).padEnd(width)}  ${this.describe(counts, pendingOf(id))}`);
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

  private countsOf(subscriptionId: string): Counts {
    let counts = this.counts.get(subscriptionId);
    if (counts === undefined) {
      counts = { attempts: 0, delivered: 0, failed: 0 };
      this.counts.set(subscriptionId, counts);
    }
    return counts;
  }
}

/**
 * What each subscription is called in the summary, by id: its name (its id when it has none), and the id beside
 * a name that two of them share, so that a reader can tell them apart. Printable: names are users' text.
 */
function labelsOf(
  subscriptions: readonly (readonly [id: string, name: string | undefined])[],
): Map<string, string> {
  const named = subscriptions.map(([id, name]) => [id, printable(name ?? id)] as const);
  const seen = (label: string) => named.filter(([, other]) => other === label).length;
  return new Map(
    named.map(([id, label]) => [id, seen(label) > 1 ? `${label} (${printable(id)})` : label] as const),
  );
}
