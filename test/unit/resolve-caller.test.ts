import { describe, expect, it } from 'vitest';
import { apiKeyId, newApiKey } from '#core/accounts/api-key-store.ts';
import { portalRefusals } from '#core/accounts/portal-access.ts';
import { apiKeyRefusals, type CallerPorts, resolveCaller } from '#core/accounts/resolve-caller.ts';
import { parseAuthorization } from '#core/http/authorization-header.ts';

const demoKey = newApiKey();
const otherKey = newApiKey();
// A key given with --api-key may be any printable ASCII, a colon included.
const colonKey = 'whk_with:colons:inside';
const accounts = new Map([
  [demoKey, 'acct_demo'],
  [otherKey, 'acct_other'],
  [colonKey, 'acct_colon'],
]);

/** The authorizer's ports over a fixed set of keys, keeping every key looked up. */
function ports(): CallerPorts & { readonly lookedUp: string[] } {
  const lookedUp: string[] = [];
  return {
    lookedUp,
    accountOf: async (key) => {
      lookedUp.push(key);
      return accounts.get(key);
    },
    checkPortalToken: async () => ({ valid: false, reason: 'forged' }),
  };
}

const basic = (pair: string, scheme = 'Basic') => `${scheme} ${Buffer.from(pair, 'utf8').toString('base64')}`;
const resolve = (authorization: string | undefined, callerPorts = ports()) =>
  resolveCaller({ authorization }, callerPorts);
const refusal = (authError: string) => ({ accountId: '', credential: '', authError });
const apiKeyCaller = (accountId: string) => ({ accountId, credential: 'api-key', authError: '' });

describe('resolving a caller from HTTP Basic credentials', () => {
  it('takes the key’s id as the user and the key as the password, as an API key', async () => {
    await expect(resolve(basic(`${apiKeyId(demoKey)}:${demoKey}`))).resolves.toEqual(
      apiKeyCaller('acct_demo'),
    );
  });

  it('takes the scheme in any case, as RFC 9110 has it', async () => {
    for (const scheme of ['basic', 'BASIC']) {
      const caller = await resolve(basic(`${apiKeyId(demoKey)}:${demoKey}`, scheme));
      expect(caller.accountId).toBe('acct_demo');
    }
  });

  it('reads the password from the first colon on, so a key may hold colons', async () => {
    await expect(resolve(basic(`${apiKeyId(colonKey)}:${colonKey}`))).resolves.toEqual(
      apiKeyCaller('acct_colon'),
    );
  });

  it('refuses a key given with another key’s id, saying what the API user is', async () => {
    const caller = await resolve(basic(`${apiKeyId(otherKey)}:${demoKey}`));

    expect(caller).toEqual(refusal(apiKeyRefusals.otherUser));
    expect(caller.authError).toContain('npm run keys -- list');
  });

  it('refuses a user that is not a key id at all, such as the account', async () => {
    await expect(resolve(basic(`acct_demo:${demoKey}`))).resolves.toEqual(refusal(apiKeyRefusals.otherUser));
  });

  it('refuses an unknown key even with its own id as the user', async () => {
    const unknown = newApiKey();

    await expect(resolve(basic(`${apiKeyId(unknown)}:${unknown}`))).resolves.toEqual(
      refusal('The API user or API key is not valid'),
    );
  });

  it('refuses an empty password without looking it up', async () => {
    const callerPorts = ports();

    await expect(resolve(basic(`${apiKeyId(demoKey)}:`), callerPorts)).resolves.toEqual(
      refusal(apiKeyRefusals.noKey),
    );
    expect(callerPorts.lookedUp).toEqual([]);
  });

  it.each([
    ['no credentials after the scheme', 'Basic', /must be base64/],
    ['credentials that are not base64', 'Basic not*base64!', /must be base64/],
    ['base64 with bits Node.js would drop', 'Basic YWJjZB==', /must be base64/],
    ['two words after the scheme', `${basic(`${apiKeyId(demoKey)}:${demoKey}`)} extra`, /must be Bearer/],
    ['a pair without a colon', basic(`${apiKeyId(demoKey)}${demoKey}`), /no colon/],
    ['bytes that are not UTF-8', `Basic ${Buffer.from([0x6b, 0x3a, 0xff]).toString('base64')}`, /UTF-8/],
  ])('refuses %s clearly, without looking anything up', async (_case, header, reason) => {
    const callerPorts = ports();

    const caller = await resolve(header, callerPorts);

    expect(caller).toEqual({ accountId: '', credential: '', authError: expect.stringMatching(reason) });
    expect(callerPorts.lookedUp).toEqual([]);
  });
});

describe('resolving a caller from a Bearer credential, or none', () => {
  it('takes an API key, in any case of the scheme', async () => {
    for (const scheme of ['Bearer', 'bearer']) {
      await expect(resolve(`${scheme} ${demoKey}`)).resolves.toEqual(apiKeyCaller('acct_demo'));
    }
  });

  it('refuses an unknown key', async () => {
    await expect(resolve(`Bearer ${newApiKey()}`)).resolves.toEqual(refusal('The API key is not valid'));
  });

  it('names both forms when the header is missing or of another scheme', async () => {
    for (const header of [undefined, 'Digest username="key"', 'Bearer']) {
      const caller = await resolve(header);
      expect(caller.authError).toMatch(/Bearer <API key>, or Basic base64\(<API user>:<API key>\)/);
    }
  });

  it('never looks a portal token up as an API key', async () => {
    const callerPorts = ports();

    await expect(resolve('Bearer whp_payload.signature', callerPorts)).resolves.toEqual(
      refusal(portalRefusals.notFromPortal),
    );
    expect(callerPorts.lookedUp).toEqual([]);
  });
});

describe('reading an Authorization header', () => {
  it('accepts base64 with or without its padding', () => {
    const pair = { scheme: 'basic', user: 'key_0123456789abcdef', password: 'ab' };
    const encoded = Buffer.from('key_0123456789abcdef:ab').toString('base64');

    expect(encoded.endsWith('=')).toBe(true);
    expect(parseAuthorization(`Basic ${encoded}`)).toEqual(pair);
    expect(parseAuthorization(`Basic ${encoded.replace(/=+$/, '')}`)).toEqual(pair);
  });
});
