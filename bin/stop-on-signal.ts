/**
 * How `npm start` stops: Ctrl+C (SIGINT) or SIGTERM stops the sandbox gracefully and says what it kept; a second
 * one stops it at once.
 */
import { constants } from 'node:os';
import { queues } from '../functions/core/platform.ts';
import type { InFlight, Sandbox, StopReport } from '../sandbox/sandbox.ts';

/** What {@link stopOnSignals} needs to know beyond the sandbox. */
export interface StopOptions {
  /** Where the sandbox keeps its state; undefined when it keeps it in memory (`--memory`). */
  readonly dataDir: string | undefined;
  /**
   * Called once the sandbox has stopped gracefully, after the `Stopped:` line and before the process exits:
   * where the console prints its summary of the run. Not called on a stop at once.
   */
  readonly afterStop?: () => void;
}

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

/** The line a graceful stop begins with, at the signal. */
export function stoppingLine({ apiRequests, messages }: InFlight): string {
  if (apiRequests + messages === 0) return 'Stopping: no new work is taken; nothing is in flight.';
  const what = [
    ...(apiRequests > 0 ? [plural(apiRequests, 'API request', 'API requests')] : []),
    ...(messages > 0 ? [plural(messages, 'message', 'messages')] : []),
  ];
  const finish = apiRequests + messages === 1 ? 'finishes' : 'finish';
  return (
    `Stopping: no new work is taken; ${what.join(' and ')} in flight ${finish} first, ` +
    'each within its function’s timeout. Ctrl+C again stops at once.'
  );
}

/** The line a graceful stop ends with: what the queues keep for the next start, or lost with `--memory`. */
export function stoppedLine(report: StopReport, dataDir: string | undefined): string {
  const waiting = report.waitingMessages;
  if (dataDir !== undefined) {
    return `Stopped: nothing left in flight; ${plural(waiting, 'message waits', 'messages wait')} in queues for the next start (state in ${dataDir}/).`;
  }
  return waiting === 0
    ? 'Stopped: nothing left in flight, and nothing waited in queues (--memory keeps nothing).'
    : `Stopped: nothing left in flight; ${plural(waiting, 'message that waited in a queue is', 'messages that waited in queues are')} gone with it (--memory keeps nothing).`;
}

/** The line a stop at once ends with: what was cut short, and what becomes of it. */
export function stoppedAtOnceLine({ apiRequests, messages }: InFlight, dataDir: string | undefined): string {
  // An API request cut off leaves its caller without an answer (whether its change was made, it must look).
  const requests =
    apiRequests > 0 ? `${plural(apiRequests, 'API request got', 'API requests got')} no answer; ` : '';
  const cut = `Stopped at once: ${requests}${plural(messages, 'message was', 'messages were')} in flight`;
  if (dataDir === undefined) return `${cut}; --memory keeps nothing.`;
  return (
    `${cut}; at the next start SQS hands them back after their visibility timeout ` +
    `(${queues.delivery.visibilityTimeoutSeconds} s on the main lane), ` +
    'and a delivery whose request may have left is recorded with an attempt of unknown outcome.'
  );
}

/**
 * On the first SIGINT or SIGTERM: stops the sandbox gracefully ({@link Sandbox.close}: no new work, what is in
 * flight finishes and is recorded), prints the `Stopped:` line, calls `afterStop` and exits with 0. On a second
 * one meanwhile: says what was in flight and exits at once with 128 + the signal's number (130 for Ctrl+C), as a
 * shell reports a process a signal ended.
 *
 * Run under `npm start` (`node --import tsx`), node is the only process that handles the signal a terminal
 * sends. tsx's own CLI (`npx tsx bin/sandbox.ts`) relays it a second time when the sandbox does not acknowledge it
 * within 30 ms, and kills it with SIGKILL 30 ms later: a busy sandbox would be cut short, which is what sent
 * deliveries twice before (issue 19).
 */
export function stopOnSignals(sandbox: Pick<Sandbox, 'close' | 'inFlight'>, options: StopOptions): void {
  let stopping = false;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    if (stopping) {
      console.log(stoppedAtOnceLine(sandbox.inFlight(), options.dataDir));
      process.exit(128 + constants.signals[signal]);
    }
    stopping = true;
    console.log(stoppingLine(sandbox.inFlight()));
    sandbox.close().then(
      (report) => {
        console.log(stoppedLine(report, options.dataDir));
        options.afterStop?.();
        process.exit(0);
      },
      (error: unknown) => {
        console.error('The sandbox did not stop cleanly:', error);
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, onSignal);
}
