import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import { type FifoVerdict, fifoConsumer } from '#core/aws/fifo-consumer.ts';
import { deadLetter } from '#core/aws/queues.ts';
import { sqsConsumer } from '#core/aws/sqs-consumer.ts';
import { type CircuitDecision, probeCircuit, releaseHeld } from '#core/deliveries/circuit-breaker.ts';
import { laneQueueOf } from '#core/deliveries/crash-loop.ts';
import { type DeliveryDecision, deliver, type Lane, type Receipt } from '#core/deliveries/deliver.ts';
import { deliverInOrder, type OrderedDecision } from '#core/deliveries/deliver-in-order.ts';
import {
  type CircuitMessage,
  circuitMessageSchema,
  type DeliveryMessage,
  deliveryMessageSchema,
} from '#core/deliveries/delivery-message.ts';
import { attemptErrorKind, DeliveryMetrics } from '#core/deliveries/delivery-metrics.ts';
import { carryPack, type DeliveryPack, deliveryPackSchema } from '#core/deliveries/delivery-pack.ts';
import { loadEnvironment } from '#core/environment.ts';
import { createLogger } from '#core/logger.ts';
import { functions } from '#core/platform.ts';
import { type Batch, deliveryAdapters, newBatch } from './ports.ts';

const env = loadEnvironment(functions.delivery.environment);
const logger = createLogger('delivery');
const metrics = new DeliveryMetrics(logger);
const {
  sqs,
  sender,
  settings,
  circuitSettings,
  deliveryPorts,
  orderedDeliveryPorts,
  keepInFlight,
  releaseInFlight,
  circuitPorts,
} = deliveryAdapters(env, logger);
const queueNameOf = (url: string) => url.slice(url.lastIndexOf('/') + 1);
const slowQueueName = queueNameOf(env.SLOW_DELIVERY_QUEUE_URL);
const orderedQueueName = queueNameOf(env.ORDERED_DELIVERY_QUEUE_URL);

/** The lane a record came from: the queue named at the end of its source's ARN. */
const laneOf = (record: SQSRecord): Lane | 'ordered' => {
  if (record.eventSourceARN.endsWith(`:${orderedQueueName}`)) return 'ordered';
  return record.eventSourceARN.endsWith(`:${slowQueueName}`) ? 'slow' : 'main';
};

/** A record's body: a delivery, a pack of deliveries, a circuit's probe or release, or none (dead-lettered). */
function parseMessage(body: string): DeliveryMessage | DeliveryPack | CircuitMessage | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    const circuit = z.safeParse(circuitMessageSchema, parsed);
    if (circuit.success) return circuit.data;
    const pack = z.safeParse(deliveryPackSchema, parsed);
    if (pack.success) return pack.data;
    const delivery = z.safeParse(deliveryMessageSchema, parsed);
    return delivery.success ? delivery.data : undefined;
  } catch {
    return undefined;
  }
}

/** Counts what a decision says happened: the attempt made (if any), a failed delivery, a move, a hold. */
function observe(decision: DeliveryDecision, lane: Lane | 'ordered'): void {
  if ('outcome' in decision && decision.outcome !== undefined) {
    const cutOff = decision.kind === 'move';
    metrics.attempt(lane, decision.outcome.latencyMs, attemptErrorKind(decision.outcome, cutOff));
  }
  if (decision.kind === 'failed') metrics.deliveryFailed(lane);
  if (decision.kind === 'move') metrics.movedToSlowLane(lane);
  if (decision.kind === 'held') metrics.held(lane);
  if (decision.kind === 'throttled') metrics.throttled(lane);
  const { lane: moved, circuit } = decision.changes ?? {};
  if (moved !== undefined) metrics.endpointMoved(lane, moved === 'slowed' ? 'slow' : 'main');
  if (circuit === 'opened') metrics.circuitOpened(lane);
  if (circuit === 'closed') metrics.circuitClosed(lane);
}

/** How SQS handed the record out: its receive count and first receipt. */
function receiptOf(record: SQSRecord): Receipt {
  const count = Number.parseInt(record.attributes.ApproximateReceiveCount, 10);
  const first = Number.parseInt(record.attributes.ApproximateFirstReceiveTimestamp, 10);
  return {
    count: Number.isFinite(count) && count > 0 ? count : 1,
    firstReceivedAt: Number.isFinite(first) ? first : Date.now(),
  };
}

