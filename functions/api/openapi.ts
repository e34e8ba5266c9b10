import * as z from 'zod/mini';
import { eventTypeDocuments, type JsonSchema, testEventTypeDocument } from '#core/events/event-types.ts';
import { maxBodyBytes } from '#core/http/json-body.ts';
import {
  createSubscriptionSchema,
  rotateSecretSchema,
  updateSubscriptionSchema,
} from '#core/subscriptions/subscription-input.ts';
import { pageSize } from './list-query.ts';
import { eventTypeListSchema, testEventAcceptedSchema } from './response-schemas.ts';
import { subscriptionViewSchema, subscriptionWithSecretSchema } from './subscription-view.ts';

/** The API's version, as the document states it. */
export const apiVersion = '1.0.0';

function jsonSchema(schema: z.ZodMiniType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    reused: 'inline',
    // Checks that need code (URL guard, event selectors, filter syntax) are described in words instead.
    unrepresentable: 'any',
    override: ({ jsonSchema }) => {
      if (jsonSchema.format === 'date-time') delete jsonSchema.pattern;
    },
  });
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const parameter = (name: string) => ({ $ref: `#/components/parameters/${name}` });
const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ref('Problem') } },
});
const jsonContent = (schema: object) => ({ 'application/json': { schema } });
const etagHeader = { ETag: { description: 'The version, for If-Match', schema: { type: 'string' } } };

/** The problems any authenticated operation can answer. */
const commonProblems = {
  '401': problem('No API key, or not a valid one'),
  '500': problem('A fault on the platform side; retry later'),
};
/** The problems of an operation with a JSON body. */
const bodyProblems = {
  '400': problem('The body is not JSON, or nests too deeply'),
  '413': problem(`The body is larger than ${maxBodyBytes} bytes`),
  '415': problem('The body is not application/json'),
  '422': problem('A field is not valid; `errors` names each'),
};
/** The problems of a POST, which takes an Idempotency-Key. */
const postProblems = {
  ...bodyProblems,
  '409': problem(
    'A request with the same Idempotency-Key is still running (or another conflict, see `type`)',
  ),
};
const notFound = { '404': problem('No webhook with this id in your account') };
const stale = { '412': problem('If-Match names another version than the current one (ETag)') };

const webhookSelectorHelp =
  'Event types: each one of the catalog (GET /v1/event-types) or `<resource>.*` for all of a resource (`order.*`, `shipment.*`, `draft.*`).';
const urlHelp =
  'Absolute https URL (http too in the local sandbox), at most 2048 characters, without credentials; never a private, loopback, link-local, CGNAT, multicast or cloud-metadata address, nor a name resolving to one.';
const filterHelp =
  'A content filter in EventBridge event-pattern syntax, matched against the webhook body (e.g. {"data": {"status": ["Shipped"]}}); at most 2048 characters.';
const headersHelp =
  'At most 20 custom headers sent on every attempt; not webhook-*, content-*, host, user-agent, connection or other hop-by-hop headers.';

/** Adds the descriptions of checks JSON Schema cannot state to a generated body schema. */
function describeFields(schema: JsonSchema): JsonSchema {
  const properties = { ...(schema.properties as Record<string, Record<string, unknown>>) };
  const help: Record<string, string> = {
    url: urlHelp,
    events: webhookSelectorHelp,
    filter: filterHelp,
    headers: headersHelp,
  };
  for (const [name, description] of Object.entries(help)) {
    if (properties[name] !== undefined) properties[name] = { ...properties[name], description };
  }
  return { ...schema, properties };
}

