import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type {
  APIGatewayProxyEventV2WithLambdaAuthorizer,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';
import { documentClient } from '#core/dynamodb.ts';
import { loadEnvironment } from '#core/environment.ts';
import { jsonBody } from '#core/http/json-body.ts';
import { problems } from '#core/http/problem.ts';
import { problemJsonErrors } from '#core/http/problem-middleware.ts';
import { createLogger } from '#core/logger.ts';
import { functions } from '#core/platform.ts';
import { SubscriptionStore } from '#core/subscriptions/subscription-store.ts';
import type { CallerContext } from '../authorizer/handler.ts';
import { createRouter } from './router.ts';
import { webhookRoutes } from './webhook-routes.ts';

const env = loadEnvironment(functions.api.environment);
const logger = createLogger('api');
const route = createRouter(
  webhookRoutes({
    subscriptions: new SubscriptionStore(documentClient(), env.TABLE_NAME),
    targetPolicy: env.ALLOW_PRIVATE_TARGETS === 'true' ? 'allow-private' : 'public-only',
    now: () => new Date(),
  }),
);

type ApiEvent = APIGatewayProxyEventV2WithLambdaAuthorizer<CallerContext> & { body?: unknown };

async function handle(event: ApiEvent): Promise<APIGatewayProxyStructuredResultV2> {
  const caller = event.requestContext.authorizer.lambda;
  if (caller.accountId === '') throw problems.unauthorized(caller.authError || 'Unauthorized');
  const { handler, params } = route(event.requestContext.http.method, event.rawPath);
  return handler({ accountId: caller.accountId, params, body: event.body, event });
}

/** The management API: header normalizer -> JSON body parser -> route, with problem+json errors last. */
export const handler = middy<ApiEvent, APIGatewayProxyStructuredResultV2>()
  .use(httpHeaderNormalizer())
  .use(jsonBody())
  .use(problemJsonErrors(logger))
  .handler(handle);
