/**
 * `npm run portal:screenshot`: the README's picture of the portal, taken as a user would see it. It starts a
 * sandbox in memory, subscribes a local receiver to order events, publishes a few (one of which the receiver
 * refuses three times, so that it fails), opens the portal link in headless Chromium and takes the
 * subscription's page with the failed delivery's attempts open. It writes to test-output/ unless told where:
 * README's picture, docs/portal.png, is tracked, and is rewritten only when asked for by name.
 */
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { parseOptions } from '../bin/cli.ts';
import { type DemoEventType, demoEvent } from '../bin/demo-events.ts';
import { startSandbox } from '../sandbox/sandbox.ts';
import { buildPortal } from './build.ts';
import { launchChromium } from './chromium.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const usage = `Usage: npm run portal:screenshot -- [options]
Takes the picture of the portal that README shows: a sandbox in memory, a few order events (one failing),
a subscription's page in headless Chromium.
  --out FILE   where to write the PNG (default test-output/portal.png); --out docs/portal.png
               replaces README's picture
  -h, --help   this text`;
const values = parseOptions({ out: { type: 'string' } }, usage);
const out = resolve(values.out ?? join(root, 'test-output', 'portal.png'));
await mkdir(dirname(out), { recursive: true });

await buildPortal();
const sandbox = await startSandbox({ port: 0, retrySchedule: [1, 1], logLevel: 'SILENT' });
let failing = false;
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () =>
    failing ? res.writeHead(500).end('Service Unavailable: database locked') : res.writeHead(204).end(),
  );
});
receiver.listen(0, '127.0.0.1');
await once(receiver, 'listening');
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/orders`;
const events = new EventBridgeClient({
  endpoint: sandbox.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
});

const api = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${sandbox.endpoint}${path}`, {
    method,
    headers: { authorization: `Bearer ${sandbox.apiKey}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return (await response.json()) as Record<string, unknown>;
};
const publish = async (type: DemoEventType, n: number) => {
  const event = demoEvent(type, 'demo', n);
  await events.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: sandbox.eventBusName,
          Source: event.source,
          DetailType: event.type,
          Detail: JSON.stringify(event.detail),
        },
      ],
    }),
  );
};
const settle = (ms: number) => new Promise((done) => setTimeout(done, ms));

try {
  await api('POST', '/v1/webhooks', {
    name: 'Billing',
    url: 'https://billing.example.com/hooks',
    events: ['order.payment_captured', 'order.payment_refunded'],
  });
  const warehouse = await api('POST', '/v1/webhooks', {
    name: 'Warehouse',
    description: 'Orders to pick, pack and ship',
    url: receiverUrl,
    events: ['order.*'],
  });
  for (const [n, type] of (
    ['order.created', 'order.status_updated', 'order.fulfillment_created'] as const
  ).entries()) {
    await publish(type, n);
  }
  await settle(1500);
  failing = true;
  await publish('order.status_updated', 3);
  await settle(4500);
  failing = false;
  await publish('order.shipment_created', 4);
  await settle(1500);

  const session = await api('POST', '/v1/portal-sessions', {});
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1560 }, deviceScaleFactor: 1 });
    await page.goto(String(session.url));
    await page.getByRole('heading', { name: 'Subscriptions', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'Warehouse' }).click();
    await page.getByRole('heading', { name: 'Warehouse', level: 1 }).waitFor();
    const failed = page.locator('li.delivery').filter({ hasText: 'Failed' }).first();
    await failed.waitFor();
    await failed.getByText(/^Attempts/).click();
    await page.locator('figure.chart').waitFor();
    await page.mouse.move(0, 0);
    await page.screenshot({ path: out });
    console.log(`Wrote ${out} (subscription ${String(warehouse.id)})`);
  } finally {
    await browser.close();
  }
} finally {
  events.destroy();
  receiver.close();
  await sandbox.close();
}
