import { randomBytes } from 'node:crypto';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { portalRefusals } from '#core/accounts/portal-access.ts';
import { PortalSigningKeys, signingKeyCacheMs } from '#core/accounts/portal-signing-key.ts';
import { signPortalToken, verifyPortalToken } from '#core/accounts/portal-token.ts';
import { documentClient } from '#core/aws/dynamodb.ts';
import { createKeysOnlyTable } from '../../sandbox/table-definition.ts';
import { problem, type TestAccount, useApiSandbox } from '../support/api-sandbox.ts';
import { api } from '../support/clients.ts';

const { sandbox, newAccount, dynamo } = useApiSandbox();

/** What the portal sends with every request. */
const fromPortal = { 'hookbridge-portal': '1', 'sec-fetch-site': 'same-origin' };

/** A portal session of the account, and its token. */
async function sessionOf(account: TestAccount, body?: unknown) {
  const created = await account.call('POST', '/v1/portal-sessions', body);
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  const url = new URL(String(created.json?.url));
  return { created, url, token: new URLSearchParams(url.hash.slice(1)).get('token') ?? '' };
}

/** Calls the API with a portal token, as the portal does unless `headers` says otherwise. */
const asPortal = (token: string, method: string, path: string, body?: unknown, headers = fromPortal) =>
  api(sandbox().endpoint, token, method, path, body, headers);

const unauthorized = (detail: string) =>
  problem('unauthorized', 401, { detail, errors: [{ field: 'authorization', message: detail }] });

/** The platform's signing key, read from the table as only the platform could. */
const signingKey = async () => {
  const key = await new PortalSigningKeys(documentClient(dynamo()), 'webhooks').existing();
  if (key === undefined) throw new Error('no portal signing key yet');
  return key;
};

describe('POST /v1/portal-sessions', () => {
  it('answers 201 with a link to the portal on this API, the token in its fragment, valid for an hour', async () => {
    const account = await newAccount();
    const before = Date.now();

    const { created, url, token } = await sessionOf(account);

    expect(created.json).toEqual({ url: expect.any(String), expires_at: expect.any(String) });
    expect(`${url.origin}${url.pathname}`).toBe(`${sandbox().endpoint}/portal/`);
    expect(url.search).toBe('');
    expect(token).toMatch(/^whp_[\w-]+\.[\w-]{43}$/);
    const expiresAt = Date.parse(String(created.json?.expires_at));
    expect(expiresAt % 1000).toBe(0);
    expect(expiresAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 3600_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3600_000);
    expect(created.headers.get('cache-control')).toBe('no-store');
  });

  it.each([60, 86_400])('makes a link for %i seconds', async (seconds) => {
    const { created } = await sessionOf(await newAccount(), { expires_in: seconds });

    const left = Date.parse(String(created.json?.expires_at)) - Date.now();
    expect(left).toBeGreaterThan((seconds - 5) * 1000);
    expect(left).toBeLessThanOrEqual(seconds * 1000);
  });

  it.each([
    [{ expires_in: 59 }, 'expires_in', 'must be at least 60 seconds'],
    [{ expires_in: 86_401 }, 'expires_in', 'must be at most 86400 seconds (24 hours)'],
    [{ expires_in: 90.5 }, 'expires_in', 'must be a whole number of seconds from 60 to 86400'],
    [{ expires_in: '3600' }, 'expires_in', 'must be a number'],
    [{ account_id: 'someone-else' }, 'account_id', 'is not a known field'],
  ])('refuses %j with a 422 naming the field', async (body, field, message) => {
    const answer = await (await newAccount()).call('POST', '/v1/portal-sessions', body);

    expect(answer.status).toBe(422);
    expect(answer.json).toEqual(problem('validation-failed', 422, { errors: [{ field, message }] }));
  });

  it('needs an API key: none is a 401, and a portal token is a 403 (a link cannot make links)', async () => {
    const { token } = await sessionOf(await newAccount());

    const withoutKey = await api(sandbox().endpoint, undefined, 'POST', '/v1/portal-sessions');
    const withToken = await asPortal(token, 'POST', '/v1/portal-sessions', { expires_in: 86_400 });

    expect(withoutKey.status).toBe(401);
    expect(withToken.status).toBe(403);
    expect(withToken.json).toEqual(
      problem('forbidden', 403, {
        detail:
          'POST /v1/portal-sessions takes an API key: a portal link cannot create portal links or manage keys',
      }),
    );
  });
});

