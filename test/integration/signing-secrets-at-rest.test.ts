/**
 * Signing secrets at rest, through the sandbox as a user runs it: the table holds each secret sealed by KMS
 * (the API may encrypt, only the delivery functions decrypt), deliveries are signed with the secrets as shown
 * and verify with a Standard Webhooks library, and a secret that cannot be opened stops its deliveries with an
 * error that says why, never an unsigned request.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DisableKeyCommand, EnableKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '#core/aws/dynamodb.ts';
import { newSigningSecret } from '#core/payloads/signing.ts';
import { api, credentials } from '../support/clients.ts';
import { type ReceivedRequest, type Receiver, startReceiver } from '../support/receiver.ts';
import { freePort, type SandboxProcess, startSandboxProcess } from '../support/sandbox-process.ts';

let sandbox: SandboxProcess;
let receiver: Receiver;
let dynamo: DynamoDBClient;
let kms: KMSClient;

const call = (method: string, path: string, body?: unknown) =>
  api(sandbox.endpoint, sandbox.apiKey, method, path, body);

beforeAll(async () => {
  // The functions' JSON records, whose error lines carry the error's name and cause.
  sandbox = await startSandboxProcess([
    '--memory',
    '--port',
    String(await freePort()),
    '--log-format',
    'json',
  ]);
  receiver = await startReceiver();
  dynamo = new DynamoDBClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials });
  kms = new KMSClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials });
}, 60_000);

afterAll(async () => {
  dynamo?.destroy();
  kms?.destroy();
  await receiver?.close();
  await sandbox?.kill();
});

/** The subscription's item as DynamoDB holds it (the sandbox's demo account). */
async function itemOf(id: string): Promise<Record<string, unknown>> {
  const { Item } = await documentClient(dynamo).send(
    new GetCommand({
      TableName: 'webhooks',
      Key: { pk: 'ACCOUNT#demo', sk: `SUBSCRIPTION#${id}` },
      ConsistentRead: true,
    }),
  );
  if (Item === undefined) throw new Error(`no item for ${id}`);
  return Item;
}

async function createWebhook(url = receiver.url) {
  const created = await call('POST', '/v1/webhooks', { name: 'Sealed', url, events: ['order.*'] });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  return created.json as { id: string; secret: string };
}

/** Sends a test event; answers its delivery id. */
async function sendTest(id: string): Promise<string> {
  const sent = await call('POST', `/v1/webhooks/${id}/test`);
  expect(sent.status, JSON.stringify(sent.json)).toBe(202);
  return sent.json?.delivery_id as string;
}

/** Sends a test event and waits for it at the receiver. */
async function testDelivery(id: string): Promise<ReceivedRequest> {
  const deliveryId = await sendTest(id);
  const request = await receiver.next();
  expect(request.headers['webhook-id']).toBe(deliveryId);
  return request;
}

const verifies = (secret: string, request: ReceivedRequest) =>
  new Webhook(secret).verify(request.body, request.headers as Record<string, string>);

const sealed = expect.stringMatching(/^kms:[A-Za-z0-9+/]+={0,2}$/);

