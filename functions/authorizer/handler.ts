import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import { ApiKeyStore } from '#core/accounts/api-key-store.ts';
import { PortalSigningKeys } from '#core/accounts/portal-signing-key.ts';
import { verifyPortalToken } from '#core/accounts/portal-token.ts';
import { resolveCaller } from '#core/accounts/resolve-caller.ts';
import { documentClient } from '#core/aws/dynamodb.ts';
import { loadEnvironment } from '#core/environment.ts';
import type { CallerContext } from '#core/http/caller.ts';
import { functions } from '#core/platform.ts';

const env = loadEnvironment(functions.authorizer.environment);
const db = documentClient();
const apiKeys = new ApiKeyStore(db, env.TABLE_NAME);
const signingKeys = new PortalSigningKeys(db, env.TABLE_NAME);

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
