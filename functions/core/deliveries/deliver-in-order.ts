import { type AttemptOutcome, describeOutcome, isSuccess } from '../egress/attempt.ts';
import type { AttemptBounds } from '../egress/webhook-sender.ts';
import { type SignedWebhookRequest, webhookRequest } from '../payloads/webhook-request.ts';
import { XmlPayloadError } from '../payloads/xml-payload.ts';
import { queues, testEventType } from '../platform.ts';
import type { Subscription } from '../subscriptions/subscription.ts';
import {
  type DeliveryPorts,
  type DeliverySettings,
  disable,
  lastAttemptFailed,
  markRecovered,
  type Receipt,
  type SubscriptionChanges,
  sampled,
  tellFailed,
  unknownAttempts,
  weighFailure,
} from './deliver.ts';
import { eventTimeOfDelivery } from './delivery-id.ts';
import type { DeliveryMessage } from './delivery-message.ts';
import { type AttemptRecord, attemptOf, type DeliveryRecord } from './delivery-record.ts';
import type { DeliveryChange } from './delivery-store.ts';
import { sleepWithinMs, turnOf } from './pacing.ts';
import { type EventOrder, messageGroupOf, type ResourcePosition, supersedes } from './resource-order.ts';
import { nextRetryDelaySeconds } from './retry-policy.ts';

/**
 * What became of an ordered delivery's message. `done`: it can be deleted (delivered, failed for good,
 * superseded, dropped), and its group goes on. `wait`: it stays, invisible for `seconds`, and its group waits
 * behind it (a retry, a turn under the rate limit, an open circuit, too little time left).
 */
export type OrderedDecision = (
  | {
      readonly kind: 'done';
      readonly summary: string;
      readonly outcome?: AttemptOutcome;
      /**
       * The delivery failed for good (its endpoint's failure, or its event's): its record says why and
       * `delivery.failed` is on the bus; no dead-letter queue keeps it.
       */
      readonly failed?: string;
      readonly superseded?: true;
    }
  | {
      readonly kind: 'wait';
      readonly seconds: number;
      readonly reason: 'retry' | 'turn' | 'circuit' | 'not due' | 'hand-back';
      readonly outcome?: AttemptOutcome;
    }
) & { readonly changes?: SubscriptionChanges };

/** What an ordered delivery needs beside what every delivery does. */
export interface OrderedDeliveryPorts extends DeliveryPorts {
  /** The newest event of the resource delivered to the subscription. */
  readonly position: (subscriptionId: string, resource: string) => Promise<ResourcePosition | undefined>;
  /** Moves the resource's position forward to a delivered event (never back). */
  readonly advancePosition: (
    subscriptionId: string,
    order: EventOrder,
    delivered: { readonly eventId: string; readonly deliveryId: string; readonly at: Date },
  ) => Promise<boolean>;
  /**
   * Takes the open circuit's probe for this attempt: the circuit's next probe moves on (its wait doubled), so
   * the other resources' deliveries wait for that one. False when another took it first.
   */
  readonly claimProbe: (subscription: Subscription) => Promise<boolean>;
  /** How often a message of the group was received and skipped behind another that waited. */
  readonly skippedReceives: (groupId: string, messageId: string) => Promise<number>;
  /** Forgets a message's skipped receives once it is its group's head (its record accounts for the rest). */
  readonly forgetSkipped: (groupId: string, messageId: string) => Promise<void>;
}

/** An ordered receipt: SQS's count, first receipt and message id (one message carries the whole delivery). */
export interface OrderedReceipt extends Receipt {
  readonly messageId: string;
  /** When SQS took the message (epoch ms): one older than its 5-minute de-duplication may have a twin before it. */
  readonly sentAt: number;
  /**
   * Its de-duplication id: fan-out's first message of a delivery has the delivery's id; any other (a client's
   * attempt, or a redriven message, which SQS gave the id of the message it dead-lettered) is not that.
   */
  readonly deduplicationId?: string;
}

