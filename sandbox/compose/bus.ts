/**
 * The sandbox's EventBridge: the bus with platform.ts's rules, each into its queue with the queue's dead-letter
 * queue as the rule's, and the sandbox's own rule for the platform's events.
 */
import { join } from 'node:path';
import { platformEventSource, rules } from '../../functions/core/platform.ts';
import { LocalEventBuses, refusalReason, type TargetFailure } from '../eventbridge/event-bus.ts';
import { UndeliverableEvents } from '../eventbridge/undeliverable.ts';
import type { Meter } from '../meter.ts';
import type { SqsEmulator } from '../sqs/index.ts';
import { deadLetterQueueName, queueNames } from './queues.ts';

/** Where the sandbox routes the platform's own events. */
export const platformEventsQueue = 'platform-events';

/**
 * Says on the console what became of an event a rule's target refused: a warning when it is in the rule's
 * dead-letter queue (whose alarm an operator watches on AWS), an error when nothing took it, which also keeps
 * the event (see Sandbox.undeliverableEvents).
 */
function reportTargetFailure(failure: TargetFailure, undeliverable: UndeliverableEvents): void {
  const refused =
    `rule ${failure.rule} could not deliver event ${failure.eventId} to its queue ` +
    `(${refusalReason(failure.error)})`;
  if (failure.outcome === 'sentToDlq') {
    console.warn(`[eventbridge] ${refused}; it is in the queue's dead-letter queue, with the reason.`);
    return;
  }
  const where = undeliverable.keep(failure);
  const deadLetter =
    failure.deadLetterError === undefined
      ? 'the rule has no dead-letter queue. On AWS only its FailedInvocations metric would count it'
      : `its dead-letter queue refused it too (${refusalReason(failure.deadLetterError)}). On AWS only the ` +
        "rule's FailedInvocations and InvocationsFailedToBeSentToDlq metrics would count it (the CDK app " +
        'alarms on them)';
  console.error(`[eventbridge] EVENT LOST: ${refused}, and ${deadLetter}. The event is kept in ${where}.`);
}

/**
 * Creates the bus named `eventBusName` with its rules (and the platform-events queue its sandbox-only rule
 * fills). Events that nothing took are kept under `<dataDir>/undeliverable/`, or in memory.
 */
export function startBus(options: {
  readonly sqs: SqsEmulator;
  readonly eventBusName: string;
  readonly accountId: string;
  readonly region: string;
  readonly dataDir: string | undefined;
  readonly meter: Meter | undefined;
}): { readonly buses: LocalEventBuses; readonly undeliverable: UndeliverableEvents } {
  const { sqs, eventBusName, accountId, region, meter } = options;
  const undeliverable = new UndeliverableEvents(
    options.dataDir === undefined ? undefined : join(options.dataDir, 'undeliverable'),
  );
  const buses = new LocalEventBuses(
    accountId,
    region,
    (bus) =>
      console.warn(`[eventbridge] event put on bus "${bus}", which does not exist: AWS accepts and drops it`),
    (failure) => reportTargetFailure(failure, undeliverable),
    undefined,
    meter,
  );
  sqs.ensureQueue(platformEventsQueue, { MessageRetentionPeriod: String(4 * 24 * 3600) });
  buses.addBus(eventBusName, [
    ...rules.map((rule) => {
      const queue = queueNames[rule.targetQueue];
      return {
        ...rule,
        target: (event: string) => {
          sqs.sendMessage(queue, event);
          // EventBridge sends each event to its queue with a SendMessage of its own, billed by SQS.
          meter?.sqs(queue, 'SendMessage', Buffer.byteLength(event), 1);
        },
        // As deployed: an event the queue refuses goes to the queue's dead-letter queue, with the reason in
        // the attributes EventBridge gives it. The DLQ has the same limits as the queue, so an event too large
        // or with characters SQS refuses is refused there too: the bus counts it, says so and keeps it.
        deadLetter: (event: string, refusal: Error) => {
          sqs.sendMessage(deadLetterQueueName(rule.targetQueue), event, {
            messageAttributes: {
              ERROR_CODE: {
                dataType: 'String',
                stringValue: (refusal as { code?: string }).code ?? 'SQSError',
              },
              ERROR_MESSAGE: { dataType: 'String', stringValue: refusal.message.slice(0, 256) },
              RULE_ARN: {
                dataType: 'String',
                stringValue: `arn:aws:events:${region}:${accountId}:rule/${eventBusName}/${rule.name}`,
              },
              TARGET_ARN: { dataType: 'String', stringValue: sqs.queueArn(queue) },
            },
          });
        },
      };
    }),
    {
      // Sandbox only: the rule an operator would add for the platform's own events, into a queue to read.
      name: 'platform-events',
      description: 'The platform’s own events, for whoever watches the sandbox',
      eventPattern: { source: [platformEventSource] },
      target: (event: string) => {
        sqs.sendMessage(platformEventsQueue, event);
      },
    },
  ]);
  return { buses, undeliverable };
}
