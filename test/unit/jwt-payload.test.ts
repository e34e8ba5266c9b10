import { readFileSync } from 'node:fs';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { eventTypes } from '#core/events/catalog.ts';
import {
  eventTypeOfAction,
  shipmondoActionOf,
  shipmondoActionOfSelection,
  shipmondoActions,
  shipmondoResources,
} from '#core/events/shipmondo-actions.ts';
import { encodeJwtKey, headerSafe, jwtKeyBytes } from '#core/payloads/jwt-payload.ts';
import { webhookRequest } from '#core/payloads/webhook-request.ts';
import { aSubscription } from '../support/subscriptions.ts';

const now = new Date('2026-12-07T08:00:00.000Z');
// The reference's own example key is this short: any length is a key there.
const shortKey = 'my-webhook-key!';

function jwtSubscription(key = shortKey) {
  return aSubscription({
    name: 'Orders to the ERP',
    url: 'https://erp.example.com/shipmondo',
    events: ['order.created'],
    format: 'jwt',
    jwtKey: encodeJwtKey(key),
    compatibleId: 42,
  });
}

const envelope = {
  id: 'evt_01m8e71ts07jzxh5cbdrd06z1m',
  type: 'order.created',
  occurred_at: '2026-11-27T09:58:12Z',
  data: { id: 'ord_1042', status: 'Initiated', lines: [{ sku: 'MUG', quantity: 2 }] },
  actor: 'Søren Kierkegaard',
};
const content = { id: 'msg_1', eventType: 'order.created', body: JSON.stringify(envelope) };

describe('the reference platform’s names', () => {
  it('name every catalog type once, and each name one type', () => {
    const named = shipmondoResources.flatMap((resource) =>
      Object.keys(shipmondoActions[resource]).map((action) => eventTypeOfAction(resource, action)),
    );

    expect([...named].sort()).toEqual([...eventTypes].sort());
    for (const type of eventTypes) {
      const { resource, action } = shipmondoActionOf(type) ?? { resource: 'Orders', action: '' };
      expect(eventTypeOfAction(resource, action)).toBe(type);
    }
  });

  it('are README’s table of resources and actions, row for row', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const rows = [...readme.matchAll(/^\| `([^`]+)` \| `([a-z_]+)` \| `([a-z_.]+)` \|$/gm)].map(
      ([, resource, action, type]) => [resource, action, type],
    );
    const mapping = shipmondoResources.flatMap((resource) =>
      Object.entries(shipmondoActions[resource]).map(([action, type]) => [resource, action, type]),
    );

    expect(rows).toEqual(mapping);
  });

  it('take a subscription’s first type, or its resource’s first action, for requests about no event', () => {
    expect(shipmondoActionOfSelection(['shipment.delivered', 'order.created'])).toEqual({
      resource: 'Shipment Monitor',
      action: 'delivered',
    });
    expect(shipmondoActionOfSelection(['draft.*'])).toEqual({ resource: 'Drafts', action: 'create' });
    expect(eventTypeOfAction('Orders', 'cancel')).toBeUndefined();
    expect(eventTypeOfAction('Orders', 'constructor')).toBeUndefined();
  });
});

describe('a jwt webhook', () => {
  it('is {"data": JWT}, verified by jose pinned to HS256 with a key of any length, claiming webhook, data, url', async () => {
    const request = webhookRequest(jwtSubscription(), content, now);

    expect(request.contentType).toBe('application/json');
    const body = JSON.parse(request.body);
    expect(Object.keys(body)).toEqual(['data']);
    expect(decodeProtectedHeader(body.data)).toEqual({ alg: 'HS256' });
    const { payload } = await jwtVerify(body.data, new TextEncoder().encode(shortKey), {
      algorithms: ['HS256'],
    });
    expect(payload).toEqual({
      webhook: 'Orders to the ERP',
      data: envelope.data,
      url: 'https://erp.example.com/shipmondo',
    });
  });

  it('does not verify with another key', async () => {
    const { data } = JSON.parse(webhookRequest(jwtSubscription(), content, now).body);

    await expect(
      jwtVerify(data, new TextEncoder().encode('another-key'), { algorithms: ['HS256'] }),
    ).rejects.toThrow();
  });

  it('carries the five SMD headers, percent-encoding who acted, and the Standard Webhooks signature', () => {
    const subscription = jwtSubscription();
    // Now: a Standard Webhooks verifier refuses a timestamp more than 5 minutes off its clock.
    const request = webhookRequest(subscription, content, new Date());

    expect(request.headers).toMatchObject({
      'SMD-Resource-Type': 'Orders',
      'SMD-Resource-Id': 'ord_1042',
      'SMD-Webhook-Id': '42',
      'SMD-Action': 'create',
      'SMD-User': 'S%C3%B8ren%20Kierkegaard',
    });
    const verified = new Webhook(subscription.secret).verify(request.body, {
      'webhook-id': request.headers['webhook-id'] ?? '',
      'webhook-timestamp': request.headers['webhook-timestamp'] ?? '',
      'webhook-signature': request.headers['webhook-signature'] ?? '',
    });
    expect(verified).toEqual(JSON.parse(request.body));
  });

  it('is the same body when sent again (nothing in it depends on the time)', () => {
    const first = webhookRequest(jwtSubscription(), content, now);
    const later = webhookRequest(jwtSubscription(), content, new Date(now.getTime() + 86_400_000));

    expect(later.body).toBe(first.body);
  });

  it('has an empty SMD-User when the event names no actor, and an empty SMD-Resource-Id without data.id', () => {
    const { actor: _none, ...anonymous } = envelope;
    const request = webhookRequest(
      jwtSubscription(),
      { ...content, body: JSON.stringify({ ...anonymous, data: { status: 'x' } }) },
      now,
    );

    expect(request.headers['SMD-User']).toBe('');
    expect(request.headers['SMD-Resource-Id']).toBe('');
  });

  it('keeps a key’s bytes exactly through its stored form', () => {
    for (const key of [shortKey, 'ключ-🔑-'.repeat(8), 'kms:not-sealed']) {
      expect(jwtKeyBytes(encodeJwtKey(key)).toString('utf8')).toBe(key);
      expect(encodeJwtKey(key).startsWith('kms:')).toBe(false);
    }
  });

  it('leaves printable ASCII in headers as it is', () => {
    expect(headerSafe('ada@example.com')).toBe('ada@example.com');
    expect(headerSafe('a\r\nb')).toBe('a%0D%0Ab');
  });
});
