import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookSender } from '#core/egress/webhook-sender.ts';
import { type ReceiverFarm, startReceiverFarm } from '../support/receiver-farm.ts';

let farm: ReceiverFarm;
const sender = new WebhookSender('allow-private', 5000);

beforeAll(async () => {
  farm = await startReceiverFarm([{ name: 'private-ca' }]);
});
afterAll(async () => {
  await sender.close();
  await farm?.close();
});

describe('an endpoint whose certificate the platform does not trust', () => {
  it('is a tls_error, saying why, and gets no request', async () => {
    // This process was not started with NODE_EXTRA_CA_CERTS: the farm's test CA is unknown to it.
    const endpoint = farm.endpoint('private-ca');

    const outcome = await sender.send(
      { url: endpoint.url, body: '{}', contentType: 'application/json', headers: {} },
      { connectMs: 2000, answerMs: 2000 },
    );

    expect(outcome).toMatchObject({
      kind: 'error',
      errorKind: 'tls_error',
      error: expect.stringContaining('UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
    });
    expect(outcome.answerMs).toBeUndefined();
    expect(endpoint.requests).toEqual([]);
  });
});
