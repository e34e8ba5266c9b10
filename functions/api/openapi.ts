import { portalRequestHeader } from '#core/accounts/portal-access.ts';
import { MAX_OR_COMBINATIONS } from '#core/event-pattern/index.ts';
import { eventTypeDocuments, type JsonSchema, testEventTypeDocument } from '#core/events/event-types.ts';
import { maxBodyBytes, maxBodyDepth } from '#core/http/json-body.ts';
import { defaults } from '#core/platform.ts';
import { settings } from '#core/settings.ts';
import { maxRateLimit, minRateLimit } from '#core/subscriptions/subscription.ts';
import {
  createSubscriptionSchema,
  rotateSecretSchema,
  subscriptionLimits,
  updateSubscriptionSchema,
} from '#core/subscriptions/subscription-input.ts';
import { pageSize } from './list-query.ts';
import { deliveryIdParameter, deliveryPaths, deliverySchemas } from './openapi-delivery-paths.ts';
import { eventIdParameter, eventPaths, eventSchemas, timeWindowParameters } from './openapi-event-paths.ts';
import {
  bodyProblems,
  documentOperation,
  everyAnswer,
  header,
  idempotencyKeyParameter,
  jsonContent,
  jsonSchema,
  listPage,
  operation,
  parameter,
  postAnswer,
  problem,
  ref,
  response,
  sharedHeaders,
} from './openapi-parts.ts';
import { portalPaths, portalSchemas } from './openapi-portal-paths.ts';
import { eventTypeListSchema, testEventAcceptedSchema } from './response-schemas.ts';
import { apiIndexSchema } from './root-routes.ts';
import {
  subscriptionIdPattern,
  subscriptionViewSchema,
  subscriptionWithSecretSchema,
} from './subscription-view.ts';

/** The API's version, as the document states it. */
export const apiVersion = '1.0.0';

/**
 * Every kind of problem the API answers with, as `urn:webhooks:problem:<kind>`: `problems.*` and
 * `new HttpProblem(...)` in functions/, and the conflicts of `domain-problems.ts`. A new kind goes here too
 * (test/integration/openapi.test.ts looks for kinds in the code that are missing).
 */
export const problemKinds = [
  'not-found',
  'method-not-allowed',
  'unauthorized',
  'validation-failed',
  'malformed-body',
  'unsupported-media-type',
  'payload-too-large',
  'precondition-failed',
  'concurrent-change',
  'limit-reached',
  'webhook-inactive',
  'idempotency-key-in-use',
  // A portal token on a route that takes an API key only (creating portal sessions).
  'forbidden',
  // A retry or recovery of a delivery whose event is no longer kept (the delivery routes).
  'event-expired',
  // A retry or recovery that would reorder an ordered subscription's deliveries (the delivery routes).
  'would-reorder',
  'internal',
] as const;

// Words for what JSON Schema cannot state.

const webhookSelectorHelp =
  'Event types: each one of the catalog (GET /v1/event-types) or `<resource>.*` for all of a resource (`order.*`, `shipment.*`, `draft.*`). Duplicates are merged (kept once, in the order first given).';
