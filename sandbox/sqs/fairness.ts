/**
 * Fair queues (SQS, 2025): a standard queue whose messages carry a `MessageGroupId` tells tenants apart and,
 * while one tenant is a noisy neighbour, hands out quiet tenants' messages first (Developer Guide, "How Amazon
 * SQS fair queues work"). {@link FairShare} keeps one queue's per-tenant counts incrementally, so that deciding
 * whether a tenant is noisy costs O(1) at receive time, and {@link pickFairly} chooses what a receive takes:
 *
 * - in-flight messages per tenant, ended lazily when their visibility timeout runs out (a heap by end time);
 * - consumer processing time per tenant over a sliding window of {@link PROCESSING_WINDOW_MS} (60 s): time
 *   in flight from a receive until the delete, the end of the visibility timeout or a visibility change to 0;
 *   finished stretches are kept in {@link BUCKET_MS} buckets (so the window is 60-65 s), stretches still in
 *   flight count up to now (at most the window's length each);
 * - when each tenant last had a message arrive (the 5-minute calm-down rule).
 *
 * None of this is journalled: after a restart, messages still in flight count again from their receive, but
 * the processing time of messages finished before it is forgotten.
 */
import { entryOf } from '../map-entry.ts';
import type { ReceivePick, StoredMessage } from './types.ts';

/** The sliding window over which processing-time shares are measured. */
export const PROCESSING_WINDOW_MS = 60_000;
/** Granularity of the window for finished processing. */
export const BUCKET_MS = 5_000;
/** A tenant holding more than this share of the queue's in-flight messages... */
export const CONCURRENCY_SHARE = 0.1;
/** ...and at least this many in-flight messages of its own is noisy. */
export const MIN_NOISY_IN_FLIGHT = 30;
/** A tenant with more than this share of the window's processing time is noisy. */
export const PROCESSING_TIME_SHARE = 0.1;
/** A tenant that had no message arrive for this long is quiet again, whatever its shares. */
export const CALM_AFTER_MS = 5 * 60_000;

/**
 * The tenant a message belongs to: its message group, or, without one, the message alone (AWS counts each
 * message without a group id as a tenant of its own). The prefixes keep the two kinds of key apart.
 */
export function tenantOf(message: Pick<StoredMessage, 'id' | 'messageGroupId'>): string {
  return message.messageGroupId === undefined ? `m:${message.id}` : `g:${message.messageGroupId}`;
}

interface TenantStats {
  /** Messages of the tenant in the queue (any state). */
  stored: number;
  inFlight: number;
  /** In-flight messages received within the window, and the sum of their receive times (from `origin`). */
  recentInFlight: number;
  recentSinceSum: number;
  /** Finished processing within the window's buckets, in ms. */
  finishedMs: number;
  /** When a message of the tenant last arrived (sent, or moved here from a source queue). */
  lastArrivalAt: number;
}

/** One message in flight. Heap entries point at the object, so a newer receive of that message is told apart. */
interface Flight {
  readonly tenant: string;
  readonly since: number;
  until: number;
  /** Whether `since` is still within the window (otherwise it counts the window's full length). */
  recent: boolean;
}

interface HeapEntry {
  readonly key: number;
  readonly id: string;
  readonly flight: Flight;
}

export class FairShare {
  readonly #tenants = new Map<string, TenantStats>();
  readonly #flights = new Map<string, Flight>();
  /** Flights by end of visibility (lazy: stale entries are skipped when popped). */
  readonly #ends = new MinHeap<HeapEntry>((entry) => entry.key);
  /** Recent flights by receive time, to stop counting their time once it leaves the window. */
  readonly #ageing = new MinHeap<HeapEntry>((entry) => entry.key);
  /** Finished processing: bucket index -> tenant -> ms. */
  readonly #buckets = new Map<number, Map<string, number>>();
  /** Receive times are summed relative to this, to keep the sums exact. */
  #origin: number | undefined;
  #inFlight = 0;
  #recentInFlight = 0;
  #recentSinceSum = 0;
  #finishedMs = 0;

  /** A message of `tenant` arrived at `at`. */
  arrived(tenant: string, at: number): void {
    const stats = this.#stats(tenant);
    stats.stored++;
    stats.lastArrivalAt = Math.max(stats.lastArrivalAt, at);
  }

  /** Message `id` was received at `since` and stays in flight until `until` (its new visibility end). */
  received(id: string, tenant: string, since: number, until: number): void {
    this.#end(id, since);
    if (until <= since) return;
    this.#origin ??= since;
    const flight: Flight = { tenant, since, until, recent: true };
    this.#flights.set(id, flight);
    const stats = this.#stats(tenant);
    const relative = since - this.#origin;
    stats.inFlight++;
    stats.recentInFlight++;
    stats.recentSinceSum += relative;
    this.#inFlight++;
    this.#recentInFlight++;
    this.#recentSinceSum += relative;
    this.#ends.push({ key: until, id, flight });
    this.#ageing.push({ key: since, id, flight });
  }

