import * as z from 'zod/mini';
import { type DeliveryMessage, deliveryMessageSchema } from './delivery-message.ts';

/**
 * A pack: one SQS message on the main lane carrying several new deliveries of one subscription (e.g. one
 * fan-out batch's events for it). SQS bills per request, not per delivery, so a pack of ten costs a tenth of
 * ten messages to send, receive and delete, and the ten share one invocation's read of their subscription. It
 * stays in its subscription's fair-queue group, so packing changes nothing of the isolation between tenants.
 * A pack only carries what is queued anew (fan-out's deliveries, a client's retries and recoveries): what
 * follows an attempt (a retry, a move, a hand-back) is a message of its own, as before.
 */
export const maxDeliveriesPerPack = 10;

/**
 * The most a pack's body may take: a quarter of SQS's 1 MiB, so four packs still fit one batch call. A delivery
 * larger than that travels alone.
 */
export const maxPackBytes = 256 * 1024;

export const deliveryPackSchema = z.object({
  pack: z.array(deliveryMessageSchema).check(z.minLength(1), z.maxLength(maxDeliveriesPerPack)),
});

export type DeliveryPack = z.output<typeof deliveryPackSchema>;

/** What one main-lane message body carries: a delivery alone, or a pack of its subscription's deliveries. */
export interface MainLaneMessage {
  readonly body: string;
  readonly subscriptionId: string;
}

/** The length of `{"pack":[` and `]}`, and a comma between two deliveries. */
const packFrame = Buffer.byteLength('{"pack":[]}');

/**
 * The bodies that carry `messages` on the main lane: each subscription's deliveries, in the order given, in
 * packs of at most {@link maxDeliveriesPerPack} and {@link maxPackBytes}; a delivery alone is sent as itself
 * (the shape every consumer and dead-letter queue has always known).
 */
export function packsOf(messages: readonly DeliveryMessage[]): MainLaneMessage[] {
  const bySubscription = new Map<string, string[][]>();
  for (const message of messages) {
    const json = JSON.stringify(message);
    const packs = bySubscription.get(message.subscriptionId) ?? [];
    bySubscription.set(message.subscriptionId, packs);
    const last = packs.at(-1);
    const lastBytes =
      last === undefined ? 0 : packFrame + last.reduce((sum, one) => sum + Buffer.byteLength(one) + 1, 0);
    const fits =
      last !== undefined &&
      last.length < maxDeliveriesPerPack &&
      lastBytes + Buffer.byteLength(json) + 1 <= maxPackBytes;
    if (fits) last.push(json);
    else packs.push([json]);
  }
  return [...bySubscription].flatMap(([subscriptionId, packs]) =>
    packs.map((pack) => ({
      subscriptionId,
      body: pack.length === 1 ? (pack[0] as string) : `{"pack":[${pack.join(',')}]}`,
    })),
  );
}

/** How one delivery of a pack went: done, or it threw (its attempt may or may not have been made). */
export type PackMemberResult = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

/** What carrying a pack on needs from the world. */
export interface PackPorts {
  /** Processes one delivery of the pack, as a delivery alone with the pack's receipt would be. */
  readonly process: (message: DeliveryMessage) => Promise<void>;
  /** Sends deliveries on the lane again, each as a message of its own, after the lane's visibility timeout. */
  readonly sendAlone: (messages: readonly DeliveryMessage[]) => Promise<void>;
}

/**
 * Processes a pack's deliveries side by side. A delivery that threw goes back on its lane as a message of its
 * own (after the wait SQS would have made it wait), counting this receipt among its interrupted ones (its request may have left, as when SQS hands a single
 * message back), so the pack's other deliveries, done, are not made again. Only if that send fails does the
 * error reach SQS, which hands the whole pack back after its visibility timeout: the pack's done deliveries
 * then find their records and are dropped. `receiveCount` is the pack's receipts so far (1 the first time).
 */
export async function carryPack(
  pack: DeliveryPack,
  receiveCount: number,
  ports: PackPorts,
): Promise<PackMemberResult[]> {
  const results = await Promise.all(
    pack.pack.map((message) =>
      ports.process(message).then(
        (): PackMemberResult => ({ ok: true }),
        (error: unknown): PackMemberResult => ({ ok: false, error }),
      ),
    ),
  );
  const failed = pack.pack.filter((_, index) => results[index]?.ok === false);
  if (failed.length > 0) {
    await ports.sendAlone(
      failed.map((message) => ({ ...message, interrupted: (message.interrupted ?? 0) + receiveCount })),
    );
  }
  return results;
}