const urlHelp = [
  'Absolute https URL, at most 2048 characters as sent and once percent-encoded, written as a URL parser reads it:',
  '`https://` literally, then the host; no spaces, control characters or backslashes anywhere; no credentials (not even a bare `@` before the host);',
  'a host name of non-empty labels of letters, digits, `-` and `_`, none starting or ending with `-`, or an IP address; not port 0.',
  'Never a private, loopback, link-local, CGNAT, multicast or cloud-metadata address, nor a name resolving to one (checked when saved and on every connection).',
  'Stored as the parser writes it (`new URL(url).href`: scheme and host in lower case, IDNs in punycode, default port dropped, path percent-encoded): the answer shows the URL webhooks are sent to.',
  'The local sandbox also accepts http and loopback or private addresses (deployments do not); link-local and metadata addresses are refused everywhere.',
].join(' ');
const filterHelp = `A content filter in EventBridge event-pattern syntax, matched against the webhook body (e.g. {"data": {"status": ["Shipped"]}}); at least one field, at most 2048 characters as JSON, finite numbers only, and $or arrays that combine in at most ${MAX_OR_COMBINATIONS} ways (sibling $or arrays multiply: a match picks one alternative from each).`;
const headersHelp = `At most ${subscriptionLimits.headers} custom headers sent on every attempt: names are RFC 7230 tokens of at most ${subscriptionLimits.headerNameLength} characters, each given once (ignoring case); values printable ASCII (and tabs) of at most ${subscriptionLimits.headerValueLength} characters. Not webhook-*, svix-*, content-*, proxy-*, host, user-agent, connection or other hop-by-hop headers, nor the names constructor, __proto__ or prototype. Replaced as a whole by PATCH.`;
const metadataHelp = `At most ${subscriptionLimits.metadataKeys} string pairs for your own use: keys of 1 to ${subscriptionLimits.metadataKeyLength} characters (not constructor, __proto__ or prototype), values of at most ${subscriptionLimits.metadataValueLength}, without control characters. Replaced as a whole by PATCH.`;
const nameHelp = `Trimmed; 1 to ${subscriptionLimits.nameLength} characters without control characters.`;
const formatHelp =
  '`json` (the default): the envelope as JSON. `xml`: the same content as XML. `jwt`: the reference platform\u2019s (Shipmondo\u2019s) own form, `{"data": "<JWT>"}` with the JWT signed HS256 with `jwt_key` (header `{"alg":"HS256"}`, claims `webhook` (the name), `data` (the resource as it is now), `url`) and the headers SMD-Resource-Type, SMD-Resource-Id, SMD-Webhook-Id (the `compatible_id`), SMD-Action, SMD-User; a `jwt` subscription takes a `compatible_id`, and its endpoint must answer a verification request 2xx within 5 s when it is made. Every format is signed per Standard Webhooks too.';
const jwtKeyHelp = `Write-only, never shown: the key a \`jwt\` subscription\u2019s JWTs are signed with (HS256 over its UTF-8 bytes), ${subscriptionLimits.jwtKeyMinBytes} to ${subscriptionLimits.jwtKeyMaxBytes} bytes (RFC 7518 wants at least the hash\u2019s size; the compatible API, /api/public/v3, takes shorter ones as its reference does). Required with \`format: jwt\` (when it becomes jwt), refused with any other format; a subscription that leaves jwt drops its key.`;
const descriptionHelp = `At most ${subscriptionLimits.descriptionLength} characters; line breaks (\\n) and tabs are kept, other control characters refused.`;
const backOffMinutes = defaults.maxBackOffSeconds / 60;
const rateLimitHelp = `At most this many deliveries a second to the endpoint: a whole number from ${minRateLimit} to ${maxRateLimit}, or null for no limit (the default). Deliveries over the rate wait their turn; they are not failed and use no attempt. A 429 or 503 with Retry-After also holds the endpoint's deliveries until then (at most ${backOffMinutes} minutes; see \`back_off_until\`).`;
const orderingHelp = [
  '`none` (the default): at least once, in any order.',
  "`resource`: ordered per resource (the event's resource id, e.g. an order's): by the event's `occurred_at`, then by its `sequence` (a publisher's tie-breaker; absent counts as 0).",
  "A resource's deliveries go one at a time, oldest first: a newer event of it is not attempted while an older one is attempted or waits for a retry; other resources, and other subscriptions, go on meanwhile.",
  'An event older than one already delivered (it arrived late) is not sent: its delivery is `superseded` (`superseded_by` names the newer event).',
  "A delivery that fails for good (its attempts run out) lets the resource's next one go on; a retry or recovery of it is then refused (409 `would-reorder`) once a newer event of its resource was delivered.",
  'A change applies to events fanned out after it; deliveries already queued keep the lane they were queued in.',
].join(' ');

/** What the body fields are, beyond what their JSON Schema states. */
const inputHelp: Record<string, string> = {
  name: nameHelp,
  description: descriptionHelp,
  url: urlHelp,
  events: webhookSelectorHelp,
  filter: filterHelp,
  headers: headersHelp,
  metadata: metadataHelp,
  rate_limit: rateLimitHelp,
  ordering: orderingHelp,
  format: formatHelp,
  jwt_key: jwtKeyHelp,
};

