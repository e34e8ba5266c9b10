import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { api, awsClients, orderStatusUpdated } from '../support/clients.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';
import { freePort, useSandboxProcesses } from '../support/sandbox-process.ts';

const sandboxes = useSandboxProcesses('sandbox-restart-');
let receiver: Receiver | undefined;

afterAll(async () => {
  await receiver?.close();
});

describe('a sandbox with state on disk', () => {
  it('delivers, after a crash and a restart, a webhook that was waiting for its retry', async () => {
    // JSON records: the test waits for the handler's 'retry scheduled'.
    const args = await sandboxes.args('--log-format', 'json');
    const receiverPort = await freePort();
    const first = await sandboxes.start(args);
    const created = await api(first.endpoint, first.apiKey, 'POST', '/v1/webhooks', {
      name: 'Orders',
      url: `http://127.0.0.1:${receiverPort}/webhooks`,
      events: ['order.*'],
    });
    const { secret, id } = created.json as { secret: string; id: string };

    // Nothing listens on the receiver's port yet: the first attempt fails and a retry is scheduled.
    await awsClients(first.endpoint).eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: first.eventBus,
            Source: 'shipping.orders',
            DetailType: 'order.status_updated',
            Detail: JSON.stringify(orderStatusUpdated('demo', 'ord_survivor')),
          },
        ],
      }),
    );
    await first.waitForOutput('retry scheduled', 20_000);
    await first.kill();

    receiver = await startReceiver(() => ({ status: 200 }), receiverPort);
    const second = await sandboxes.start(args);
    const request = await receiver.next(30_000);
    const listed = await api(second.endpoint, second.apiKey, 'GET', '/v1/webhooks');

    expect(second.apiKey).toBe(first.apiKey);
    expect(listed.json?.data).toEqual([expect.objectContaining({ id })]);
    expect(new Webhook(secret).verify(request.body, request.headers as Record<string, string>)).toMatchObject(
      {
        type: 'order.status_updated',
        data: expect.objectContaining({ id: 'ord_survivor' }),
      },
    );
  }, 60_000);
});