describe('signing secrets at rest', () => {
  it('stores a new secret sealed by KMS: the item holds a ciphertext, never the secret, and deliveries verify with it', async () => {
    const { id, secret } = await createWebhook();

    const item = await itemOf(id);
    const request = await testDelivery(id);

    expect(item.secret).toEqual(sealed);
    expect(JSON.stringify(item)).not.toContain(secret.slice('whsec_'.length));
    expect(JSON.stringify(item)).not.toContain('whsec_');
    expect(verifies(secret, request)).toMatchObject({ type: 'webhook.test' });
  });

  it('keeps both secrets sealed after a rotation, and both sign: the new one and the one it replaced', async () => {
    const { id, secret: first } = await createWebhook();
    const rotated = await call('POST', `/v1/webhooks/${id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    const second = rotated.json?.secret as string;

    const item = await itemOf(id);
    const request = await testDelivery(id);

    expect(item.secret).toEqual(sealed);
    expect(item.previousSecrets).toEqual([{ secret: sealed, expiresAt: expect.any(String) }]);
    expect(JSON.stringify(item)).not.toContain('whsec_');
    expect(verifies(second, request)).toMatchObject({ type: 'webhook.test' });
    expect(verifies(first, request)).toMatchObject({ type: 'webhook.test' });
    expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(2);
  });

  it('answers no ciphertext: a read, a list and a change show no secret in any form', async () => {
    const { id } = await createWebhook();
    const ciphertext = String((await itemOf(id)).secret).slice('kms:'.length, 40);

    const answers = [
      await call('GET', `/v1/webhooks/${id}`),
      await call('GET', '/v1/webhooks?limit=100'),
      await call('PATCH', `/v1/webhooks/${id}`, { name: 'Renamed' }),
    ];

    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(JSON.stringify(answer.json)).not.toContain(ciphertext);
      expect(JSON.stringify(answer.json)).not.toContain('kms:');
      expect(answer.json).not.toHaveProperty('secret');
    }
  });

  it('signs with a secret an item written before sealing holds in plain text, and seals it at the item’s next write', async () => {
    const { id } = await createWebhook();
    // As the platform stored secrets before they were sealed.
    const legacy = newSigningSecret();
    await documentClient(dynamo).send(
      new UpdateCommand({
        TableName: 'webhooks',
        Key: { pk: 'ACCOUNT#demo', sk: `SUBSCRIPTION#${id}` },
        UpdateExpression: 'SET secret = :secret',
        ExpressionAttributeValues: { ':secret': legacy },
      }),
    );

    const beforeWrite = await testDelivery(id);
    const changed = await call('PATCH', `/v1/webhooks/${id}`, { description: 'written again' });
    const item = await itemOf(id);
    const afterWrite = await testDelivery(id);

    expect(verifies(legacy, beforeWrite)).toMatchObject({ type: 'webhook.test' });
    expect(changed.status).toBe(200);
    expect(item.secret).toEqual(sealed);
    expect(JSON.stringify(item)).not.toContain(legacy.slice('whsec_'.length));
    expect(verifies(legacy, afterWrite)).toMatchObject({ type: 'webhook.test' });
  });

  it('does not open a ciphertext copied onto another subscription: its deliveries fail, saying why, and none goes out', async () => {
    const other = await startReceiver();
    try {
      const { id: source } = await createWebhook();
      const { id: target } = await createWebhook(other.url);
      await documentClient(dynamo).send(
        new UpdateCommand({
          TableName: 'webhooks',
          Key: { pk: 'ACCOUNT#demo', sk: `SUBSCRIPTION#${target}` },
          UpdateExpression: 'SET secret = :secret',
          ExpressionAttributeValues: { ':secret': (await itemOf(source)).secret },
        }),
      );

      await sendTest(target);
      const line = await sandbox.waitForOutput(`The signing secret of subscription ${target}`);

      expect(line).toContain('SigningSecretError');
      expect(line).toContain('InvalidCiphertextException');
      expect(line).toContain('"level":"ERROR"');
      expect(line).toContain('Delivery could not be completed');
      expect(other.received).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('with the key disabled, the API stores no new subscription (500) and a secret not yet opened signs nothing, saying why', async () => {
    const { id } = await createWebhook();
    await kms.send(new DisableKeyCommand({ KeyId: 'alias/hookbridge/signing-secrets' }));
    try {
      const refused = await call('POST', '/v1/webhooks', {
        name: 'x',
        url: receiver.url,
        events: ['order.*'],
      });
      const before = receiver.received.length;
      await sendTest(id);
      const line = await sandbox.waitForOutput(`The signing secret of subscription ${id}`);

      expect(refused.status).toBe(500);
      expect(line).toMatch(
        /DisabledException: arn:aws:kms:us-east-1:000000000000:key\/[0-9a-f-]{36} is disabled\./,
      );
      expect(receiver.received.length).toBe(before);
    } finally {
      await kms.send(new EnableKeyCommand({ KeyId: 'alias/hookbridge/signing-secrets' }));
    }
  });
});
