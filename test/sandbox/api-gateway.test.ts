import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functions } from '#core/platform.ts';
import { LocalHttpApi } from '#sandbox/api-gateway.ts';
import { LocalFunction } from '#sandbox/lambda-runtime.ts';

/** The events each function was invoked with. */
const seen = { authorizer: [] as APIGatewayRequestAuthorizerEventV2[], api: [] as APIGatewayProxyEventV2[] };
const callerContext = { accountId: 'acct_demo', credential: 'api-key', authError: '' };

let server: Server;
let endpoint: string;

/** The gateway over real HTTP, in front of an authorizer and an API function that keep what they were given. */
beforeAll(async () => {
  const authorizer = new LocalFunction(
    'authorizer',
    functions.authorizer,
    async () => async (event) => {
      seen.authorizer.push(event as APIGatewayRequestAuthorizerEventV2);
      return { isAuthorized: true, context: callerContext };
    },
    'us-east-1',
  );
  const api = new LocalFunction(
    'api',
    functions.api,
    async () => async (event) => {
      seen.api.push(event as APIGatewayProxyEventV2);
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '[]' };
    },
    'us-east-1',
  );
  const gateway = new LocalHttpApi(authorizer, api, 'us-east-1');
  server = createServer((req, res) => void gateway.handle(req, res));
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
});

describe('the sandbox’s HTTP API, as API Gateway’s $default route', () => {
  it('gives the authorizer a Basic Authorization header as sent, and routes any path to the API function with its result', async () => {
    const authorization = `Basic ${Buffer.from('key_0123456789abcdef:whk_a:b').toString('base64')}`;

    const response = await fetch(`${endpoint}/api/public/v3/webhooks?page=2&per_page=5`, {
      headers: { authorization },
    });

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('[]');
    expect(seen.authorizer.at(-1)?.headers?.authorization).toBe(authorization);
    expect(seen.authorizer.at(-1)?.rawPath).toBe('/api/public/v3/webhooks');
    const event = seen.api.at(-1) as APIGatewayProxyEventV2 & {
      requestContext: { authorizer?: { lambda: unknown } };
    };
    expect(event.rawPath).toBe('/api/public/v3/webhooks');
    expect(event.queryStringParameters).toEqual({ page: '2', per_page: '5' });
    expect(event.headers.authorization).toBe(authorization);
    expect(event.requestContext.authorizer).toEqual({ lambda: callerContext });
  });
});
