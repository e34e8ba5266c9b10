import type { DeliveryMessage } from '#core/deliveries/delivery-message.ts';
import { type AttemptRecord, attemptOf, type DeliveryRecord } from '#core/deliveries/delivery-record.ts';
import type { AttemptWrite, DeliveryChange } from '#core/deliveries/delivery-store.ts';
import {
  attemptsOf,
  nextRetryDelaySeconds,
  parseRetryAfter,
  type RetrySchedule,
} from '#core/deliveries/retry-policy.ts';
import { type AttemptOutcome, describeOutcome, isSuccess } from '#core/egress/attempt.ts';
import type { AttemptBounds, WebhookRequest } from '#core/egress/webhook-sender.ts';
import type { PlatformEvent } from '#core/events/platform-events.ts';
import { type SignedWebhookRequest, webhookRequest } from '#core/payloads/webhook-request.ts';
import { XmlPayloadError } from '#core/payloads/xml-payload.ts';
import { queues, testEventType } from '#core/platform.ts';
import type { Circuit, Subscription } from '#core/subscriptions/subscription.ts';
import { countsAgainstCircuit } from './circuit-breaker.ts';
import { crashLoopDeadLetter, lastReceiveOf } from './crash-loop.ts';
import { eventTimeOfDelivery } from './delivery-id.ts';
import {
  cutOff,
  type Lane,
  type LanePorts,
  type LaneRule,
  laneVerdict,
  weighLaneEvidence,
} from './lane-evidence.ts';
import { type PacingPorts, shareOf, sleepWithinMs, turnOf } from './pacing.ts';

export type { Lane } from './lane-evidence.ts';

/**
 * What became of a delivery's message, for the function's logs and metrics: {@link deliver} has sent what
 * follows (the retry, the move, a dead letter) and recorded it; the message itself can be deleted.
 */
export type DeliveryDecision =
  /** Nothing more: delivered, dropped, handed back, or a client's attempt that needs no follow-up. */
  (
    | { readonly kind: 'done'; readonly summary: string; readonly outcome?: AttemptOutcome }
    /** The next scheduled attempt was queued, after a wait, in a lane. */
    | {
        readonly kind: 'retry';
        readonly message: DeliveryMessage;
        readonly delaySeconds: number;
        readonly lane: Lane;
        readonly outcome: AttemptOutcome;
      }
    /** The same attempt was queued again, at once, in the slow lane. */
    | {
        readonly kind: 'move';
        readonly message: DeliveryMessage;
        readonly reason: string;
        /** The attempt the main lane cut off, if it made one (a slow-marked subscription moves without trying). */
        readonly outcome?: AttemptOutcome;
      }
    /**
     * The delivery ended without success, for a reason of its endpoint's (its last attempt failed, 410 Gone, its
     * subscription disabled) or of its event's (a body with no XML form): its record says `failed` and why, and
     * `delivery.failed` is on the bus. No dead-letter queue keeps it: `recover` sends it again from its record.
     */
    | { readonly kind: 'failed'; readonly reason: string; readonly outcome?: AttemptOutcome }
    /**
     * The platform could not process it on any of the receives its lane allows (every one threw): its message is
     * in the dead-letter queue with the reason, for a redrive once the cause is fixed (crash-loop.ts).
     */
    | { readonly kind: 'deadLettered'; readonly reason: string }
    /** Not attempted: its subscription's circuit is open, and it waits, held, for a probe's answer. */
    | { readonly kind: 'held' }
    /** Not attempted yet: it waits in SQS for its turn under a rate limit or the endpoint's Retry-After. */
    | { readonly kind: 'throttled'; readonly until: number }
  ) & { readonly changes?: SubscriptionChanges };

/** What an attempt changed of its subscription, beside its delivery: for the function's metrics. */
export interface SubscriptionChanges {
  lane?: 'slowed' | 'restored';
  circuit?: 'opened' | 'closed';
}

