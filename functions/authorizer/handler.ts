import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import { ApiKeyStore } from '#core/accounts/api-key-store.ts';
import { documentClient } from '#core/dynamodb.ts';
import { loadEnvironment } from '#core/environment.ts';
import type { CallerContext } from '#core/http/caller.ts';
import { functions } from '#core/platform.ts';

const env = loadEnvironment(functions.authorizer.environment);
const apiKeys = new ApiKeyStore(documentClient(), env.TABLE_NAME);

/** The key of an `Authorization: Bearer <key>` header, or undefined when the header has another form. */
export function bearerKey(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/** Resolves the caller's API key to an account. */
export async function resolveCaller(
  header: string | undefined,
  accountOf: (apiKey: string) => Promise<string | undefined>,
): Promise<CallerContext> {
  if (header === undefined) return { accountId: '', authError: 'Send Authorization: Bearer <API key>' };
  const key = bearerKey(header);
  if (key === undefined)
    return { accountId: '', authError: 'The Authorization header must be Bearer <API key>' };
  const accountId = await accountOf(key);
  if (accountId === undefined) return { accountId: '', authError: 'The API key is not valid' };
  return { accountId, authError: '' };
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
  context: await resolveCaller(event.headers?.authorization, (key) => apiKeys.accountOf(key)),
});
