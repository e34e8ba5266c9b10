import { type AttemptOutcome, describeOutcome, isSuccess } from '../egress/attempt.ts';
import type { AttemptBounds, WebhookRequest } from '../egress/webhook-sender.ts';
import type { PlatformEvent } from '../events/platform-events.ts';
import type { RequestProof, SignedWebhookRequest } from '../payloads/webhook-request.ts';
import type { Circuit, Subscription } from '../subscriptions/subscription.ts';
import type { CircuitMessage, DeliveryMessage } from './delivery-message.ts';
import { type AttemptRecord, attemptOf, sentRequestOf } from './delivery-record.ts';
import type { AttemptWrite } from './delivery-store.ts';
import type { HeldDelivery } from './held-delivery-store.ts';

/**
 * A failed attempt that says the endpoint is unavailable, and counts toward opening its circuit: no answer
 * (refused, reset, timeout, DNS, TLS), a 5xx or 408. A 429 says the endpoint is up and wants less: its Retry-After
 * holds the endpoint's deliveries back, and a rate limit spaces them; opening the circuit for it would stop an
 * endpoint that only asked to be sent less. Other 4xx are about the request, not the endpoint
 * (a payload it rejects says nothing of the next one); a blocked address is the platform's own refusal.
 */
export function countsAgainstCircuit(outcome: AttemptOutcome): boolean {
  if (outcome.kind === 'response') {
    const status = outcome.statusCode;
    return status >= 500 || status === 408;
  }
  return outcome.errorKind !== 'blocked_address' && outcome.errorKind !== 'outcome_unknown';
}

/** How a deployment's circuits behave. */
export interface CircuitSettings {
  /** Failed attempts in a row that open a circuit; 0: never. */
  readonly breakAfter: number;
  readonly firstProbeSeconds: number;
  readonly probeMaxSeconds: number;
  /** Bounds of a probe's request (the slow lane's: the full timeout). */
  readonly probeBounds: AttemptBounds;
  readonly retentionSeconds: number;
}

/** Held deliveries sent on per release message. */
export const releasePageSize = 100;

/** What the circuit breaker needs from the world. */
export interface CircuitPorts {
  readonly subscription: (accountId: string, id: string) => Promise<Subscription | undefined>;
  readonly oldestHeld: (subscriptionId: string, limit: number, after?: string) => Promise<HeldDelivery[]>;
  readonly removeHeld: (subscriptionId: string, deliveryIds: readonly string[]) => Promise<void>;
  /** The webhook bodies of events, by event id (those still kept). */
  readonly eventBodies: (eventIds: readonly string[]) => Promise<ReadonlyMap<string, string>>;
  readonly request: (subscription: Subscription, message: DeliveryMessage, now: Date) => SignedWebhookRequest;
  readonly send: (request: WebhookRequest, bounds: AttemptBounds) => Promise<AttemptOutcome>;
  readonly recordAttempts: (write: AttemptWrite) => Promise<boolean>;
  /** Queues a circuit message: a probe on the slow lane after its delay, a release on the main lane now. */
  readonly sendCircuitMessage: (message: CircuitMessage, delaySeconds: number) => Promise<void>;
  /** Sends held deliveries on, to the main lane (a slow subscription's move on from there). */
  readonly resend: (messages: readonly DeliveryMessage[]) => Promise<void>;
  readonly openCircuit: (subscription: Subscription, circuit: Circuit) => Promise<boolean>;
  readonly reprobeCircuit: (subscription: Subscription, token: string, next: Circuit) => Promise<boolean>;
  readonly closeCircuit: (subscription: Subscription, token?: string) => Promise<boolean>;
  /** Counts a failed probe toward the subscription's failure streak; the reason when it disabled it. */
  readonly noteFailedProbe: (
    subscription: Subscription,
    outcome: AttemptOutcome,
  ) => Promise<string | undefined>;
  /** Ends the failure streak after a probe's 2xx (and says `delivery.recovered`). */
  readonly recovered: (subscription: Subscription, delivery: HeldDelivery) => Promise<void>;
  readonly publish: (event: PlatformEvent) => Promise<void>;
  readonly newToken: () => string;
  readonly now: () => number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Opens a subscription's circuit after its failures in a row: its deliveries are held from now on, and a probe
 * is due after the first wait. The probe's message is sent before the circuit names its token (as a delivery's
 * follow-up is before its record names it): if the write fails (another invocation opened it first, or a crash),
 * the probe finds another token, or none, and is dropped. True when this call opened it.
 */
