/**
 * A webhook receiver for trying the platform: listens on 127.0.0.1, verifies each request's Standard Webhooks
 * signature with the subscription's secret, and prints what arrived.
 * Usage: WEBHOOK_SECRET=whsec_... npm run demo:receiver -- [--port 3000]
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

const { values } = parseArgs({ options: { port: { type: 'string', default: '3000' } } });
const secret = process.env.WEBHOOK_SECRET;
if (!secret?.startsWith('whsec_')) {
  console.error('Set WEBHOOK_SECRET to the subscription secret (whsec_...) that POST /v1/webhooks returned.');
  process.exit(2);
}
const verifier = new Webhook(secret);

const server = createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  try {
    const payload = verifier.verify(body, req.headers as Record<string, string>) as { type?: string };
    console.log(`Verified ${req.headers['webhook-id']} ${payload.type ?? ''}`);
    console.log(JSON.stringify(payload, null, 2));
    res.writeHead(204).end();
  } catch (error) {
    const reason = error instanceof WebhookVerificationError ? error.message : String(error);
    console.log(`Rejected ${req.method} ${req.url}: ${reason}`);
    res.writeHead(400).end(reason);
  }
});

server.listen(Number(values.port), '127.0.0.1', () => {
  console.log(`Receiving webhooks on http://127.0.0.1:${values.port}/webhooks`);
});
