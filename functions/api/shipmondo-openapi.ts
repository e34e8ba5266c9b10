import { actionsOf, shipmondoActions, shipmondoResources } from '#core/events/shipmondo-actions.ts';
import { maxBodyBytes } from '#core/http/json-body.ts';
import { verificationTimeoutMs } from '#core/subscriptions/endpoint-verification.ts';
import { subscriptionLimits } from '#core/subscriptions/subscription-input.ts';
import {
  documentOperation,
  everyAnswer,
  header,
  idempotencyKeyParameter,
  jsonContent,
  jsonSchema,
  operation,
  parameter,
  postAnswer,
  ref,
  response,
  sharedHeaders,
} from './openapi-parts.ts';
import { shipmondoBasePath, shipmondoChallenge, shipmondoMessages } from './shipmondo-errors.ts';
import { shipmondoCreateSchema, shipmondoUpdateSchema } from './shipmondo-input.ts';
import { shipmondoPageSize } from './shipmondo-query.ts';
import { shipmondoWebhookSchema } from './shipmondo-view.ts';

/*
 * The OpenAPI 3.1 document of the Shipmondo-compatible API, served at /api/public/v3/openapi.json. Request and
 * answer schemas come from the zod schemas the routes validate with (shipmondo-input.ts, shipmondo-view.ts);
 * query parameters are stated by hand, since the query arrives as text and the document states their types.
 */

/** The mapping of the reference's resources and actions to the catalog's event types, as a Markdown table. */
export function mappingTable(): string {
  const rows = shipmondoResources.flatMap((resource) =>
    Object.entries(shipmondoActions[resource]).map(
      ([action, type]) => `| ${resource} | ${action} | \`${type}\` |`,
    ),
  );
  return ['| resource_name | action | Hookbridge event type |', '| --- | --- | --- |', ...rows].join('\n');
}

const description = [
  'Shipmondo\u2019s public API v3 for webhooks, served by Hookbridge on its own subscriptions, so that an integration written for Shipmondo works unchanged: point it at this base path with an API user and key of Hookbridge.',
  '',
  '**Authentication.** HTTP Basic with the API user (the key\u2019s id, `key_...`, which `npm start` and `npm run keys -- list` show) and the API key (`whk_...`) as the password; `Authorization: Bearer <API key>` works too. Portal links do not open this API.',
  '',
  `**Errors** are \`application/json\` \`{"error": "..."}\`: 401 \`${shipmondoMessages.unauthorized}\`, 404 \`${shipmondoMessages.notFound}\` (also for an id that is not an integer and for another account\u2019s webhook), 422 naming the field (\`endpoint: ...\`), 405 with \`Allow\`, 409 for a change to retry.`,
  '',
  `**Webhooks.** Each webhook is a Hookbridge subscription of one event type in the \`jwt\` format, and shows in \`/v1/webhooks\` too (with \`compatible_id\`, this API\u2019s id, and \`format: jwt\`); subscriptions made through /v1 with several event types, a whole resource (\`order.*\`) or another format are not listed here. At creation the endpoint gets a verification request (a webhook in its format with an empty \`data\`) and must answer 2xx within ${verificationTimeoutMs / 1000} s, or nothing is made. Deliveries: an HTTP POST of \`{"data": "<JWT>"}\`, the JWT signed HS256 with the webhook\u2019s key (header \`{"alg":"HS256"}\`, claims \`webhook\`, \`data\`, \`url\`), with the headers \`SMD-Resource-Type\`, \`SMD-Resource-Id\`, \`SMD-Webhook-Id\`, \`SMD-Action\`, \`SMD-User\`, and the Standard Webhooks headers beside them.`,
  '',
  '**What Hookbridge adds** to every webhook made here: retries over about a day, a delivery log with each attempt and recovery of failed deliveries (through /v1, `GET /v1/webhooks/{id}/deliveries` with the subscription\u2019s /v1 id), the portal, and rate limits and ordering when set through /v1.',
  '',
  '**Resources and actions.** `Drafts` is the resource name of draft shipments: the reference\u2019s developer pages do not name it, and the `resource_name` enum of its own OpenAPI document does.',
  '',
  mappingTable(),
].join('\n');

/** The create body's schema, with each resource's actions stated (which action a resource takes). */
function createWebhookSchema() {
  const schema = jsonSchema(shipmondoCreateSchema('public-only'), 'input');
  const properties = schema.properties as Record<string, Record<string, unknown>>;
  return {
    ...schema,
    properties: {
      ...properties,
      name: { ...properties.name, description: `Trimmed; 1 to ${subscriptionLimits.nameLength} characters.` },
      endpoint: {
        ...properties.endpoint,
        description:
          'Absolute https URL (the local sandbox also takes http and loopback), never a private or metadata address. It must answer the verification request 2xx.',
      },
      key: {
        ...properties.key,
        writeOnly: true,
        description: `The key the webhook\u2019s JWTs are signed with (HS256 over its UTF-8 bytes), 1 to ${subscriptionLimits.jwtKeyMaxBytes} bytes; never shown again.`,
      },
    },
    anyOf: shipmondoResources.map((resource) => ({
      properties: { resource_name: { const: resource }, action: { enum: actionsOf(resource) } },
    })),
  };
}