/** A circuit's probe or release: logged and counted like a delivery. */
async function processCircuitMessage(
  message: CircuitMessage,
  lane: Lane | 'ordered',
  batch: Batch,
): Promise<void> {
  const context = { subscriptionId: message.subscriptionId, circuitMessage: message.circuit, lane };
  const decision: CircuitDecision =
    message.circuit === 'probe'
      ? await probeCircuit(message, circuitPorts(batch), circuitSettings)
      : await releaseHeld(message, circuitPorts(batch), circuitSettings);
  if (decision.outcome !== undefined) {
    metrics.circuitProbe(lane);
    metrics.attempt(lane, decision.outcome.latencyMs, attemptErrorKind(decision.outcome, false));
  }
  if (decision.closed === true) metrics.circuitClosed(lane);
  // A probe that was sent is named by its delivery (its `webhook-id`, the attempt on that delivery's record).
  logger.info(message.circuit === 'probe' ? 'Circuit probed' : 'Held deliveries released', {
    ...context,
    subscriptionName: decision.subscriptionName,
    deliveryId: decision.probed?.deliveryId,
    eventType: decision.probed?.eventType,
    summary: decision.summary,
    outcome: decision.outcome,
  });
}

async function processRecord(record: SQSRecord, batch: Batch) {
  const message = parseMessage(record.body);
  if (message === undefined) {
    // Said once SQS took it: a refused send throws, and SQS hands the message back.
    await deadLetter(sqs, env.DELIVERY_DLQ_URL, record.body, 'not a delivery message');
    logger.warn('Invalid delivery message dead-lettered', { messageId: record.messageId });
    return;
  }
  const lane = laneOf(record);
  if ('circuit' in message) return processCircuitMessage(message, lane, batch);
  if (lane === 'ordered') throw new Error('An ordered lane record reached the unordered consumer');
  const receipt = receiptOf(record);
  if ('pack' in message) {
    await carryPack(message, receipt.count, {
      process: (delivery) =>
        batch.packSlots.run(delivery.subscriptionId, () => processDelivery(delivery, lane, receipt, batch)),
      // As SQS would hand a message of its own back: after the visibility timeout, not into a failing store.
      sendAlone: async (deliveries) => {
        const { forward } = deliveryPorts(batch);
        const wait = laneQueueOf(lane).visibilityTimeoutSeconds;
        await Promise.all(deliveries.map((delivery) => forward(delivery, lane, wait)));
      },
    });
    return;
  }
  return processDelivery(message, lane, receipt, batch);
}

/**
 * The subscription's name, for the logs (an id alone says little to a reader): from the read the batch already
 * made of it, so it costs no request; undefined when the delivery never read it (or the read failed).
 */
async function subscriptionNameOf(batch: Batch, subscriptionId: string): Promise<string | undefined> {
  const subscription = await batch.read.get(subscriptionId)?.catch(() => undefined);
  return subscription?.name === '' ? undefined : subscription?.name;
}

/** One delivery, alone in its message or one of a pack's: attempted, recorded, logged and counted. */
async function processDelivery(message: DeliveryMessage, lane: Lane, receipt: Receipt, batch: Batch) {
  const started = {
    deliveryId: message.id,
    subscriptionId: message.subscriptionId,
    eventType: message.eventType,
    // The attempt of the retry schedule (a client's retry or recover repeats the last); the API numbers every attempt.
    scheduledAttempt: message.attempt,
    trigger: message.trigger,
    lane,
    receiveCount: receipt.count,
  };
  const decision = await deliver(message, deliveryPorts(batch), { ...settings, lane }, receipt).catch(
    (error: unknown) => {
      // Alone, SQS hands its message back after the visibility timeout; in a pack, it is sent again alone.
      logger.error('Delivery could not be completed; it will be made again', {
        ...started,
        error: error as Error,
      });
      throw error;
    },
  );
  const context = { ...started, subscriptionName: await subscriptionNameOf(batch, message.subscriptionId) };

  observe(decision, lane);
  switch (decision.kind) {
    case 'done':
      logger.info(decision.summary.startsWith('delivered') ? 'Webhook delivered' : 'Delivery done', {
        ...context,
        summary: decision.summary,
        outcome: decision.outcome,
      });
      return;
    case 'move':
      logger.info('Delivery moved to the slow lane', {
        ...context,
        reason: decision.reason,
        outcome: decision.outcome,
      });
      return;
    case 'retry':
      logger.info('Delivery attempt failed; retry scheduled', {
        ...context,
        delaySeconds: decision.delaySeconds,
        outcome: decision.outcome,
      });
      return;
    case 'failed':
      logger.warn('Delivery failed for good', {
        ...context,
        reason: decision.reason,
        outcome: decision.outcome,
      });
      return;
    case 'deadLettered':
      // The platform's failure, not the endpoint's: the dead-letter queue's alarm and runbook take it from here.
      logger.error('Delivery dead-lettered: its processing failed on every receive', {
        ...context,
        reason: decision.reason,
      });
      return;
    case 'held':
      logger.info('Delivery held: the endpoint’s circuit is open', context);
      return;
    case 'throttled':
      logger.info('Delivery waits for its turn', {
        ...context,
        until: new Date(decision.until).toISOString(),
      });
      return;
  }
}

