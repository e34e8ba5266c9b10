/**
 * One queue's state: its settings and its messages, each visible, delayed or in flight depending on
 * `visibleAt`. Pure data operations over a given time; persistence and redrive live in the emulator.
 */
import { FairShare, tenantOf } from './fairness.ts';
import { FifoState } from './fifo-state.ts';
import { integerSetting } from './settings.ts';
import type { QueueSettings, StoredMessage } from './types.ts';

/** Message counts as GetQueueAttributes reports them. */
export interface QueueCounts {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
}

export class Queue {
  readonly name: string;
  settings: QueueSettings;
  readonly createdAt: number;
  lastModifiedAt: number;
  /** Messages in send order (standard queues are best-effort ordered; FIFO queues hand them out in it). */
  readonly messages = new Map<string, StoredMessage>();
  /** A FIFO queue's sequence numbers and deduplication memory; `undefined` for a standard queue. */
  readonly fifo: FifoState | undefined;
  /**
   * Per-tenant counts for fair-queue receives, kept in step by the emulator as it commits changes (not part of
   * the journalled state; {@link FairShare.restore} rebuilds them after a restart).
   */
  readonly fairness = new FairShare();

  constructor(
    name: string,
    settings: QueueSettings,
    createdAt: number,
    lastModifiedAt: number = createdAt,
    fifo: FifoState | undefined = settings.FifoQueue === 'true' ? new FifoState() : undefined,
  ) {
    this.name = name;
    this.settings = settings;
    this.fifo = fifo;
    this.createdAt = createdAt;
    this.lastModifiedAt = lastModifiedAt;
  }

  get retentionMs(): number {
    return integerSetting(this.settings, 'MessageRetentionPeriod') * 1000;
  }

  /** When {@link expireSoon} last scanned the queue. */
  #expiredAt = Number.NEGATIVE_INFINITY;

  /**
   * {@link expire}, at most once a second: what receives call, so that a long queue is not scanned whole on
   * every receive. Expired messages left meanwhile are never handed out ({@link visibleMessages} skips them).
   */
  expireSoon(now: number): void {
    if (now - this.#expiredAt < 1000) return;
    this.expire(now);
  }

  /** Drops messages older than the retention period (counted from their original enqueue time). */
  expire(now: number): void {
    this.#expiredAt = now;
    const retention = this.retentionMs;
    for (const [id, message] of this.messages) {
      if (message.sentAt + retention > now) continue;
      this.messages.delete(id);
      this.fairness.removed(id, tenantOf(message), now);
    }
  }

  /** Messages that can be received now, oldest first. */
  *visibleMessages(now: number): Generator<StoredMessage> {
    const retention = this.retentionMs;
    for (const message of this.messages.values()) {
      if (message.visibleAt <= now && message.sentAt + retention > now) yield message;
    }
  }

  counts(now: number): QueueCounts {
    this.expire(now);
    let visible = 0;
    let inFlight = 0;
    let delayed = 0;
    for (const message of this.messages.values()) {
      if (message.visibleAt <= now) visible++;
      else if (message.receiveCount > 0) inFlight++;
      else delayed++;
    }
    return { visible, inFlight, delayed };
  }

  /** Whether the message is currently in flight (received and its visibility timeout not yet over). */
  static isInFlight(message: StoredMessage, now: number): boolean {
    return message.receiveCount > 0 && message.receiptHandle !== undefined && message.visibleAt > now;
  }

  /** The earliest time after `now` at which a hidden message becomes visible, if any. */
  nextVisibleAt(now: number): number | undefined {
    let next: number | undefined;
    for (const message of this.messages.values()) {
      if (message.visibleAt > now && (next === undefined || message.visibleAt < next))
        next = message.visibleAt;
    }
    return next;
  }
}
