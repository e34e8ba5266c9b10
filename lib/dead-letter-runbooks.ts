import type { QueueName } from '../functions/core/platform.ts';

/**
 * The runbook of each dead-letter queue's alarm: what its messages mean and what to do, down to the command. A
 * dead-letter queue holds only what the platform could not process (a bug, a store or queue that kept failing, a
 * message no code can read), never a customer's outage: a delivery that fails for good against its endpoint is a
 * record, a metric and a `delivery.failed` event. Every runbook ends in the same redrive, which works for every
 * message in every DLQ (design notes: Failures and dead letters): back to the queue the DLQ serves, named as the
 * destination because some messages (those the functions dead-letter themselves, with a reason) carry no source
 * queue for SQS to return them to. CloudWatch keeps at most 1,024 characters of a description, ARNs included.
 */
const whatItHolds: Readonly<Record<QueueName, string>> = {
  fanOut:
    'Events fan-out could not process. A `reason` attribute: it can never be (malformed, not in the ' +
    'catalog, too large): tell its publisher, delete it. ERROR_CODE: EventBridge could not put it in the queue ' +
    "(fix the queue's policy or key). Neither: fan-out failed on it 5 times (its errors and logs say why).",
  delivery:
    "Deliveries the delivery functions could not process: a customer's endpoint being down never lands here " +
    '(its deliveries fail on record, with delivery.failed). The `reason` attribute says why (none: 5 ' +
    'timeouts); the functions’ errors and logs give the detail.',
  slowDelivery:
    'Slow-lane deliveries and circuit probes whose invocations timed out or were killed on all 5 receives ' +
    '(slow endpoints never land here; a delivery whose processing threw is in the delivery DLQ). Read the ' +
    "slowDelivery function's errors, timeouts and logs.",
  orderedDelivery:
    'Ordered deliveries SQS moved after 1000 receives, which only a message whose invocations crashed or timed ' +
    'out every time reaches (an endpoint’s outage ends a delivery on record by 900). Read the function’s ' +
    'errors and logs.',
  retry:
    'Waiting retries the retry relay could not move to their lane, 5 times each: its errors and logs say why ' +
    '(the lane refused them, or one is not a waiting retry).',
};

/** What a redrive does with the queue's messages, once the cause is fixed. */
const whatARedriveDoes: Readonly<Record<QueueName, string>> = {
  fanOut:
    'An event fanned out already is dropped; one fanned out in part queues what it had not; one that can ' +
    'never be comes back with its reason.',
  delivery:
    'Each delivery goes on where it stopped, recording the receives it was dead-lettered after as ' +
    'outcome_unknown; one that ended meanwhile is dropped, never sent twice; a message no code can read ' +
    'comes back, to delete.',
  slowDelivery:
    'Each delivery goes on where it stopped; one that ended meanwhile is dropped; a probe whose circuit ' +
    'moved on is dropped.',
  orderedDelivery:
    'Each goes to the end of its message group; one older than an event of its resource delivered meanwhile ' +
    'is recorded superseded, not sent.',
  retry: 'A retry due goes to its lane and is made; one whose delivery ended meanwhile is dropped.',
};

/** The ARNs a runbook names: of the dead-letter queue and of the queue it serves (tokens in the CDK app). */
export interface RunbookQueues {
  readonly deadLetterQueue: string;
  readonly queue: string;
}

/**
 * The description of the dead-letter alarm of `name`'s queue: what its messages are, how to find the cause, the
 * redrive command with the queues' ARNs, and what the redrive does.
 */
export function deadLetterRunbook(name: QueueName, arns: RunbookQueues): string {
  const dlq = arns.deadLetterQueue;
  return (
    `${whatItHolds[name]} Fix the cause, then redrive: aws sqs start-message-move-task --source-arn ${dlq} ` +
    `--destination-arn ${arns.queue} (progress: aws sqs list-message-move-tasks --source-arn ${dlq}). ` +
    whatARedriveDoes[name]
  );
}
