import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { WebhookSender } from '#core/delivery/webhook-sender.ts';
import { newSigningSecret, webhookHeaders } from '#core/signing.ts';

const runs = 5;
const requestsPerRun = 2000;
const concurrency = 50;

const body = JSON.stringify({
  id: 'ord_01JD4X7K2M',
  type: 'order.status_updated',
  occurred_at: '2026-11-27T10:14:59.120Z',
  data: { id: 'ord_01JD4X7K2M', order_number: '1042', status: 'Shipped', total: 149.5 },
  previous: { status: 'Initiated' },
});

type Send = (url: string, headers: Record<string, string>) => Promise<void>;

async function throughput(url: string, send: Send): Promise<number> {
  const secret = newSigningSecret();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requestsPerRun) {
        const id = `msg_${next++}`;
        const headers = webhookHeaders([secret], { id, timestamp: Math.floor(Date.now() / 1000), body });
        await send(url, headers);
      }
    }),
  );
  return requestsPerRun / ((performance.now() - started) / 1000);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/**
 * Signed webhooks per second from the delivery path (sign + POST over undici's pooled agent, with the address
 * guard) to a receiver on loopback, against global `fetch` sending the same signed requests in the same run.
 */
export async function runDeliveryBench(): Promise<string> {
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks`;
  const sender = new WebhookSender('allow-private');

  const viaSender: Send = async (target, headers) => {
    const outcome = await sender.send({ url: target, body, contentType: 'application/json', headers });
    if (outcome.kind !== 'response' || outcome.statusCode !== 204) throw new Error(JSON.stringify(outcome));
  };
  const viaFetch: Send = async (target, headers) => {
    const response = await fetch(target, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
      redirect: 'manual',
    });
    await response.arrayBuffer();
    if (response.status !== 204) throw new Error(`HTTP ${response.status}`);
  };

  await throughput(url, viaSender);
  await throughput(url, viaFetch);
  const rssBefore = process.memoryUsage().rss;
  const sender_: number[] = [];
  const fetch_: number[] = [];
  for (let run = 0; run < runs; run++) {
    sender_.push(await throughput(url, viaSender));
    fetch_.push(await throughput(url, viaFetch));
  }
  const rssGrowthMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
  await sender.close();
  receiver.closeAllConnections();
  receiver.close();

  const [ours, baseline] = [median(sender_), median(fetch_)];
  const row = (name: string, value: number) =>
    `| ${name} | ${Math.round(value).toLocaleString('en-US')} | ${(value / baseline).toFixed(2)} |`;
  return [
    '## Delivery path',
    '',
    `Node ${process.version}, ${process.platform}/${process.arch}; median of ${runs} runs of ${requestsPerRun} signed`,
    `POSTs each, ${concurrency} at a time, to a receiver on loopback that answers 204. Baseline: global \`fetch\``,
    'sending the same signed requests, measured in the same run.',
    '',
    '| Sender | Webhooks/s | vs fetch |',
    '| --- | ---: | ---: |',
    row('baseline: global fetch', baseline),
    row('WebhookSender (undici Agent, address guard)', ours),
    '',
    `Resident memory grew by ${rssGrowthMb.toFixed(1)} MiB over the ${runs * 2 * requestsPerRun} measured requests.`,
    '',
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(await runDeliveryBench());
}
