import * as z from 'zod/mini';
import { portalPath, portalTokenParameter } from '#core/accounts/portal-access.ts';
import { createPortalSession, type PortalSessionPorts } from '#core/accounts/portal-session.ts';
import { portalSessionSeconds } from '#core/accounts/portal-token.ts';
import { parseRequest } from '#core/http/validation.ts';
import { bodyOrEmpty, json, type Route } from './api-request.ts';

const { min, max } = portalSessionSeconds;

/** The body of `POST /v1/portal-sessions`. */
export const portalSessionRequestSchema = z.strictObject({
  expires_in: z.optional(
    z.number().check(
      // A refinement rather than z.int(), whose message names no bounds (the OpenAPI document says integer).
      z.refine(Number.isInteger, `must be a whole number of seconds from ${min} to ${max}`),
      z.gte(min, `must be at least ${min} seconds`),
      z.lte(max, `must be at most ${max} seconds (24 hours)`),
      z.describe(`How long the link works, in seconds (default ${portalSessionSeconds.default})`),
    ),
  ),
});

/** The answer of `POST /v1/portal-sessions`. */
export const portalSessionViewSchema = z.object({
  url: z
    .string()
    .check(
      z.describe(
        `The portal's address with the session's token in its fragment (\`#${portalTokenParameter}=whp_...\`), which browsers never send to a server`,
      ),
    ),
  expires_at: z.iso.datetime().check(z.describe('When the link stops working')),
});

/** `POST /v1/portal-sessions`: a link to the portal for the caller's account. */
export function portalSessionRoutes(deps: PortalSessionPorts): Route[] {
  return [
    {
      method: 'POST',
      path: '/v1/portal-sessions',
      apiKeyOnly: true,
      handler: async (request) => {
        const input = parseRequest(portalSessionRequestSchema, bodyOrEmpty(request));
        const session = await createPortalSession(request.accountId, input.expires_in, deps);
        const fragment = new URLSearchParams({ [portalTokenParameter]: session.token });
        return json(201, {
          url: `${request.origin}${portalPath}#${fragment}`,
          expires_at: session.expiresAt.toISOString(),
        });
      },
    },
  ];
}