/** Input fields that are never shown (JSON Schema `writeOnly`). */
const writeOnlyFields = ['jwt_key'];

const probeMaxMinutes = settings.circuitProbeMaxSeconds.default / 60;
const circuitHelp = [
  'Read-only, kept by the platform. `closed`: deliveries are attempted.',
  `\`open\`: it opens after ${settings.circuitBreakAfter.default} failed attempts in a row (by default; the deployment may set another number), counting connection errors, timeouts, 5xx and 408 (a 429 asks for less, not for a pause: its Retry-After holds the deliveries back instead).`,
  "While it is open the endpoint's deliveries are held: they stay `pending`, are not attempted and use no attempt.",
  `One probe at a time tests the endpoint with its oldest held delivery: the first ${defaults.firstProbeSeconds} s after the circuit opened, each failed probe doubling the wait, up to ${probeMaxMinutes} minutes (\`next_probe_at\`: when the next is due).`,
  'A probe that gets a 2xx closes the circuit, and the held deliveries go out, oldest first.',
  'The platform announces both on its own event bus, for operators, as `webhook.circuit_opened` and `webhook.circuit_closed`.',
  'Re-enabling a disabled subscription closes it.',
].join(' ');
const { laneEvidence } = defaults;
const laneHelp = `Read-only, kept by the platform. \`main\`, or \`slow\` while the endpoint answers slower than the main lane waits (${defaults.mainLaneWaitMs / 1000} s): after ${laneEvidence.toSlow} answers in a row that took longer, its deliveries go in the slow lane, which waits the full timeout (${settings.deliveryTimeoutSeconds.default} s by default), so that they never hold up other endpoints'; ${laneEvidence.toMain} answers in a row within ${laneEvidence.quickMs / 1000} s bring them back. A slow answer within the timeout is a success.`;

/** What the read-only fields of a subscription mean. */
const viewHelp: Record<string, string> = {
  rate_limit: `Deliveries a second to the endpoint at most, or null for no limit. Deliveries over the rate wait their turn; they are not failed and use no attempt. A 429 or 503 with Retry-After also holds the endpoint's deliveries until then (see \`back_off_until\`).`,
  ordering: orderingHelp,
  circuit: circuitHelp,
  lane: laneHelp,
  slow_since: 'Read-only: since when the subscription is in the slow lane; null in the main lane.',
  format: formatHelp,
  compatible_id:
    'Read-only: its id in the Shipmondo-compatible API (`/api/public/v3/webhooks/{id}`, and the SMD-Webhook-Id header of its webhooks), a positive integer given to `jwt` subscriptions and kept; null for the others. That API lists it only while its format is jwt and it selects exactly one event type that the reference platform names (see /api/public/v3/openapi.json for the mapping).',
  back_off_until: `Read-only: until when the endpoint asked, with Retry-After on a 429 or 503, to be left alone (at most ${backOffMinutes} minutes ahead): its deliveries wait till then, using no attempt. null when no such wait lies ahead.`,
};

/**
 * Adds descriptions of what JSON Schema cannot state to a generated schema's properties, and marks the fields
 * that are never shown `writeOnly`.
 */
function describeFields(schema: JsonSchema, help: Record<string, string>): JsonSchema {
  const properties = { ...(schema.properties as Record<string, Record<string, unknown>>) };
  for (const [name, description] of Object.entries(help)) {
    if (properties[name] !== undefined) properties[name] = { ...properties[name], description };
  }
  for (const name of writeOnlyFields) {
    if (properties[name] !== undefined) properties[name] = { ...properties[name], writeOnly: true };
  }
  return { ...schema, properties };
}

// Examples, which the test checks against their schemas.

