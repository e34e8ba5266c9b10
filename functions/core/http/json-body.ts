import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { problems } from './problem.ts';

const jsonMediaType = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Parses a JSON request body in place. A request without a body passes untouched (a GET, or a POST the
 * route will reject); a body of another media type is a 415 and broken JSON a 400, both as problem+json.
 * (middy's own parser answers 415 for every case, GETs included.)
 */
export function jsonBody(): MiddlewareObj<APIGatewayProxyEventV2 & { body?: unknown }> {
  return {
    before: async (request) => {
      const { body, headers, isBase64Encoded } = request.event;
      if (typeof body !== 'string' || body === '') {
        request.event.body = undefined;
        return;
      }
      if (!jsonMediaType.test(headers['content-type'] ?? '')) throw problems.unsupportedMediaType();
      const text = isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
      try {
        request.event.body = JSON.parse(text);
      } catch (error) {
        throw problems.malformedBody((error as Error).message);
      }
    },
  };
}
