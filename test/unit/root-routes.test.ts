import { describe, expect, it } from 'vitest';
import type { ApiRequest } from '../../functions/api/api-request.ts';
import { rootRoutes } from '../../functions/api/root-routes.ts';

const index = async (origin: string) => {
  const [route] = rootRoutes();
  const answer = await route?.handler({ origin } as ApiRequest);
  return JSON.parse(answer?.body ?? '{}') as Record<string, string>;
};

describe('GET /', () => {
  it('links by path when the request’s origin is not known (a host that is not a plain host name)', async () => {
    expect(await index('')).toMatchObject({
      portal: '/portal/',
      openapi: '/v1/openapi.json',
      event_types: '/v1/event-types',
      compatible_openapi: '/api/public/v3/openapi.json',
    });
  });

  it('links absolutely when it is', async () => {
    expect((await index('https://api.example.com')).portal).toBe('https://api.example.com/portal/');
  });
});
