import * as z from 'zod/mini';
import { portalPath } from '#core/accounts/portal-access.ts';
import { json, type Route } from './api-request.ts';
import { shipmondoBasePath } from './shipmondo-errors.ts';

/** The answer to `GET /`: where the portal and the APIs' descriptions are. */
export const apiIndexSchema = z.object({
  name: z.literal('Hookbridge'),
  portal: z
    .string()
    .check(
      z.describe(
        'The portal; it opens an account from a link that POST /v1/portal-sessions makes with an API key',
      ),
    ),
  portal_sessions: z.string().check(z.describe('Where an API key makes a link to the portal (POST)')),
  openapi: z.string().check(z.describe('The OpenAPI 3.1 document of this API (/v1)')),
  event_types: z.string().check(z.describe('The event catalog')),
  compatible_openapi: z
    .string()
    .check(z.describe('The OpenAPI 3.1 document of the Shipmondo-compatible API (/api/public/v3)')),
});

/**
 * `GET /`: a public index for whoever opens the API's address (a person with curl or a browser, a client
 * looking for the description), in place of a 404. Always JSON, never a redirect (docs/design-notes.md, "The
 * API's front door"); links are absolute when the request's origin is known, else paths.
 */
export function rootRoutes(): Route[] {
  return [
    {
      method: 'GET',
      path: '/',
      public: true,
      handler: async ({ origin }) =>
        json(200, {
          name: 'Hookbridge',
          portal: `${origin}${portalPath}`,
          portal_sessions: `${origin}/v1/portal-sessions`,
          openapi: `${origin}/v1/openapi.json`,
          event_types: `${origin}/v1/event-types`,
          compatible_openapi: `${origin}${shipmondoBasePath}/openapi.json`,
        } satisfies z.infer<typeof apiIndexSchema>),
    },
  ];
}
