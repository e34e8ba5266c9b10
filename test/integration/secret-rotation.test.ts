import { Webhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/clients.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';
import { freePort, type SandboxProcess, startSandboxProcess } from '../support/sandbox-process.ts';

// The sandbox as a user runs it, logging every fan-out and attempt as the functions' JSON records (every key
// they log, not the console's short lines), so its output can be searched for secrets.
let sandbox: SandboxProcess;
let receiver: Receiver;
const secretsSeen: string[] = [];

const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  api(sandbox.endpoint, sandbox.apiKey, method, path, body, headers);

beforeAll(async () => {
  sandbox = await startSandboxProcess([
    '--memory',
    '--port',
    String(await freePort()),
    '--log-format',
    'json',
  ]);
  receiver = await startReceiver();
}, 60_000);

afterAll(async () => {
  await receiver?.close();
  await sandbox?.kill();
});

async function createWebhook() {
  const created = await call('POST', '/v1/webhooks', {
    name: 'Rotating',
    url: receiver.url,
    events: ['order.*'],
  });
  expect(created.status).toBe(201);
  secretsSeen.push(created.json?.secret as string);
  return created.json as { id: string; secret: string };
}

async function rotate(id: string, body?: unknown) {
  const rotated = await call('POST', `/v1/webhooks/${id}/rotate-secret`, body);
  expect(rotated.status, JSON.stringify(rotated.json)).toBe(200);
  secretsSeen.push(rotated.json?.secret as string);
  return rotated.json as { secret: string; previous_secret_expires_at: string | null; version: number };
}

/** Sends a test event and waits for it at the receiver. */
async function testDelivery(id: string) {
  const sent = await call('POST', `/v1/webhooks/${id}/test`);
  expect(sent.status, JSON.stringify(sent.json)).toBe(202);
  const request = await receiver.next();
  expect(request.headers['webhook-id']).toBe(sent.json?.delivery_id);
  return request;
}

const headersOf = (request: { headers: Record<string, unknown> }) =>
  request.headers as Record<string, string>;

describe('POST /v1/webhooks/{id}/test', () => {
  it('sends a webhook.test event through fan-out and delivery, signed, with the delivery id it answered', async () => {
    const { id, secret } = await createWebhook();

    const request = await testDelivery(id);
    const payload = new Webhook(secret).verify(request.body, headersOf(request));

    expect(payload).toEqual({
      id: expect.stringMatching(/^evt_[0-9a-z]{26}$/),
      type: 'webhook.test',
      occurred_at: expect.any(String),
      data: { webhook_id: id, message: 'A test event for Rotating' },
    });
  });

  it('refuses a test for a paused subscription with a 409 and sends nothing', async () => {
    const { id } = await createWebhook();
    await call('PATCH', `/v1/webhooks/${id}`, { status: 'paused' });
    const before = receiver.received.length;

    const refused = await call('POST', `/v1/webhooks/${id}/test`);

    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ type: 'urn:webhooks:problem:webhook-inactive' });
    expect(receiver.received.length).toBe(before);
  });
});