/** The PUT body's schema, saying which fields may only be sent as they are. */
function updateWebhookSchema() {
  const schema = jsonSchema(shipmondoUpdateSchema('public-only'), 'input');
  const properties = schema.properties as Record<string, Record<string, unknown>>;
  const asItIs = 'Accepted only as it is now: it cannot be changed.';
  return {
    ...schema,
    properties: {
      ...properties,
      active: {
        ...properties.active,
        description:
          'false pauses the webhook; true makes it active again, also after it was disabled for failing.',
      },
      endpoint: { ...properties.endpoint, description: asItIs },
      action: { ...properties.action, description: asItIs },
      resource_name: { ...properties.resource_name, description: asItIs },
    },
    description: 'Only `name` and `active` change a webhook. A `key` is refused (422).',
  };
}

const errorAnswer = (description: string, headers: Record<string, object> = {}) => ({
  description,
  headers: { ...everyAnswer, ...headers },
  content: jsonContent(ref('Error')),
});

const pagingHeaders = {
  'X-Per-Page': header('XPerPage'),
  'X-Current-Page': header('XCurrentPage'),
  'X-Total-Count': header('XTotalCount'),
  'X-Total-Pages': header('XTotalPages'),
};

/** A time filter: an RFC 3339 date-time, a date alone, or a date-time as PHP (`+hhmm`) or Python (no offset) writes it. */
const timeFilter = (name: string, description: string) => ({
  name,
  in: 'query',
  required: false,
  description: `${description} A date-time (2026-11-27T10:15:00Z, 2026-11-27T12:15:00+02:00), with a \`+hhmm\` offset (2026-11-27T12:15:00+0200) or without an offset, which means UTC (2026-11-27T10:15:00); or a date alone (2026-11-27), which means its midnight UTC. Bounds are inclusive.`,
  schema: {
    anyOf: [
      { type: 'string', format: 'date-time' },
      { type: 'string', format: 'date' },
      { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?([+-]\\d{4})?$' },
    ],
  },
});

/** `active`: a boolean, also as 1 or 0 (PHP) and in any case (`True`, as Python writes it). */
const activeFilter = {
  name: 'active',
  in: 'query',
  required: false,
  description: 'Active (true) or not (false); also 1 and 0, and either word in any case (True, FALSE).',
  schema: {
    anyOf: [
      { type: 'boolean' },
      { type: 'integer', enum: [0, 1] },
      { type: 'string', pattern: '^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|[01])$' },
    ],
  },
};

const example = {
  id: 17,
  name: 'Order status',
  endpoint: 'https://shop.example.com/shipmondo/webhooks',
  active: true,
  action: 'status_update',
  resource_name: 'Orders',
  created_at: '2026-11-27T10:15:00.000Z',
  updated_at: '2026-11-27T10:15:00.000Z',
};

function paths() {
  const webhookId = parameter('WebhookId');
  return {
    '/webhooks': {
      get: operation({
        operationId: 'webhooks_get',
        summary: 'List webhooks, newest first',
        description:
          'A bare array; the `X-*` headers tell where the page stands. A page beyond the last is an empty array. Each parameter takes one value: one given twice (`id=2&id=3`) or as a list (`id[]=2`) is refused (422). Unknown query parameters are ignored.',
        parameters: [
          { name: 'id', in: 'query', required: false, schema: { type: 'integer', minimum: 1 } },
          {
            name: 'name',
            in: 'query',
            required: false,
            description: 'Exactly this name',
            schema: { type: 'string' },
          },
          activeFilter,
          timeFilter('created_at_min', 'Created at or after.'),
          timeFilter('created_at_max', 'Created at or before.'),
          timeFilter('updated_at_min', 'Last changed at or after.'),
          timeFilter('updated_at_max', 'Last changed at or before.'),
          {
            name: 'per_page',
            in: 'query',
            required: false,
            schema: {
              type: 'integer',
              minimum: 1,
              maximum: shipmondoPageSize.max,
              default: shipmondoPageSize.default,
            },
          },
          { name: 'page', in: 'query', required: false, schema: { type: 'integer', minimum: 1, default: 1 } },
        ],
        responses: {
          '200': {
            description: 'A page of webhooks',
            headers: { ...everyAnswer, ...pagingHeaders },
            content: jsonContent(
              { type: 'array', items: ref('Webhook') },
              { page: { summary: 'One webhook', value: [example] } },
            ),
          },
          '422': response('InvalidRequest'),
        },
      }),
      post: operation({
        operationId: 'webhook_create',
        summary: 'Create a webhook, active',
        description: `Its endpoint first gets a verification request and must answer 2xx within ${verificationTimeoutMs / 1000} s (422 \`endpoint: ...\` otherwise, and nothing is made). Answers an array holding the webhook, as the reference does.`,
        parameters: [parameter('IdempotencyKey')],
        requestBody: { required: true, content: jsonContent(ref('WebhookCreate')) },
        responses: {
          '200': {
            description: 'Created',
            headers: postAnswer,
            content: jsonContent({ type: 'array', minItems: 1, maxItems: 1, items: ref('Webhook') }),
          },
          '409': response('Conflict'),
          '422': response('InvalidRequest'),
        },
      }),
    },
    '/webhooks/{id}': {
      parameters: [webhookId],
      get: operation({
        operationId: 'webhook_get',
        summary: 'Get a webhook',
        responses: {
          '200': { description: 'The webhook', headers: everyAnswer, content: jsonContent(ref('Webhook')) },
        },
      }),
      put: operation({
        operationId: 'webhook_update',
        summary: 'Change a webhook\u2019s name or active',
        description: 'No body is `{}`: nothing changes, and the webhook is answered.',
        requestBody: { required: false, content: jsonContent(ref('WebhookUpdate')) },
        responses: {
          '200': {
            description: 'The changed webhook',
            headers: everyAnswer,
            content: jsonContent(ref('Webhook')),
          },
          '409': response('Conflict'),
          '422': response('InvalidRequest'),
        },
      }),
      delete: operation({
        operationId: 'webhook_delete',
        summary: 'Delete a webhook',
        description: 'Answers the webhook as it was. Its pending deliveries are dropped.',
        responses: {
          '200': {
            description: 'The deleted webhook',
            headers: everyAnswer,
            content: jsonContent(ref('Webhook')),
          },
          '409': response('Conflict'),
        },
      }),
    },
    '/openapi.json': {
      get: documentOperation(),
    },
  };
}

const integerHeader = (description: string) => ({ description, schema: { type: 'integer', minimum: 0 } });

function components() {
  return {
    securitySchemes: {
      basicAuth: {
        type: 'http',
        scheme: 'basic',
        description: 'The API user (the key\u2019s id, key_...) and the API key (whk_...) as the password.',
      },
      apiKey: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <API key> (whk_...)' },
    },
    parameters: {
      WebhookId: {
        name: 'id',
        in: 'path',
        required: true,
        description: 'The webhook\u2019s id: a positive integer (anything else is 404)',
        schema: { type: 'integer', minimum: 1 },
      },
      IdempotencyKey: idempotencyKeyParameter,
    },
    headers: {
      ...sharedHeaders,
      WWWAuthenticate: {
        description: 'The Basic challenge',
        schema: { type: 'string', const: shipmondoChallenge },
      },
      XPerPage: integerHeader('Webhooks per page'),
      XCurrentPage: integerHeader('This page, from 1'),
      XTotalCount: integerHeader('Webhooks that match the filters, on every page'),
      XTotalPages: integerHeader('Pages of them (0 when none match)'),
    },
    responses: {
      Unauthorized: errorAnswer(`No credentials, or not valid ones: \`${shipmondoMessages.unauthorized}\``, {
        'WWW-Authenticate': header('WWWAuthenticate'),
      }),
      NotFound: errorAnswer(
        `\`${shipmondoMessages.notFound}\`: an unknown path, or no webhook with this id in your account`,
      ),
      MethodNotAllowed: errorAnswer('The path exists, but not with this method; `Allow` lists its methods', {
        Allow: header('Allow'),
      }),
      InvalidRequest: errorAnswer(
        `A field is not valid; the message names it (\`endpoint: ...\`). Also a body that is not a JSON object of at most ${maxBodyBytes} bytes, a query parameter out of range, or an account that has its maximum of webhooks.`,
      ),
      Conflict: errorAnswer(
        'Other requests kept changing the webhook meanwhile, or a request with the same Idempotency-Key is still running; retry',
      ),
      Internal: errorAnswer('A fault on the platform side; retry later'),
    },
    schemas: {
      Webhook: jsonSchema(shipmondoWebhookSchema, 'output'),
      WebhookCreate: createWebhookSchema(),
      WebhookUpdate: updateWebhookSchema(),
      Error: {
        type: 'object',
        required: ['error'],
        properties: { error: { type: 'string', description: 'What went wrong' } },
      },
    },
  };
}

function buildDocument() {
  return {
    openapi: '3.1.0',
    info: { title: 'Hookbridge: Shipmondo-compatible webhooks API', version: '3', description },
    servers: [{ url: shipmondoBasePath, description: 'This deployment' }],
    security: [{ basicAuth: [] }, { apiKey: [] }],
    paths: paths(),
    components: components(),
  };
}

let document: ReturnType<typeof buildDocument> | undefined;

/** The OpenAPI 3.1 document of the compatible API, made from the schemas its routes validate with; built once. */
export function shipmondoOpenApiDocument() {
  document ??= buildDocument();
  return document;
}
