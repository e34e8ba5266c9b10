/**
 * HTTP Basic authentication through the whole sandbox, started as `npm start` starts it: the API user and key
 * it prints are the pair, and the authorizer, the gateway and the API function take it as they take Bearer.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { apiKeyId, newApiKey } from '#core/accounts/api-key-store.ts';
import { apiKeyRefusals } from '#core/accounts/resolve-caller.ts';
import { problem } from '../support/api-sandbox.ts';
import { api } from '../support/clients.ts';
import { type SandboxProcess, useSandboxProcesses } from '../support/sandbox-process.ts';

const sandboxes = useSandboxProcesses('hookbridge-basic-auth-');
let sandbox: SandboxProcess;
let apiUser: string;

beforeAll(async () => {
  sandbox = await sandboxes.start(await sandboxes.args('--quiet'));
  apiUser = (await sandbox.waitForOutput('API user: ')).split('API user: ')[1]?.trim() ?? '';
}, 60_000);

const basic = (user: string, key: string) =>
  `Basic ${Buffer.from(`${user}:${key}`, 'utf8').toString('base64')}`;
const withAuthorization = (authorization: string, method: string, path: string, body?: unknown) =>
  api(sandbox.endpoint, undefined, method, path, body, { authorization });

const unauthorized = (detail: string) =>
  problem('unauthorized', 401, { detail, errors: [{ field: 'authorization', message: detail }] });

describe('HTTP Basic authentication against the sandbox', () => {
  it('uses the pair npm start prints: the API user, the line after the API key, is the key’s id', () => {
    const printed = sandbox.output.map((line) => line.split(': ')[0]);

    expect(apiUser).toBe(apiKeyId(sandbox.apiKey));
    expect(printed.indexOf('API user')).toBe(printed.indexOf('API key') + 1);
  });

  it('answers the demo account’s webhooks to that pair, as to its key as Bearer', async () => {
    const created = await api(sandbox.endpoint, sandbox.apiKey, 'POST', '/v1/webhooks', {
      name: 'Basic',
      url: 'https://example.com/hooks',
      events: ['order.created'],
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);

    const listed = await withAuthorization(basic(apiUser, sandbox.apiKey), 'GET', '/v1/webhooks');

    expect(listed.status, JSON.stringify(listed.json)).toBe(200);
    expect(listed.json?.data).toEqual([expect.objectContaining({ id: created.json?.id, name: 'Basic' })]);
  });

  it('is an API key’s credential: it may create a portal link, which a portal token may not', async () => {
    const session = await withAuthorization(basic(apiUser, sandbox.apiKey), 'POST', '/v1/portal-sessions');

    expect(session.status, JSON.stringify(session.json)).toBe(201);
  });

  it('refuses a wrong pair with the /v1 API’s usual 401, its detail saying what was wrong', async () => {
    const unknownKey = newApiKey();
    const cases = [
      [basic(apiKeyId(newApiKey()), sandbox.apiKey), apiKeyRefusals.otherUser],
      [basic(apiKeyId(unknownKey), unknownKey), apiKeyRefusals.invalidPair],
      [`Basic ${Buffer.from(sandbox.apiKey).toString('base64')}`, expect.stringContaining('no colon')],
    ] as const;

    for (const [authorization, detail] of cases) {
      const refused = await withAuthorization(authorization, 'GET', '/v1/webhooks');

      expect(refused.status).toBe(401);
      expect(refused.contentType).toBe('application/problem+json');
      expect(refused.headers.get('www-authenticate')).toBe('Bearer');
      expect(refused.json).toEqual(unauthorized(detail));
    }
  });
});