const exampleId = 'sub_01m8re8jc558cthvp60cjb7yj5';
const exampleCreate = {
  name: 'Warehouse',
  description: 'Shipped orders for the warehouse',
  url: 'https://hooks.example.com/warehouse',
  events: ['order.status_updated', 'shipment.*'],
  filter: { data: { status: ['Shipped'] } },
  headers: { Authorization: 'Bearer receiver-token' },
  metadata: { cost_center: '42' },
  rate_limit: 50,
  ordering: 'resource',
};
const exampleWebhook = {
  id: exampleId,
  ...exampleCreate,
  status: 'active',
  disabled_reason: null,
  format: 'json',
  previous_secret_expires_at: null,
  compatible_id: null,
  circuit: { state: 'closed' },
  lane: 'main',
  slow_since: null,
  back_off_until: null,
  created_at: '2026-11-27T10:15:00.000Z',
  updated_at: '2026-11-27T10:15:00.000Z',
  version: 1,
};
const examples = {
  create: {
    warehouse: { summary: 'Shipped orders and every shipment event', value: exampleCreate },
    jwt: {
      summary: 'The reference platform\u2019s form: a JWT signed with your key, SMD-* headers',
      value: {
        name: 'Order status',
        url: 'https://shop.example.com/shipmondo/webhooks',
        events: ['order.status_updated'],
        format: 'jwt',
        jwt_key: 'a-key-of-at-least-thirty-two-bytes-0042',
      },
    },
  },
  created: {
    warehouse: {
      summary: 'The subscription and its secret, shown only now',
      value: { ...exampleWebhook, secret: 'whsec_P3VpadQytEyCnkC+gvyiA2RPUQz0d1VylXvYb7Evxw8=' },
    },
  },
  update: {
    pause: { summary: 'Pause deliveries', value: { status: 'paused' } },
    retarget: {
      summary: 'Another URL and no filter',
      value: { url: 'https://hooks.example.com/v2/warehouse', filter: null },
    },
    unlimited: { summary: 'No rate limit', value: { rate_limit: null } },
    unordered: { summary: 'Deliver events in any order', value: { ordering: 'none' } },
  },
  updated: {
    paused: {
      summary: 'Paused, at the next version',
      value: { ...exampleWebhook, status: 'paused', updated_at: '2026-11-28T08:00:00.000Z', version: 2 },
    },
  },
  list: {
    page: {
      summary: 'A page with more after it: an endpoint that keeps failing, and one that answers',
      value: {
        data: [
          {
            ...exampleWebhook,
            id: 'sub_01m8rg2w3x4y5z6a7b8c9d0e1f',
            name: 'Billing',
            url: 'https://billing.example.com/hooks',
            rate_limit: null,
            ordering: 'none',
            circuit: {
              state: 'open',
              opened_at: '2026-11-28T08:00:00.000Z',
              next_probe_at: '2026-11-28T08:05:00.000Z',
            },
            lane: 'slow',
            slow_since: '2026-11-28T07:40:00.000Z',
            created_at: '2026-11-27T11:00:00.000Z',
            updated_at: '2026-11-27T11:00:00.000Z',
          },
          exampleWebhook,
        ],
        next_cursor: 'eyJhZnRlciI6InN1Yl8wMW04cmU4amM1NThjdGh2cDYwY2piN3lqNSJ9',
      },
    },
  },
  test: { none: { summary: 'No body (or {})', value: {} } },
  tested: {
    queued: {
      summary: 'The test event and its delivery',
      value: {
        delivery_id: 'msg_01m8re8jc558cthvp60cjb7yj501m8rf0a2bq3h6e9xw4k7d',
        event_id: 'evt_3k9xq2m8v1c7rj4tn6bpz0yw5h',
      },
    },
  },
};

// The paths, one piece per group of routes.

