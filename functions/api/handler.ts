import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type {
  APIGatewayProxyEventV2WithLambdaAuthorizer,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';
import { documentClient } from '#core/dynamodb.ts';
import { loadEnvironment, targetPolicyOf } from '#core/environment.ts';
import { type CallerContext, requireCaller } from '#core/http/caller.ts';
import { jsonBody } from '#core/http/json-body.ts';
import { problemJsonErrors } from '#core/http/problem-middleware.ts';
import { createLogger } from '#core/logger.ts';
import { functions } from '#core/platform.ts';
import { SubscriptionStore } from '#core/subscriptions/subscription-store.ts';
import { createRouter } from './router.ts';
import { webhookRoutes } from './webhook-routes.ts';

const env = loadEnvironment(functions.api.environment);
const logger = createLogger('api');
const route = createRouter(
  webhookRoutes({
    subscriptions: new SubscriptionStore(documentClient(), env.TABLE_NAME),
    targetPolicy: targetPolicyOf(env),
    now: () => new Date(),
  }),
);

type ApiEvent = APIGatewayProxyEventV2WithLambdaAuthorizer<CallerContext> & { body?: unknown };

async function handle(event: ApiEvent): Promise<APIGatewayProxyStructuredResultV2> {
  const { accountId } = event.requestContext.authorizer.lambda;
  const { handler, params } = route(event.requestContext.http.method, event.rawPath);
  return handler({ accountId, params, body: event.body, event });
}

/**
 * The management API: caller check -> header normalizer -> JSON body parser -> route, with problem+json errors
 * last. The caller is checked first, so a request without a valid key learns nothing from its body's fate.
 */
export const handler = middy<ApiEvent, APIGatewayProxyStructuredResultV2>()
  .use(requireCaller())
  .use(httpHeaderNormalizer())
  .use(jsonBody())
  .use(problemJsonErrors(logger))
  .handler(handle);
