import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/clients.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';
import {
  createWebhook,
  freePort,
  publishOrders,
  type SandboxProcess,
  startSandboxProcess,
  useSandboxProcesses,
} from '../support/sandbox-process.ts';

/**
 * The sandbox's console (issue 19, item 3) as `npm start` prints it: a sandbox process with its default
 * `--log-format pretty`, a real loopback receiver that answers 200, then 500, then too slowly, and the lines
 * the real handlers' log records became. Colour is turned off with FORCE_COLOR=0 (the test runner may set it).
 */
let sandbox: SandboxProcess;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver(() => ({ status: 200 }));
  sandbox = await startSandboxProcess(
    ['--memory', '--port', String(await freePort()), '--retry-schedule', '1s,1s', '--delivery-timeout', '2s'],
    30_000,
    { env: { FORCE_COLOR: '0' } },
  );
}, 60_000);

afterAll(async () => {
  await sandbox?.kill();
  await receiver?.close();
});

/** A delivery line: time, event type, `→` subscription, answer, latency, what comes next, webhook-id. */
const deliveryLine = (answer: string, next: string) =>
  new RegExp(
    `^\\d\\d:\\d\\d:\\d\\d\\.\\d{3}  order\\.status_updated  → Console test\\s+${answer}\\s+\\d+ ms  ${next}  msg_\\w+$`,
  );

describe('npm start’s console', () => {
  it('names an event that matched no subscription by the id the events log takes, once', async () => {
    // Act: an event before any subscription exists (this test runs first), twice: a publisher's retry. The
    // twin is a repeat, which must not print a second 'matched no subscription'.
    await publishOrders(sandbox, ['ord_console_unmatched', 'ord_console_unmatched']);
    const unmatched = await sandbox.waitForOutput('matched no subscription');
    await new Promise((settle) => setTimeout(settle, 1500));

    // Assert: the platform's `evt_…` id, not EventBridge's, and GET /v1/events/{id} finds it.
    const eventId = /\(event (evt_\w+)\)$/.exec(unmatched)?.[1];
    expect(unmatched, unmatched).toMatch(
      /order\.status_updated\s+matched no subscription of \w+ \(event evt_\w+\)$/,
    );
    const read = await api(sandbox.endpoint, sandbox.apiKey, 'GET', `/v1/events/${eventId}`);
    expect(read.status, JSON.stringify(read.json)).toBe(200);
    expect(read.json).toMatchObject({ id: eventId, deliveries: [] });
    expect(sandbox.output.filter((line) => line.includes('matched no subscription'))).toEqual([unmatched]);
  });

  it('prints one line per delivery attempt, saying what comes next, and a summary when stopped', async () => {
    // Arrange
    await createWebhook(sandbox, { name: 'Console test', url: receiver.url });

    // Act: one delivery answered 200; one answered 500, then too slowly twice (past the 2 s timeout), and failed.
    await publishOrders(sandbox, ['ord_console_ok']);
    const delivered = await sandbox.waitForOutput('delivered');
    receiver.answerWith(() => ({ status: 500 }));
    await publishOrders(sandbox, ['ord_console_failing']);
    const retried = await sandbox.waitForOutput('retry in');
    receiver.answerWith(() => ({ status: 200, delayMs: 3000 }));
    const failed = await sandbox.waitForOutput('failed:', 20_000);
    const printedBeforeStop = [...sandbox.output];
    sandbox.interrupt();
    const summary = await sandbox.waitForOutput('Deliveries this run:', 20_000);

    // Assert
    expect(delivered).toMatch(deliveryLine('200 OK', 'delivered'));
    expect(retried).toMatch(deliveryLine('500', 'retry in 1s'));
    expect(failed).toMatch(deliveryLine('timeout', 'failed: .+'));
    const attemptLines = printedBeforeStop.filter((line) => line.includes('→ Console test'));
    expect(attemptLines.map((line) => line.split(/\s{2,}/)[3])).toEqual([
      '200 OK',
      '500',
      'timeout',
      'timeout',
    ]);
    expect(printedBeforeStop.filter((line) => line.startsWith('{'))).toEqual([]);
    expect(summary).toBe(
      'Deliveries this run: 4 attempts, 1 delivered, 1 failed for good, 0 pending (retry, slow lane or held).',
    );
  });
});

describe('npm start’s console, refusing private addresses as deployed', () => {
  const sandboxes = useSandboxProcesses('console-blocked-', { env: { FORCE_COLOR: '0' } });

  it('prints an attempt to an address the guard refuses as blocked_address, and no request leaves', async () => {
    // Arrange: a subscription made while the sandbox allowed loopback (its default), on a data directory that
    // a sandbox started as deployed then takes over: an endpoint whose address became one it refuses.
    const before = await sandboxes.start(await sandboxes.args());
    await createWebhook(before, { name: 'Old host', url: receiver.url });
    before.interrupt();
    expect((await before.exited()).code).toBe(0);
    const after = await sandboxes.start(await sandboxes.args('--block-private-targets'));

    // Act
    await publishOrders(after, ['ord_console_blocked']);
    const line = await after.waitForOutput('→ Old host');

    // Assert: the answer's column names the guard's refusal, and the receiver got nothing.
    expect(line).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} {2}order\.status_updated {2}→ Old host\s+blocked_address\s+(\d+ ms {2})?\S.* {2}msg_\w+$/,
    );
    expect(receiver.received.filter((request) => request.body.includes('ord_console_blocked'))).toEqual([]);
  }, 60_000);
});
