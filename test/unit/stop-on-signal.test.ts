import { describe, expect, it } from 'vitest';
import { stoppedAtOnceLine, stoppedLine, stoppingLine } from '../../bin/stop-on-signal.ts';

describe('what npm start says when it stops', () => {
  it('at the signal, says what it waits for and that a second Ctrl+C does not wait', () => {
    expect(stoppingLine({ apiRequests: 0, messages: 3 })).toBe(
      'Stopping: no new work is taken; 3 messages in flight finish first, each within its function’s timeout. ' +
        'Ctrl+C again stops at once.',
    );
    expect(stoppingLine({ apiRequests: 2, messages: 1 })).toBe(
      'Stopping: no new work is taken; 2 API requests and 1 message in flight finish first, each within its ' +
        'function’s timeout. Ctrl+C again stops at once.',
    );
    expect(stoppingLine({ apiRequests: 1, messages: 0 })).toBe(
      'Stopping: no new work is taken; 1 API request in flight finishes first, each within its function’s ' +
        'timeout. Ctrl+C again stops at once.',
    );
    expect(stoppingLine({ apiRequests: 0, messages: 0 })).toBe(
      'Stopping: no new work is taken; nothing is in flight.',
    );
  });

  it('after a graceful stop, says what the queues keep for the next start, and where', () => {
    expect(stoppedLine({ waitingMessages: 12 }, '.sandbox')).toBe(
      'Stopped: nothing left in flight; 12 messages wait in queues for the next start (state in .sandbox/).',
    );
    expect(stoppedLine({ waitingMessages: 1 }, '.sandbox')).toBe(
      'Stopped: nothing left in flight; 1 message waits in queues for the next start (state in .sandbox/).',
    );
  });

  it('with --memory, says that what waited is gone', () => {
    expect(stoppedLine({ waitingMessages: 3 }, undefined)).toBe(
      'Stopped: nothing left in flight; 3 messages that waited in queues are gone with it (--memory keeps nothing).',
    );
    expect(stoppedLine({ waitingMessages: 0 }, undefined)).toBe(
      'Stopped: nothing left in flight, and nothing waited in queues (--memory keeps nothing).',
    );
  });

  it('after a stop at once, says what was cut short and what becomes of it', () => {
    expect(stoppedAtOnceLine({ apiRequests: 0, messages: 2 }, '.sandbox')).toBe(
      'Stopped at once: 2 messages were in flight; at the next start SQS hands them back after their visibility ' +
        'timeout (60 s on the main lane), and a delivery whose request may have left is recorded with an ' +
        'attempt of unknown outcome.',
    );
    expect(stoppedAtOnceLine({ apiRequests: 0, messages: 1 }, undefined)).toBe(
      'Stopped at once: 1 message was in flight; --memory keeps nothing.',
    );
    expect(stoppedAtOnceLine({ apiRequests: 1, messages: 0 }, undefined)).toBe(
      'Stopped at once: 1 API request got no answer; 0 messages were in flight; --memory keeps nothing.',
    );
  });
});
