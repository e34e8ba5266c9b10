import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** A webhook the receiver took: its id, type, and whether its signature held with the receiver's secret. */
export interface VerifiedWebhook {
  readonly id: string;
  readonly type: string;
  readonly verified: boolean;
  /** The secret it was checked with. */
  readonly secret: string;
  /** What the receiver answered. */
  readonly status: number;
}

/**
 * An integrator's endpoint on loopback: it checks every webhook's signature with the `standardwebhooks`
 * package and its current secret (401 when it fails, as a real receiver would), and otherwise answers with
 * the status it is told to (204 by default, 500 to play a broken endpoint).
 */
export async function startVerifyingReceiver() {
  let secret: string | undefined;
  let status = 204;
  const received: VerifiedWebhook[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([name, value]) => [name, String(value ?? '')]),
    );
    let verified = false;
    let type = '';
    if (secret !== undefined) {
      try {
        type = String((new Webhook(secret).verify(body, headers) as { type?: unknown }).type ?? '');
        verified = true;
      } catch {
        verified = false;
      }
    }
    const answer = verified ? status : 401;
    received.push({ id: headers['webhook-id'] ?? '', type, verified, secret: secret ?? '', status: answer });
    res
      .writeHead(answer, { 'content-type': 'text/plain' })
      .end(answer >= 400 ? `receiver answered ${answer}` : '');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    received,
    /** The secret to verify with from now on. */
    verifyWith(next: string) {
      secret = next;
    },
    /** The status verified webhooks get from now on. */
    answer(next: number) {
      status = next;
    },
    async close() {
      server.closeAllConnections();
      server.close();
    },
  };
}

export type VerifyingReceiver = Awaited<ReturnType<typeof startVerifyingReceiver>>;
