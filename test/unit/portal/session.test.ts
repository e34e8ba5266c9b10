import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { signPortalToken } from '#core/accounts/portal-token.ts';
import { ApiError } from '../../../portal/src/api.ts';
import { hasExpired, linkOf, Session } from '../../../portal/src/session.ts';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A real HTTP server on loopback that answers every request with `status` and `body`, and keeps what it got. */
async function answering(
  status: number,
  body: unknown,
): Promise<{ url: string; got: IncomingHttpHeaders[] }> {
  const got: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    got.push(request.headers);
    response.writeHead(status, { 'content-type': 'application/problem+json' });
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got };
}

describe('the portal session', () => {
  it('reads the account and the expiry from a token the platform signed', () => {
    const expiresAt = new Date('2026-11-27T10:15:00Z');
    const token = signPortalToken({ accountId: 'acct_demo', expiresAt }, randomBytes(32));

    expect(linkOf(token)).toEqual({ token, accountId: 'acct_demo', expiresAt });
  });

  it('keeps a damaged token, saying neither account nor expiry', () => {
    expect(linkOf('whp_%%%.sig')).toEqual({ token: 'whp_%%%.sig', accountId: '', expiresAt: undefined });
  });

  it('has expired from the moment of its expiry on, and never without one', () => {
    const link = { token: 't', accountId: 'a', expiresAt: new Date('2026-11-27T10:15:00Z') };

    expect(hasExpired(link, new Date('2026-11-27T10:14:59Z'))).toBe(false);
    expect(hasExpired(link, new Date('2026-11-27T10:15:00Z'))).toBe(true);
    expect(hasExpired({ ...link, expiresAt: undefined }, new Date('2030-01-01T00:00:00Z'))).toBe(false);
    expect(hasExpired(undefined)).toBe(false);
  });

  it('carries a notice to the next page once', () => {
    const session = new Session(undefined);
    session.carryNotice({ tone: 'success', text: 'Deleted Orders.' });

    expect(session.takeNotice()).toEqual({ tone: 'success', text: 'Deleted Orders.' });
    expect(session.takeNotice()).toBeUndefined();
  });

  it('hands a new secret only to its own subscription’s page, and only once', () => {
    const session = new Session(undefined);
    session.showSecretOnce({ id: 'sub_1', secret: 'whsec_abc', kind: 'created' });

    expect(session.takeSecret('sub_2')).toBeUndefined();
    expect(session.takeSecret('sub_1')).toEqual({ id: 'sub_1', secret: 'whsec_abc', kind: 'created' });
    expect(session.takeSecret('sub_1')).toBeUndefined();
  });

  it('sends its token from the portal, and tells who listens when the API refuses it', async () => {
    const api = await answering(401, {
      type: 'urn:webhooks:problem:unauthorized',
      detail: 'The link expired.',
    });
    const session = new Session(linkOf('whp_token.sig'));
    const refusals: string[] = [];
    session.whenRefused((detail) => refusals.push(detail));

    const failure = await session.call('GET', `${api.url}/v1/webhooks`).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ApiError);
    expect(failure).toMatchObject({ status: 401, problemType: 'unauthorized', message: 'The link expired.' });
    expect(refusals).toEqual(['The link expired.']);
    expect(api.got[0]).toMatchObject({ authorization: 'Bearer whp_token.sig', 'hookbridge-portal': '1' });
  });

  it('names the wrong fields of a refused body, and leaves the session alone on a 422', async () => {
    const api = await answering(422, {
      type: 'urn:webhooks:problem:validation',
      detail: 'The request is not valid.',
      errors: [{ field: 'url', message: 'must use https' }],
    });
    const session = new Session(linkOf('whp_token.sig'));
    const refusals: string[] = [];
    session.whenRefused((detail) => refusals.push(detail));

    const failure = await session.call('POST', `${api.url}/v1/webhooks`, {}).catch((error: unknown) => error);

    expect(failure).toMatchObject({
      status: 422,
      problemType: 'validation',
      errors: [{ field: 'url', message: 'must use https' }],
    });
    expect(refusals).toEqual([]);
  });
});
