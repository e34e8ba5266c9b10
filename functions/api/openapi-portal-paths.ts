import { portalPath, portalRequestHeader, portalTokenParameter } from '#core/accounts/portal-access.ts';
import { portalSessionSeconds } from '#core/accounts/portal-token.ts';
import type { JsonSchema } from '#core/events/event-types.ts';
import {
  bodyProblems,
  everyAnswer,
  jsonContent,
  jsonSchema,
  operation,
  parameter,
  postAnswer,
  problem,
  ref,
  response,
} from './openapi-parts.ts';
import { portalAssetName } from './portal-page-routes.ts';
import { portalSessionRequestSchema, portalSessionViewSchema } from './portal-session-routes.ts';

const examples = {
  request: { hour: { summary: 'A link that works for two hours', value: { expires_in: 7200 } } },
  session: {
    link: {
      summary: 'The link to hand to the account’s user',
      value: {
        url: `https://api.example.com${portalPath}#${portalTokenParameter}=whp_eyJ2IjoxLCJhIjoiYWNjdF80MiIsImUiOjE3OTUwNTgwMDB9.5mI0a8Rr0m1w6Zl2u4ZsZ3bq2cI7m9lQv0n8yR7xk1c`,
        expires_at: '2026-11-27T12:00:00.000Z',
      },
    },
  },
};

/** What the portal's answers carry, documented once. */
const portalHeaders = {
  'Content-Security-Policy': {
    description:
      "The page runs only its own files and talks only to this origin: default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors *",
    schema: { type: 'string' },
  },
  'X-Content-Type-Options': { schema: { type: 'string', const: 'nosniff' } },
  'Referrer-Policy': { schema: { type: 'string', const: 'no-referrer' } },
};

/** Portal sessions and the portal's own files. */
export function portalPaths() {
  return {
    '/v1/portal-sessions': {
      post: {
        ...operation({
          operationId: 'createPortalSession',
          summary: 'A link to the portal for your account, to hand to its user',
          description: `The link works for \`expires_in\` seconds (${portalSessionSeconds.default} by default, ${portalSessionSeconds.min} to ${portalSessionSeconds.max}) and opens only this account, only from the portal. Its token (\`whp_...\`) travels in the URL fragment, which browsers never send to a server; nothing is stored, so a link cannot be revoked one by one (it expires). Only an API key may create one: a portal token gets 403.`,
          parameters: [parameter('IdempotencyKey')],
          requestBody: {
            required: false,
            content: jsonContent(ref('PortalSessionRequest'), examples.request),
          },
          responses: {
            '201': {
              description: 'Created',
              headers: postAnswer,
              content: jsonContent(ref('PortalSession'), examples.session),
            },
            ...bodyProblems,
            '403': response('Forbidden'),
            '409': problem(
              'A request with the same Idempotency-Key is still running (`idempotency-key-in-use`)',
            ),
          },
        }),
        security: [{ apiKey: [] }, { basicAuth: [] }],
      },
    },
    [portalPath]: {
      get: operation(
        {
          operationId: 'getPortal',
          summary: 'The portal: a web page that manages your subscriptions through this API',
          description: `Open the \`url\` of a portal session. The page reads the token from the fragment, drops it from the address bar and sends it as \`Authorization: Bearer whp_...\` with \`${portalRequestHeader}: 1\`. Never cached. 404 when the deployment has no built portal.`,
          responses: {
            '200': {
              description: 'The page',
              headers: { ...everyAnswer, ...portalHeaders },
              content: { 'text/html': { schema: { type: 'string' } } },
            },
          },
        },
        { public: true },
      ),
    },
    [`${portalPath}assets/{name}`]: {
      parameters: [
        {
          name: 'name',
          in: 'path',
          required: true,
          description: 'A file of the portal, named with a hash of its content',
          schema: { type: 'string', pattern: portalAssetName.source },
        },
      ],
      get: operation(
        {
          operationId: 'getPortalAsset',
          summary: 'A script, style sheet or image of the portal',
          responses: {
            '200': {
              description: 'The file; cached for a year (`public, max-age=31536000, immutable`)',
              headers: { ...portalHeaders, 'Cache-Control': { schema: { type: 'string' } } },
              content: {
                'text/javascript': { schema: { type: 'string' } },
                'text/css': { schema: { type: 'string' } },
                'image/svg+xml': { schema: { type: 'string' } },
              },
            },
          },
        },
        { public: true },
      ),
    },
  };
}

/** `expires_in` is checked as a whole number by a refinement, which JSON Schema cannot see: say it here. */
function wholeSeconds(schema: JsonSchema): JsonSchema {
  const properties = schema.properties as Record<string, Record<string, unknown>>;
  return {
    ...schema,
    properties: { ...properties, expires_in: { ...properties.expires_in, type: 'integer' } },
  };
}

/** The schemas of portal sessions. */
export function portalSchemas() {
  return {
    PortalSessionRequest: wholeSeconds(jsonSchema(portalSessionRequestSchema, 'input')),
    PortalSession: jsonSchema(portalSessionViewSchema, 'output'),
  };
}