/** How deliveries are made in this deployment and lane. */
export interface DeliverySettings {
  readonly lane: Lane;
  readonly schedule: RetrySchedule;
  /**
   * How long the main lane waits for an answer, from the moment the request was written; an attempt not
   * answered by then goes on in the slow lane.
   */
  readonly mainLaneWaitMs: number;
  /** How long either lane waits to have a connection (DNS, TCP, TLS) before the request is written. */
  readonly connectMs: number;
  /** What moves a subscription between lanes. */
  readonly laneRule: LaneRule;
  /** Failed attempts in a row that open a subscription's circuit; 0: never. */
  readonly circuitBreakAfter: number;
  /** The longest a `Retry-After` holds back an endpoint's other deliveries. */
  readonly maxBackOffSeconds: number;
  /** How long the slow lane waits: success is a 2xx within this. */
  readonly timeoutMs: number;
  /** A subscription failing without a success for this long is disabled. */
  readonly disableAfterMs: number;
  /** How long a delivery's record is kept. */
  readonly retentionSeconds: number;
  /**
   * Which deliveries that succeed at their first attempt get a record: every one (1), none (0), or that share
   * of them (chosen by their id, so a repeat is chosen alike). Deliveries with a failure are always recorded.
   */
  readonly successRecords: number;
  /** Time kept after an attempt's wait for what follows it; an attempt that would not leave it is not started. */
  readonly attemptReserveMs: number;
}

/** Whether a delivery falls in the recorded share of first-attempt successes: the same answer for the same id. */
export function sampled(deliveryId: string, share: number): boolean {
  if (share >= 1) return true;
  if (share <= 0) return false;
  return shareOf(deliveryId) < share;
}

/** How this message reached the function: SQS's receive count and first receipt. */
export interface Receipt {
  /** 1 on the first receipt; more when earlier receipts stopped before the message was deleted. */
  readonly count: number;
  /** When SQS first handed the message out (epoch ms). */
  readonly firstReceivedAt: number;
}

/** What a delivery needs from the world. */
export interface DeliveryPorts extends LanePorts, PacingPorts {
  readonly subscription: (accountId: string, id: string) => Promise<Subscription | undefined>;
  readonly record: (subscriptionId: string, deliveryId: string) => Promise<DeliveryRecord | undefined>;
  readonly send: (request: WebhookRequest, bounds: AttemptBounds) => Promise<AttemptOutcome>;
  /** Adds attempts to the delivery's record with what they make of it; false when its condition did not hold. */
  readonly recordAttempts: (write: AttemptWrite) => Promise<boolean>;
  /** Queues a delivery's message on a lane after a delay (waits over 15 minutes go through the retry queue). */
  readonly forward: (message: DeliveryMessage, lane: Lane, delaySeconds: number) => Promise<void>;
  /**
   * Keeps a delivery the platform could not process in the dead-letter queue, with the reason: never one that
   * failed for its endpoint's sake, which its record and `delivery.failed` tell.
   */
  readonly deadLetter: (message: DeliveryMessage, reason: string) => Promise<void>;
  /** A new, unguessable turn token for a follow-up message. */
  readonly newToken: () => string;
  /** Milliseconds the invocation has left before its timeout. */
  readonly remainingMs: () => number;
  readonly disable: (subscription: Subscription, reason: string) => Promise<boolean>;
  /**
   * Notes a failed attempt on the subscription (its failure streak; for `countsAgainstCircuit`, its failures
   * in a row); answers the failures in a row, undefined when the subscription is gone.
   */
  readonly noteFailure: (
    subscription: Subscription,
    countsAgainstCircuit: boolean,
  ) => Promise<number | undefined>;
  readonly markRecovered: (subscription: Subscription) => Promise<boolean>;
  /** Holds a delivery (its message, without the body) until its subscription's circuit closes. */
  readonly hold: (message: DeliveryMessage) => Promise<void>;
  /** Opens the subscription's circuit (probe first); true when this call opened it. */
  readonly openCircuit: (
    subscription: Subscription,
    lastError: string,
    failuresInARow: number,
  ) => Promise<boolean>;
  /** Whether the circuit the subscription was read with is still open (a fresh read). */
  readonly stillOpen: (subscription: Subscription) => Promise<boolean>;
  /** Sends the subscription's held deliveries on (a release message). */
  readonly releaseHeld: (subscription: Subscription) => Promise<void>;
  /** Sends a new probe for an open circuit whose probe was lost, under a new token. */
  readonly restartProbe: (subscription: Subscription) => Promise<void>;
  /** Closes the subscription's open circuit and releases what it held; true when this call closed it. */
  readonly closeCircuit: (subscription: Subscription) => Promise<boolean>;
  /** Holds the endpoint's other deliveries until `until` (its Retry-After). */
  readonly backOff: (subscription: Subscription, until: Date) => Promise<boolean>;
  /** Waits a moment (at most a second: an attempt a little early for its turn). */
  readonly sleep: (ms: number) => Promise<void>;
  /** Puts one of the platform's own events on the bus, for operators' rules. */
  readonly publish: (event: PlatformEvent) => Promise<void>;
  readonly now: () => number;
}