/** The longest a message stays invisible: SQS's 12 hours, less a margin for the time since it was received. */
export const maxWaitSeconds = 12 * 3600 - 300;

/** The longest an ordered delivery waits between looks at an open circuit (once it has been open this long). */
export const circuitPatienceSeconds = 15 * 60;

/** After a day open, a circuit is looked at hourly: its resources' receives stay far from SQS's 1,000. */
export const longCircuitPatienceSeconds = 3600;

/**
 * A receive count at which a delivery that must wait again ends instead (failed on its record, `recover` sends it
 * again): the queue dead-letters messages after 1,000 receives, and an endpoint's outage must not get that far.
 */
export const receiveBudget = 900;

/** At most this many attempts of unknown outcome are put on record for one receive (a crash loop's). */
const maxUnknownAttempts = 5;

/** SQS FIFO de-duplicates a message id for five minutes. */
const deduplicationWindowMs = 5 * 60 * 1000;

const terminal = new Set<DeliveryRecord['status']>(['succeeded', 'failed', 'superseded']);

/**
 * Makes one attempt of an ordered delivery, or decides that it waits or ends, keeping its resource's order
 * (design notes: Ordered delivery). Its message is the only one of its delivery and stays in its FIFO group
 * until the delivery ends, so no newer event of its resource (behind it in the group) is attempted meanwhile;
 * every wait keeps it in flight with a visibility timeout instead of sending a new message. Its record holds what
 * the message cannot: the attempts made (so the next is known), the turn it waits for, and which receive wrote
 * last (so a receive that stopped without recording its attempt is put on record as `outcome_unknown`).
 *
 * - An event older than one of its resource already delivered (or another at the same place) is not sent: its
 *   delivery ends `superseded`. After a 2xx the resource's position moves forward to this event.
 * - Retries, Retry-After, 410, disabling and failing for good follow the schedule as on the other lanes; a
 *   delivery that fails for good (on its record, with `delivery.failed`, never dead-lettered) lets its group go on.
 * - A message redriven from the dead-letter queue (its invocations kept failing until SQS moved it there) is a
 *   new message at the end of its group: it reads its record, is superseded if a newer event of its resource was
 *   delivered meanwhile, and puts the receives its predecessor made after its last write on record as
 *   `outcome_unknown` (up to the cap of one receive).
 * - An open circuit: the delivery waits for its probe's time; then it takes the probe (one delivery of the
 *   subscription does) and its attempt tests the endpoint; the others wait for the next probe.
 * - A rate limit: it waits for its turn (in SQS for whole seconds, then a sleep), the turn kept on its record.
 * - There is one lane: it waits the full timeout (a slow endpoint holds only its own resources).
 */
