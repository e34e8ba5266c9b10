import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2WithLambdaAuthorizer } from 'aws-lambda';
import { problems } from './problem.ts';

/** What the authorizer passes on about the caller: the account, or why there is none. */
export type CallerContext = { accountId: string; authError: '' } | { accountId: ''; authError: string };

/**
 * Refuses a request without an account (a missing or wrong API key) with a problem+json 401, before anything
 * else reads the request.
 */
export function requireCaller(): MiddlewareObj<APIGatewayProxyEventV2WithLambdaAuthorizer<CallerContext>> {
  return {
    before: async (request) => {
      const caller = request.event.requestContext.authorizer.lambda;
      if (caller.accountId === '') throw problems.unauthorized(caller.authError || 'Unauthorized');
    },
  };
}