/**
 * How long a follow-up waits, and how often at most, for its delivery's record to name it: longer in all than
 * the slow lane's visibility timeout (180 s), after which the message of a crashed attempt comes back.
 */
export const turnWaitSeconds = 10;
export const maxTurnWaits = 60;

/** The attempts an earlier receipt may have made: one per receipt that stopped before recording its attempt. */
function interruptedAttempts(message: DeliveryMessage, receipt: Receipt): AttemptRecord[] {
  return unknownAttempts((message.interrupted ?? 0) + Math.max(0, receipt.count - 1), message, receipt);
}

/** `count` attempts whose outcome is unknown: receipts of the message that stopped before recording theirs. */
export function unknownAttempts(
  count: number,
  message: Pick<DeliveryMessage, 'trigger'>,
  receipt: Receipt,
): AttemptRecord[] {
  return Array.from({ length: count }, () => ({
    at: new Date(receipt.firstReceivedAt).toISOString(),
    trigger: message.trigger,
    error: 'outcome_unknown' as const,
    errorDetail:
      'An earlier receipt of this attempt stopped (a crash, a kill or a timeout) before recording it; its ' +
      'request may have reached the endpoint. The time is that of the first receipt.',
  }));
}

/**
 * Makes one attempt of a delivery and decides what follows; its record gets every attempt, and the platform's
 * own events say when a delivery fails for good, a subscription recovers, or one is disabled.
 *
 * Nothing is lost at any crash point, and every request that left is on record:
 * - What carries the delivery on (the follow-up message, the move to the slow lane) is sent before the record
 *   says so, and the record names the one live follow-up by its turn token. A message
 *   whose token the record does not name is stale (an orphan of a crash, or a repeat) and is dropped; the one
 *   it names comes back after any crash and makes its attempt again.
 * - A message received again (its earlier receipt stopped before recording its attempt) adds an attempt
 *   `outcome_unknown` for each such receipt: it may have sent a request. A 2xx always ends the delivery
 *   `succeeded`, whatever a concurrent copy did; an attempt whose copy lost the race is still recorded.
 * - An attempt that could not end, with time kept for what follows it, before the invocation's timeout is not
 *   started: its message goes back to its lane as a fresh copy (so its receive count keeps its meaning).
 * - A message whose processing throws on the last receive its lane allows is dead-lettered, counting its
 *   receives as interrupted ones (crash-loop.ts): redriven once the cause is fixed, it carries the delivery on
 *   (or is dropped, if the delivery ended meanwhile) and puts those receives on record as `outcome_unknown`.
 *
 * Outcomes:
 * - A delivery of a deleted, paused or disabled subscription is dropped, as fan-out drops new events for it; a
 *   record it had ends `failed` with the reason, so `recover` can send it again once the subscription is active.
 * - The main lane waits briefly: an endpoint that has not answered by then is cut off, marked slow, and its
 *   deliveries go to the slow lane, which waits the full timeout, so a slow endpoint never holds the main lane.
 * - A 2xx succeeds; 410 Gone disables the subscription; anything else is retried on the schedule (honouring
 *   `Retry-After` on 429 and 503) until the last attempt fails, or the subscription has failed without a
 *   success for too long, which disables it. A client's attempt (retry, recover) is made once, never retried.
 * - A scheduled delivery that ends so (or whose body has no XML form) fails: its record says why, and
 *   `delivery.failed` goes on the bus. That is its endpoint's failure, or its publisher's, never the platform's:
 *   no dead-letter queue keeps it, and `recover` sends it again from its record.
 */
