import { randomUUID } from 'node:crypto';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';

export const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** Real AWS SDK clients pointed at a sandbox, as a publisher or an operator would configure them. */
export function awsClients(endpoint: string) {
  return {
    eventBridge: new EventBridgeClient({ endpoint, region: 'us-east-1', credentials }),
    sqs: new SQSClient({ endpoint, region: 'us-east-1', credentials }),
  };
}

/** The bus event detail of an order status change, for an account. */
export function orderStatusUpdated(accountId: string, orderId = 'ord_1042') {
  return {
    account_id: accountId,
    id: orderId,
    occurred_at: '2026-11-27T10:14:59.120Z',
    data: { id: orderId, order_number: '1042', status: 'Shipped' },
    previous: { status: 'Initiated' },
  };
}

/**
 * A bus event as EventBridge hands it to a rule's target (the fan-out queue), with an id of its own: for a test
 * that sends fan-out the same event more than once.
 */
export function busEvent<Detail extends object>(
  detail: Detail,
  type = 'order.status_updated',
  source = 'shipping.orders',
) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': type,
    source,
    account: '000000000000',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [],
    detail,
  };
}

/** Calls the management API with the account's key. */
export async function api(
  endpoint: string,
  apiKey: string | undefined,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${endpoint}${path}`, {
    method,
    headers: {
      ...(apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    headers: response.headers,
    json: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
  };
}
