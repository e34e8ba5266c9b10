import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import { ApiKeyStore } from '#core/accounts/api-key-store.ts';
import {
  portalRefusals,
  portalRequestHeader,
  portalRequestHeaderValue,
} from '#core/accounts/portal-access.ts';
import { PortalSigningKeys } from '#core/accounts/portal-signing-key.ts';
import { isPortalToken, type PortalTokenCheck, verifyPortalToken } from '#core/accounts/portal-token.ts';
import { documentClient } from '#core/aws/dynamodb.ts';
import { loadEnvironment } from '#core/environment.ts';
import type { CallerContext } from '#core/http/caller.ts';
import { functions } from '#core/platform.ts';

const env = loadEnvironment(functions.authorizer.environment);
const db = documentClient();
const apiKeys = new ApiKeyStore(db, env.TABLE_NAME);
const signingKeys = new PortalSigningKeys(db, env.TABLE_NAME);

/** The key of an `Authorization: Bearer <key>` header, or undefined when the header has another form. */
export function bearerKey(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/** What resolving a caller needs: the account of an API key, and the check of a portal token. */
export interface CallerPorts {
  readonly accountOf: (apiKey: string) => Promise<string | undefined>;
  readonly checkPortalToken: (token: string) => Promise<PortalTokenCheck>;
}

const refused = (authError: string): CallerContext => ({ accountId: '', credential: '', authError });

/**
 * Resolves the caller's credential (lower-case `headers`) to an account: an API key, or a portal link's token
 * (`whp_...`). A portal token is taken only from the portal: the request must carry `Hookbridge-Portal: 1`,
 * and a browser's `Sec-Fetch-Site`, when sent, must say the request came from the portal's own origin.
 * Neither holds against a client outside a browser, which can send any header: the token's short life and its
 * scope (one account, no new portal sessions) are what bound a leaked link.
 */
export async function resolveCaller(
  headers: Readonly<Record<string, string | undefined>>,
  ports: CallerPorts,
): Promise<CallerContext> {
  const header = headers.authorization;
  if (header === undefined) return refused('Send Authorization: Bearer <API key>');
  const credential = bearerKey(header);
  if (credential === undefined) return refused('The Authorization header must be Bearer <API key>');
  if (isPortalToken(credential)) {
    if (headers[portalRequestHeader.toLowerCase()] !== portalRequestHeaderValue) {
      return refused(portalRefusals.notFromPortal);
    }
    const site = headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin') return refused(portalRefusals.otherSite);
    const check = await ports.checkPortalToken(credential);
    if (!check.valid) {
      return refused(check.reason === 'expired' ? portalRefusals.expired : portalRefusals.invalid);
    }
    return { accountId: check.claims.accountId, credential: 'portal-token', authError: '' };
  }
  const accountId = await ports.accountOf(credential);
  if (accountId === undefined) return refused('The API key is not valid');
  return { accountId, credential: 'api-key', authError: '' };
}

/**
 * HTTP API Lambda authorizer (payload 2.0, simple responses). It resolves the caller and always lets the
 * request through with the result in its context, so the API function can answer a missing or wrong key with a
 * problem+json 401; API Gateway's own deny responses cannot be given that body on HTTP APIs.
 */
export const handler = async (
  event: APIGatewayRequestAuthorizerEventV2,
): Promise<APIGatewaySimpleAuthorizerWithContextResult<CallerContext>> => ({
  isAuthorized: true,
  context: await resolveCaller(lowerCased(event.headers), {
    accountOf: (key) => apiKeys.accountOf(key),
    checkPortalToken: (token) =>
      signingKeys.verify(
        (key) => verifyPortalToken(token, key, new Date()),
        // No key yet: no portal session was ever created, so no token can be genuine.
        { valid: false, reason: 'forged' },
      ),
  }),
});

/** HTTP APIs give header names in lower case already; this keeps the check right if one does not. */
function lowerCased(
  headers: Record<string, string | undefined> | undefined,
): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
  );
}