describe('a portal token', () => {
  it('opens its own account from the portal: reads, creates, tests, rotates, deletes', async () => {
    const alice = await newAccount();
    const bob = await newAccount();
    const alices = await alice.createWebhook({ name: 'Alice' });
    await bob.createWebhook({ name: 'Bob' });
    const { token } = await sessionOf(alice);

    const listed = await asPortal(token, 'GET', '/v1/webhooks');
    const created = await asPortal(token, 'POST', '/v1/webhooks', {
      name: 'From the portal',
      url: 'https://hooks.example.com/portal',
      events: ['shipment.*'],
    });
    const id = String(created.json?.id);
    const rotated = await asPortal(token, 'POST', `/v1/webhooks/${id}/rotate-secret`);
    const tested = await asPortal(token, 'POST', `/v1/webhooks/${id}/test`);
    const paused = await asPortal(token, 'PATCH', `/v1/webhooks/${alices.id}`, { status: 'paused' });
    const deleted = await asPortal(token, 'DELETE', `/v1/webhooks/${id}`);

    expect(listed.status).toBe(200);
    expect(((listed.json?.data ?? []) as { name: string }[]).map((webhook) => webhook.name)).toEqual([
      'Alice',
    ]);
    expect(created.status).toBe(201);
    expect(rotated.status).toBe(200);
    expect(tested.status).toBe(202);
    expect(paused.json).toMatchObject({ status: 'paused' });
    expect(deleted.status).toBe(204);
    expect((await alice.call('GET', `/v1/webhooks/${id}`)).status).toBe(404);
  });

  it('never reaches another account: its subscriptions are not found', async () => {
    const alice = await newAccount();
    const bob = await newAccount();
    const bobs = await bob.createWebhook();
    const { token } = await sessionOf(alice);

    const read = await asPortal(token, 'GET', `/v1/webhooks/${bobs.id}`);
    const changed = await asPortal(token, 'PATCH', `/v1/webhooks/${bobs.id}`, { name: 'mine now' });
    const deliveries = await asPortal(token, 'GET', `/v1/webhooks/${bobs.id}/deliveries`);

    for (const answer of [read, changed, deliveries]) expect(answer.status).toBe(404);
    expect((await bob.call('GET', `/v1/webhooks/${bobs.id}`)).json).toMatchObject({ name: 'Order updates' });
  });

  it('is refused without the portal’s header, and from a page of another site', async () => {
    const { token } = await sessionOf(await newAccount());

    const bare = await asPortal(token, 'GET', '/v1/webhooks', undefined, {} as typeof fromPortal);
    const otherSite = await asPortal(token, 'GET', '/v1/webhooks', undefined, {
      ...fromPortal,
      'sec-fetch-site': 'cross-site',
    });
    const sameSite = await asPortal(token, 'GET', '/v1/webhooks', undefined, {
      ...fromPortal,
      'sec-fetch-site': 'same-site',
    });

    expect(bare.json).toEqual(unauthorized(portalRefusals.notFromPortal));
    expect(bare.headers.get('www-authenticate')).toBe('Bearer');
    expect(otherSite.json).toEqual(unauthorized(portalRefusals.otherSite));
    expect(sameSite.json).toEqual(unauthorized(portalRefusals.otherSite));
  });

  it('is refused once expired, saying so', async () => {
    const account = await newAccount();
    await sessionOf(account);
    const expired = signPortalToken(
      { accountId: account.accountId, expiresAt: new Date(Date.now() - 1000) },
      await signingKey(),
    );

    const answer = await asPortal(expired, 'GET', '/v1/webhooks');

    expect(answer.status).toBe(401);
    expect(answer.json).toEqual(unauthorized(portalRefusals.expired));
  });

  it('is refused when forged: another key, another account in a genuine token, or cut short', async () => {
    const alice = await newAccount();
    const bob = await newAccount();
    const { token } = await sessionOf(alice);
    const inFuture = new Date(Date.now() + 3600_000);
    const otherKey = signPortalToken({ accountId: alice.accountId, expiresAt: inFuture }, randomBytes(32));
    // Bob's claims with Alice's signature.
    const [, signature] = token.split('.');
    const bobsClaims = signPortalToken({ accountId: bob.accountId, expiresAt: inFuture }, randomBytes(32));
    const swapped = `${bobsClaims.split('.')[0]}.${signature}`;

    for (const forged of [otherKey, swapped, token.slice(0, -2), 'whp_', `${token}x`]) {
      const answer = await asPortal(forged, 'GET', '/v1/webhooks');
      expect(answer.json, forged).toEqual(unauthorized(portalRefusals.invalid));
    }
    expect((await asPortal(token, 'GET', '/v1/webhooks')).status).toBe(200);
  });

  it('is no API key: sent without the portal’s header it is refused, and never looked up as a key', async () => {
    const { token } = await sessionOf(await newAccount());

    const asKey = await api(sandbox().endpoint, token, 'GET', '/v1/webhooks');

    expect(asKey.json).toEqual(unauthorized(portalRefusals.notFromPortal));
  });
});

describe('the portal signing key', () => {
  it('is made once even when the first sessions race, and read through a cache', async () => {
    const table = `portal-keys-${randomBytes(4).toString('hex')}`;
    await createKeysOnlyTable(dynamo(), table);
    const db = documentClient(dynamo());
    let now = Date.parse('2026-12-01T10:00:00Z');
    const reader = new PortalSigningKeys(db, table, () => now);

    expect(await reader.existing()).toBeUndefined();
    const keys = await Promise.all(
      Array.from({ length: 5 }, () => new PortalSigningKeys(db, table, () => now).current()),
    );
    const [first] = keys;
    expect(keys.every((key) => first !== undefined && key.equals(first))).toBe(true);
    expect((await reader.existing())?.equals(first as Buffer)).toBe(true);

    // Replaced (deleted, then made anew): the cache keeps the old key until it expires.
    await db.send(
      new DeleteCommand({ TableName: table, Key: { pk: 'PORTAL#SIGNING_KEY', sk: 'PORTAL#SIGNING_KEY' } }),
    );
    const replacement = await new PortalSigningKeys(db, table, () => now).current();
    expect(replacement.equals(first as Buffer)).toBe(false);
    expect((await reader.existing())?.equals(first as Buffer)).toBe(true);
    // A token of the new key is taken once the cached key is a few seconds old: the reader reads again.
    const token = signPortalToken({ accountId: 'a', expiresAt: new Date(now + 60_000) }, replacement);
    const check = (key: Buffer) => verifyPortalToken(token, key, new Date(now));
    now += 11_000;
    expect(await reader.verify(check, { valid: false, reason: 'forged' })).toMatchObject({ valid: true });
    now += signingKeyCacheMs;
    expect((await reader.existing())?.equals(replacement)).toBe(true);
  });
});