export async function openCircuit(
  subscription: Subscription,
  lastError: string,
  consecutiveFailures: number,
  ports: CircuitPorts,
  settings: CircuitSettings,
): Promise<boolean> {
  const now = ports.now();
  const token = ports.newToken();
  const circuit: Circuit = {
    openedAt: iso(now),
    probeAt: iso(now + settings.firstProbeSeconds * 1000),
    probeDelaySeconds: settings.firstProbeSeconds,
    token,
    lastError,
  };
  const probe: CircuitMessage = {
    circuit: 'probe',
    accountId: subscription.accountId,
    subscriptionId: subscription.id,
    token,
  };
  await ports.sendCircuitMessage(probe, settings.firstProbeSeconds);
  if (!(await ports.openCircuit(subscription, circuit))) return false;
  await ports.publish({
    type: 'webhook.circuit_opened',
    detail: {
      account_id: subscription.accountId,
      webhook_id: subscription.id,
      opened_at: circuit.openedAt,
      consecutive_failures: consecutiveFailures,
      last_error: lastError,
      next_probe_at: circuit.probeAt,
    },
  });
  return true;
}

/**
 * Starts a new probe chain for an open circuit whose probe was lost: a probe now, under a new token, sent before
 * the circuit names it (the lost chain's token, if its message still turns up, is then stale).
 */
export async function restartProbe(subscription: Subscription, ports: CircuitPorts): Promise<void> {
  const circuit = subscription.circuit;
  if (circuit === undefined) return;
  const token = ports.newToken();
  await ports.sendCircuitMessage(
    { circuit: 'probe', accountId: subscription.accountId, subscriptionId: subscription.id, token },
    0,
  );
  await ports.reprobeCircuit(subscription, circuit.token, { ...circuit, token, probeAt: iso(ports.now()) });
}

/**
 * Closes a circuit (the one `token` names, or whichever is open) and starts the release of its held deliveries.
 * The release is sent first: a crash before the close leaves the circuit open, and the next probe closes it.
 */
export async function closeCircuit(
  subscription: Subscription,
  ports: CircuitPorts,
  token?: string,
): Promise<boolean> {
  const circuit = subscription.circuit;
  if (circuit === undefined) return false;
  await ports.sendCircuitMessage(
    { circuit: 'release', accountId: subscription.accountId, subscriptionId: subscription.id },
    0,
  );
  if (!(await ports.closeCircuit(subscription, token))) return false;
  await ports.publish({
    type: 'webhook.circuit_closed',
    detail: {
      account_id: subscription.accountId,
      webhook_id: subscription.id,
      opened_at: circuit.openedAt,
      closed_at: iso(ports.now()),
    },
  });
  return true;
}

/**
 * The circuit after a probe was spent (failed, or taken by an ordered delivery): the next probe, under `token`,
 * twice as far as the last, up to the deployment's most.
 */
export function nextProbe(circuit: Circuit, probeMaxSeconds: number, now: number, token: string): Circuit {
  const delaySeconds = Math.min(circuit.probeDelaySeconds * 2, probeMaxSeconds);
  return { ...circuit, probeAt: iso(now + delaySeconds * 1000), probeDelaySeconds: delaySeconds, token };
}

/** What a circuit message came to, for the function's logs and metrics. */
export interface CircuitDecision {
  readonly summary: string;
  /** The probe's request, when one was made. */
  readonly outcome?: AttemptOutcome;
  readonly closed?: boolean;
  /** Held deliveries sent on by a release. */
  readonly released?: number;
  /** The subscription's name, when it was read and has one: the logs' reader knows it by that. */
  readonly subscriptionName?: string;
  /** The held delivery the probe's request carried (its id is the request's `webhook-id`), when one was sent. */
  readonly probed?: { readonly deliveryId: string; readonly eventType: string };
}