function webhookPaths() {
  const webhookId = parameter('WebhookId');
  return {
    '/v1/webhooks': {
      post: operation({
        operationId: 'createWebhook',
        summary: 'Create a subscription',
        description:
          'Answers with the subscription and its signing `secret`, which is shown only here and on rotation.',
        parameters: [parameter('IdempotencyKey')],
        requestBody: { required: true, content: jsonContent(ref('CreateWebhook'), examples.create) },
        responses: {
          '201': {
            description: 'Created',
            headers: { ...postAnswer, ETag: header('ETag'), Location: header('Location') },
            content: jsonContent(ref('WebhookWithSecret'), examples.created),
          },
          ...bodyProblems,
          '409': problem(
            'The account has its maximum of webhooks (`limit-reached`), or a request with the same Idempotency-Key is still running (`idempotency-key-in-use`)',
          ),
        },
      }),
      get: operation({
        operationId: 'listWebhooks',
        summary: 'List subscriptions, newest first',
        description:
          'Cursor-paged, newest first; pass `next_cursor` as `cursor` for the next page. Unknown query parameters are refused (422), so a misspelt filter never lists everything.',
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
              'Only subscriptions that receive this event type of the catalog: those that select it exactly, and those that select its `<resource>.*` (`order.created` lists both `order.created` and `order.*` subscriptions).',
            schema: { type: 'string' },
          },
        ],
        responses: {
          '200': {
            description: 'A page',
            headers: everyAnswer,
            content: jsonContent(ref('WebhookList'), examples.list),
          },
          '422': response('ValidationFailed'),
        },
      }),
    },
    '/v1/webhooks/{id}': {
      parameters: [webhookId],
      get: operation({
        operationId: 'getWebhook',
        summary: 'Get a subscription',
        responses: {
          '200': {
            description: 'The subscription',
            headers: { ...everyAnswer, ETag: header('ETag') },
            content: jsonContent(ref('Webhook')),
          },
        },
      }),
      patch: operation({
        operationId: 'updateWebhook',
        summary: 'Change any field of a subscription',
        description:
          'Fields given replace the stored ones (`headers` and `metadata` as a whole, not merged); `null` removes description, filter, headers, metadata or rate_limit. A change of `ordering` applies to events fanned out after it. `status: active` re-enables a disabled subscription and `status: paused` pauses it; either clears its `disabled_reason`, and taking it out of `disabled` also closes its `circuit`, ends its `back_off_until` and forgets its failures so far. `circuit`, `lane`, `slow_since` and `back_off_until` are kept by the platform: a patch cannot set them, and leaves them as they are otherwise. A patch that changes nothing writes nothing and keeps the version. Without If-Match the last writer wins (a change is re-applied while others write at the same moment; 409 only if they never stop); with If-Match another version gives 412.',
        parameters: [parameter('IfMatch')],
        requestBody: { required: true, content: jsonContent(ref('UpdateWebhook'), examples.update) },
        responses: {
          '200': {
            description: 'The changed subscription',
            headers: { ...everyAnswer, ETag: header('ETag') },
            content: jsonContent(ref('Webhook'), examples.updated),
          },
          ...bodyProblems,
          '409': problem('Other requests kept changing it meanwhile (`concurrent-change`); retry'),
          '412': response('PreconditionFailed'),
        },
      }),
      delete: operation({
        operationId: 'deleteWebhook',
        summary: 'Delete a subscription',
        description: 'Its pending deliveries are dropped, not failed.',
        parameters: [parameter('IfMatch')],
        responses: {
          '204': { description: 'Deleted', headers: everyAnswer },
          '409': problem('Other requests kept changing it meanwhile (`concurrent-change`); retry'),
          '412': response('PreconditionFailed'),
        },
      }),
    },
    '/v1/webhooks/{id}/rotate-secret': {
      parameters: [webhookId],
      post: operation({
        operationId: 'rotateWebhookSecret',
        summary: 'Replace the signing secret',
        description:
          'Answers with the new `secret` (shown only here). The one it replaces keeps signing beside it for `previous_secret_expires_in` seconds (24 h by default), and secrets replaced by earlier rotations keep signing for the rest of their own overlap, so a receiver holding any of them can verify (one signature each in `webhook-signature`). `previous_secret_expires_in: 0` ends every previous secret at once. At most 5 previous secrets sign at a time: a rotation beyond that is refused (409 `limit-reached`) until the first overlap ends. Concurrent rotations apply one after another: each secret answered is stored, and replaces the one current just before it. The body may be absent (or only whitespace); `null` is not an object.',
        parameters: [parameter('IdempotencyKey'), parameter('IfMatch')],
        requestBody: { required: false, content: jsonContent(ref('RotateSecret')) },
        responses: {
          '200': {
            description: 'Rotated',
            headers: { ...postAnswer, ETag: header('ETag') },
            content: jsonContent(ref('WebhookWithSecret')),
          },
          ...bodyProblems,
          '409': problem(
            'Other requests kept changing it meanwhile (`concurrent-change`), 5 previous secrets still sign (`limit-reached`; the detail says when the first stops), or a request with the same Idempotency-Key is still running (`idempotency-key-in-use`)',
          ),
          '412': response('PreconditionFailed'),
        },
      }),
    },
    '/v1/webhooks/{id}/test': {
      parameters: [webhookId],
      post: operation({
        operationId: 'sendTestEvent',
        summary: 'Send a webhook.test event to this subscription',
        description:
          'Through the same fan-out and delivery path as every event; answers with the delivery id (its webhook-id). The body may be absent (or only whitespace) or `{}`; `null` is not an object.',
        parameters: [parameter('IdempotencyKey')],
        requestBody: {
          required: false,
          content: jsonContent({ type: 'object', additionalProperties: false }, examples.test),
        },
        responses: {
          '202': {
            description: 'Queued',
            headers: postAnswer,
            content: jsonContent(ref('TestEventAccepted'), examples.tested),
          },
          ...bodyProblems,
          '409': problem(
            'The subscription is not active (`webhook-inactive`), or a request with the same Idempotency-Key is still running (`idempotency-key-in-use`)',
          ),
        },
      }),
    },
  };
}

