import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DeliveryMessage } from '../deliveries/delivery-message.ts';
import { packsOf } from '../deliveries/delivery-pack.ts';
import { messageGroupOf } from '../deliveries/resource-order.ts';
import { type OutgoingMessage, sendAll } from './queues.ts';

/** Where new deliveries go: the main lane, and the ordered lane (a FIFO queue) for ordered subscriptions. */
export interface DeliveryQueueUrls {
  readonly main: string;
  readonly ordered: string;
}

/**
 * A delivery's message as the ordered lane takes it: in its subscription and resource's group, de-duplicated by
 * `deduplicationId` (a fan-out's delivery id, so a fan-out that runs again within five minutes queues nothing
 * twice; a client's retry, its own).
 */
export function orderedMessageOf(
  message: DeliveryMessage,
  deduplicationId: string = message.id,
): OutgoingMessage {
  if (message.order === undefined)
    throw new Error(`Delivery ${message.id} has no place in a resource's order`);
  return {
    body: JSON.stringify(message),
    groupId: messageGroupOf(message.subscriptionId, message.order.resource),
    deduplicationId,
  };
}

/**
 * Queues deliveries where they are attempted: those with a place in their resource's order on the ordered lane
 * (in the order given, which a FIFO group keeps), the others on the main lane in their subscription's fair-queue
 * group, a subscription's deliveries packed together (delivery-pack.ts). `deduplicationIdOf` names an ordered
 * message's de-duplication id (by default, the delivery's id).
 */
export async function enqueueDeliveries(
  sqs: SQSClient,
  urls: DeliveryQueueUrls,
  messages: readonly DeliveryMessage[],
  deduplicationIdOf: (message: DeliveryMessage) => string = (message) => message.id,
): Promise<void> {
  const ordered = messages.filter((message) => message.order !== undefined);
  const unordered = messages.filter((message) => message.order === undefined);
  await Promise.all([
    unordered.length === 0
      ? undefined
      : sendAll(
          sqs,
          urls.main,
          packsOf(unordered).map(({ body, subscriptionId }) => ({ body, groupId: subscriptionId })),
        ),
    ordered.length === 0
      ? undefined
      : sendInGroupOrder(
          sqs,
          urls.ordered,
          ordered.map((message) => orderedMessageOf(message, deduplicationIdOf(message))),
        ),
  ]);
}

/**
 * Sends FIFO messages so that each group gets its own in the order given, the groups side by side: in rounds,
 * the first message of every group, then the second, and so on (a fan-out batch's events seldom give one group
 * more than one, so most batches are one round of parallel calls, not one call after another).
 */
async function sendInGroupOrder(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly OutgoingMessage[],
): Promise<void> {
  const rounds: OutgoingMessage[][] = [];
  const sentOfGroup = new Map<string | undefined, number>();
  for (const message of messages) {
    const round = sentOfGroup.get(message.groupId) ?? 0;
    sentOfGroup.set(message.groupId, round + 1);
    const messagesOfRound = rounds[round] ?? [];
    rounds[round] = messagesOfRound;
    messagesOfRound.push(message);
  }
  for (const round of rounds) await sendAll(sqs, queueUrl, round);
}
