import { deliveryStatuses } from '#core/deliveries/delivery-record.ts';
import { recoverLimit } from '#core/deliveries/resend.ts';
import {
  deliveryDetailViewSchema,
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
  listPage,
  operation,
  parameter,
  postAnswer,
  problem,
  ref,
} from './openapi-parts.ts';
import { deliveryIdPattern } from './path-ids.ts';

const retryRefused = problem(
  'The subscription is not active (`webhook-inactive`), the event is no longer kept (`event-expired`), sending it would reorder an ordered subscription’s deliveries (`would-reorder`: a newer event of its resource was delivered, or it was superseded; `detail` names the resource and the newer event), or a request with the same Idempotency-Key is still running (`idempotency-key-in-use`)',
);
const recoveryRefused = problem(
  'The subscription is not active (`webhook-inactive`), every delivery found would reorder an ordered subscription’s deliveries and none was queued (`would-reorder`), or a request with the same Idempotency-Key is still running (`idempotency-key-in-use`)',
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
          parameter('Since'),
          parameter('Until'),
          {
            name: 'status',
            in: 'query',
            required: false,
            description:
              'Only deliveries with this status; `superseded` ones are those of a subscription ordered per resource that were not sent because a newer event of their resource was delivered first',
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
        summary:
          'One delivery with every attempt (time, status code, latency, response excerpt, error, signature) and the request its latest attempt sent',
        responses: {
          '200': {
            description: 'The delivery',
            headers: everyAnswer,
            content: jsonContent(ref('DeliveryWithRequest')),
          },
        },
      }),
    },
    '/v1/deliveries/{id}/retry': {
      parameters: [parameter('DeliveryId')],
      post: operation({
        operationId: 'retryDelivery',
        summary: 'One more attempt now, whatever the delivery’s status',
        description:
          'Recorded as a `manual` attempt; it is not followed by scheduled retries. A success makes a pending or failed delivery succeeded. For a subscription with `ordering: resource` the attempt joins its resource’s queue, behind the deliveries of that resource already queued; it is refused (409 `would-reorder`) when the delivery was superseded or a newer event of its resource was delivered to the subscription since, because sending it would reorder what the endpoint got.',
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
          '409': retryRefused,
        },
      }),
    },
    '/v1/webhooks/{id}/recover': {
      parameters: [webhookId],
      post: operation({
        operationId: 'recoverDeliveries',
        summary: 'One more attempt of every failed delivery whose event came from `since` to `until`',
        description: `Oldest first, at most ${recoverLimit} per call: when more remain, \`next_since\` says where the next call starts. Each attempt is recorded as \`recover\`; a delivery stuck \`pending\` (its next attempt more than 15 minutes overdue) resumes its schedule instead. For a subscription with \`ordering: resource\`: a failed delivery whose resource has had a newer event delivered since is not queued (counted in \`superseded\`), since sending it would reorder what the endpoint got; the others join their resources' queues, oldest first; and pending ones are left to their resource's queue, where they wait behind older events of their resource rather than being stuck. When every delivery found was refused so and none was queued, the answer is 409 \`would-reorder\`.`,
        parameters: [parameter('IdempotencyKey')],
        requestBody: { required: true, content: jsonContent(ref('RecoverBody')) },
        responses: {
          '202': { description: 'Queued', headers: postAnswer, content: jsonContent(ref('Recovery')) },
          ...bodyProblems,
          '409': recoveryRefused,
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
    DeliveryWithRequest: jsonSchema(deliveryDetailViewSchema, 'output'),
    DeliveryList: listPage('Delivery'),
    RetryAccepted: jsonSchema(retryAcceptedSchema, 'output'),
    RecoverBody: jsonSchema(recoverBodySchema, 'input'),
    Recovery: jsonSchema(recoveryViewSchema, 'output'),
  };
}
