import { describe, expect, it } from 'vitest';
import { type HostResolver, resolvedTargetProblem } from '#core/egress/target-guard.ts';
import { encodeJwtKey } from '#core/payloads/jwt-payload.ts';
import { createSubscription } from '#core/subscriptions/create-subscription.ts';
import type { Subscription } from '#core/subscriptions/subscription.ts';
import { InvalidSubscriptionError } from '#core/subscriptions/subscription-errors.ts';
import {
  applyPatch,
  type UpdateSubscriptionPorts,
  updateSubscription,
} from '#core/subscriptions/update-subscription.ts';
import { aSubscription } from '../support/subscriptions.ts';

/** DNS answers, the one thing with no local form: names and the addresses they resolve to. */
const dns: Record<string, string[]> = {
  'hooks.example.com': ['93.184.215.14'],
  'rebind.example.com': ['93.184.215.14', '10.0.0.7'],
  'imds.example.com': ['169.254.169.254'],
};
const resolver: HostResolver = async (hostname) => {
  const answer = dns[hostname];
  if (answer === undefined)
    throw Object.assign(new Error(`queryA ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return answer;
};
const now = new Date('2026-12-01T10:00:00.000Z');

function createPorts(inserted: Subscription[] = []) {
  return {
    insert: async (subscription: Subscription) => {
      inserted.push(subscription);
    },
    urlProblem: (url: string) => resolvedTargetProblem(url, 'public-only', resolver),
    newId: () => 'sub_01m8re8jc558cthvp60cjb7yj5',
    newSecret: () => 'whsec_bmV3',
    verificationProblem: async () => undefined,
    newCompatibleId: async () => 7,
    now: () => now,
  };
}

describe('createSubscription', () => {
  it('stores an active subscription with the new secret, unique events and the filter as text', async () => {
    const inserted: Subscription[] = [];

    const created = await createSubscription(
      'acct_1',
      {
        name: 'Orders',
        url: 'https://hooks.example.com/in',
        events: ['order.*', 'order.*'],
        filter: { data: { status: ['Shipped'] } },
      },
      createPorts(inserted),
    );

    expect(created.secret).toBe('whsec_bmV3');
    expect(inserted).toEqual([
      {
        id: 'sub_01m8re8jc558cthvp60cjb7yj5',
        accountId: 'acct_1',
        name: 'Orders',
        url: 'https://hooks.example.com/in',
        events: ['order.*'],
        filter: '{"data":{"status":["Shipped"]}}',
        status: 'active',
        format: 'json',
        headers: {},
        secret: 'whsec_bmV3',
        metadata: {},
        createdAt: now.toISOString(),
        updatedAt: now.toISOString(),
        version: 1,
      },
    ]);
  });

  it.each([
    ['https://imds.example.com/', 'resolves to a link-local or metadata address'],
    ['https://rebind.example.com/', 'resolves to a private or reserved address'],
  ])(
    'refuses %s, a name that resolves to an address webhooks never go to, naming url',
    async (url, message) => {
      const inserted: Subscription[] = [];

      const creating = createSubscription(
        'acct_1',
        { name: 'x', url, events: ['order.*'] },
        createPorts(inserted),
      );

      await expect(creating).rejects.toBeInstanceOf(InvalidSubscriptionError);
      await expect(creating).rejects.toMatchObject({
        errors: [{ field: 'url', message: expect.stringContaining(message) }],
      });
      expect(inserted).toEqual([]);
    },
  );

  it.each([
    [25, true],
    [null, false],
  ])('stores rate_limit %s as rateLimit (stored: %s)', async (rateLimit, stored) => {
    const inserted: Subscription[] = [];

    await createSubscription(
      'acct_1',
      { name: 'x', url: 'https://hooks.example.com/in', events: ['order.*'], rate_limit: rateLimit },
      createPorts(inserted),
    );

    expect(inserted).toHaveLength(1);
    expect(inserted[0]?.rateLimit).toBe(rateLimit ?? undefined);
    expect(Object.hasOwn(inserted[0] ?? {}, 'rateLimit')).toBe(stored);
  });

  it('accepts a name that does not resolve now: it is checked again when connecting', async () => {
    const inserted: Subscription[] = [];

    await createSubscription(
      'acct_1',
      { name: 'x', url: 'https://not-yet.example.com/', events: ['order.*'] },
      createPorts(inserted),
    );

    expect(inserted).toHaveLength(1);
  });
});

describe('updateSubscription', () => {
  const stored = aSubscription({
    description: 'd',
    filter: '{"data":{"status":["Shipped"]}}',
    status: 'disabled',
    disabledReason: 'The endpoint answered 410 Gone',
    headers: { 'X-Team': 'ops' },
    metadata: { a: '1' },
  });

  it('applies given fields, removes the ones set to null, and clears the reason of a re-enabled one', () => {
    expect(
      applyPatch(stored, {
        description: null,
        filter: null,
        headers: null,
        metadata: null,
        status: 'active',
      }),
    ).toEqual({
      ...aSubscription(),
      status: 'active',
    });
  });

  it('takes a disabled subscription out of disabled afresh: no circuit, failures or back-off; its lane stays', () => {
    const failing = aSubscription({
      status: 'disabled',
      disabledReason: 'failing for 5 days',
      rateLimit: 5,
      slowSince: '2026-11-27T01:00:00.000Z',
      failingSince: '2026-11-26T01:00:00.000Z',
      laneEvidence: 1,
      consecutiveFailures: 40,
      circuit: {
        openedAt: '2026-11-26T02:00:00.000Z',
        probeAt: '2026-11-27T09:59:00.000Z',
        probeDelaySeconds: 300,
        token: 'probe',
      },
      backOffUntil: '2026-11-27T10:05:00.000Z',
    });

    expect(applyPatch(failing, { status: 'active', rate_limit: null })).toEqual({
      ...aSubscription(),
      slowSince: '2026-11-27T01:00:00.000Z',
    });
    expect(applyPatch({ ...failing, status: 'paused' }, { status: 'active' })).toMatchObject({
      circuit: failing.circuit,
      consecutiveFailures: 40,
    });
  });

  it('resets what the delivery path keeps in the write only when a patch takes it out of disabled', async () => {
    const written: [Subscription, number, readonly string[]][] = [];
    const ports = (current: Subscription) => ({
      get: async () => current,
      replace: async (next: Subscription, expected: number, reset: readonly string[]) => {
        written.push([next, expected, reset]);
        return true;
      },
      urlProblem: async () => undefined,
      newCompatibleId: async () => 7,
      verificationProblem: async () => undefined,
      now: () => now,
    });
    const disabled = aSubscription({ status: 'disabled', consecutiveFailures: 9 });

    await updateSubscription('acct_1', 'sub_1', { status: 'active' }, undefined, ports(disabled));
    await updateSubscription('acct_1', 'sub_1', { name: 'renamed' }, undefined, ports(disabled));
    await updateSubscription('acct_1', 'sub_1', { rate_limit: 7 }, undefined, ports(aSubscription()));

    expect(written.map(([next, expected, reset]) => [next.status, next.rateLimit, expected, reset])).toEqual([
      [
        'active',
        undefined,
        1,
        ['failingSince', 'consecutiveFailures', 'laneEvidence', 'circuit', 'backOffUntil'],
      ],
      ['disabled', undefined, 1, []],
      ['active', 7, 1, []],
    ]);
    expect(written[0]?.[0]).not.toHaveProperty('consecutiveFailures');
  });

  it('checks the URL against DNS only when it changes, and writes the next version', async () => {
    const asked: string[] = [];
    const written: [Subscription, number][] = [];
    const ports = {
      get: async () => stored,
      replace: async (next: Subscription, expected: number) => {
        written.push([next, expected]);
        return true;
      },
      urlProblem: async (url: string) => {
        asked.push(url);
        return resolvedTargetProblem(url, 'public-only', resolver);
      },
      newCompatibleId: async () => 7,
      verificationProblem: async () => undefined,
      now: () => now,
    };

    await updateSubscription('acct_1', 'sub_1', { name: 'Renamed' }, undefined, ports);
    const refused = updateSubscription(
      'acct_1',
      'sub_1',
      { url: 'https://imds.example.com/' },
      undefined,
      ports,
    );

    await expect(refused).rejects.toBeInstanceOf(InvalidSubscriptionError);
    expect(asked).toEqual(['https://imds.example.com/']);
    expect(written).toEqual([[{ ...stored, name: 'Renamed', version: 2, updatedAt: now.toISOString() }, 1]]);
  });
});

describe('jwt subscriptions', () => {
  const key = 'k'.repeat(32);
  const jwtInput = {
    name: 'x',
    url: 'https://hooks.example.com/in',
    events: ['order.created'],
    format: 'jwt' as const,
    jwt_key: key,
  };

  /** Update ports over one stored subscription, which a successful write replaces. */
  function oneStored(initial: Subscription, overrides: Partial<UpdateSubscriptionPorts> = {}) {
    const store = { current: initial };
    const ports: UpdateSubscriptionPorts = {
      get: async () => store.current,
      replace: async (next: Subscription) => {
        store.current = next;
        return true;
      },
      urlProblem: async () => undefined,
      newCompatibleId: async () => 12,
      verificationProblem: async () => undefined,
      now: () => now,
      ...overrides,
    };
    return { store, ports };
  }

  it('takes the key and a compatible id, and is made only once its endpoint took the verification', async () => {
    const inserted: Subscription[] = [];
    const verified: Subscription[] = [];
    const ports = {
      ...createPorts(inserted),
      verificationProblem: async (subscription: Subscription) => {
        verified.push(subscription);
        return undefined;
      },
    };

    await createSubscription('acct_1', jwtInput, ports);

    expect(inserted).toHaveLength(1);
    expect(inserted[0]).toMatchObject({ format: 'jwt', compatibleId: 7, jwtKey: encodeJwtKey(key) });
    expect(verified).toEqual(inserted);
  });

  it('is not made when its endpoint did not take the verification, naming url', async () => {
    const inserted: Subscription[] = [];
    const ports = { ...createPorts(inserted), verificationProblem: async () => 'answered HTTP 500' };

    const creating = createSubscription('acct_1', jwtInput, ports);

    await expect(creating).rejects.toMatchObject({
      errors: [{ field: 'url', message: 'answered HTTP 500' }],
    });
    expect(inserted).toEqual([]);
  });

  it.each([
    [{ format: 'jwt' as const }, 'is required when format is jwt'],
    [{ jwt_key: key }, 'is only for format jwt'],
    [{ format: 'xml' as const, jwt_key: key }, 'is only for format jwt'],
  ])('refuses %o, naming jwt_key', async (fields, message) => {
    const inserted: Subscription[] = [];

    const creating = createSubscription(
      'acct_1',
      { name: 'x', url: 'https://hooks.example.com/in', events: ['order.created'], ...fields },
      createPorts(inserted),
    );

    await expect(creating).rejects.toMatchObject({
      errors: [{ field: 'jwt_key', message: expect.stringContaining(message) }],
    });
    expect(inserted).toEqual([]);
  });

  it('keeps its compatible id when it leaves jwt and comes back, and drops its key when it leaves', async () => {
    let given = 0;
    const { store, ports } = oneStored(
      aSubscription({ format: 'jwt', jwtKey: encodeJwtKey(key), compatibleId: 3 }),
      {
        newCompatibleId: async () => {
          given++;
          return 99;
        },
      },
    );

    await updateSubscription('acct_1', 'sub_1', { format: 'json' }, undefined, ports);
    expect(store.current).not.toHaveProperty('jwtKey');
    await expect(
      updateSubscription('acct_1', 'sub_1', { format: 'jwt' }, undefined, ports),
    ).rejects.toMatchObject({
      errors: [{ field: 'jwt_key' }],
    });
    await updateSubscription('acct_1', 'sub_1', { format: 'jwt', jwt_key: key }, undefined, ports);

    expect(store.current).toMatchObject({ format: 'jwt', compatibleId: 3, jwtKey: encodeJwtKey(key) });
    expect(given).toBe(0);
  });

  it('gives a subscription that becomes jwt a compatible id, once its endpoint took the verification', async () => {
    const verified: Subscription[] = [];
    let verdict: string | undefined = 'answered HTTP 401';
    const { store, ports } = oneStored(aSubscription(), {
      verificationProblem: async (subscription: Subscription) => {
        verified.push(subscription);
        return verdict;
      },
    });

    const refused = updateSubscription('acct_1', 'sub_1', { format: 'jwt', jwt_key: key }, undefined, ports);
    await expect(refused).rejects.toMatchObject({ errors: [{ field: 'url', message: 'answered HTTP 401' }] });
    expect(store.current.format).toBe('json');
    verdict = undefined;
    await updateSubscription('acct_1', 'sub_1', { format: 'jwt', jwt_key: key }, undefined, ports);
    await updateSubscription('acct_1', 'sub_1', { name: 'renamed' }, undefined, ports);

    expect(store.current).toMatchObject({ format: 'jwt', compatibleId: 12, name: 'renamed' });
    // Verified when it became jwt, not when renamed.
    expect(verified.map((s) => [s.format, s.jwtKey])).toEqual([
      ['jwt', encodeJwtKey(key)],
      ['jwt', encodeJwtKey(key)],
    ]);
  });
});