export async function deliver(
  message: DeliveryMessage,
  ports: DeliveryPorts,
  settings: DeliverySettings,
  receipt: Receipt = { count: 1, firstReceivedAt: ports.now() },
): Promise<DeliveryDecision> {
  try {
    return await deliverOnce(message, ports, settings, receipt);
  } catch (error) {
    // Before its last receive SQS hands the message back; after it SQS would move it to the dead-letter queue
    // as it is, and its redrive could not tell that those receives may have sent requests.
    if (receipt.count < lastReceiveOf(settings.lane)) throw error;
    const kept = crashLoopDeadLetter(message, receipt.count, error);
    await ports.deadLetter(kept.message, kept.reason);
    return { kind: 'deadLettered', reason: kept.reason };
  }
}

/**
 * How old (since its fan-out) a first attempt's message must be to have its record read before the attempt: no
 * redrive comes sooner than a lane's receives before its DLQ (5 × 60 s on the main lane), and fresh messages are
 * rarely that late (a backlog's cost one read each).
 */
export const redriveAfterMs =
  queues.delivery.visibilityTimeoutSeconds * queues.delivery.maxReceiveCount * 1000;

async function deliverOnce(
  message: DeliveryMessage,
  ports: DeliveryPorts,
  settings: DeliverySettings,
  receipt: Receipt,
): Promise<DeliveryDecision> {
  const scheduled = message.trigger === 'event' || message.trigger === 'retry';
  // A first attempt's message long after its fan-out may be a redrive of one SQS moved to the DLQ after receives
  // it counted (timeouts, kills): a redriven message is new, received 0 times, so only its age tells.
  const lateFirst =
    message.token === undefined &&
    ports.now() - (eventTimeOfDelivery(message.id) ?? ports.now()) > redriveAfterMs;
  const repeated =
    lateFirst ||
    receipt.count > 1 ||
    (message.interrupted ?? 0) > 0 ||
    message.fannedOutAgain === true ||
    message.released === true;
  const [subscription, found] = await Promise.all([
    ports.subscription(message.accountId, message.subscriptionId),
    scheduled && (message.token !== undefined || repeated)
      ? ports.record(message.subscriptionId, message.id)
      : Promise.resolve(undefined),
  ]);
  const unknown = interruptedAttempts(message, receipt);
  const stamp = (now: Date) => ({
    id: message.id,
    accountId: message.accountId,
    subscriptionId: message.subscriptionId,
    eventId: message.eventId,
    eventType: message.eventType,
    now,
    expiresAt: Math.floor(now.getTime() / 1000) + settings.retentionSeconds,
  });
  /** Writes the attempts with the change; when its condition fails, still adds the attempts. */
  const write = async (attempts: readonly AttemptRecord[], change: DeliveryChange, now: Date) => {
    if (await ports.recordAttempts({ ...stamp(now), attempts, change })) return true;
    if (attempts.length > 0)
      await ports.recordAttempts({ ...stamp(now), attempts, change: { kind: 'append' } });
    return false;
  };

  /**
   * Drops a message the delivery no longer needs. Its earlier receipts may still have sent a request that no
   * record holds (a copy carried the delivery on meanwhile, e.g. a fan-out that ran again): those go on record.
   */
  const drop = async (summary: string): Promise<DeliveryDecision> => {
    if (found !== undefined && unknown.length > 0)
      await write(unknown, { kind: 'append' }, new Date(ports.now()));
    return { kind: 'done', summary };
  };
  if (scheduled && found?.status === 'succeeded') return drop('dropped: delivered meanwhile');
  if (scheduled && found?.status === 'failed') return drop('dropped: the delivery ended meanwhile');
  // A follow-up is sent before the record names it, so it can arrive first (a write slower than its delay):
  // while the attempt before it is not on record, it waits. Either the record soon names it, or the message
  // of that attempt comes back after a crash, makes it again and names another (then this one is stale).
  const notOnRecordYet =
    scheduled &&
    message.token !== undefined &&
    found?.liveToken !== message.token &&
    (found?.scheduledAttempt ?? 0) < message.attempt - 1;
  if (notOnRecordYet && subscription !== undefined && (message.waits ?? 0) < maxTurnWaits) {
    await ports.forward(
      { ...message, waits: (message.waits ?? 0) + 1, interrupted: unknown.length },
      settings.lane,
      turnWaitSeconds,
    );
    return { kind: 'done', summary: 'waiting: the attempt before this one is not on record yet' };
  }
  // Read whenever the message has a token or comes again: a record that names another token (or none, for an
  // orphan whose attempt was never recorded and waited long enough) means another message carries the delivery.
  if (
    scheduled &&
    (found !== undefined || message.token !== undefined) &&
    found?.liveToken !== message.token
  ) {
    return drop('dropped: a stale message (the delivery moved on without it)');
  }
  if (subscription === undefined || subscription.status !== 'active') {
    const why = subscription === undefined ? 'deleted' : subscription.status;
    // A record still carried by this message would stay pending for ever: end it, saying why.
    if (scheduled && found !== undefined) {
      await write(
        unknown,
        { kind: 'fail', token: message.token, reason: `Not sent: the subscription was ${why}` },
        new Date(ports.now()),
      );
    }
    return { kind: 'done', summary: `dropped: subscription ${why}` };
  }
  if (scheduled && subscription.circuit !== undefined) {
    return hold(message, subscription, subscription.circuit, unknown, ports, write, new Date(ports.now()));
  }
  if (settings.lane === 'main' && subscription.slowSince !== undefined) {
    await ports.forward({ ...message, interrupted: unknown.length }, 'slow', 0);
    return { kind: 'move', message, reason: 'the endpoint is slow' };
  }
  // Its turn under the rate limit, or after the endpoint's Retry-After: waited for in SQS, using no attempt.
  const turn = await turnOf(subscription, message, ports, ports.now());
  const retaken = turn !== undefined && message.slotAt !== undefined && turn !== message.slotAt;
  const paced =
    turn === undefined
      ? message
      : { ...message, slotAt: turn, ...(retaken ? { turnRetaken: true as const } : {}) };
  // Timed after the turn was taken (a write): SQS counts a delay from the send.
  const pacedAt = ports.now();
  if (turn !== undefined && turn - pacedAt > sleepWithinMs) {
    const { waits: _waits, ...rest } = paced;
    await ports.forward(
      { ...rest, interrupted: unknown.length },
      settings.lane,
      Math.floor((turn - pacedAt) / 1000),
    );
    return { kind: 'throttled', until: turn };
  }
  const sleepMs = turn !== undefined && turn > pacedAt ? turn - pacedAt : 0;
  const wait =
    settings.lane === 'main' ? Math.min(settings.mainLaneWaitMs, settings.timeoutMs) : settings.timeoutMs;
  const bounds: AttemptBounds = { connectMs: settings.connectMs, answerMs: wait };
  if (ports.remainingMs() < sleepMs + settings.connectMs + wait + settings.attemptReserveMs) {
    // Back after the reserve's length: reads that slow mean a busy store, which a quick return would add to.
    // Its turn is given up (it would be missed by then) and a new one taken when it is back: kept, a turn
    // missed would be retaken anyway, or, if retaken once already, sent outside the limit.
    const back = Math.ceil(settings.attemptReserveMs / 1000);
    const { slotAt: _slot, turnRetaken: _retaken, ...handedBack } = paced;
    await ports.forward({ ...handedBack, interrupted: unknown.length }, settings.lane, back);
    return { kind: 'done', summary: 'handed back: too little time left in this invocation for the attempt' };
  }
  if (sleepMs > 0) await ports.sleep(sleepMs);

  const startedAt = new Date(ports.now());
  let request: SignedWebhookRequest;
  try {
    request = webhookRequest(subscription, message, startedAt);
  } catch (error) {
    // A body that has no XML form never will: a retry or a redrive could not send it. Its publisher's failure
    // (an event nested deeper than XML is built), not the platform's: it fails on record, with the reason, and
    // `recover` sends it once the subscription takes JSON (design notes: Failures and dead letters).
    if (!(error instanceof XmlPayloadError)) throw error;
    const reason = `No XML form: ${error.message}`;
    const now = new Date(ports.now());
    if (scheduled) await tellFailed(message, subscription, reason, ports, now);
    await write(unknown, { kind: 'fail', token: scheduled ? message.token : 'any', reason }, now);
    return { kind: 'failed', reason };
  }
  const outcome = await ports.send(request, bounds);
  const now = new Date(ports.now());
  const ofSchedule = scheduled ? message.attempt : undefined;
  const changes: SubscriptionChanges = {};
  /** What this attempt says of the subscription's lane, weighed once its delivery is carried on. */
  const weighLane = async () => {
    const verdict = laneVerdict(
      outcome,
      settings.lane,
      subscription,
      settings.laneRule,
      wait,
      settings.timeoutMs,
    );
    const moved = await weighLaneEvidence(verdict, settings.lane, subscription, settings.laneRule, ports);
    if (moved !== undefined) changes.lane = moved;
  };

  if (cutOff(outcome, wait, settings.timeoutMs)) {
    // Cut off by the main lane's wait: not an attempt of the schedule, but the endpoint saw a request. The
    // delivery goes on in the slow lane; the subscription follows only when its answers keep being slow.
    await ports.forward(paced, 'slow', 0);
    await write(
      [...unknown, attemptOf(outcome, message, startedAt, request.proof, true)],
      { kind: 'append' },
      now,
    );
    await weighLane();
    return { kind: 'move', message, reason: `no answer within ${wait} ms`, outcome, changes };
  }

  const attempt = attemptOf(outcome, message, startedAt, request.proof);
  const attempts = [...unknown, attempt];
  if (isSuccess(outcome)) {
    // A test event's sender looks its delivery up, which is on record from the start: always kept.
    // A held delivery's record says it is held: its success is always written, or it would stay pending.
    const unrecorded =
      scheduled &&
      message.attempt === 1 &&
      unknown.length === 0 &&
      message.released !== true &&
      message.eventType !== testEventType &&
      !sampled(message.id, settings.successRecords);
    if (!unrecorded) await write(attempts, { kind: 'succeed', scheduledAttempt: ofSchedule }, now);
    await weighLane();
    if (subscription.circuit !== undefined && (await ports.closeCircuit(subscription)))
      changes.circuit = 'closed';
    await markRecovered(subscription, message, ports, now);
    return { kind: 'done', summary: 'delivered', outcome, changes };
  }

  await weighLane();
  const token = scheduled ? message.token : ('any' as const);
  if (outcome.kind === 'response' && outcome.statusCode === 410) {
    const reason = 'The endpoint answered 410 Gone';
    // Disabled first: if the record below is never written, the message comes back and ends it as disabled.
    await disable(subscription, reason, ports, now);
    if (scheduled) await tellFailed(message, subscription, reason, ports, now);
    await write(attempts, { kind: 'fail', token, scheduledAttempt: ofSchedule }, now);
    return { kind: 'failed', reason, outcome };
  }

  const { retryAfter, disabled, breakCircuit } = await weighFailure(
    subscription,
    outcome,
    ports,
    settings,
    now,
    changes,
  );

  if (!scheduled) {
    await write(attempts, { kind: 'append' }, now);
    await breakCircuit();
    return {
      kind: 'done',
      summary: `failed: ${describeOutcome(outcome)} (a client's attempt is not retried)`,
      outcome,
      changes,
    };
  }

  const delaySeconds = nextRetryDelaySeconds(settings.schedule, message.attempt, retryAfter);
  if (delaySeconds === undefined || disabled !== undefined) {
    const reason = disabled ?? lastAttemptFailed(message.attempt, settings.schedule, outcome);
    // Told before the record says so: a crash in between makes the attempt again, and tells again.
    await tellFailed(message, subscription, reason, ports, now);
    if (!(await write(attempts, { kind: 'fail', token, scheduledAttempt: message.attempt }, now))) {
      return { kind: 'done', summary: 'failed, but a concurrent copy had carried the delivery on', outcome };
    }
    await breakCircuit();
    return { kind: 'failed', reason, outcome, changes };
  }
  const next: DeliveryMessage = {
    id: message.id,
    accountId: message.accountId,
    subscriptionId: message.subscriptionId,
    eventId: message.eventId,
    eventType: message.eventType,
    body: message.body,
    attempt: message.attempt + 1,
    trigger: 'retry',
    token: ports.newToken(),
  };
  const nextAttemptAt = new Date(now.getTime() + delaySeconds * 1000).toISOString();
  // The follow-up first: the record names it only once it exists.
  await ports.forward(next, settings.lane, delaySeconds);
  const advanced = await write(
    attempts,
    {
      kind: 'advance',
      token: message.token,
      nextToken: next.token as string,
      scheduledAttempt: message.attempt,
      nextAttemptAt,
    },
    now,
  );
  if (!advanced) {
    return { kind: 'done', summary: 'failed; a concurrent copy had carried the delivery on', outcome };
  }
  await breakCircuit();
  return { kind: 'retry', message: next, delaySeconds, lane: settings.lane, outcome, changes };
}

