import { queues } from '../platform.ts';
import type { DeliveryMessage } from './delivery-message.ts';
import type { Lane } from './lane-evidence.ts';

/** Each lane's queue in platform.ts. */
const laneQueues = { main: 'delivery', slow: 'slowDelivery' } as const satisfies Record<Lane, string>;

/** The settings of the lane's queue (platform.ts). */
export function laneQueueOf(lane: Lane) {
  return queues[laneQueues[lane]];
}

/**
 * The last receive SQS gives a message of the lane: after it, SQS moves the message to the queue's dead-letter
 * queue (its `maxReceiveCount`).
 */
export function lastReceiveOf(lane: Lane): number {
  return laneQueueOf(lane).maxReceiveCount;
}

/** A delivery kept in the dead-letter queue because the platform could not process it, and why. */
export interface DeadLetter {
  readonly message: DeliveryMessage;
  readonly reason: string;
}

/**
 * The dead letter of a delivery whose processing failed (threw: a bug, a store or queue that keeps failing) on
 * every one of its lane's receives, the last one included. The message is kept as it was, counting those
 * receives among its interrupted ones: each may have sent a request and stopped before recording it, so once
 * the cause is fixed and the dead-letter queue redriven, the redriven message (a new message to SQS, received
 * for the first time) puts them on record as `outcome_unknown`, as the next receive of the original would have.
 * The reason names the last error, for whoever reads the dead-letter queue.
 */
export function crashLoopDeadLetter(
  message: DeliveryMessage,
  receiveCount: number,
  error: unknown,
): DeadLetter {
  const described = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return {
    message: { ...message, interrupted: (message.interrupted ?? 0) + receiveCount },
    reason: `Not processed: each of its ${receiveCount} receives failed; the last with ${described}`,
  };
}
