/**
 * All queues, changed only through {@link Change}s so that the same code applies a change live and when the
 * journal is replayed after a restart (event sourcing). Also the snapshot form the journal compacts into.
 */
import { type FifoSnapshot, FifoState } from './fifo-state.ts';
import { Queue } from './queue.ts';
import type { QueueSettings, StoredMessage } from './types.ts';

/** One accepted change to the queues' state; what the journal records. */
export type Change =
  | {
      readonly type: 'createQueue';
      readonly name: string;
      readonly settings: QueueSettings;
      readonly at: number;
    }
  /** `settings` holds the changed attributes only; `''` removes an attribute. */
  | {
      readonly type: 'setQueueAttributes';
      readonly name: string;
      readonly settings: QueueSettings;
      readonly at: number;
    }
  | { readonly type: 'deleteQueue'; readonly name: string }
  | { readonly type: 'purgeQueue'; readonly name: string }
  | { readonly type: 'send'; readonly queue: string; readonly message: StoredMessage }
  | {
      readonly type: 'receive';
      readonly queue: string;
      readonly id: string;
      readonly receiptHandle: string;
      readonly receiveCount: number;
      readonly firstReceivedAt: number;
      readonly receivedAt: number;
      readonly visibleAt: number;
    }
  | {
      readonly type: 'changeVisibility';
      readonly queue: string;
      readonly id: string;
      readonly visibleAt: number;
    }
  | { readonly type: 'delete'; readonly queue: string; readonly id: string }
  | {
      readonly type: 'moveToDeadLetter';
      readonly queue: string;
      readonly id: string;
      readonly target: string;
      readonly sourceArn: string;
      readonly at: number;
      /** The sequence number the message gets in a FIFO dead-letter queue. */
      readonly sequenceNumber?: string;
    };

/** The whole state at one journal position. */
export interface Snapshot {
  readonly version: 1;
  /** Sequence number of the last journal record included. */
  readonly seq: number;
  readonly queues: ReadonlyArray<{
    readonly name: string;
    readonly settings: QueueSettings;
    readonly createdAt: number;
    readonly lastModifiedAt: number;
    readonly messages: readonly StoredMessage[];
    /** FIFO queues only; absent in snapshots written before FIFO queues existed. */
    readonly fifo?: FifoSnapshot;
  }>;
}

export class SqsState {
  readonly queues = new Map<string, Queue>();

  /** Applies one change. Changes naming missing queues or messages are ignored, so replay is forgiving. */
  apply(change: Change): void {
    switch (change.type) {
      case 'createQueue':
        this.queues.set(change.name, new Queue(change.name, { ...change.settings }, change.at));
        return;
      case 'setQueueAttributes': {
        const queue = this.queues.get(change.name);
        if (queue === undefined) return;
        const settings = { ...queue.settings };
        for (const [name, value] of Object.entries(change.settings)) {
          if (value === '') delete settings[name];
          else settings[name] = value;
        }
        queue.settings = settings;
        queue.lastModifiedAt = change.at;
        return;
      }
      case 'deleteQueue':
        this.queues.delete(change.name);
        return;
      case 'purgeQueue': {
        const queue = this.queues.get(change.name);
        queue?.messages.clear();
        // A purge also ends the deduplication interval of what it removed.
        queue?.fifo?.purged();
        return;
      }
      case 'send': {
        const queue = this.queues.get(change.queue);
        queue?.messages.set(change.message.id, { ...change.message });
        queue?.fifo?.accepted(change.message);
        return;
      }
      case 'receive': {
        const message = this.queues.get(change.queue)?.messages.get(change.id);
        if (message === undefined) return;
        message.receiptHandle = change.receiptHandle;
        message.receiveCount = change.receiveCount;
        message.firstReceivedAt = change.firstReceivedAt;
        message.receivedAt = change.receivedAt;
        message.visibleAt = change.visibleAt;
        return;
      }
      case 'changeVisibility': {
        const message = this.queues.get(change.queue)?.messages.get(change.id);
        if (message !== undefined) message.visibleAt = change.visibleAt;
        return;
      }
      case 'delete':
        this.queues.get(change.queue)?.messages.delete(change.id);
        return;
      case 'moveToDeadLetter': {
        const source = this.queues.get(change.queue);
        const message = source?.messages.get(change.id);
        const target = this.queues.get(change.target);
        if (source === undefined || message === undefined || target === undefined) return;
        source.messages.delete(change.id);
        const { receiptHandle: _handle, receivedAt: _receivedAt, ...kept } = message;
        target.messages.set(change.id, {
          ...kept,
          visibleAt: change.at,
          deadLetterSourceArn: change.sourceArn,
          // Into a FIFO dead-letter queue, SQS replaces the de-duplication id with the message's id (so two
          // messages that shared one are both kept) and starts its enqueue time again (SQS Developer Guide:
          // dead-letter queue redrive; dead-letter queue retention).
          ...(target.fifo === undefined ? {} : { deduplicationId: change.id, sentAt: change.at }),
          ...(change.sequenceNumber === undefined ? {} : { sequenceNumber: change.sequenceNumber }),
        });
        if (change.sequenceNumber !== undefined) target.fifo?.arrived(change.sequenceNumber);
        return;
      }
    }
  }

  toSnapshot(seq: number): Snapshot {
    return {
      version: 1,
      seq,
      queues: [...this.queues.values()].map((queue) => ({
        name: queue.name,
        settings: queue.settings,
        createdAt: queue.createdAt,
        lastModifiedAt: queue.lastModifiedAt,
        messages: [...queue.messages.values()],
        ...(queue.fifo === undefined ? {} : { fifo: queue.fifo.toSnapshot() }),
      })),
    };
  }

  static fromSnapshot(snapshot: Snapshot): SqsState {
    const state = new SqsState();
    for (const stored of snapshot.queues) {
      const fifo = stored.settings.FifoQueue === 'true' ? FifoState.fromSnapshot(stored.fifo) : undefined;
      const queue = new Queue(
        stored.name,
        { ...stored.settings },
        stored.createdAt,
        stored.lastModifiedAt,
        fifo,
      );
      for (const message of stored.messages) queue.messages.set(message.id, { ...message });
      state.queues.set(queue.name, queue);
    }
    return state;
  }
}
