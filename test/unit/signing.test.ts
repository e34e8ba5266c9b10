import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { describe, expect, it } from 'vitest';
import { newSigningSecret, webhookHeaders } from '#core/payloads/signing.ts';

const body = JSON.stringify({ id: 'ord_1', type: 'order.status_updated', data: { status: 'Shipped' } });
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('Standard Webhooks signing', () => {
  it('makes secrets in the whsec_ format with 32 random bytes', () => {
    const secret = newSigningSecret();

    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(newSigningSecret()).not.toBe(secret);
  });

  it('signs so that the standardwebhooks library verifies the payload', () => {
    const secret = newSigningSecret();
    const headers = webhookHeaders([secret], { id: 'msg_1', timestamp: nowSeconds(), body });

    expect(new StandardWebhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('signs so that the svix library verifies the payload', () => {
    const secret = newSigningSecret();
    const headers = webhookHeaders([secret], { id: 'msg_2', timestamp: nowSeconds(), body });
    const svixHeaders = {
      'svix-id': headers['webhook-id'] ?? '',
      'svix-timestamp': headers['webhook-timestamp'] ?? '',
      'svix-signature': headers['webhook-signature'] ?? '',
    };

    expect(new SvixWebhook(secret).verify(body, svixHeaders)).toEqual(JSON.parse(body));
  });

  it('signs with every secret during a rotation, so either one verifies', () => {
    const current = newSigningSecret();
    const previous = newSigningSecret();
    const headers = webhookHeaders([current, previous], { id: 'msg_3', timestamp: nowSeconds(), body });

    expect(headers['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(new StandardWebhook(current).verify(body, headers)).toBeTruthy();
    expect(new StandardWebhook(previous).verify(body, headers)).toBeTruthy();
  });

  it('fails verification when one byte of the body changes', () => {
    const secret = newSigningSecret();
    const headers = webhookHeaders([secret], { id: 'msg_4', timestamp: nowSeconds(), body });

    expect(() => new StandardWebhook(secret).verify(body.replace('Shipped', 'Shipper'), headers)).toThrow();
  });

  it('fails verification with another secret', () => {
    const headers = webhookHeaders([newSigningSecret()], { id: 'msg_5', timestamp: nowSeconds(), body });

    expect(() => new StandardWebhook(newSigningSecret()).verify(body, headers)).toThrow();
  });
});
