import { randomBytes } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSRecord } from 'aws-lambda';
import { documentClient } from '#core/aws/dynamodb.ts';
import { KmsSecretOpener } from '#core/aws/kms-secrets.ts';
import { deadLetter, sendAll } from '#core/aws/queues.ts';
import {
  type CircuitPorts,
  type CircuitSettings,
  closeCircuit,
  nextProbe,
  openCircuit,
  restartProbe,
} from '#core/deliveries/circuit-breaker.ts';
import {
  type DeliveryPorts,
  type DeliverySettings,
  disable,
  type Lane,
  markRecovered,
  noteFailure,
} from '#core/deliveries/deliver.ts';
import type { OrderedDeliveryPorts } from '#core/deliveries/deliver-in-order.ts';
import type { CircuitMessage, DeliveryMessage } from '#core/deliveries/delivery-message.ts';
import { maxDeliveriesPerPack } from '#core/deliveries/delivery-pack.ts';
import { DeliveryStore } from '#core/deliveries/delivery-store.ts';
import { EventStore } from '#core/deliveries/event-store.ts';
import { HeldDeliveryStore } from '#core/deliveries/held-delivery-store.ts';
import { RateLimitStore } from '#core/deliveries/rate-limit-store.ts';
import { ResourcePositionStore } from '#core/deliveries/resource-position-store.ts';
import { nextHop } from '#core/deliveries/retry-route.ts';
import { SkippedReceiveStore } from '#core/deliveries/skipped-receive-store.ts';
import { targetPolicyOf } from '#core/egress/target-guard.ts';
import { WebhookSender } from '#core/egress/webhook-sender.ts';
import type { Environment } from '#core/environment.ts';
import { platformEventEntry } from '#core/events/platform-events.ts';
import { KeyedLimiter } from '#core/keyed-limiter.ts';
import { webhookRequest } from '#core/payloads/webhook-request.ts';
import { defaults, type functions, queues } from '#core/platform.ts';
import type { Subscription } from '#core/subscriptions/subscription.ts';
import { SubscriptionHealthStore } from '#core/subscriptions/subscription-health.ts';

type DeliveryEnvironment = Pick<Environment, (typeof functions.delivery.environment)[number]>;

/**
 * What the records of one invocation share: each subscription's read, the changes of its health made so far
 * (a batch of one subscription's failures marks it failing once, not ten times), the rate-limit turns being
 * taken together, how many of each subscription's packed deliveries are attempted side by side (as many as a
 * batch of single messages could hold, however many of its packs the batch has), and the invocation's deadline.
 */
export interface Batch {
  readonly read: Map<string, Promise<Subscription | undefined>>;
  readonly marked: Set<string>;
  readonly turns: Map<string, TurnRequest>;
  readonly packSlots: KeyedLimiter;
  readonly context: Context;
}

/** The turns the records of one batch want of one subscription's rate limit, taken with one write. */
interface TurnRequest {
  from: number;
  readonly waiting: { resolve: (turn: number) => void; reject: (error: unknown) => void }[];
}

export const newBatch = (context: Context): Batch => ({
  read: new Map(),
  marked: new Set(),
  turns: new Map(),
  packSlots: new KeyedLimiter(maxDeliveriesPerPack),
  context,
});

/**
 * The adapters of the delivery function, made once per execution environment: its AWS clients and stores, the
 * sender (whose connections stay warm across invocations), and the ports each batch's deliveries and circuit
 * messages get.
 */
