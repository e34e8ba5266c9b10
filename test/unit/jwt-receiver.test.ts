import { createHmac } from 'node:crypto';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type JwtReceiver, startJwtReceiver } from '../support/jwt-receiver.ts';

const key = 'a-webhook-key-of-thirty-two-bytes';
const claims = {
  webhook: 'Orders created',
  data: { id: 119175, order_id: '2042', order_status: 'open' },
  url: 'https://shop.example/webhooks',
};
const smd = {
  'SMD-Resource-Type': 'Orders',
  'SMD-Resource-Id': '119175',
  'SMD-Webhook-Id': '7',
  'SMD-Action': 'create',
  'SMD-User': 'someone@shop.example',
};

let receiver: JwtReceiver;
beforeEach(async () => {
  receiver = await startJwtReceiver();
});
afterEach(() => receiver.close());

function signed(payload: Record<string, unknown>, withKey: string, alg = 'HS256'): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg }).sign(new TextEncoder().encode(withKey));
}

/** POSTs `{"data": token}` (or `body` as given) the way the reference's webhooks do, and answers the status. */
async function post(body: string, headers: Record<string, string> = smd): Promise<number> {
  const response = await fetch(receiver.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  await response.text();
  return response.status;
}

const envelope = (token: string) => JSON.stringify({ data: token });

describe('the JWT receiver: a Shipmondo integration verifying with jose pinned to HS256', () => {
  it('accepts a JWT signed with its webhook key, reads the claims and the five SMD headers, and answers 200', async () => {
    receiver.keys.set('7', key);
    const body = envelope(await signed(claims, key));

    const status = await post(body);
    const message = await receiver.next();

    expect(status).toBe(200);
    expect(message).toMatchObject({
      verified: true,
      status: 200,
      protectedHeader: { alg: 'HS256' },
      payload: claims,
      claims,
      smd: {
        resourceType: 'Orders',
        resourceId: '119175',
        webhookId: '7',
        action: 'create',
        user: 'someone@shop.example',
      },
      request: { method: 'POST', body },
    });
    expect(message.request.headers['content-type']).toBe('application/json');
  });

  it('refuses a JWT signed with another key with 401 and records it as rejected', async () => {
    receiver.keys.set('7', key);

    const status = await post(envelope(await signed(claims, 'another-key-of-thirty-two-bytes!!')));

    expect(status).toBe(401);
    expect(await receiver.next()).toMatchObject({
      verified: false,
      rejection: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
      status: 401,
      smd: { webhookId: '7' },
    });
  });

  it('refuses an unsigned JWT (alg none) with 401', async () => {
    receiver.keys.set('7', key);

    const status = await post(envelope(new UnsecuredJWT(claims).encode()));

    expect(status).toBe(401);
    expect(await receiver.next()).toMatchObject({ verified: false, rejection: 'ERR_JOSE_ALG_NOT_ALLOWED' });
  });

  it('refuses a JWT signed with the right key under another HMAC algorithm (HS512), since it pins HS256', async () => {
    receiver.keys.set('7', key);

    const status = await post(envelope(await signed(claims, key, 'HS512')));

    expect(status).toBe(401);
    expect(await receiver.next()).toMatchObject({ verified: false, rejection: 'ERR_JOSE_ALG_NOT_ALLOWED' });
  });

  it('looks the key up by SMD-Webhook-Id, and verifies a webhook it has no key for with the key useKey set', async () => {
    receiver.keys.set('7', key);
    receiver.keys.set('8', 'the-key-of-webhook-eight-32-bytes');
    receiver.useKey('the-key-for-any-other-webhook-32b');

    const statuses = [
      await post(envelope(await signed(claims, key)), { ...smd, 'SMD-Webhook-Id': '8' }),
      await post(envelope(await signed(claims, 'the-key-of-webhook-eight-32-bytes')), {
        ...smd,
        'SMD-Webhook-Id': '8',
      }),
      await post(envelope(await signed(claims, 'the-key-for-any-other-webhook-32b')), {
        ...smd,
        'SMD-Webhook-Id': '9',
      }),
    ];

    expect(statuses).toEqual([401, 200, 200]);
  });

  it('refuses everything with 401 while it has no key for the webhook', async () => {
    const status = await post(envelope(await signed(claims, key)));

    expect(status).toBe(401);
    expect(await receiver.next()).toMatchObject({ verified: false, rejection: 'no key for webhook 7' });
  });

  it('verifies with a key shorter than 32 bytes, as the reference allows (its own example key has 15)', async () => {
    receiver.keys.set('7', 'example_key_123');

    expect(await post(envelope(await signed(claims, 'example_key_123')))).toBe(200);
  });

  it('answers a verified message with the status the test sets, e.g. 500 to fail a verification request', async () => {
    receiver.keys.set('7', key);
    receiver.answer(500);

    const status = await post(envelope(await signed(claims, key)));

    expect(status).toBe(500);
    expect(await receiver.next()).toMatchObject({ verified: true, status: 500, claims });
  });

  it.each([
    ['a body that is not JSON', 'data=abc'],
    ['a body without data', '{"token":"abc"}'],
    ['a data that is not a string', '{"data":{"webhook":"x"}}'],
  ])('refuses %s with 400 as malformed', async (_, body) => {
    receiver.keys.set('7', key);

    expect(await post(body)).toBe(400);
    expect(await receiver.next()).toMatchObject({
      verified: false,
      rejection: 'malformed body',
      status: 400,
    });
  });

  it('refuses a JWT whose claims are a JSON string rather than an object, as jose requires an object', async () => {
    // The reference's documented example token (eyJhbGciOiJIUzI1NiJ9.IntcIndlYmhvb2tcIjpcIldlYmhv...) has such a
    // payload: its second segment decodes to "{\"webhook\":\"Webho...". A sender must sign the claims object.
    receiver.keys.set('7', key);
    const header = Buffer.from('{"alg":"HS256"}').toString('base64url');
    const payload = Buffer.from(JSON.stringify(JSON.stringify(claims))).toString('base64url');
    const signature = createHmac('sha256', key).update(`${header}.${payload}`).digest('base64url');

    expect(await post(envelope(`${header}.${payload}.${signature}`))).toBe(401);
    expect(await receiver.next()).toMatchObject({ verified: false, rejection: 'ERR_JWT_INVALID' });
  });

  it('hands messages to next() in arrival order and keeps every one in messages', async () => {
    receiver.keys.set('7', key);
    const first = envelope(await signed({ ...claims, webhook: 'first' }, key));
    const second = envelope(await signed({ ...claims, webhook: 'second' }, key));

    await post(first);
    await post(second);

    expect((await receiver.next()).request.body).toBe(first);
    expect((await receiver.next()).request.body).toBe(second);
    expect(receiver.messages.map((message) => message.request.body)).toEqual([first, second]);
  });
});