describe('POST /v1/webhooks/{id}/rotate-secret', () => {
  it('signs with the new and the previous secret for 24 hours: both verify, with Standard Webhooks and Svix', async () => {
    const { id, secret: oldSecret } = await createWebhook();

    const rotated = await rotate(id);
    const request = await testDelivery(id);
    const signatures = request.headers['webhook-signature'] as string;

    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(oldSecret);
    expect(Date.parse(rotated.previous_secret_expires_at ?? '') - Date.now()).toBeGreaterThan(
      23.9 * 3600_000,
    );
    expect(signatures.split(' ')).toHaveLength(2);
    for (const secret of [rotated.secret, oldSecret]) {
      expect(new Webhook(secret).verify(request.body, headersOf(request))).toMatchObject({
        type: 'webhook.test',
      });
      expect(new SvixWebhook(secret).verify(request.body, headersOf(request))).toMatchObject({
        type: 'webhook.test',
      });
    }
  });

  it('ends the previous secret at once with previous_secret_expires_in 0, and drops older ones', async () => {
    const { id, secret: first } = await createWebhook();
    const second = await rotate(id, { previous_secret_expires_in: 3600 });

    const third = await rotate(id, { previous_secret_expires_in: 0 });
    const request = await testDelivery(id);

    expect(second.previous_secret_expires_at).not.toBeNull();
    expect(third.previous_secret_expires_at).toBeNull();
    expect((request.headers['webhook-signature'] as string).split(' ')).toHaveLength(1);
    expect(new Webhook(third.secret).verify(request.body, headersOf(request))).toBeTruthy();
    for (const old of [first, second.secret]) {
      expect(() => new Webhook(old).verify(request.body, headersOf(request))).toThrow();
      expect(() => new SvixWebhook(old).verify(request.body, headersOf(request))).toThrow();
    }
  });

  it('applies 50 concurrent rotations one after another: every secret answered and the one before them verify the next webhook, and the rotations past 5 previous secrets answer 409', async () => {
    const { id, secret: before } = await createWebhook();

    const answers = await Promise.all(
      Array.from({ length: 50 }, () => call('POST', `/v1/webhooks/${id}/rotate-secret`)),
    );
    const rotated = answers.filter((answer) => answer.status === 200);
    const refused = answers.filter((answer) => answer.status !== 200);
    const answered = rotated.map((answer) => answer.json?.secret as string);
    secretsSeen.push(...answered);
    const request = await testDelivery(id);
    const signatures = (request.headers['webhook-signature'] as string).split(' ');

    // Each rotation was written on the version the one before it wrote: no answer was overwritten unseen.
    expect(rotated.map((answer) => Number(answer.json?.version)).sort((a, b) => a - b)).toEqual([
      2, 3, 4, 5, 6,
    ]);
    expect(new Set(answered).size).toBe(5);
    for (const answer of refused) {
      expect(answer.status).toBe(409);
      expect(answer.contentType).toBe('application/problem+json');
      expect(answer.json).toMatchObject({
        type: 'urn:webhooks:problem:limit-reached',
        detail: expect.stringContaining('previous_secret_expires_in 0'),
      });
    }
    expect(refused).toHaveLength(45);
    expect(signatures).toHaveLength(6);
    for (const secret of [before, ...answered]) {
      expect(new Webhook(secret).verify(request.body, headersOf(request))).toMatchObject({
        type: 'webhook.test',
      });
      expect(new SvixWebhook(secret).verify(request.body, headersOf(request))).toBeTruthy();
    }
  });

  it('keeps each replaced secret signing for its own overlap: a later rotation does not end it, and it ends when its own does', async () => {
    const { id, secret: first } = await createWebhook();
    const second = await rotate(id, { previous_secret_expires_in: 3600 });
    const third = await rotate(id);

    const during = await testDelivery(id);
    const fourth = await rotate(id, { previous_secret_expires_in: 1 });
    // The third secret's overlap ended at most a second after the rotation answered.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const after = await testDelivery(id);

    expect((during.headers['webhook-signature'] as string).split(' ')).toHaveLength(3);
    for (const secret of [first, second.secret, third.secret]) {
      expect(new Webhook(secret).verify(during.body, headersOf(during))).toBeTruthy();
    }
    // The second secret's 24 hours end last: the answer says until when more than one secret signs.
    expect(fourth.previous_secret_expires_at).toBe(third.previous_secret_expires_at);
    expect((after.headers['webhook-signature'] as string).split(' ')).toHaveLength(3);
    for (const secret of [first, second.secret, fourth.secret]) {
      expect(new Webhook(secret).verify(after.body, headersOf(after))).toBeTruthy();
    }
    expect(() => new Webhook(third.secret).verify(after.body, headersOf(after))).toThrow();
  });

  it.each([
    [-1, 'must be at least 0'],
    [604_801, 'must be at most 604800 (7 days)'],
    [1.5, 'must be a whole number of seconds from 0 to 604800 (7 days)'],
    ['60', 'must be a number'],
    [null, 'must be a number'],
  ])('refuses previous_secret_expires_in %j with a 422 saying %s', async (value, message) => {
    const { id } = await createWebhook();

    const refused = await call('POST', `/v1/webhooks/${id}/rotate-secret`, {
      previous_secret_expires_in: value,
    });

    expect(refused.status).toBe(422);
    expect(refused.json?.errors).toEqual([{ field: 'previous_secret_expires_in', message }]);
  });
});

describe('secrets', () => {
  it('are never in a read, a list, or a line the platform logged', async () => {
    const { id } = await createWebhook();
    await rotate(id);
    await testDelivery(id);

    const read = await call('GET', `/v1/webhooks/${id}`);
    const listed = await call('GET', '/v1/webhooks?limit=100');
    const patched = await call('PATCH', `/v1/webhooks/${id}`, { name: 'Renamed' });
    const output = sandbox.output.join('\n');

    expect(secretsSeen.length).toBeGreaterThan(5);
    for (const secret of secretsSeen) {
      const key = secret.slice('whsec_'.length);
      for (const text of [
        JSON.stringify(read.json),
        JSON.stringify(listed.json),
        JSON.stringify(patched.json),
        output,
      ]) {
        expect(text).not.toContain(key);
      }
    }
    // It did log: the search above looked at real lines.
    expect(output).toContain('Webhook delivered');
  });
});