function catalogPaths() {
  return {
    '/': {
      get: operation(
        {
          operationId: 'getApiIndex',
          summary: 'Where things are: the portal, this document, the event catalog, the compatible API',
          description:
            'For whoever opens the API\u2019s address. JSON for browsers too (they show it): the portal needs a link that only an API key can make, so a redirect there would open a page with no account to show. Links are absolute when the request\u2019s host is a plain host name, else paths.',
          responses: {
            '200': { description: 'The links', headers: everyAnswer, content: jsonContent(ref('ApiIndex')) },
          },
        },
        { public: true },
      ),
    },
    '/v1/event-types': {
      get: operation(
        {
          operationId: 'listEventTypes',
          summary: 'The event catalog: each type with its description, JSON Schema and an example',
          responses: {
            '200': {
              description: 'Every event type',
              headers: everyAnswer,
              content: jsonContent(ref('EventTypeList')),
            },
          },
        },
        { public: true },
      ),
    },
    '/v1/openapi.json': {
      get: documentOperation(),
    },
  };
}

/** The webhooks the platform sends, one per event type, as OpenAPI 3.1 `webhooks`. */
function sentWebhooks() {
  return Object.fromEntries(
    [...eventTypeDocuments(), testEventTypeDocument()].map((document) => [
      document.type,
      {
        post: {
          summary: document.description,
          description:
            'Sent as JSON (or, for subscriptions with format xml, the same content as XML; with format jwt, `{"data": "<JWT>"}` whose claim `data` is this body\u2019s `data`, with SMD-* headers), signed per Standard Webhooks.',
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
  );
}

function components() {
  const policy = 'public-only';
  return {
    securitySchemes: {
      apiKey: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <API key> (whk_...)' },
      basicAuth: {
        type: 'http',
        scheme: 'basic',
        description:
          'Authorization: Basic base64(<API user>:<API key>), the API user being the key\u2019s id (key_..., as `npm run keys -- list` and `npm start` show it): the same credential as the key as Bearer. A refused pair gets the same 401 as a refused key (WWW-Authenticate: Bearer).',
      },
      portalToken: {
        type: 'http',
        scheme: 'bearer',
        description: `Authorization: Bearer <portal token> (whp_..., from a portal session's link), taken only with ${portalRequestHeader}: 1 and, from a browser, only from the portal's own origin (Sec-Fetch-Site: same-origin). It opens the account's subscriptions and deliveries, not portal sessions. An expired or forged one gets 401.`,
      },
    },
    parameters: {
      ...deliveryIdParameter,
      ...eventIdParameter,
      ...timeWindowParameters,
      WebhookId: {
        name: 'id',
        in: 'path',
        required: true,
        schema: { type: 'string', pattern: subscriptionIdPattern.source },
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
        schema: { type: 'string', maxLength: 512 },
      },
      IfMatch: {
        name: 'If-Match',
        in: 'header',
        required: false,
        description:
          'The ETag (or a list of them, or `*`) the change is meant for; another version gives 412 with the current ETag and changes nothing. Weak tags never match.',
        schema: { type: 'string' },
      },
      IdempotencyKey: idempotencyKeyParameter,
    },
    headers: {
      ETag: { description: 'The version, for If-Match (e.g. "3")', schema: { type: 'string' } },
      Location: { description: 'Where the new resource is', schema: { type: 'string' } },
      WWWAuthenticate: { description: 'Bearer', schema: { type: 'string', const: 'Bearer' } },
      ...sharedHeaders,
    },
    responses: {
      NotFound: problem('No such resource: an unknown path, or no webhook with this id in your account'),
      MethodNotAllowed: problem('The path exists, but not with this method; `Allow` lists its methods', {
        Allow: header('Allow'),
      }),
      Unauthorized: problem(
        'No API key, or not a valid one (as Bearer or as a Basic pair); or a portal link that expired, was forged or was used outside the portal',
        {
          'WWW-Authenticate': header('WWWAuthenticate'),
        },
      ),
      Forbidden: problem('A portal token on a route that takes an API key'),
      PreconditionFailed: problem(
        'If-Match names another version than the current one, whose tag the ETag header gives; nothing was changed',
        { ETag: header('ETag') },
      ),
      MalformedBody: problem(`The body is not UTF-8, not JSON, or nests deeper than ${maxBodyDepth} levels`),
      PayloadTooLarge: problem(`The body is larger than ${maxBodyBytes} bytes`),
      UnsupportedMediaType: problem(
        'The body is not application/json (a charset, if named, must be utf-8), or has a Content-Encoding other than identity',
      ),
      ValidationFailed: problem('A field is not valid; `errors` names each'),
      Internal: problem('A fault on the platform side; retry later'),
    },
    schemas: {
      ...deliverySchemas(),
      ...eventSchemas(),
      ...portalSchemas(),
      CreateWebhook: describeFields(jsonSchema(createSubscriptionSchema(policy), 'input'), inputHelp),
      UpdateWebhook: describeFields(jsonSchema(updateSubscriptionSchema(policy), 'input'), inputHelp),
      RotateSecret: jsonSchema(rotateSecretSchema, 'input'),
      Webhook: describeFields(jsonSchema(subscriptionViewSchema, 'output'), viewHelp),
      WebhookWithSecret: describeFields(jsonSchema(subscriptionWithSecretSchema, 'output'), viewHelp),
      WebhookList: listPage('Webhook'),
      TestEventAccepted: jsonSchema(testEventAcceptedSchema, 'output'),
      EventTypeList: jsonSchema(eventTypeListSchema, 'output'),
      ApiIndex: jsonSchema(apiIndexSchema, 'output'),
      Problem: {
        type: 'object',
        required: ['type', 'title', 'status', 'detail'],
        properties: {
          type: {
            type: 'string',
            description: 'The kind of problem, to branch on',
            enum: problemKinds.map((kind) => `urn:webhooks:problem:${kind}`),
          },
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
  };
}

function buildDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Hookbridge API',
      version: apiVersion,
      description: [
        'Manage webhook subscriptions of your account.',
        'Every error is application/problem+json (RFC 9457) with a `type` to branch on (one of `Problem.type`) and, for wrong fields, `errors: [{field, message}]`.',
        'Lists are `{"data": [...], "next_cursor": string | null}`, newest first.',
        'Bodies are JSON in UTF-8, uncompressed, at most 256 KiB; all text must be well-formed Unicode (no lone surrogates).',
        'No answer may be cached (`Cache-Control: no-store`).',
        'Webhooks are signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature).',
        'A Shipmondo-compatible API works on the same subscriptions at /api/public/v3/webhooks (its own document: /api/public/v3/openapi.json): its webhooks are `jwt` subscriptions of one event type, shown here with their `compatible_id`.',
      ].join(' '),
    },
    servers: [{ url: '/', description: 'This deployment' }],
    security: [{ apiKey: [] }, { basicAuth: [] }, { portalToken: [] }],
    paths: { ...webhookPaths(), ...deliveryPaths(), ...eventPaths(), ...portalPaths(), ...catalogPaths() },
    webhooks: sentWebhooks(),
    components: components(),
  };
}

let document: ReturnType<typeof buildDocument> | undefined;

/** The OpenAPI 3.1 document of the API, made from the same schemas that validate requests; built once. */
export function openApiDocument() {
  document ??= buildDocument();
  return document;
}