function buildDocument() {
  const policy = 'public-only';
  const webhookId = parameter('WebhookId');
  return {
    openapi: '3.1.0',
    info: {
      title: 'Hookbridge API',
      version: apiVersion,
      description:
        'Manage webhook subscriptions of your account. Every error is application/problem+json (RFC 9457) with a `type` to branch on and, for wrong fields, `errors: [{field, message}]`. Lists are `{"data": [...], "next_cursor": string | null}`, newest first. Webhooks are signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature).',
    },
    servers: [{ url: '/', description: 'This deployment' }],
    security: [{ apiKey: [] }],
    paths: {
      '/v1/webhooks': {
        post: {
          operationId: 'createWebhook',
          summary: 'Create a subscription',
          description:
            'Answers with the subscription and its signing `secret`, which is shown only here and on rotation.',
          parameters: [parameter('IdempotencyKey')],
          requestBody: { required: true, content: jsonContent(ref('CreateWebhook')) },
          responses: {
            '201': {
              description: 'Created',
              headers: { ...etagHeader, Location: { schema: { type: 'string' } } },
              content: jsonContent(ref('WebhookWithSecret')),
            },
            ...postProblems,
            '409': problem(
              'The account has its maximum of webhooks (`limit-reached`), or the Idempotency-Key is in use',
            ),
            ...commonProblems,
          },
        },
        get: {
          operationId: 'listWebhooks',
          summary: 'List subscriptions, newest first',
          parameters: [
            parameter('Limit'),
            parameter('Cursor'),
            {
              name: 'status',
              in: 'query',
              required: false,
              schema: { type: 'string', enum: ['active', 'paused', 'disabled'] },
            },
            {
              name: 'event_type',
              in: 'query',
              required: false,
              description:
                'Only subscriptions that receive this event type (exactly or by its `<resource>.*`).',
              schema: { type: 'string' },
            },
          ],
          responses: {
            '200': { description: 'A page', content: jsonContent(ref('WebhookList')) },
            '422': problem('A query parameter is not valid'),
            ...commonProblems,
          },
        },
      },
      '/v1/webhooks/{id}': {
        parameters: [webhookId],
        get: {
          operationId: 'getWebhook',
          summary: 'Get a subscription',
          responses: {
            '200': {
              description: 'The subscription',
              headers: etagHeader,
              content: jsonContent(ref('Webhook')),
            },
            ...notFound,
            ...commonProblems,
          },
        },
        patch: {
          operationId: 'updateWebhook',
          summary: 'Change any field of a subscription',
          description:
            'Fields given replace the stored ones; `null` removes description, filter, headers or metadata. `status: active` re-enables a disabled subscription.',
          parameters: [parameter('IfMatch')],
          requestBody: { required: true, content: jsonContent(ref('UpdateWebhook')) },
          responses: {
            '200': {
              description: 'The changed subscription',
              headers: etagHeader,
              content: jsonContent(ref('Webhook')),
            },
            ...bodyProblems,
            ...notFound,
            '409': problem('Other requests kept changing it meanwhile; retry'),
            ...stale,
            ...commonProblems,
          },
        },
        delete: {
          operationId: 'deleteWebhook',
          summary: 'Delete a subscription',
          description: 'Its pending deliveries are dropped, not failed.',
          parameters: [parameter('IfMatch')],
          responses: {
            '204': { description: 'Deleted' },
            ...notFound,
            '409': problem('Other requests kept changing it meanwhile; retry'),
            ...stale,
            ...commonProblems,
          },
        },
      },
      '/v1/webhooks/{id}/rotate-secret': {
        parameters: [webhookId],
        post: {
          operationId: 'rotateWebhookSecret',
          summary: 'Replace the signing secret',
          description:
            'Answers with the new `secret` (shown only here). The previous one keeps signing beside it for `previous_secret_expires_in` seconds (24 h by default).',
          parameters: [parameter('IdempotencyKey'), parameter('IfMatch')],
          requestBody: { required: false, content: jsonContent(ref('RotateSecret')) },
          responses: {
            '200': {
              description: 'Rotated',
              headers: etagHeader,
              content: jsonContent(ref('WebhookWithSecret')),
            },
            ...postProblems,
            ...notFound,
            ...stale,
            ...commonProblems,
          },
        },
      },
      '/v1/webhooks/{id}/test': {
        parameters: [webhookId],
        post: {
          operationId: 'sendTestEvent',
          summary: 'Send a webhook.test event to this subscription',
          description:
            'Through the same fan-out and delivery path as every event; answers with the delivery id (its webhook-id).',
          parameters: [parameter('IdempotencyKey')],
          requestBody: {
            required: false,
            content: jsonContent({ type: 'object', additionalProperties: false }),
          },
          responses: {
            '202': { description: 'Queued', content: jsonContent(ref('TestEventAccepted')) },
            ...postProblems,
            '409': problem(
              'The subscription is not active (`webhook-inactive`), or the Idempotency-Key is in use',
            ),
            ...notFound,
            ...commonProblems,
          },
        },
      },
      '/v1/event-types': {
        get: {
          operationId: 'listEventTypes',
          summary: 'The event catalog: each type with its description, JSON Schema and an example',
          security: [],
          responses: {
            '200': { description: 'Every event type', content: jsonContent(ref('EventTypeList')) },
            '500': commonProblems['500'],
          },
        },
      },
      '/v1/openapi.json': {
        get: {
          operationId: 'getOpenApi',
          summary: 'This document',
          security: [],
          responses: {
            '200': { description: 'OpenAPI 3.1', content: jsonContent({ type: 'object' }) },
            '500': commonProblems['500'],
          },
        },
      },
    },
    webhooks: Object.fromEntries(
      [...eventTypeDocuments(), testEventTypeDocument()].map((document) => [
        document.type,
        {
          post: {
            summary: document.description,
            description:
              'Sent as JSON (or, for subscriptions with format xml, the same content as XML), signed per Standard Webhooks.',
            parameters: [
              {
                name: 'webhook-id',
                in: 'header',
                required: true,
                schema: { type: 'string' },
                description: 'Stable across retries: de-duplicate on it',
              },
              { name: 'webhook-timestamp', in: 'header', required: true, schema: { type: 'string' } },
              {
                name: 'webhook-signature',
                in: 'header',
                required: true,
                schema: { type: 'string' },
                description: 'v1,<base64 HMAC-SHA256>; two, space-separated, during a secret rotation',
              },
            ],
            requestBody: {
              required: true,
              content: { 'application/json': { schema: document.schema, example: document.example } },
            },
            responses: { '2XX': { description: 'Received; anything else is retried' } },
          },
        },
      ]),
    ),
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <API key> (whk_...)' },
      },
      parameters: {
        WebhookId: {
          name: 'id',
          in: 'path',
          required: true,
          schema: { type: 'string', pattern: '^sub_[0-9a-z]{26}$' },
        },
        Limit: {
          name: 'limit',
          in: 'query',
          required: false,
          schema: { type: 'integer', minimum: 1, maximum: pageSize.max, default: pageSize.default },
        },
        Cursor: {
          name: 'cursor',
          in: 'query',
          required: false,
          description: 'The next_cursor of the previous page',
          schema: { type: 'string' },
        },
        IfMatch: {
          name: 'If-Match',
          in: 'header',
          required: false,
          description: 'The ETag the change is meant for; another version gives 412 and changes nothing',
          schema: { type: 'string' },
        },
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description: 'The same key within 24 h gives the first answer again; with another body, 422',
          schema: { type: 'string', minLength: 1, maxLength: 255 },
        },
      },
      schemas: {
        CreateWebhook: describeFields(jsonSchema(createSubscriptionSchema(policy), 'input')),
        UpdateWebhook: describeFields(jsonSchema(updateSubscriptionSchema(policy), 'input')),
        RotateSecret: jsonSchema(rotateSecretSchema, 'input'),
        Webhook: jsonSchema(subscriptionViewSchema, 'output'),
        WebhookWithSecret: jsonSchema(subscriptionWithSecretSchema, 'output'),
        WebhookList: {
          type: 'object',
          required: ['data', 'next_cursor'],
          properties: {
            data: { type: 'array', items: ref('Webhook') },
            next_cursor: { type: ['string', 'null'] },
          },
        },
        TestEventAccepted: jsonSchema(testEventAcceptedSchema, 'output'),
        EventTypeList: jsonSchema(eventTypeListSchema, 'output'),
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'detail'],
          properties: {
            type: { type: 'string', description: 'urn:webhooks:problem:<kind>, to branch on' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                required: ['field', 'message'],
                properties: { field: { type: 'string' }, message: { type: 'string' } },
              },
            },
          },
        },
      },
    },
  };
}

let document: ReturnType<typeof buildDocument> | undefined;

/** The OpenAPI 3.1 document of the API, made from the same schemas that validate requests; built once. */
export function openApiDocument() {
  document ??= buildDocument();
  return document;
}
