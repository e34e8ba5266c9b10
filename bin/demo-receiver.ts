/**
 * A webhook receiver for trying the platform: listens on 127.0.0.1, verifies each request's Standard Webhooks
 * signature over the raw body with the subscription's secret, and prints what arrived, JSON or XML. With
 * `JWT_KEY` it takes `jwt` webhooks as a Shipmondo integration does: the body's JWT verified (HS256) with that key.
 * Usage: WEBHOOK_SECRET=whsec_... npm run demo:receiver -- [--port 3000] [--path /webhooks]
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { fail, parseOptions, usageError, wholeNumber } from './cli.ts';
import { type SmdHeaders, verifyJwtWebhook } from './jwt-webhook.ts';

const usage = `Usage: WEBHOOK_SECRET=whsec_... npm run demo:receiver -- [options]
       JWT_KEY=<the webhook's key> npm run demo:receiver -- [options]
Receives webhooks on 127.0.0.1, verifies each signature (Standard Webhooks, or the JWT of jwt webhooks) and
prints what arrived.
  --port N        the port (default 3000; 0 picks a free one)
  --path PATH     accept webhooks only on this path, e.g. /webhooks (default: any path)
  -h, --help      this text
Environment (one or both):
  WEBHOOK_SECRET  the subscription's signing secret (whsec_...), as POST /v1/webhooks returned it
  JWT_KEY         a jwt webhook's key: each body {"data": "<JWT>"} is verified with it (HS256), as a Shipmondo
                  integration does, and answered 200`;

const values = parseOptions({ port: { type: 'string', default: '3000' }, path: { type: 'string' } }, usage);
const port = wholeNumber('port', values.port, 0, 65_535, usage);
const path = values.path;
if (path !== undefined && !path.startsWith('/')) usageError(`--path must start with /, not '${path}'`, usage);

const secret = process.env.WEBHOOK_SECRET ?? '';
const jwtKey = process.env.JWT_KEY ?? '';
const verifier = ((): Webhook | undefined => {
  const hint = 'Set WEBHOOK_SECRET to the subscription secret (whsec_...) that POST /v1/webhooks returned';
  if (secret === '' && jwtKey === '') fail(`${hint} (or JWT_KEY to a jwt webhook's key).`);
  if (secret === '') return undefined;
  if (!secret.startsWith('whsec_')) fail(`WEBHOOK_SECRET does not start with whsec_. ${hint}.`);
  try {
    return new Webhook(secret);
  } catch (error) {
    fail(`WEBHOOK_SECRET is not a valid secret (${(error as Error).message}). ${hint}.`);
  }
})();

/** The text of the root element's `type` child when it is plain text, as in `<webhook><type>...</type>`. */
function xmlType(xml: string): string | undefined {
  const markup =
    /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[[\s\S]*?\]\]>|<!DOCTYPE[^>]*>|<(\/?)([^\s/>]+)[^>]*?(\/?)>/g;
  let depth = 0;
  for (let match = markup.exec(xml); match !== null; match = markup.exec(xml)) {
    const [, closing, name, selfClosing] = match;
    if (name === undefined) continue;
    if (closing) depth--;
    else if (!selfClosing && depth === 1 && name === 'type') {
      const text = /^([^<&]*)<\/type\s*>/.exec(xml.slice(markup.lastIndex))?.[1]?.trim();
      return text || undefined;
    } else if (!selfClosing) depth++;
  }
  return undefined;
}

/** What to print for a verified body: its type and the body, pretty JSON or the XML as it came. */
function describe(body: string, contentType: string): { type: string; printed: string } {
  if (/[/+]xml\b/i.test(contentType)) return { type: xmlType(body) ?? '(xml)', printed: body };
  try {
    const payload = JSON.parse(body) as { type?: unknown };
    const type = typeof payload?.type === 'string' ? payload.type : '(no type)';
    return { type, printed: JSON.stringify(payload, null, 2) };
  } catch {
    return { type: `(not JSON: ${contentType || 'no Content-Type'})`, printed: body };
  }
}

async function receive(req: IncomingMessage, res: ServerResponse) {
  const url = req.url ?? '/';
  if (path !== undefined && url.split('?')[0] !== path) {
    console.error(`Not found: ${req.method} ${url} (this receiver takes ${path}; --path changes it)`);
    res.writeHead(404).end();
    return;
  }
  if (req.method !== 'POST') {
    console.error(`Not a webhook: ${req.method} ${url} (webhooks are POSTs)`);
    res.writeHead(405, { allow: 'POST' }).end();
    return;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const id = req.headers['webhook-id'];
  const refuse = (reason: string, hint: string) => {
    console.error(`Rejected ${id ?? '(no webhook-id)'} on ${url} with 401: ${reason} (${hint})`);
    res.writeHead(401).end(`${reason}\n`);
  };
  const jwt = jwtKey === '' ? undefined : await verifyJwtWebhook(raw.toString('utf8'), req.headers, jwtKey);
  if (jwt !== undefined && !jwt.verified) return refuse(jwt.reason, "is JWT_KEY this webhook's key?");
  try {
    // Over the bytes as they came, whatever the format: a parsed and re-serialized body would not match.
    verifier?.verify(raw, req.headers as Record<string, string>, { jsonParse: false });
  } catch (error) {
    const reason = error instanceof WebhookVerificationError ? error.message : String(error);
    return refuse(reason, "is WEBHOOK_SECRET this subscription's secret?");
  }
  if (jwt?.verified) {
    printJwt(id, jwt.claims, jwt.smd);
    // The reference platform asks its integrations for a 200.
    res.writeHead(200).end();
    return;
  }
  const { type, printed } = describe(raw.toString('utf8'), req.headers['content-type'] ?? '');
  console.log(`Verified ${id} ${type}`);
  console.log(printed);
  res.writeHead(204).end();
}

/** Prints a verified jwt webhook: what its SMD headers say, then its claims. */
function printJwt(id: string | string[] | undefined, claims: Record<string, unknown>, smd: SmdHeaders) {
  // The verification request at a webhook's creation is about no resource: its JWT's data is {}.
  const verification = smd.resourceId === '' && JSON.stringify(claims.data) === '{}';
  const about = verification
    ? `${smd.resourceType} ${smd.action}: the verification request of webhook ${smd.webhookId}`
    : `${smd.resourceType} ${smd.action} ${smd.resourceId} (webhook ${smd.webhookId}${smd.user === '' ? '' : `, by ${smd.user}`})`;
  console.log(`Verified JWT ${id ?? ''} ${about}`);
  console.log(JSON.stringify(claims, null, 2));
}

const server = createServer((req, res) => {
  receive(req, res).catch((error: unknown) => {
    console.error(`Could not read ${req.method} ${req.url}: ${(error as Error).message}`);
    if (!res.headersSent) res.writeHead(400);
    res.end();
  });
});
server.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EADDRINUSE') {
    fail(`Port ${port} is in use. Pick another with --port N, and put that port in the subscription's URL.`);
  }
  fail(`The receiver could not listen on 127.0.0.1:${port}: ${error.message}`);
});
server.listen(port, '127.0.0.1', () => {
  const { port: bound } = server.address() as { port: number };
  const checks = [secret === '' ? [] : ['signatures'], jwtKey === '' ? [] : ['JWTs (JWT_KEY)']].flat();
  console.log(
    `Receiving webhooks on http://127.0.0.1:${bound}${path ?? '/webhooks (or any other path)'}, verifying ${checks.join(' and ')}. Ctrl+C stops it.`,
  );
});
