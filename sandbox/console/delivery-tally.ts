/**
 * The counts the sandbox's console prints when the sandbox stops: attempts (a circuit's probes too: each is a
 * request), and deliveries by where they ended this run (delivered, failed for good, dropped unsent, still
 * pending: a retry waiting, a move to the slow lane, a hold), in all and per subscription (by its id, shown by
 * its name), tallied from the delivery handler's log records as they pass. A delivery counts once, by its last
 * record: one that failed for good and was then retried by hand or recovered counts as delivered.
 */
import { type FunctionRecord, isHandBack, succeeded } from './function-log.ts';
import { printable } from './printable.ts';

/** Where a delivery ended, as far as this run saw. */
type Ending = 'delivered' | 'failed' | 'dropped' | 'pending';

/** Attempts, then deliveries by where they ended. */
const countKinds = ['attempts', 'delivered', 'failed', 'dropped', 'pending'] as const;
type Counts = Record<(typeof countKinds)[number], number>;
const noCounts = (): Counts => ({ attempts: 0, delivered: 0, failed: 0, dropped: 0, pending: 0 });

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
/** `Delivery done` summaries that end a delivery unsent: its subscription deleted or paused, a newer event sent. */
const endsUnsent = /^dropped: (subscription |a newer event )/;

/** Subscriptions listed one a line below the totals, when there are more than one and at most this many. */
const listedSubscriptions = 8;

/** Where a record leaves its delivery, or undefined when it leaves it as it was. */
function endingOf(record: FunctionRecord): Ending | undefined {
  const { message, outcome } = record;
  const probed = message === 'Circuit probed';
  // A probe answered with a 2xx delivered the held delivery it carried; one that failed left it held.
  if (message === 'Webhook delivered' || (probed && succeeded(outcome))) return 'delivered';
  if (failedForGood.has(message)) return 'failed';
  if (leftPending.has(message) || isHandBack(record) || probed) return 'pending';
  if (message !== 'Delivery done' || record.summary === undefined) return undefined;
  if (endsUnsent.test(record.summary)) return 'dropped';
  // A scheduled message left behind (by a retry by hand, say) finds its delivery ended, and says how.
  if (record.summary === 'dropped: delivered meanwhile') return 'delivered';
  if (record.summary === 'dropped: the delivery ended meanwhile') return 'failed';
  // Another dropped message (a stale copy) leaves its delivery where its own message keeps it.
  return undefined;
}

/** Tallies the delivery records it is shown; {@link summary} says what they add up to. */
export class DeliveryTally {
  /** Attempts by subscription id: two subscriptions may share a name. */
  private readonly attempts = new Map<string, number>();
  /** Subscriptions' names as last logged, by id. */
  private readonly names = new Map<string, string>();
  /** Each delivery's subscription id and where its last record left it, by delivery id. */
  private readonly deliveries = new Map<string, { subscriptionId: string; ending: Ending }>();
  /** Deliveries ended by a record that named none (a probe's, before it named its held delivery). */
  private readonly unnamed: { subscriptionId: string; ending: Ending }[] = [];

  /** Counts a record (any function's; only the delivery handler's count). */
  observe(record: FunctionRecord): void {
    const { subscriptionId, deliveryId: id, outcome } = record;
    // A probe or release that sent nothing (a stale probe) names no delivery and made no request.
    if (subscriptionId === undefined || (id === undefined && outcome === undefined)) return;
    if (record.subscriptionName !== undefined) this.names.set(subscriptionId, record.subscriptionName);
    this.attempts.set(
      subscriptionId,
      (this.attempts.get(subscriptionId) ?? 0) + (outcome === undefined ? 0 : 1),
    );
    const ending = endingOf(record);
    if (ending === undefined) return;
    if (id !== undefined) this.deliveries.set(id, { subscriptionId, ending });
    else if (ending === 'delivered' || ending === 'failed') this.unnamed.push({ subscriptionId, ending });
  }

  /** The totals on one line, then one line per subscription when there are a few. */
  summary(): string {
    const bySubscription = new Map<string, Counts>();
    // Every subscription seen has its attempts (0 or more), so each delivery's subscription has counts here.
    for (const [subscriptionId, attempts] of this.attempts)
      bySubscription.set(subscriptionId, { ...noCounts(), attempts });
    for (const { subscriptionId, ending } of [...this.deliveries.values(), ...this.unnamed]) {
      const counts = bySubscription.get(subscriptionId);
      if (counts !== undefined) counts[ending]++;
    }
    const all = [...bySubscription.entries()];
    const total = noCounts();
    for (const [, counts] of all) for (const kind of countKinds) total[kind] += counts[kind];
    if (total.attempts === 0 && total.pending === 0 && total.dropped === 0) {
      return 'Deliveries this run: none attempted.';
    }
    const lines = [`Deliveries this run: ${describe(total)}.`];
    const reported = all.filter(([, counts]) => countKinds.some((kind) => counts[kind] > 0));
    if (reported.length > 1 && reported.length <= listedSubscriptions) {
      const labels = labelsOf(reported.map(([id]) => [id, this.names.get(id)] as const));
      const width = Math.max(...[...labels.values()].map((label) => label.length));
      for (const [id, counts] of reported) {
        lines.push(`  ${(labels.get(id) ?? id).padEnd(width)}  ${describe(counts)}`);
      }
    }
    return lines.join('\n');
  }
}

/**
 * `5 attempts, 3 delivered, 0 failed for good, 1 pending (...)`, with `2 dropped unsent` when some were (their
 * subscription deleted, paused or disabled, or a newer event of their resource sent first).
 */
function describe(counts: Counts): string {
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  return [
    plural(counts.attempts, 'attempt', 'attempts'),
    `${counts.delivered} delivered`,
    `${counts.failed} failed for good`,
    ...(counts.dropped === 0 ? [] : [`${counts.dropped} dropped unsent`]),
    `${counts.pending} pending (retry, slow lane or held)`,
  ].join(', ');
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
