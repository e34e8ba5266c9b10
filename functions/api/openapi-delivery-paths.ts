import { deliveryStatuses } from '#core/deliveries/delivery-record.ts';
import { recoverLimit } from '#core/deliveries/resend.ts';
import {
  deliveryViewSchema,
  recoverBodySchema,
  recoveryViewSchema,
  retryAcceptedSchema,
} from './delivery-view.ts';
import {
  bodyProblems,
  everyAnswer,
  header,
  jsonContent,
  jsonSchema,
  operation,
  parameter,
  postAnswer,
  problem,
  ref,
} from './openapi-parts.ts';
import { deliveryIdPattern } from './path-ids.ts';

const inactiveOrExpired = problem(
  'The subscription is not active (`webhook-inactive`), the event is no longer kept (`event-expired`), or a request with the same Idempotency-Key is still running (`idempotency-key-in-use`)',
);

/** The delivery log: a subscription's deliveries, one delivery with its attempts, a retry, and recovery. */
export function deliveryPaths() {
  const webhookId = parameter('WebhookId');
  return {
    '/v1/webhooks/{id}/deliveries': {
      parameters: [webhookId],
      get: operation({
        operationId: 'listDeliveries',
        summary: 'A subscription’s deliveries, newest first, each with its attempts',
        description:
          'One delivery per event the subscription got, from its first attempt on (a test event’s at once), kept 30 days by default. Unknown query parameters are refused (422).',
        parameters: [
          parameter('Limit'),
          parameter('Cursor'),
          {
            name: 'status',
            in: 'query',
            required: false,
            schema: { type: 'string', enum: [...deliveryStatuses] },
          },
          {
            name: 'event_type',
            in: 'query',
            required: false,
            description: 'An event type of the catalog, or webhook.test',
            schema: { type: 'string' },
          },
        ],
        responses: {
          '200': { description: 'A page', headers: everyAnswer, content: jsonContent(ref('DeliveryList')) },
          '422': problem('A query parameter is not valid'),
        },
      }),
    },
    '/v1/deliveries/{id}': {
      parameters: [parameter('DeliveryId')],
      get: operation({
        operationId: 'getDelivery',
        summary: 'One delivery with every attempt: time, status code, latency, response excerpt, error',
        responses: {
          '200': { description: 'The delivery', headers: everyAnswer, content: jsonContent(ref('Delivery')) },
        },
      }),
    },
    '/v1/deliveries/{id}/retry': {
      parameters: [parameter('DeliveryId')],
      post: operation({
        operationId: 'retryDelivery',
        summary: 'One more attempt now, whatever the delivery’s status',
        description:
          'Recorded as a `manual` attempt; it is not followed by scheduled retries. A success makes a pending or failed delivery succeeded.',
        parameters: [parameter('IdempotencyKey')],
        requestBody: {
          required: false,
          content: jsonContent({ type: 'object', additionalProperties: false }),
        },
        responses: {
          '202': {
            description: 'Queued',
            headers: { ...postAnswer, Location: header('Location') },
            content: jsonContent(ref('RetryAccepted')),
          },
          ...bodyProblems,
          '409': inactiveOrExpired,
        },
      }),
    },
    '/v1/webhooks/{id}/recover': {
      parameters: [webhookId],
      post: operation({
        operationId: 'recoverDeliveries',
        summary: 'One more attempt of every failed delivery whose event came from `since` to `until`',
        description: `Oldest first, at most ${recoverLimit} per call: when more remain, \`next_since\` says where the next call starts. Each attempt is recorded as \`recover\`; a delivery stuck \`pending\` (its next attempt more than 15 minutes overdue) resumes its schedule instead.`,
        parameters: [parameter('IdempotencyKey')],
        requestBody: { required: true, content: jsonContent(ref('RecoverBody')) },
        responses: {
          '202': { description: 'Queued', headers: postAnswer, content: jsonContent(ref('Recovery')) },
          ...bodyProblems,
          '409': inactiveOrExpired,
        },
      }),
    },
  };
}

/** The path parameter of a delivery. */
export const deliveryIdParameter = {
  DeliveryId: {
    name: 'id',
    in: 'path',
    required: true,
    description: 'A delivery id: the webhook-id its endpoint got',
    schema: { type: 'string', pattern: deliveryIdPattern.source },
  },
};

/** The schemas of the delivery log. */
export function deliverySchemas() {
  return {
    Delivery: jsonSchema(deliveryViewSchema, 'output'),
    DeliveryList: {
      type: 'object',
      required: ['data', 'next_cursor'],
      properties: {
        data: { type: 'array', items: ref('Delivery') },
        next_cursor: { type: ['string', 'null'] },
      },
    },
    RetryAccepted: jsonSchema(retryAcceptedSchema, 'output'),
    RecoverBody: jsonSchema(recoverBodySchema, 'input'),
    Recovery: jsonSchema(recoveryViewSchema, 'output'),
  };
}
