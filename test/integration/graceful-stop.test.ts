import { afterAll, describe, expect, it } from 'vitest';
import { api } from '../support/clients.ts';
import { eventually } from '../support/eventually.ts';
import { type ReceivedRequest, type Receiver, startReceiver } from '../support/receiver.ts';
import {
  createWebhook,
  describeDeliveries,
  publishOrders,
  settledDeliveries,
  useSandboxProcesses,
} from '../support/sandbox-process.ts';

/**
 * Ctrl+C on a sandbox while deliveries flow (issue 19, item 4): started as a user starts it (`npm start`, in a
 * process group of its own, so that SIGINT reaches npm and node at once, as a terminal sends it), stopped
 * mid-stream, started again on the same data directory. The first Ctrl+C lets what is in flight finish and
 * record its attempts; a second one stops at once.
 */
const receivers: Receiver[] = [];
afterAll(async () => {
  await Promise.all(receivers.map((receiver) => receiver.close()));
});

/** A receiver that answers 200 after `delayMs` (so that invocations are in flight) and counts webhook-ids. */
async function countingReceiver(delayMs: number) {
  const requests = new Map<string, number>();
  const receiver = await startReceiver((request: ReceivedRequest) => {
    const id = String(request.headers['webhook-id'] ?? '');
    requests.set(id, (requests.get(id) ?? 0) + 1);
    return { status: 200, delayMs };
  });
  receivers.push(receiver);
  return { receiver, requests };
}

const orderIds = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, n) => `${prefix}${String(n).padStart(3, '0')}`);

describe('Ctrl+C while 300 deliveries flow', () => {
  const sandboxes = useSandboxProcesses('graceful-stop-', { asNpmStart: true });

  it('lets the deliveries in flight finish and record their attempts, so that none is sent twice after a restart', async () => {
    // Arrange
    const { receiver, requests } = await countingReceiver(100);
    const args = await sandboxes.args('--quiet');
    const first = await sandboxes.start(args);
    const webhook = await createWebhook(first, { url: receiver.url });
    const orders = orderIds('ord_stop_', 300);
    await publishOrders(first, orders);

    // Act: Ctrl+C once some deliveries arrived, with more on the wire and most still queued.
    await eventually(async () => (receiver.received.length >= 40 ? true : undefined), '40 webhooks');
    first.interrupt();
    const exit = await first.exited();
    const stopped = first.output.find((line) => line.startsWith('Stopped'));
    const beforeRestart = receiver.received.length;
    const second = await sandboxes.start(args);
    await eventually(
      async () => (requests.size >= orders.length ? true : undefined),
      `webhooks of all ${orders.length} deliveries (${requests.size} so far)`,
      40_000,
    ).catch(() => undefined);
    const records = await settledDeliveries(second, webhook.id, orders.length, 20_000);

    // Assert: npm re-raises the Ctrl+C it got once its script ended, as a shell expects of an interrupted job.
    const sentTwice = [...requests].filter(([, count]) => count > 1).map(([id, count]) => `${id}: ${count}`);
    const miscounted = records.filter(
      (record) =>
        record.status !== 'succeeded' ||
        record.attempt_count !== (requests.get(record.id) ?? 0) ||
        record.attempts.length !== record.attempt_count,
    );
    expect(
      {
        exit,
        stopped,
        stoppedMidStream: beforeRestart < orders.length,
        received: requests.size,
        records: records.length,
        sentTwice,
        miscounted: miscounted.length,
      },
      `${beforeRestart} requests before the restart; records miscounted:\n${describeDeliveries(miscounted)}`,
    ).toEqual({
      exit: { code: null, signal: 'SIGINT' },
      stopped: expect.stringMatching(
        /^Stopped: nothing left in flight; \d+ messages? waits? in queues for the next start \(state in .+\/\)\.$/,
      ),
      stoppedMidStream: true,
      received: orders.length,
      records: orders.length,
      sentTwice: [],
      miscounted: 0,
    });
  }, 90_000);
});

describe('a second Ctrl+C', () => {
  const sandboxes = useSandboxProcesses('forced-stop-');

  it('stops at once, with exit code 130, saying what was in flight', async () => {
    // Arrange: deliveries whose endpoint answers after 20 s, so that invocations are in flight for that long.
    const { receiver } = await countingReceiver(20_000);
    const sandbox = await sandboxes.start(await sandboxes.args('--quiet'));
    await createWebhook(sandbox, { url: receiver.url });
    await publishOrders(sandbox, orderIds('ord_forced_', 5));
    await eventually(async () => (receiver.received.length > 0 ? true : undefined), 'a webhook on the wire');

    // Act
    sandbox.interrupt();
    await sandbox.waitForOutput('Stopping');
    const secondAt = Date.now();
    sandbox.interrupt();
    const exit = await sandbox.exited();

    // Assert: well before the endpoint's answer, which a graceful stop would wait for.
    expect(Date.now() - secondAt).toBeLessThan(5_000);
    expect(exit).toEqual({ code: 130, signal: null });
    expect(sandbox.output.find((line) => line.startsWith('Stopped'))).toMatch(
      /^Stopped at once: [1-9]\d* messages? (was|were) in flight;/,
    );
  }, 60_000);
});

describe('Ctrl+C while an API request is in flight', () => {
  const sandboxes = useSandboxProcesses('api-stop-');

  it('lets it finish with its full answer before the sandbox exits', async () => {
    // Arrange: a jwt webhook's creation waits for its endpoint's answer to the verification request, which this
    // receiver gives after 2 s; the sandbox holds no message, so only the API request is in flight.
    const verifyingMs = 2_000;
    const { receiver } = await countingReceiver(verifyingMs);
    const sandbox = await sandboxes.start(await sandboxes.args('--quiet'));
    // Ctrl+C stops gracefully once the sandbox is ready (its portal link made): before, it is not yet handled.
    await sandbox.waitForOutput('Ready.');
    const creating = api(sandbox.endpoint, sandbox.apiKey, 'POST', '/v1/webhooks', {
      name: 'Slow to verify',
      url: receiver.url,
      events: ['order.*'],
      format: 'jwt',
      jwt_key: 'a-jwt-key-of-at-least-thirty-two-bytes',
    });
    await receiver.next();

    // Act: Ctrl+C while the endpoint takes its time.
    const interruptedAt = Date.now();
    sandbox.interrupt();
    const [created, exit] = await Promise.all([creating.catch((error: unknown) => error), sandbox.exited()]);

    // Assert: the caller got its answer, and the stop waited for it (and no longer than it needed).
    expect({
      status: (created as { status?: number }).status,
      exit,
      stopping: sandbox.output.find((line) => line.startsWith('Stopping')),
    }).toEqual({
      status: 201,
      exit: { code: 0, signal: null },
      stopping:
        'Stopping: no new work is taken; 1 API request in flight finishes first, each within its ' +
        'function’s timeout. Ctrl+C again stops at once.',
    });
    expect(Date.now() - interruptedAt).toBeLessThan(verifyingMs + 5_000);
  }, 40_000);
});