/**
 * What a failed attempt does to its subscription, on every lane: a `Retry-After` on a 429 or 503 holds the
 * endpoint's other deliveries back (this one waits as its schedule says), and the failure is noted, which may
 * disable the subscription. `breakCircuit`, called once the delivery is carried on, opens the circuit when the
 * failures in a row reach the deployment's bound (unless it is open already, or the subscription was disabled).
 */
export async function weighFailure(
  subscription: Subscription,
  outcome: AttemptOutcome,
  ports: Pick<DeliveryPorts, 'backOff' | 'noteFailure' | 'disable' | 'publish' | 'openCircuit'>,
  settings: Pick<DeliverySettings, 'maxBackOffSeconds' | 'disableAfterMs' | 'circuitBreakAfter'>,
  now: Date,
  changes: SubscriptionChanges,
): Promise<{ retryAfter?: number; disabled?: string; breakCircuit: () => Promise<void> }> {
  const honoursRetryAfter =
    outcome.kind === 'response' && (outcome.statusCode === 429 || outcome.statusCode === 503);
  const retryAfter = honoursRetryAfter ? parseRetryAfter(outcome.retryAfter, now.getTime()) : undefined;
  if (retryAfter !== undefined && retryAfter > 0) {
    const backOffSeconds = Math.min(retryAfter, settings.maxBackOffSeconds);
    await ports.backOff(subscription, new Date(now.getTime() + backOffSeconds * 1000));
  }
  const { disabled, failuresInARow } = await noteFailure(subscription, outcome, ports, settings, now);
  const breakCircuit = async () => {
    const bound = settings.circuitBreakAfter;
    if (bound === 0 || disabled !== undefined || subscription.circuit !== undefined) return;
    if (failuresInARow === undefined || failuresInARow < bound) return;
    if (await ports.openCircuit(subscription, describeOutcome(outcome), failuresInARow))
      changes.circuit = 'opened';
  };
  return {
    ...(retryAfter === undefined ? {} : { retryAfter }),
    ...(disabled === undefined ? {} : { disabled }),
    breakCircuit,
  };
}