/**
 * Tests an open circuit's endpoint with its oldest held delivery, as a real request. A 2xx delivers it and
 * closes the circuit (the release sends the rest, oldest first); a failure uses up none of its attempts (it is
 * not put on its record: a day of probes would outgrow it; the circuit keeps the last error) and the next probe
 * waits twice as long, up to the deployment's most. Only the probe whose token the circuit names may probe, so
 * there is one at a time whatever SQS repeats.
 */
export async function probeCircuit(
  message: CircuitMessage,
  ports: CircuitPorts,
  settings: CircuitSettings,
): Promise<CircuitDecision> {
  const subscription = await ports.subscription(message.accountId, message.subscriptionId);
  const circuit = subscription?.circuit;
  if (subscription !== undefined && circuit === undefined) {
    // Closed without this probe: by a 2xx (which released what it held), or by a client taking the subscription
    // out of `disabled` (which releases nothing). Whatever is still held goes on.
    const [held] = await ports.oldestHeld(subscription.id, 1);
    if (held === undefined) return { summary: 'dropped: a stale probe (the circuit closed)' };
    await ports.sendCircuitMessage(
      { circuit: 'release', accountId: subscription.accountId, subscriptionId: subscription.id },
      0,
    );
    return { summary: 'released: the circuit had closed with deliveries still held' };
  }
  if (subscription === undefined || circuit === undefined || circuit.token !== message.token) {
    return { summary: 'dropped: a stale probe (the circuit moved on)' };
  }
  if (subscription.status !== 'active') {
    // Held deliveries of a paused, disabled or deleted subscription end as any of its deliveries would.
    const closed = await closeCircuit(subscription, ports, circuit.token);
    return { summary: `closed: the subscription is ${subscription.status}`, closed };
  }
  // Probes take the held deliveries in turn (`after`: the one probed last), so their attempts spread over them.
  const inTurn = message.after === undefined ? [] : await ports.oldestHeld(subscription.id, 1, message.after);
  const [held] = inTurn.length > 0 ? inTurn : await ports.oldestHeld(subscription.id, 1);
  if (held === undefined && subscription.ordering === 'resource') {
    // An ordered subscription's deliveries wait in their message groups, not held: the first due after the
    // probe's time takes the probe and tests the endpoint itself (deliver-in-order.ts). Closing the circuit here
    // would let every waiting resource try at once, every few seconds.
    return { summary: 'left open: the ordered deliveries probe the circuit themselves' };
  }
  if (held === undefined) {
    // Nothing to test with: the next delivery tests the endpoint itself.
    const closed = await closeCircuit(subscription, ports, circuit.token);
    return { summary: 'closed: no held delivery to probe with', closed };
  }
  const bodies = await ports.eventBodies([held.eventId]);
  const body = bodies.get(held.eventId);
  if (body === undefined) {
    // Its event is past retention: it can never be sent. End it and probe again at once with the next one.
    await endExpired(held, ports, settings);
    await ports.sendCircuitMessage(message, 0);
    return { summary: 'skipped: the oldest held delivery’s event expired' };
  }
  const delivery: DeliveryMessage = { ...held, body };
  const startedAt = ports.now();
  const request = ports.request(subscription, delivery, new Date(startedAt));
  const outcome = await ports.send(request, settings.probeBounds);
  const now = ports.now();
  const sent = {
    outcome,
    probed: { deliveryId: held.id, eventType: held.eventType },
    ...(subscription.name === '' ? {} : { subscriptionName: subscription.name }),
  };
  if (isSuccess(outcome)) {
    await ports.recordAttempts({
      ...stampOf(held, now, settings),
      attempts: [attemptOf(outcome, held, new Date(startedAt), request.proof)],
      change: { kind: 'succeed' },
    });
    await ports.removeHeld(subscription.id, [held.id]);
    const closed = await closeCircuit(subscription, ports, circuit.token);
    await ports.recovered(subscription, held);
    return { summary: 'closed: the probe was answered', ...sent, closed };
  }
  // On record, as every request that left is, but not as an attempt of its schedule.
  await ports.recordAttempts({
    ...stampOf(held, now, settings),
    attempts: [probeAttemptOf(outcome, held, startedAt, request.proof)],
    change: { kind: 'append' },
  });
  const disabled = await ports.noteFailedProbe(subscription, outcome);
  if (disabled !== undefined) {
    const closed = await closeCircuit(subscription, ports, circuit.token);
    return { summary: `closed: the subscription was disabled (${disabled})`, ...sent, closed };
  }
  const next: Circuit = {
    ...nextProbe(circuit, settings.probeMaxSeconds, now, ports.newToken()),
    lastError: describeOutcome(outcome),
  };
  await ports.sendCircuitMessage({ ...message, token: next.token, after: held.id }, next.probeDelaySeconds);
  await ports.reprobeCircuit(subscription, circuit.token, next);
  return {
    summary: `still open: the probe failed (${describeOutcome(outcome)}); next in ${next.probeDelaySeconds} s`,
    ...sent,
  };
}