const consume = sqsConsumer(processRecord, newBatch);

/** What an ordered decision counts as in the lanes' metrics: the same names, `Lane=ordered`. */
function observeOrdered(decision: OrderedDecision): void {
  const lane = 'ordered';
  if (decision.outcome !== undefined) {
    metrics.attempt(lane, decision.outcome.latencyMs, attemptErrorKind(decision.outcome, false));
  }
  if (decision.kind === 'done' && decision.failed !== undefined) metrics.deliveryFailed(lane);
  if (decision.kind === 'wait' && decision.reason === 'circuit') metrics.held(lane);
  if (decision.kind === 'wait' && decision.reason === 'turn') metrics.throttled(lane);
  const { circuit } = decision.changes ?? {};
  if (circuit === 'opened') metrics.circuitOpened(lane);
  if (circuit === 'closed') metrics.circuitClosed(lane);
}

/** One record of the ordered lane: an ordered delivery's one message, which waits in its group or is done. */
async function processOrderedRecord(record: SQSRecord, batch: Batch): Promise<FifoVerdict> {
  const message = parseMessage(record.body);
  if (message === undefined || 'circuit' in message || 'pack' in message || message.order === undefined) {
    await deadLetter(sqs, env.DELIVERY_DLQ_URL, record.body, 'not an ordered delivery message');
    logger.warn('Invalid ordered delivery message dead-lettered', { messageId: record.messageId });
    return 'done';
  }
  const receipt = receiptOf(record);
  const started = {
    deliveryId: message.id,
    subscriptionId: message.subscriptionId,
    eventType: message.eventType,
    resource: message.order.resource,
    trigger: message.trigger,
    lane: 'ordered',
    receiveCount: receipt.count,
  };
  const sent = Number.parseInt(record.attributes.SentTimestamp, 10);
  const decision = await deliverInOrder(
    { ...message, order: message.order },
    orderedDeliveryPorts(batch),
    settings,
    {
      ...receipt,
      messageId: record.messageId,
      sentAt: Number.isFinite(sent) ? sent : Date.now(),
      ...(record.attributes.MessageDeduplicationId === undefined
        ? {}
        : { deduplicationId: record.attributes.MessageDeduplicationId }),
    },
  );
  observeOrdered(decision);
  const context = { ...started, subscriptionName: await subscriptionNameOf(batch, message.subscriptionId) };
  if (decision.kind === 'wait') {
    logger.info(decision.reason === 'retry' ? 'Delivery attempt failed; retry scheduled' : 'Delivery waits', {
      ...context,
      reason: decision.reason,
      waitSeconds: decision.seconds,
      outcome: decision.outcome,
    });
    return { waitSeconds: decision.seconds };
  }
  const summary = decision.summary;
  if (decision.failed !== undefined) {
    logger.warn('Delivery failed for good', {
      ...context,
      reason: decision.failed,
      outcome: decision.outcome,
    });
  } else {
    logger.info(summary === 'delivered' ? 'Webhook delivered' : 'Delivery done', {
      ...context,
      summary,
      outcome: decision.outcome,
    });
  }
  return 'done';
}

const consumeInOrder = fifoConsumer(
  processOrderedRecord,
  keepInFlight,
  releaseInFlight,
  (record, error) =>
    logger.error('Ordered delivery could not be completed; SQS hands it back after its visibility timeout', {
      messageId: record.messageId,
      error: error as Error,
    }),
  newBatch,
);

/**
 * SQS consumer of both delivery lanes (the function is deployed twice, with the lanes' timeouts; a record's
 * queue tells its lane). Each attempt is recorded; a retry is a new message, delayed
 * for its wait (through the retry queue for waits over 15 minutes), so waiting retries are never in flight and
 * a throttled or crashed invocation uses up no attempt: the message comes back with the same attempt number
 * and makes it again (see {@link deliver} for what keeps that safe at every crash point). Circuit messages
 * (a probe, a release of held deliveries) come on the same lanes.
 * After each batch its metrics go out (embedded metric format, one flush per invocation; none when nothing was
 * attempted), with the connections the sender opened meanwhile.
 */
export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const first = event.Records[0];
  try {
    return first !== undefined && laneOf(first) === 'ordered'
      ? await consumeInOrder(event, context)
      : await consume(event, context);
  } finally {
    if (first !== undefined) metrics.connections(laneOf(first), sender.takeConnectionStats());
    metrics.publish();
  }
};
