import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { api, awsClients, orderStatusUpdated } from '../support/clients.ts';
import { eventually } from '../support/eventually.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';
import { useSandboxProcesses } from '../support/sandbox-process.ts';

const sandboxes = useSandboxProcesses('crash-recovery-');
let receiver: Receiver | undefined;

afterAll(async () => {
  await receiver?.close();
});

describe('a crash between the POST and the record', () => {
  it('loses nothing: the webhook comes again, with the same webhook-id, and both requests are on record', async () => {
    const args = await sandboxes.args('--quiet');
    let answered = false;
    // The first POST gets no answer: the sandbox is killed while it waits, after the endpoint saw the webhook.
    receiver = await startReceiver(() => (answered ? { status: 200 } : { status: 200, delayMs: 60_000 }));
    const first = await sandboxes.start(args);
    const created = await api(first.endpoint, first.apiKey, 'POST', '/v1/webhooks', {
      name: 'Orders',
      url: receiver.url,
      events: ['order.*'],
    });
    const { secret, id } = created.json as { secret: string; id: string };

    await awsClients(first.endpoint).eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: first.eventBus,
            Source: 'shipping.orders',
            DetailType: 'order.status_updated',
            Detail: JSON.stringify(orderStatusUpdated('demo', 'ord_in_flight')),
          },
        ],
      }),
    );
    const seen = await receiver.next();
    await first.kill();
    answered = true;

    const second = await sandboxes.start(args);
    // The message was in flight: SQS hands it back after the main lane's visibility timeout (60 s).
    const again = await receiver.next(80_000);
    const deliveryId = seen.headers['webhook-id'] as string;
    const record = await eventually(async () => {
      const answer = await api(second.endpoint, second.apiKey, 'GET', `/v1/deliveries/${deliveryId}`);
      return answer.status === 200 && answer.json?.status === 'succeeded' ? answer.json : undefined;
    }, 'the delivery record');

    expect(again.headers['webhook-id']).toBe(deliveryId);
    expect(new Webhook(secret).verify(again.body, again.headers as Record<string, string>)).toMatchObject({
      data: { id: 'ord_in_flight' },
    });
    // Two requests left, so two attempts are on record: the one whose answer died with the process, as such.
    expect(record).toMatchObject({
      webhook_id: id,
      attempt_count: 2,
      attempts: [{ error: 'outcome_unknown', latency_ms: null }, { status_code: 200 }],
    });
  }, 130_000);
});
