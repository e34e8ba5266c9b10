import { authorizationForms, parseAuthorization } from '../http/authorization-header.ts';
import type { CallerContext } from '../http/caller.ts';
import { apiKeyId } from './api-key-store.ts';
import { portalRefusals, portalRequestHeader, portalRequestHeaderValue } from './portal-access.ts';
import { isPortalToken, type PortalTokenCheck } from './portal-token.ts';

/** What resolving a caller needs: the account of an API key, and the check of a portal token. */
export interface CallerPorts {
  readonly accountOf: (apiKey: string) => Promise<string | undefined>;
  readonly checkPortalToken: (token: string) => Promise<PortalTokenCheck>;
}

/** The refusals of API keys that are not portal links' (which portal-access.ts words). */
export const apiKeyRefusals = {
  missing: `Send Authorization: ${authorizationForms}`,
  invalidKey: 'The API key is not valid',
  invalidPair: 'The API user or API key is not valid',
  noKey: 'The Basic credentials have no API key: send base64 of <API user>:<API key>',
  otherUser:
    'The API user is not this API key’s: the API user is the key’s id (key_ and 16 hex digits), as `npm run keys -- list` shows it',
} as const;

const refused = (authError: string): CallerContext => ({ accountId: '', credential: '', authError });

/**
 * Resolves the caller's credential (lower-case `headers`) to an account: an API key, sent as `Bearer <key>`
 * or as HTTP Basic with the key's id as the user and the key as the password (as the Shipmondo-compatible API's
 * clients send an API user and key), or a portal link's token (`Bearer whp_...`). A portal token is taken only
 * from the portal: the request must carry `Hookbridge-Portal: 1`, and a browser's `Sec-Fetch-Site`, when
 * sent, must say the request came from the portal's own origin. Neither holds against a client outside a
 * browser, which can send any header: the token's short life and its scope (one account, no new portal
 * sessions) are what bound a leaked link.
 */
export async function resolveCaller(
  headers: Readonly<Record<string, string | undefined>>,
  ports: CallerPorts,
): Promise<CallerContext> {
  const header = headers.authorization;
  if (header === undefined) return refused(apiKeyRefusals.missing);
  const credentials = parseAuthorization(header);
  switch (credentials.scheme) {
    case 'malformed':
      return refused(credentials.reason);
    case 'basic':
      return basicCaller(credentials.user, credentials.password, ports);
    case 'bearer':
      return isPortalToken(credentials.token)
        ? portalCaller(credentials.token, headers, ports)
        : bearerCaller(credentials.token, ports);
  }
}

async function bearerCaller(apiKey: string, ports: CallerPorts): Promise<CallerContext> {
  const accountId = await ports.accountOf(apiKey);
  if (accountId === undefined) return refused(apiKeyRefusals.invalidKey);
  return { accountId, credential: 'api-key', authError: '' };
}

/**
 * The user must be the key's id: it adds nothing secret (anyone holding the key can compute it), but a pair
 * is what Basic clients are configured with, and taking any user would hide a pair that was set up wrong.
 */
async function basicCaller(user: string, apiKey: string, ports: CallerPorts): Promise<CallerContext> {
  if (apiKey === '') return refused(apiKeyRefusals.noKey);
  const accountId = await ports.accountOf(apiKey);
  if (accountId === undefined) return refused(apiKeyRefusals.invalidPair);
  if (user !== apiKeyId(apiKey)) return refused(apiKeyRefusals.otherUser);
  return { accountId, credential: 'api-key', authError: '' };
}

async function portalCaller(
  token: string,
  headers: Readonly<Record<string, string | undefined>>,
  ports: CallerPorts,
): Promise<CallerContext> {
  if (headers[portalRequestHeader.toLowerCase()] !== portalRequestHeaderValue) {
    return refused(portalRefusals.notFromPortal);
  }
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return refused(portalRefusals.otherSite);
  const check = await ports.checkPortalToken(token);
  if (!check.valid) {
    return refused(check.reason === 'expired' ? portalRefusals.expired : portalRefusals.invalid);
  }
  return { accountId: check.claims.accountId, credential: 'portal-token', authError: '' };
}