  /** Message `id`'s visibility now ends at `visibleAt`; at or before `now` that ends its processing. */
  visibilityChanged(id: string, visibleAt: number, now: number): void {
    const flight = this.#flights.get(id);
    if (flight === undefined) return;
    if (visibleAt <= now) {
      this.#end(id, now);
      return;
    }
    flight.until = visibleAt;
    this.#ends.push({ key: visibleAt, id, flight });
  }

  /** Message `id` of `tenant` left the queue at `at` (deleted, dead-lettered, expired). */
  removed(id: string, tenant: string, at: number): void {
    this.#end(id, at);
    const stats = this.#tenants.get(tenant);
    if (stats === undefined) return;
    stats.stored = Math.max(0, stats.stored - 1);
    this.#forgetIfIdle(tenant, stats);
  }

  /** Every message left the queue at `at` (a purge). */
  purged(at: number): void {
    for (const id of [...this.#flights.keys()]) this.#end(id, at);
    for (const [tenant, stats] of this.#tenants) {
      stats.stored = 0;
      this.#forgetIfIdle(tenant, stats);
    }
  }

  /** Brings the counts to `now`: ends flights whose visibility ran out, slides the window. */
  settle(now: number): void {
    for (let entry = this.#ends.peek(); entry !== undefined && entry.key <= now; entry = this.#ends.peek()) {
      this.#ends.pop();
      if (this.#flights.get(entry.id) === entry.flight && entry.flight.until === entry.key)
        this.#end(entry.id, entry.key);
    }
    const windowStart = now - PROCESSING_WINDOW_MS;
    for (
      let entry = this.#ageing.peek();
      entry !== undefined && entry.key <= windowStart;
      entry = this.#ageing.peek()
    ) {
      this.#ageing.pop();
      const flight = entry.flight;
      if (this.#flights.get(entry.id) !== flight || !flight.recent) continue;
      flight.recent = false;
      const relative = flight.since - (this.#origin ?? 0);
      const stats = this.#stats(flight.tenant);
      stats.recentInFlight--;
      stats.recentSinceSum -= relative;
      this.#recentInFlight--;
      this.#recentSinceSum -= relative;
    }
    for (const [index, bucket] of this.#buckets) {
      if ((index + 1) * BUCKET_MS > windowStart) continue;
      this.#buckets.delete(index);
      for (const [tenant, ms] of bucket) {
        this.#finishedMs -= ms;
        const stats = this.#tenants.get(tenant);
        if (stats === undefined) continue;
        stats.finishedMs -= ms;
        this.#forgetIfIdle(tenant, stats);
      }
    }
  }

  /**
   * Counts the messages already in the queue, as after a restart: each as an arrival at its send time, and
   * those still in flight as received at their latest receive.
   */
  restore(messages: Iterable<StoredMessage>, now: number): void {
    for (const message of messages) {
      const tenant = tenantOf(message);
      this.arrived(tenant, message.sentAt);
      if (message.receiptHandle !== undefined && message.receiveCount > 0 && message.visibleAt > now)
        this.received(message.id, tenant, message.receivedAt ?? now, message.visibleAt);
    }
  }

  /** In-flight messages of `tenant` (as of the last {@link settle}). */
  inFlightOf(tenant: string): number {
    return this.#tenants.get(tenant)?.inFlight ?? 0;
  }

  /**
   * Whether `tenant` is a noisy neighbour at `now` (call {@link settle} first): it had a message arrive within
   * the last 5 minutes and holds over 10 % of the in-flight messages and at least 30 of them, or over 10 % of
   * the window's processing time.
   */
  isNoisy(tenant: string, now: number): boolean {
    const stats = this.#tenants.get(tenant);
    if (stats === undefined || now - stats.lastArrivalAt >= CALM_AFTER_MS) return false;
    if (stats.inFlight >= MIN_NOISY_IN_FLIGHT && stats.inFlight > CONCURRENCY_SHARE * this.#inFlight)
      return true;
    const total = this.#processingMs(
      this.#finishedMs,
      this.#inFlight,
      this.#recentInFlight,
      this.#recentSinceSum,
      now,
    );
    if (total <= 0) return false;
    const own = this.#processingMs(
      stats.finishedMs,
      stats.inFlight,
      stats.recentInFlight,
      stats.recentSinceSum,
      now,
    );
    return own > PROCESSING_TIME_SHARE * total;
  }

  /** Processing time within the window: finished stretches plus those in flight, up to `now`. */
  #processingMs(finished: number, inFlight: number, recent: number, recentSinceSum: number, now: number) {
    const ongoing =
      (inFlight - recent) * PROCESSING_WINDOW_MS + recent * (now - (this.#origin ?? now)) - recentSinceSum;
    return finished + Math.max(0, ongoing);
  }

  /** Ends message `id`'s flight, if any, at `at` (not after its visibility end), keeping the window's part. */
  #end(id: string, at: number): void {
    const flight = this.#flights.get(id);
    if (flight === undefined) return;
    this.#flights.delete(id);
    const stats = this.#stats(flight.tenant);
    stats.inFlight--;
    this.#inFlight--;
    if (flight.recent) {
      const relative = flight.since - (this.#origin ?? 0);
      stats.recentInFlight--;
      stats.recentSinceSum -= relative;
      this.#recentInFlight--;
      this.#recentSinceSum -= relative;
    }
    const end = Math.min(at, flight.until);
    // Only the part that can still be inside the window matters; at most 13 buckets.
    let start = Math.max(flight.since, end - PROCESSING_WINDOW_MS);
    while (start < end) {
      const index = Math.floor(start / BUCKET_MS);
      const stop = Math.min(end, (index + 1) * BUCKET_MS);
      const ms = stop - start;
      const bucket = entryOf(this.#buckets, index, () => new Map());
      bucket.set(flight.tenant, (bucket.get(flight.tenant) ?? 0) + ms);
      stats.finishedMs += ms;
      this.#finishedMs += ms;
      start = stop;
    }
    this.#forgetIfIdle(flight.tenant, stats);
  }

  #stats(tenant: string): TenantStats {
    return entryOf(this.#tenants, tenant, () => ({
      stored: 0,
      inFlight: 0,
      recentInFlight: 0,
      recentSinceSum: 0,
      finishedMs: 0,
      lastArrivalAt: Number.NEGATIVE_INFINITY,
    }));
  }

  /** Drops a tenant with nothing left to count, so that tenants of one message each do not pile up. */
  #forgetIfIdle(tenant: string, stats: TenantStats): void {
    if (stats.stored === 0 && stats.inFlight === 0 && stats.finishedMs <= 0) this.#tenants.delete(tenant);
  }
}

/**
 * A standard queue's receive: up to `max` of its visible messages (oldest first), quiet tenants' before noisy
 * ones' (see {@link FairShare.isNoisy}), and the over-received ones met on the way, to dead-letter instead.
 */
export function pickFairly(
  visible: Iterable<StoredMessage>,
  fairness: FairShare,
  now: number,
  max: number,
  overReceived: (message: StoredMessage) => boolean,
): ReceivePick {
  fairness.settle(now);
  const deadLetter: StoredMessage[] = [];
  const quiet: StoredMessage[] = [];
  /** Visible messages of noisy tenants met on the way, at most `max` each, by tenant. */
  const deferred = new Map<string, DeferredTenant>();
  /**
   * Each group's verdict, by group id: a noisy group's backlog is scanned past message by message, so this
   * spares building its tenant key for each one.
   */
  const groups = new Map<string, DeferredTenant | false>();
  for (const message of visible) {
    if (quiet.length >= max) break;
    if (overReceived(message)) {
      deadLetter.push(message);
      continue;
    }
    const group = message.messageGroupId;
    let verdict = group === undefined ? undefined : groups.get(group);
    if (verdict === undefined) {
      const tenant = tenantOf(message);
      verdict = fairness.isNoisy(tenant, now) ? { tenant, messages: [] } : false;
      if (verdict !== false) deferred.set(tenant, verdict);
      if (group !== undefined) groups.set(group, verdict);
    }
    if (verdict === false) quiet.push(message);
    else if (verdict.messages.length < max) verdict.messages.push(message);
  }
  return { take: [...quiet, ...pickNoisy(deferred.values(), max - quiet.length, fairness)], deadLetter };
}

/** A noisy tenant met during a receive, with the visible messages of it that the receive may hand out. */
interface DeferredTenant {
  readonly tenant: string;
  readonly messages: StoredMessage[];
}

/**
 * Up to `count` of the noisy tenants' deferred messages, each next one from the tenant with the fewest messages
 * in flight (counting those picked here), so that processing evens out among noisy tenants; ties go to the
 * tenant met first in the queue.
 */
function pickNoisy(deferred: Iterable<DeferredTenant>, count: number, fairness: FairShare): StoredMessage[] {
  const picked: StoredMessage[] = [];
  const tenants = [...deferred].map(({ tenant, messages }) => ({
    messages,
    next: 0,
    inFlight: fairness.inFlightOf(tenant),
  }));
  while (picked.length < count) {
    let best: (typeof tenants)[number] | undefined;
    for (const tenant of tenants) {
      if (tenant.next < tenant.messages.length && (best === undefined || tenant.inFlight < best.inFlight))
        best = tenant;
    }
    const message = best?.messages[best.next];
    if (best === undefined || message === undefined) break;
    picked.push(message);
    best.next++;
    best.inFlight++;
  }
  return picked;
}

/** A binary min-heap by `keyOf`. */
class MinHeap<T> {
  readonly #items: T[] = [];
  readonly #keyOf: (item: T) => number;

  constructor(keyOf: (item: T) => number) {
    this.#keyOf = keyOf;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    const items = this.#items;
    items.push(item);
    let index = items.length - 1;
    const key = this.#keyOf(item);
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const above = items[parent] as T;
      if (this.#keyOf(above) <= key) break;
      items[index] = above;
      index = parent;
    }
    items[index] = item;
  }

  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    const key = this.#keyOf(last);
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child =
        right < items.length && this.#keyOf(items[right] as T) < this.#keyOf(items[left] as T) ? right : left;
      const below = items[child] as T;
      if (this.#keyOf(below) >= key) break;
      items[index] = below;
      index = child;
    }
    items[index] = last;
    return top;
  }
}
