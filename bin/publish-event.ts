/**
 * Publishes one `order.status_updated` event the way the shipping platform's services do: PutEvents on the bus
 * with the AWS SDK. Against the sandbox by default; against AWS when --endpoint is ''.
 * Usage: npm run demo:publish -- [--endpoint http://127.0.0.1:4566] [--bus webhooks] [--account demo] [--order ord_1042]
 */

import { parseArgs } from 'node:util';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';

const { values } = parseArgs({
  options: {
    endpoint: { type: 'string', default: 'http://127.0.0.1:4566' },
    bus: { type: 'string', default: 'webhooks' },
    account: { type: 'string', default: 'demo' },
    order: { type: 'string', default: 'ord_1042' },
  },
});

// Lambda runs Node.js 22; the SDK's notice about Node.js 20 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const events = new EventBridgeClient(
  values.endpoint === ''
    ? {}
    : {
        endpoint: values.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
      },
);

const result = await events.send(
  new PutEventsCommand({
    Entries: [
      {
        EventBusName: values.bus,
        Source: 'shipping.orders',
        DetailType: 'order.status_updated',
        Detail: JSON.stringify({
          account_id: values.account,
          id: values.order,
          occurred_at: new Date().toISOString(),
          data: { id: values.order, order_number: '1042', status: 'Shipped' },
          previous: { status: 'Initiated' },
        }),
      },
    ],
  }),
);
console.log(JSON.stringify(result.Entries));
process.exitCode = result.FailedEntryCount ? 1 : 0;
