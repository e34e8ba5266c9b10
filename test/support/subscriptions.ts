import type { Subscription } from '#core/subscriptions/subscription.ts';

/** A stored subscription for tests, active, with the fields a test cares about overridden. */
export function aSubscription(overrides: Partial<Subscription> = {}): Subscription {
  return {
    id: 'sub_1',
    accountId: 'acct_1',
    name: 'orders',
    url: 'https://hooks.example.com/in',
    events: ['order.*'],
    status: 'active',
    format: 'json',
    headers: {},
    secret: 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=',
    metadata: {},
    createdAt: '2026-11-27T00:00:00.000Z',
    updatedAt: '2026-11-27T00:00:00.000Z',
    version: 1,
    ...overrides,
  };
}