export async function deliverInOrder(
  message: DeliveryMessage & { readonly order: EventOrder },
  ports: OrderedDeliveryPorts,
  settings: Omit<DeliverySettings, 'lane'>,
  receipt: OrderedReceipt,
): Promise<OrderedDecision> {
  const scheduled = message.trigger === 'event' || message.trigger === 'retry';
  // A message's first receive finds no record of its own making; only a twin may have left one (a fan-out that
  // ran again after the 5-minute de-duplication, or a dead letter redriven: SQS gives a redriven message a new
  // id and send time, but not the de-duplication id fan-out gave, and the delivery's own time, in its id, is
  // old). The read is saved on the common path: fan-out's message of a fresh delivery, received at once.
  const receivedAt = ports.now();
  const fannedOutAt = eventTimeOfDelivery(message.id) ?? receipt.sentAt;
  const firstReceive =
    receipt.count === 1 &&
    message.fannedOutAgain !== true &&
    (receipt.deduplicationId === undefined || receipt.deduplicationId === message.id) &&
    receivedAt - receipt.sentAt < deduplicationWindowMs &&
    receivedAt - fannedOutAt < deduplicationWindowMs;
  const [subscription, found, position] = await Promise.all([
    ports.subscription(message.accountId, message.subscriptionId),
    firstReceive ? Promise.resolve(undefined) : ports.record(message.subscriptionId, message.id),
    ports.position(message.subscriptionId, message.order.resource),
  ]);
  // Receives that made no attempt: up to the one that last wrote the record, if this message wrote it (from its
  // first processing on it is the head of its group); before that, the ones a batch skipped behind a wait.
  const groupId = messageGroupOf(message.subscriptionId, message.order.resource);
  let earlier = 0;
  if (found?.receivedBy === receipt.messageId) earlier = found.receipts ?? 0;
  else if (receipt.count > 1) {
    earlier = await ports.skippedReceives(groupId, receipt.messageId);
    if (earlier > 0) await ports.forgetSkipped(groupId, receipt.messageId);
  }
  const unknown = unknownAttempts(
    Math.min(
      maxUnknownAttempts,
      Math.max(0, receipt.count - 1 - earlier) + (scheduled ? leftBehind(found, receipt) : 0),
    ),
    message,
    receipt,
  );
  const scheduledAttempt = (found?.scheduledAttempt ?? 0) + 1;
  const current: DeliveryMessage = scheduled
    ? { ...message, attempt: scheduledAttempt, trigger: scheduledAttempt > 1 ? 'retry' : message.trigger }
    : message;
  /** Writes the attempts with the change; when its condition fails (the delivery ended), still adds the attempts. */
  const write = async (
    attempts: readonly AttemptRecord[],
    change: DeliveryChange,
    turn?: { readonly slotAt: number; readonly retaken: boolean },
  ) => {
    const now = new Date(ports.now());
    const stamp = {
      id: message.id,
      accountId: message.accountId,
      subscriptionId: message.subscriptionId,
      eventId: message.eventId,
      eventType: message.eventType,
      now,
      expiresAt: Math.floor(now.getTime() / 1000) + settings.retentionSeconds,
      receipt: {
        messageId: receipt.messageId,
        count: receipt.count,
        ...(turn === undefined
          ? {}
          : { slotAt: turn.slotAt, ...(turn.retaken ? { turnRetaken: true as const } : {}) }),
      },
    };
    if (await ports.recordAttempts({ ...stamp, attempts, change })) return true;
    if (attempts.length > 0) await ports.recordAttempts({ ...stamp, attempts, change: { kind: 'append' } });
    return false;
  };
  /**
   * Keeps the message in its group for `seconds`; its record notes this receive (and the turn it waits for). A
   * message near SQS's 1,000 receives ends instead: failed on its record, for `recover` to send again.
   */
  const wait = async (
    seconds: number,
    reason: Extract<OrderedDecision, { kind: 'wait' }>['reason'],
    turn?: { readonly slotAt: number; readonly retaken: boolean },
  ): Promise<OrderedDecision> => {
    if (receipt.count >= receiveBudget && scheduled && subscription !== undefined) {
      const why = `Not sent again: it waited ${receipt.count} receives in its resource's group (${reason}), near SQS's 1,000`;
      await tellFailed(current, subscription, why, ports, new Date(ports.now()));
      await write(unknown, { kind: 'fail', token: undefined, reason: why });
      return { kind: 'done', summary: `failed: ${why}`, failed: why };
    }
    await write(unknown, { kind: 'append' }, turn);
    return { kind: 'wait', seconds: Math.min(Math.max(0, Math.ceil(seconds)), maxWaitSeconds), reason };
  };
  const drop = async (summary: string): Promise<OrderedDecision> => {
    if (found !== undefined && unknown.length > 0) await write(unknown, { kind: 'append' });
    return { kind: 'done', summary };
  };

  if (scheduled && found !== undefined && terminal.has(found.status)) {
    return drop(`dropped: the delivery is ${found.status} already`);
  }
  if (supersedes(position, message.order, message.eventId)) {
    const by = position?.eventId ?? '';
    // A twin with no record may be of a delivery that succeeded unrecorded (success records sampled): not marked.
    if (!scheduled || (found === undefined && !firstReceive && receipt.count === 1)) {
      return drop(`dropped: a newer event of ${message.order.resource} (${by}) was delivered`);
    }
    await write(unknown, { kind: 'supersede', by });
    return { kind: 'done', summary: `superseded by ${by}`, superseded: true };
  }
  if (subscription === undefined || subscription.status !== 'active') {
    const why = subscription === undefined ? 'deleted' : subscription.status;
    if (scheduled && found !== undefined) {
      await write(unknown, {
        kind: 'fail',
        token: undefined,
        reason: `Not sent: the subscription was ${why}`,
      });
    }
    return { kind: 'done', summary: `dropped: subscription ${why}` };
  }
  const now = ports.now();
  // A retry not due yet (its wait outlasted SQS's 12 hours, or the wait was never set: a crash after the record).
  const dueAt = found?.nextAttemptAt === undefined ? now : Date.parse(found.nextAttemptAt);
  if (scheduled && found?.status === 'pending' && dueAt - now > sleepWithinMs) {
    return wait((dueAt - now) / 1000, 'not due');
  }
  const circuit = subscription.circuit;
  // Each look at an open circuit is a receive, and SQS dead-letters a message after 1,000: a circuit open for
  // long is looked at less often (every 15 minutes, hourly after a day), so a resource waits out days of it.
  const openForSeconds = circuit === undefined ? 0 : (now - Date.parse(circuit.openedAt)) / 1000;
  const patience =
    openForSeconds > 86_400 ? longCircuitPatienceSeconds : Math.min(circuitPatienceSeconds, openForSeconds);
  if (scheduled && circuit !== undefined && Date.parse(circuit.probeAt) > now) {
    return wait(Math.max((Date.parse(circuit.probeAt) - now) / 1000 + 1, patience), 'circuit');
  }
  const turn = await turnOf(
    subscription,
    found?.slotAt === undefined
      ? current
      : { ...current, slotAt: found.slotAt, ...(found.turnRetaken === true ? { turnRetaken: true } : {}) },
    ports,
    ports.now(),
  );
  const retaken =
    turn !== undefined &&
    found?.slotAt !== undefined &&
    (turn !== found.slotAt || found.turnRetaken === true);
  const pacedAt = ports.now();
  if (turn !== undefined && turn - pacedAt > sleepWithinMs) {
    return wait(Math.floor((turn - pacedAt) / 1000), 'turn', { slotAt: turn, retaken });
  }
  const sleepMs = turn !== undefined && turn > pacedAt ? turn - pacedAt : 0;
  const bounds: AttemptBounds = { connectMs: settings.connectMs, answerMs: settings.timeoutMs };
  if (ports.remainingMs() < sleepMs + settings.connectMs + settings.timeoutMs + settings.attemptReserveMs) {
    // Its turn is given up (it would be missed by then); a new one is taken when it is back.
    return wait(settings.attemptReserveMs / 1000, 'hand-back');
  }
  // The probe of an open circuit is taken last, just before the attempt it is: a turn or a hand-back after it
  // would spend it (and double the circuit's wait) without a request.
  if (scheduled && circuit !== undefined && !(await ports.claimProbe(subscription))) {
    return wait(Math.max(circuit.probeDelaySeconds, patience), 'circuit');
  }
  if (sleepMs > 0) await ports.sleep(sleepMs);

  const startedAt = new Date(ports.now());
  let request: SignedWebhookRequest;
  try {
    request = webhookRequest(subscription, current, startedAt);
  } catch (error) {
    // Its publisher's failure, as on the other lanes (deliver.ts): on record, never dead-lettered.
    if (!(error instanceof XmlPayloadError)) throw error;
    const reason = `No XML form: ${error.message}`;
    if (scheduled) await tellFailed(current, subscription, reason, ports, startedAt);
    await write(unknown, { kind: 'fail', token: scheduled ? undefined : 'any', reason });
    return { kind: 'done', summary: `failed: ${reason}`, failed: reason };
  }
  const outcome = await ports.send(request, bounds);
  const at = new Date(ports.now());
  const attempts = [...unknown, attemptOf(outcome, current, startedAt, request.proof)];
  const ofSchedule = scheduled ? current.attempt : undefined;
  const changes: SubscriptionChanges = {};

  if (isSuccess(outcome)) {
    // The position first: a crash before the record sends this event again (at least once), never an older one.
    await ports.advancePosition(message.subscriptionId, message.order, {
      eventId: message.eventId,
      deliveryId: message.id,
      at,
    });
    const unrecorded =
      scheduled &&
      current.attempt === 1 &&
      found === undefined &&
      unknown.length === 0 &&
      message.eventType !== testEventType &&
      !sampled(message.id, settings.successRecords);
    if (!unrecorded) await write(attempts, { kind: 'succeed', scheduledAttempt: ofSchedule });
    if (circuit !== undefined && (await ports.closeCircuit(subscription))) changes.circuit = 'closed';
    await markRecovered(subscription, message, ports, at);
    return { kind: 'done', summary: 'delivered', outcome, changes };
  }

  if (outcome.kind === 'response' && outcome.statusCode === 410) {
    const reason = 'The endpoint answered 410 Gone';
    await disable(subscription, reason, ports, at);
    if (scheduled) await tellFailed(current, subscription, reason, ports, at);
    await write(attempts, {
      kind: 'fail',
      token: scheduled ? undefined : 'any',
      scheduledAttempt: ofSchedule,
    });
    return { kind: 'done', summary: `failed: ${reason}`, failed: reason, outcome };
  }
  const { retryAfter, disabled, breakCircuit } = await weighFailure(
    subscription,
    outcome,
    ports,
    settings,
    at,
    changes,
  );
  if (!scheduled) {
    await write(attempts, { kind: 'append' });
    await breakCircuit();
    return {
      kind: 'done',
      summary: `failed: ${describeOutcome(outcome)} (a client's attempt is not retried)`,
      outcome,
      changes,
    };
  }
  const delaySeconds = nextRetryDelaySeconds(settings.schedule, current.attempt, retryAfter);
  // Near SQS's 1,000 receives, a retry ends the delivery here, on its record, rather than in the dead-letter queue.
  const outOfReceives =
    delaySeconds !== undefined && disabled === undefined && receipt.count >= receiveBudget;
  if (delaySeconds === undefined || disabled !== undefined || outOfReceives) {
    const reason = outOfReceives
      ? `Not retried: its message was received ${receipt.count} times in its resource's group, near SQS's 1,000`
      : (disabled ?? lastAttemptFailed(current.attempt, settings.schedule, outcome));
    await tellFailed(current, subscription, reason, ports, at);
    // The record's last attempt says why, unless it ended for want of receives.
    await write(attempts, {
      kind: 'fail',
      token: undefined,
      scheduledAttempt: current.attempt,
      ...(outOfReceives ? { reason } : {}),
    });
    await breakCircuit();
    return { kind: 'done', summary: `failed: ${reason}`, failed: reason, outcome, changes };
  }
  const nextAttemptAt = new Date(at.getTime() + delaySeconds * 1000).toISOString();
  await write(attempts, { kind: 'reschedule', scheduledAttempt: current.attempt, nextAttemptAt });
  await breakCircuit();
  return {
    kind: 'wait',
    seconds: Math.min(delaySeconds, maxWaitSeconds),
    reason: 'retry',
    outcome,
    changes,
  };
}

/**
 * The receives a scheduled delivery's earlier message made after its last write, when this message finds the
 * record pending and written by another one: that message left the queue without ending the delivery, which only
 * SQS does (it moves a message to the dead-letter queue after `maxReceiveCount` receives, each of which may have
 * sent a request before failing), so this is its redrive (or a twin behind it). Counted up to the queue's
 * `maxReceiveCount`; the caller caps them as one receive's.
 */
function leftBehind(found: DeliveryRecord | undefined, receipt: OrderedReceipt): number {
  if (found?.status !== 'pending' || found.receivedBy === undefined) return 0;
  if (found.receivedBy === receipt.messageId) return 0;
  return Math.max(0, queues.orderedDelivery.maxReceiveCount - (found.receipts ?? 0));
}
