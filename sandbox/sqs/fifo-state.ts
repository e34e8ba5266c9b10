/**
 * What a FIFO queue keeps beyond its messages, and keeps across restarts: the last sequence number it gave and
 * the deduplication ids it accepted within the deduplication interval (SQS API Reference, SendMessage:
 * `MessageDeduplicationId`, `SequenceNumber`). Changed only as the state applies journalled changes, so that
 * replaying the journal rebuilds it.
 */
import { entryOf } from '../map-entry.ts';
import type { StoredMessage } from './types.ts';

/** How long an accepted deduplication id makes later sends with it duplicates: 5 minutes from its send. */
export const DEDUPLICATION_INTERVAL_MS = 5 * 60_000;

/** `DeduplicationScope`: one deduplication id per queue, or per message group (high throughput mode). */
export type DeduplicationScope = 'queue' | 'messageGroup';

/** One accepted send that later sends with its deduplication id are duplicates of. */
export interface AcceptedSend {
  readonly groupId: string;
  readonly deduplicationId: string;
  readonly messageId: string;
  readonly sequenceNumber: string;
  /** Its send time (epoch ms); the interval counts from it, not from later duplicates. */
  readonly at: number;
}

/** A FIFO queue's state in a snapshot. */
export interface FifoSnapshot {
  readonly lastSequenceNumber: string;
  /** Oldest first. */
  readonly accepted: readonly AcceptedSend[];
}

/**
 * Sequence numbers are decimal strings of about 20 digits, as SQS's look: at least the send time in ms times
 * 10^7, and above the previous one, so that they increase within the queue (hence within each group) across
 * restarts and are not consecutive from one millisecond to the next.
 */
const SEQUENCE_PER_MS = 10_000_000n;

export class FifoState {
  #lastSequenceNumber = 0n;
  /** Accepted sends within the interval by `deduplicationId groupId` (neither holds a space), oldest first. */
  readonly #accepted = new Map<string, AcceptedSend>();
  /** The groups each deduplication id was accepted in, for queue-wide lookups. */
  readonly #groupsById = new Map<string, Set<string>>();

  /** A source of sequence numbers for sends and arrivals at `now`, each above the last (not yet recorded). */
  sequenceNumbers(now: number): () => string {
    let last = this.#lastSequenceNumber;
    const floor = BigInt(Math.max(0, Math.floor(now))) * SEQUENCE_PER_MS;
    return () => {
      last = last < floor ? floor : last + 1n;
      return last.toString();
    };
  }

  /**
   * The accepted send that a send with this deduplication id in `groupId` at `now` duplicates, if any: with
   * `queue` scope one in any group, with `messageGroup` scope one in the same group.
   */
  duplicateOf(
    groupId: string,
    deduplicationId: string,
    scope: DeduplicationScope,
    now: number,
  ): AcceptedSend | undefined {
    const groups = scope === 'messageGroup' ? [groupId] : (this.#groupsById.get(deduplicationId) ?? []);
    for (const group of groups) {
      const accepted = this.#accepted.get(keyOf(deduplicationId, group));
      if (accepted !== undefined && accepted.at + DEDUPLICATION_INTERVAL_MS > now) return accepted;
    }
    return undefined;
  }

  /** Records a message enqueued by a send: its deduplication id and its sequence number. */
  accepted(message: StoredMessage): void {
    if (message.sequenceNumber !== undefined) this.arrived(message.sequenceNumber);
    const { messageGroupId: groupId, deduplicationId, sequenceNumber } = message;
    if (groupId === undefined || deduplicationId === undefined || sequenceNumber === undefined) return;
    this.#forgetBefore(message.sentAt - DEDUPLICATION_INTERVAL_MS);
    this.#remember({ groupId, deduplicationId, messageId: message.id, sequenceNumber, at: message.sentAt });
  }

  /** Records a sequence number given to a message that arrived another way (moved here from a source queue). */
  arrived(sequenceNumber: string): void {
    const value = BigInt(sequenceNumber);
    if (value > this.#lastSequenceNumber) this.#lastSequenceNumber = value;
  }

  /** Forgets every deduplication id (a purge); sequence numbers keep increasing. */
  purged(): void {
    this.#accepted.clear();
    this.#groupsById.clear();
  }

  toSnapshot(): FifoSnapshot {
    return {
      lastSequenceNumber: this.#lastSequenceNumber.toString(),
      accepted: [...this.#accepted.values()],
    };
  }

  static fromSnapshot(snapshot: FifoSnapshot | undefined): FifoState {
    const state = new FifoState();
    if (snapshot === undefined) return state;
    state.arrived(snapshot.lastSequenceNumber);
    for (const accepted of snapshot.accepted) state.#remember(accepted);
    return state;
  }

  #remember(accepted: AcceptedSend): void {
    const key = keyOf(accepted.deduplicationId, accepted.groupId);
    // Deleted first, so that the map stays in send order when an id comes back after its interval.
    this.#accepted.delete(key);
    this.#accepted.set(key, accepted);
    entryOf(this.#groupsById, accepted.deduplicationId, () => new Set<string>()).add(accepted.groupId);
  }

  /** Drops accepted sends made at or before `time`: they no longer deduplicate anything. */
  #forgetBefore(time: number): void {
    for (const [key, accepted] of this.#accepted) {
      if (accepted.at > time) return;
      this.#accepted.delete(key);
      const groups = this.#groupsById.get(accepted.deduplicationId);
      groups?.delete(accepted.groupId);
      if (groups?.size === 0) this.#groupsById.delete(accepted.deduplicationId);
    }
  }
}

function keyOf(deduplicationId: string, groupId: string): string {
  return `${deduplicationId} ${groupId}`;
}