/** Why a delivery whose last scheduled attempt failed ended. */
export const lastAttemptFailed = (attempt: number, schedule: RetrySchedule, outcome: AttemptOutcome) =>
  `Attempt ${attempt} of ${attemptsOf(schedule)} failed: ${describeOutcome(outcome)}`;

/**
 * Says `delivery.failed` on the bus for a delivery that failed for good: its endpoint's failure (or its event's),
 * told to whoever routes the platform's events, never kept in a dead-letter queue (whose alarm is the platform's).
 */
export async function tellFailed(
  message: DeliveryMessage,
  subscription: Subscription,
  reason: string,
  ports: Pick<DeliveryPorts, 'publish'>,
  now: Date,
): Promise<void> {
  await ports.publish({
    type: 'delivery.failed',
    detail: {
      account_id: subscription.accountId,
      webhook_id: subscription.id,
      delivery_id: message.id,
      event_id: message.eventId,
      event_type: message.eventType,
      attempts: message.attempt,
      reason,
      failed_at: now.toISOString(),
    },
  });
}

/**
 * Notes a failed attempt on the subscription: the first one starts its failure streak, and one that says the
 * endpoint is unavailable counts among its failures in a row (a write only then); one after the streak lasted
 * too long disables it. Answers the reason when it disabled it, and the failures in a row.
 */
