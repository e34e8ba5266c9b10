import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KMSClient } from '@aws-sdk/client-kms';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { PortalSigningKeys } from '#core/accounts/portal-signing-key.ts';
import { enqueueDeliveries } from '#core/aws/delivery-queues.ts';
import { documentClient } from '#core/aws/dynamodb.ts';
import { KmsSecretSealer } from '#core/aws/kms-secrets.ts';
import { DeliveryStore } from '#core/deliveries/delivery-store.ts';
import { EventLogStore } from '#core/deliveries/event-log-store.ts';
import { EventStore } from '#core/deliveries/event-store.ts';
import { ResourcePositionStore } from '#core/deliveries/resource-position-store.ts';
import { resolvedTargetProblem, systemResolver, targetPolicyOf } from '#core/egress/target-guard.ts';
import { WebhookSender } from '#core/egress/webhook-sender.ts';
import { loadEnvironment } from '#core/environment.ts';
import { IdempotencyStore } from '#core/http/idempotency-store.ts';
import { problemJsonErrors } from '#core/http/problem-middleware.ts';
import { newId } from '#core/ids.ts';
import { createLogger } from '#core/logger.ts';
import { newSigningSecret } from '#core/payloads/signing.ts';
import { functions } from '#core/platform.ts';
import { CompatibleIdCounter } from '#core/subscriptions/compatible-ids.ts';
import { verificationProblem } from '#core/subscriptions/endpoint-verification.ts';
import { SubscriptionRecordStore } from '#core/subscriptions/subscription-records.ts';
import { SubscriptionRoutingStore } from '#core/subscriptions/subscription-routing.ts';
import { type ApiEvent, createApi } from './api-app.ts';
import { catalogRoutes } from './catalog-routes.ts';
import { deliveryRoutes } from './delivery-routes.ts';
import { eventRoutes } from './event-routes.ts';
import { portalFilesFrom, portalPageRoutes } from './portal-page-routes.ts';
import { portalSessionRoutes } from './portal-session-routes.ts';
import { rootRoutes } from './root-routes.ts';
import { shipmondoBasePath, shipmondoErrorStyle } from './shipmondo-errors.ts';
import { type ShipmondoRoutesDependencies, shipmondoRoutes } from './shipmondo-routes.ts';
import { type WebhookRoutesDependencies, webhookRoutes } from './webhook-routes.ts';

const env = loadEnvironment(functions.api.environment);
const logger = createLogger('api');
const db = documentClient();
const sqs = new SQSClient({});
// Secrets are stored sealed; the API may seal them, never open one (only the delivery functions may).
const subscriptions = new SubscriptionRecordStore(
  db,
  env.TABLE_NAME,
  new KmsSecretSealer(new KMSClient({}), env.SIGNING_SECRET_KEY_ARN),
);
const deliveries = new DeliveryStore(db, env.TABLE_NAME);
const events = new EventStore(db, env.TABLE_NAME);
const positions = new ResourcePositionStore(db, env.TABLE_NAME);
const eventLog = new EventLogStore(db, env.TABLE_NAME);
const routing = new SubscriptionRoutingStore(db, env.TABLE_NAME);
const deliveryQueues = { main: env.DELIVERY_QUEUE_URL, ordered: env.ORDERED_DELIVERY_QUEUE_URL };
const targetPolicy = targetPolicyOf(env);
const compatibleIds = new CompatibleIdCounter(db, env.TABLE_NAME);
// Sends the verification request a jwt subscription's endpoint gets (through the address guard); made the first
// time one is sent, not at every cold start, as most calls of the API send none.
let sender: WebhookSender | undefined;
const verificationSender = (): WebhookSender => {
  sender ??= new WebhookSender(targetPolicy);
  return sender;
};
const subscriptionLimit = env.SUBSCRIPTIONS_PER_ACCOUNT;
const portalSigningKeys = new PortalSigningKeys(db, env.TABLE_NAME);
// The portal's built files: beside the bundle when deployed (the CDK copies them there), portal/dist/ in a
// checkout (npm run build:portal; the sandbox builds it when it starts).
const here = dirname(fileURLToPath(import.meta.url));
const portalFiles = portalFilesFrom([join(here, 'portal'), join(here, '..', '..', 'portal', 'dist')]);

/** The subscription use cases' ports, which /v1 and the compatible API (/api/public/v3) share. */
const subscriptionPorts: WebhookRoutesDependencies & ShipmondoRoutesDependencies = {
  targetPolicy,
  get: (accountId, id) => subscriptions.get(accountId, id),
  page: (accountId, query) => subscriptions.page(accountId, query),
  insert: (subscription) => subscriptions.create(subscription, subscriptionLimit),
  replace: (next, expectedVersion, reset) => subscriptions.replace(next, expectedVersion, reset),
  remove: (accountId, id, expectedVersion) => subscriptions.remove(accountId, id, expectedVersion),
  compatible: (accountId, compatibleId) => subscriptions.compatible(accountId, compatibleId),
  urlProblem: (url) => resolvedTargetProblem(url, targetPolicy, systemResolver),
  verificationProblem: (subscription) =>
    verificationProblem(
      subscription,
      (request, timeoutMs) => verificationSender().send(request, timeoutMs),
      new Date(),
    ),
  newCompatibleId: () => compatibleIds.next(),
  enqueue: async (event) => {
    await sqs.send(
      new SendMessageCommand({ QueueUrl: env.FAN_OUT_QUEUE_URL, MessageBody: JSON.stringify(event) }),
    );
  },
  newId: () => newId('sub'),
  newSecret: newSigningSecret,
  newEventId: randomUUID,
  now: () => new Date(),
};

const api = createApi(
  [
    ...webhookRoutes(subscriptionPorts),
    ...shipmondoRoutes(subscriptionPorts),
    ...deliveryRoutes({
      subscription: (accountId, id) => subscriptions.get(accountId, id),
      record: (subscriptionId, id) => deliveries.get(subscriptionId, id),
      page: (subscriptionId, query) => deliveries.page(subscriptionId, query),
      recoverableBetween: (subscriptionId, since, until, limit) =>
        deliveries.recoverableBetween(subscriptionId, since, until, limit),
      events: (ids) => events.getAll(ids),
      position: (subscriptionId, resource) => positions.get(subscriptionId, resource),
      enqueue: (messages, deduplicationIdOf) =>
        enqueueDeliveries(sqs, deliveryQueues, messages, deduplicationIdOf),
      now: () => new Date(),
    }),
    ...eventRoutes({
      events: (accountId, query) => eventLog.page(accountId, query),
      event: async (eventId) => (await events.getAll([eventId]))[0],
      subscriptions: (accountId) => routing.listRouting(accountId),
      records: (keys) => deliveries.getAll(keys),
    }),
    ...portalSessionRoutes({ signingKey: () => portalSigningKeys.current(), now: () => new Date() }),
    ...catalogRoutes(),
    ...portalPageRoutes(portalFiles),
    ...rootRoutes(),
  ],
  {
    idempotency: new IdempotencyStore(db, env.TABLE_NAME),
    logger,
    errorStyles: [shipmondoErrorStyle],
    mergeSlashesUnder: [shipmondoBasePath],
  },
);

/**
 * The management API: header normalizer -> the routes (caller check, JSON body, idempotency, use case), with
 * problem+json errors last for anything that escapes them.
 */
export const handler = middy<ApiEvent, APIGatewayProxyStructuredResultV2>()
  .use(httpHeaderNormalizer())
  .use(problemJsonErrors(logger))
  .handler((event, context) => api(event, context));
