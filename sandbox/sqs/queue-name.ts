/**
 * Queue names, per the SQS API Reference (CreateQueue, `QueueName`): 1-80 alphanumeric characters, hyphens or
 * underscores; a FIFO queue's name ends in `.fifo`, which counts towards the 80. The name alone tells a FIFO
 * queue from a standard one.
 */
import { invalidParameterValue } from './errors.ts';

const FIFO_SUFFIX = '.fifo';
const QUEUE_NAME = /^(?:[A-Za-z0-9_-]{1,80}|[A-Za-z0-9_-]{1,75}\.fifo)$/;
const STANDARD_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/** Whether `name` is a FIFO queue's (ends in `.fifo`). */
export function isFifoQueueName(name: string): boolean {
  return name.endsWith(FIFO_SUFFIX);
}

/**
 * Throws `InvalidParameterValue`, in AWS's words, unless `name` suits a queue of its type: a `.fifo` name
 * without `FifoQueue=true` is not a standard queue's name, and `FifoQueue=true` needs a `.fifo` name.
 */
export function checkQueueName(name: string, fifo: boolean): void {
  if (!fifo && !STANDARD_NAME.test(name)) {
    throw invalidParameterValue(
      'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
    );
  }
  if (fifo && !(isFifoQueueName(name) && QUEUE_NAME.test(name))) {
    throw invalidParameterValue(
      'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end ' +
        'with .fifo suffix and be 1 to 80 in length',
    );
  }
}

/** The queue name in a queue URL (its last path segment), or the argument itself when it is a bare name. */
export function queueNameOf(queueUrlOrName: string): string | undefined {
  const path = queueUrlOrName.split(/[?#]/, 1)[0] ?? '';
  const name = path
    .split('/')
    .filter((segment) => segment !== '')
    .pop();
  return name !== undefined && QUEUE_NAME.test(name) ? name : undefined;
}