export async function noteFailure(
  subscription: Subscription,
  outcome: AttemptOutcome,
  ports: Pick<DeliveryPorts, 'noteFailure' | 'disable' | 'publish'>,
  settings: Pick<DeliverySettings, 'disableAfterMs'>,
  now: Date,
): Promise<{ readonly disabled?: string; readonly failuresInARow?: number }> {
  const counts = countsAgainstCircuit(outcome);
  const failuresInARow =
    counts || subscription.failingSince === undefined
      ? await ports.noteFailure(subscription, counts)
      : subscription.consecutiveFailures;
  if (subscription.failingSince === undefined) return { failuresInARow };
  if (now.getTime() - Date.parse(subscription.failingSince) < settings.disableAfterMs)
    return { failuresInARow };
  const reason = `No successful delivery since ${subscription.failingSince}, for longer than ${describeDuration(settings.disableAfterMs)}`;
  await disable(subscription, reason, ports, now);
  return { disabled: reason, failuresInARow };
}

/** Ends the subscription's failure streak after a 2xx, and says `delivery.recovered` when there was one. */
export async function markRecovered(
  subscription: Subscription,
  delivery: Pick<DeliveryMessage, 'id' | 'eventId'>,
  ports: Pick<DeliveryPorts, 'markRecovered' | 'publish'>,
  now: Date,
): Promise<void> {
  if (subscription.failingSince === undefined || !(await ports.markRecovered(subscription))) return;
  await ports.publish({
    type: 'delivery.recovered',
    detail: {
      account_id: subscription.accountId,
      webhook_id: subscription.id,
      delivery_id: delivery.id,
      event_id: delivery.eventId,
      failing_since: subscription.failingSince,
      recovered_at: now.toISOString(),
    },
  });
}