export function deliveryAdapters(env: DeliveryEnvironment, logger: Logger) {
  const sqs = new SQSClient({});
  const eventBridge = new EventBridgeClient({});
  const db = documentClient();
  // Subscriptions come with their signing secrets opened (each decrypted once per environment).
  const secrets = new KmsSecretOpener(new KMSClient({}), env.SIGNING_SECRET_KEY_ARN);
  const subscriptions = new SubscriptionHealthStore(db, env.TABLE_NAME, secrets);
  const deliveries = new DeliveryStore(db, env.TABLE_NAME);
  const events = new EventStore(db, env.TABLE_NAME);
  const held = new HeldDeliveryStore(db, env.TABLE_NAME);
  const rateLimits = new RateLimitStore(db, env.TABLE_NAME);
  const positions = new ResourcePositionStore(db, env.TABLE_NAME);
  const skips = new SkippedReceiveStore(db, env.TABLE_NAME);
  const timeoutMs = env.DELIVERY_TIMEOUT_SECONDS * 1000;
  const sender = new WebhookSender(targetPolicyOf(env), timeoutMs);
  const retentionSeconds = env.DELIVERY_RETENTION_DAYS * 86_400;

  const settings: Omit<DeliverySettings, 'lane'> = {
    attemptReserveMs: defaults.attemptReserveMs,
    schedule: env.RETRY_SCHEDULE,
    mainLaneWaitMs: defaults.mainLaneWaitMs,
    connectMs: defaults.connectMs,
    laneRule: defaults.laneEvidence,
    circuitBreakAfter: env.CIRCUIT_BREAK_AFTER,
    maxBackOffSeconds: defaults.maxBackOffSeconds,
    timeoutMs,
    disableAfterMs: env.DISABLE_AFTER_SECONDS * 1000,
    retentionSeconds,
    successRecords: env.SUCCESS_RECORDS,
  };
  const circuitSettings: CircuitSettings = {
    breakAfter: env.CIRCUIT_BREAK_AFTER,
    firstProbeSeconds: defaults.firstProbeSeconds,
    probeMaxSeconds: env.CIRCUIT_PROBE_MAX_SECONDS,
    probeBounds: { connectMs: defaults.connectMs, answerMs: timeoutMs },
    retentionSeconds,
  };
  const laneQueues: Record<Lane, string> = {
    main: env.DELIVERY_QUEUE_URL,
    slow: env.SLOW_DELIVERY_QUEUE_URL,
  };

  /** Sends messages to a lane, each in its subscription's message group (so fair queues tell tenants apart). */
  const sendTo = async (
    queueUrl: string,
    messages: readonly (DeliveryMessage | CircuitMessage)[],
    delaySeconds = 0,
  ) =>
    sendAll(
      sqs,
      queueUrl,
      messages.map((message) => ({
        body: JSON.stringify(message),
        groupId: message.subscriptionId,
        ...(delaySeconds > 0 ? { delaySeconds } : {}),
      })),
    );

  const publish: DeliveryPorts['publish'] = async (event) => {
    // Best effort: the delivery and its record stand whatever the bus says; a lost event is logged.
    try {
      const result = await eventBridge.send(
        new PutEventsCommand({ Entries: [platformEventEntry(event, env.EVENT_BUS_NAME)] }),
      );
      if ((result.FailedEntryCount ?? 0) > 0) throw new Error(result.Entries?.[0]?.ErrorMessage ?? 'refused');
    } catch (error) {
      logger.error('A platform event could not be put on the bus', {
        type: event.type,
        error: error as Error,
      });
    }
  };
  const newToken = () => randomBytes(12).toString('base64url');
  const now = () => Date.now();

  /** The ports of the circuit breaker: probes and releases, and opening and closing from deliveries. */
  const circuitPorts = (batch: Batch): CircuitPorts => ({
    subscription: (accountId, id) => subscriptions.get(accountId, id),
    oldestHeld: (subscriptionId, limit, after) => held.oldest(subscriptionId, limit, after),
    removeHeld: (subscriptionId, ids) => held.remove(subscriptionId, ids),
    eventBodies: async (eventIds) =>
      new Map((await events.getAll(eventIds)).map((event) => [event.eventId, event.body])),
    request: webhookRequest,
    send: (request, bounds) => sender.send(request, bounds),
    recordAttempts: (write) => deliveries.recordAttempts(write),
    sendCircuitMessage: (message, delaySeconds) =>
      sendTo(laneQueues[message.circuit === 'probe' ? 'slow' : 'main'], [message], delaySeconds),
    resend: (messages) => sendTo(laneQueues.main, messages),
    openCircuit: (s, circuit) => subscriptions.openCircuit(s.accountId, s.id, circuit),
    reprobeCircuit: (s, token, next) => subscriptions.reprobeCircuit(s.accountId, s.id, token, next),
    closeCircuit: (s, token) => subscriptions.closeCircuit(s.accountId, s.id, token),
    noteFailedProbe: async (subscription, outcome) => {
      if (outcome.kind === 'response' && outcome.statusCode === 410) {
        const reason = 'The endpoint answered 410 Gone';
        await disable(subscription, reason, deliveryPorts(batch), new Date());
        return reason;
      }
      return (await noteFailure(subscription, outcome, deliveryPorts(batch), settings, new Date())).disabled;
    },
    recovered: (subscription, delivery) =>
      markRecovered(subscription, delivery, deliveryPorts(batch), new Date()),
    publish,
    newToken,
    now,
  });

  /** The ports of one batch: its records share each subscription's read, health changes and turns. */
  const deliveryPorts = (batch: Batch): DeliveryPorts => {
    const { read, marked, turns, context } = batch;
    /** A change of a subscription's health, made once per batch: a batch-mate that asks again is told it was made. */
    const once =
      (change: string, write: (subscription: Subscription) => Promise<boolean>) =>
      (subscription: Subscription): Promise<boolean> => {
        const key = `${change} ${subscription.id}`;
        if (marked.has(key)) return Promise.resolve(false);
        marked.add(key);
        return write(subscription);
      };
    return {
      subscription: (accountId, id) => {
        let subscription = read.get(id);
        if (subscription === undefined) {
          subscription = subscriptions.get(accountId, id);
          read.set(id, subscription);
        }
        return subscription;
      },
      record: (subscriptionId, id) => deliveries.get(subscriptionId, id),
      send: (request, bounds) => sender.send(request, bounds),
      recordAttempts: (write) => deliveries.recordAttempts(write),
      forward: (message, lane, delaySeconds) => {
        const hop = nextHop(message, Date.now() + delaySeconds * 1000, Date.now());
        return sendTo(
          hop.queue === 'lane' ? laneQueues[lane] : env.RETRY_QUEUE_URL,
          [hop.message],
          hop.delaySeconds,
        );
      },
      deadLetter: (message, reason) => deadLetter(sqs, env.DELIVERY_DLQ_URL, JSON.stringify(message), reason),
      newToken,
      remainingMs: () => context.getRemainingTimeInMillis(),
      disable: (subscription, reason) =>
        once('disable', (s) => subscriptions.disable(s.accountId, s.id, reason))(subscription),
      noteFailure: (s, counts) => subscriptions.noteFailure(s.accountId, s.id, new Date(), counts),
      markRecovered: once('recovered', (s) => subscriptions.markRecovered(s.accountId, s.id)),
      addLaneEvidence: (s) => subscriptions.addLaneEvidence(s.accountId, s.id),
      clearLaneEvidence: once('evidence', (s) => subscriptions.clearLaneEvidence(s.accountId, s.id)),
      markSlow: once('slow', (s) => subscriptions.markSlow(s.accountId, s.id, new Date())),
      clearSlow: once('fast', (s) => subscriptions.clearSlow(s.accountId, s.id)),
      hold: (message) =>
        held.hold({ ...message, body: '' }, Math.floor(Date.now() / 1000) + retentionSeconds),
      openCircuit: (subscription, lastError, inARow) =>
        openCircuit(subscription, lastError, inARow, circuitPorts(batch), circuitSettings),
      closeCircuit: (subscription) => closeCircuit(subscription, circuitPorts(batch)),
      restartProbe: (subscription) => restartProbe(subscription, circuitPorts(batch)),
      stillOpen: async (subscription) => {
        const fresh = await subscriptions.get(subscription.accountId, subscription.id);
        return fresh?.circuit !== undefined && fresh.circuit.openedAt === subscription.circuit?.openedAt;
      },
      releaseHeld: (subscription) =>
        sendTo(laneQueues.main, [
          { circuit: 'release', accountId: subscription.accountId, subscriptionId: subscription.id },
        ]),
      backOff: (subscription, until) =>
        once('back-off', (s) => subscriptions.backOff(s.accountId, s.id, until))(subscription),
      takeTurn: (subscription, from) => takeTurn(turns, subscription, from),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      publish,
      now,
    };
  };

  /**
   * A turn under the subscription's rate limit. The records of a batch that ask in the same turn of the event
   * loop take theirs with one write, in the order they asked.
   */
  const takeTurn = (turns: Map<string, TurnRequest>, subscription: Subscription, from: number) =>
    new Promise<number>((resolve, reject) => {
      const perSecond = subscription.rateLimit ?? 1;
      let request = turns.get(subscription.id);
      if (request === undefined) {
        const started: TurnRequest = { from, waiting: [] };
        request = started;
        turns.set(subscription.id, started);
        setImmediate(() => {
          turns.delete(subscription.id);
          rateLimits.take(subscription.id, started.waiting.length, perSecond, started.from).then(
            (first) => {
              for (const [index, waiter] of started.waiting.entries())
                waiter.resolve(first + (index * 1000) / perSecond);
            },
            (error: unknown) => {
              for (const waiter of started.waiting) waiter.reject(error);
            },
          );
        });
      }
      request.from = Math.max(request.from, from);
      request.waiting.push({ resolve, reject });
    });

  /** An ordered delivery's ports: a batch's, and its resource's position and the circuit's probe. */
  const orderedDeliveryPorts = (batch: Batch): OrderedDeliveryPorts => ({
    ...deliveryPorts(batch),
    position: (subscriptionId, resource) => positions.get(subscriptionId, resource),
    advancePosition: (subscriptionId, order, delivered) =>
      positions.advance(
        subscriptionId,
        order,
        delivered,
        Math.floor(delivered.at.getTime() / 1000) + retentionSeconds,
      ),
    skippedReceives: (groupId, messageId) => skips.of(groupId, messageId),
    forgetSkipped: (groupId, messageId) => skips.forget(groupId, messageId),
    claimProbe: (subscription) => {
      const circuit = subscription.circuit;
      if (circuit === undefined) return Promise.resolve(true);
      const next = nextProbe(circuit, circuitSettings.probeMaxSeconds, Date.now(), newToken());
      return subscriptions.reprobeCircuit(subscription.accountId, subscription.id, circuit.token, next);
    },
  });

  /** Keeps an ordered lane's message in flight for `seconds` more: its wait, in its group's place. */
  const keepInFlight = async (receiptHandle: string, seconds: number) => {
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: env.ORDERED_DELIVERY_QUEUE_URL,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  };

  /**
   * Makes ordered lane messages of one group visible again at once (those a batch left unprocessed behind a
   * wait), after noting that they were received and skipped (noted first: a crash in between leaves a receive
   * noted as skipped, never a skipped one taken for an interrupted attempt).
   */
  const releaseInFlight = async (records: readonly SQSRecord[]) => {
    const groupId = records[0]?.attributes.MessageGroupId;
    if (groupId !== undefined) {
      await skips.add(
        groupId,
        records.map((record) => record.messageId),
        // As long as the messages can be kept.
        Math.floor(Date.now() / 1000) + queues.orderedDelivery.retentionPeriodSeconds,
      );
    }
    for (let start = 0; start < records.length; start += 10) {
      const result = await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: env.ORDERED_DELIVERY_QUEUE_URL,
          Entries: records.slice(start, start + 10).map((record, index) => ({
            Id: String(index),
            ReceiptHandle: record.receiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      );
      const failed = result.Failed?.[0];
      if (failed !== undefined) {
        // They stay invisible for the queue's visibility timeout: their group waits that long, nothing is lost.
        throw new Error(
          `${result.Failed?.length} messages not released: ${failed.Code} ${failed.Message ?? ''}`,
        );
      }
    }
  };

  return {
    sqs,
    sender,
    settings,
    circuitSettings,
    deliveryPorts,
    orderedDeliveryPorts,
    keepInFlight,
    releaseInFlight,
    circuitPorts,
    deliveryDlq: env.DELIVERY_DLQ_URL,
  };
}