/**
 * Sends a closed circuit's held deliveries on, oldest first, a page per message: each goes to the main lane as
 * the message it was (same attempt, same token), marked `released` so its record is read first (a release that
 * ran twice sends it twice). The next page's message is sent before this page's items are deleted. Costs, per
 * held delivery, once: a share of a query, of a batch read of bodies, of a send and of a delete.
 */
export async function releaseHeld(
  message: CircuitMessage,
  ports: CircuitPorts,
  settings: CircuitSettings,
): Promise<CircuitDecision> {
  const page = await ports.oldestHeld(message.subscriptionId, releasePageSize, message.after);
  if (page.length === 0) return { summary: 'released: nothing (more) was held', released: 0 };
  const bodies = await ports.eventBodies(page.map((held) => held.eventId));
  const sendable = page.filter((held) => bodies.has(held.eventId));
  await ports.resend(
    sendable.map((held) => ({ ...held, body: bodies.get(held.eventId) ?? '', released: true })),
  );
  for (const held of page) if (!bodies.has(held.eventId)) await endExpired(held, ports, settings);
  const last = page.at(-1);
  if (page.length === releasePageSize && last !== undefined) {
    await ports.sendCircuitMessage({ ...message, after: last.id }, 0);
  }
  await ports.removeHeld(
    message.subscriptionId,
    page.map((held) => held.id),
  );
  return { summary: `released ${sendable.length} held deliveries`, released: sendable.length };
}

function stampOf(held: HeldDelivery, now: number, settings: CircuitSettings) {
  return {
    id: held.id,
    accountId: held.accountId,
    subscriptionId: held.subscriptionId,
    eventId: held.eventId,
    eventType: held.eventType,
    now: new Date(now),
    expiresAt: Math.floor(now / 1000) + settings.retentionSeconds,
  };
}

/**
 * A failed probe as its delivery's record keeps it: small (no excerpt: a day of probes spread over few held
 * deliveries must not outgrow an item), saying it used up none of the delivery's attempts.
 */
function probeAttemptOf(
  outcome: AttemptOutcome,
  held: HeldDelivery,
  startedAt: number,
  proof: RequestProof,
): AttemptRecord {
  const detail = outcome.kind === 'response' ? `HTTP ${outcome.statusCode}` : outcome.error.slice(0, 200);
  return {
    at: iso(startedAt),
    trigger: held.trigger,
    latencyMs: outcome.latencyMs,
    ...sentRequestOf(outcome, proof),
    ...(outcome.kind === 'response'
      ? { statusCode: outcome.statusCode, error: 'http_status' as const }
      : { error: outcome.errorKind }),
    errorDetail: `A probe of the open circuit, which uses up none of this delivery’s attempts: ${detail}`,
  };
}

/** A held delivery whose event is past retention ends `failed`, saying so. */
async function endExpired(held: HeldDelivery, ports: CircuitPorts, settings: CircuitSettings) {
  await ports.recordAttempts({
    ...stampOf(held, ports.now(), settings),
    attempts: [],
    change: {
      kind: 'fail',
      token: held.token,
      reason: 'Not sent: its event was past retention when released',
    },
  });
  await ports.removeHeld(held.subscriptionId, [held.id]);
}
