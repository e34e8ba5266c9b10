import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { api, awsClients, orderStatusUpdated } from '../support/clients.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';
import { freePort, type SandboxProcess, startSandboxProcess } from '../support/sandbox-process.ts';

const started: SandboxProcess[] = [];
let receiver: Receiver | undefined;
let dataDir: string | undefined;

afterAll(async () => {
  await Promise.all(started.map((sandbox) => sandbox.kill()));
  await receiver?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('a sandbox with state on disk', () => {
  it('delivers, after a crash and a restart, a webhook that was waiting for its retry', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sandbox-restart-'));
    const args = ['--port', String(await freePort()), '--data-dir', dataDir];
    const receiverPort = await freePort();
    const first = await startSandboxProcess(args);
    started.push(first);
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
    const second = await startSandboxProcess(args);
    started.push(second);
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
