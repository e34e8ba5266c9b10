import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { HttpProblem, problems } from './problem.ts';

function toProblem(error: unknown): HttpProblem {
  return error instanceof HttpProblem ? error : problems.internal();
}

/**
 * The last middleware of every HTTP chain: any error becomes an `application/problem+json` response. Only
 * client errors (below 500) say what went wrong; anything else is logged and answered without internals.
 */
export function problemJsonErrors(
  logger: Logger,
): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyResultV2> {
  return {
    onError: async (request) => {
      const problem = toProblem(request.error);
      if (problem.status >= 500) logger.error('Request failed', { error: request.error as Error });
      request.response = problem.toResponse();
    },
  };
}