/**
 * Holds a delivery while its subscription's circuit is open: its message (without the body) is kept beside
 * the records, then the record says it is held, with the probe that was due; the message can then go. No
 * attempt is made or used up, and nothing more is spent while it waits. Holding it again (a message received
 * twice) writes the same item.
 */
async function hold(
  message: DeliveryMessage,
  subscription: Subscription,
  circuit: Circuit,
  unknown: readonly AttemptRecord[],
  ports: DeliveryPorts,
  write: (attempts: readonly AttemptRecord[], change: DeliveryChange, now: Date) => Promise<boolean>,
  now: Date,
): Promise<DeliveryDecision> {
  const {
    waits: _waits,
    slotAt: _slot,
    turnRetaken: _retaken,
    interrupted: _interrupted,
    released: _released,
    ...held
  } = message;
  await ports.hold(held);
  await write(unknown, { kind: 'hold', token: message.token, probeAt: circuit.probeAt }, now);
  // The circuit may have closed (and its release run) between the read that found it open and the hold: then
  // nothing would ever send this delivery on. One more read tells; a release then sends what is held.
  if (!(await ports.stillOpen(subscription))) {
    await ports.releaseHeld(subscription);
    return { kind: 'held' };
  }
  // A probe far past its time was lost (its message kept failing into the dead-letter queue): start another,
  // so that no circuit stays open, holding deliveries, for want of a probe.
  if (now.getTime() - Date.parse(circuit.probeAt) > lostProbeAfterMs) await ports.restartProbe(subscription);
  return { kind: 'held' };
}

/** A probe this far past its time is taken for lost (the slow lane's receives and visibility many times over). */
export const lostProbeAfterMs = 15 * 60 * 1000;

/** Disables the subscription with its reason and, when this call disabled it, says `webhook.disabled`. */
export async function disable(
  subscription: Subscription,
  reason: string,
  ports: Pick<DeliveryPorts, 'disable' | 'publish'>,
  now: Date,
): Promise<void> {
  if (!(await ports.disable(subscription, reason))) return;
  await ports.publish({
    type: 'webhook.disabled',
    detail: {
      account_id: subscription.accountId,
      webhook_id: subscription.id,
      reason,
      disabled_at: now.toISOString(),
    },
  });
}

function describeDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds % 86_400 === 0) return `${seconds / 86_400} days`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hours`;
  return `${seconds} seconds`;
}
