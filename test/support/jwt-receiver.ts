import { errors, type JWTHeaderParameters, type JWTPayload, jwtVerify } from 'jose';
import { type ReceivedRequest, type Reply, startReceiver } from './receiver.ts';

/** The five headers Shipmondo documents on every webhook message, as the receiver read them. */
export interface SmdHeaders {
  readonly resourceType: string | undefined;
  readonly resourceId: string | undefined;
  readonly webhookId: string | undefined;
  readonly action: string | undefined;
  readonly user: string | undefined;
}

/** A message whose JWT verified with its webhook's key (HS256 only). */
export interface AcceptedMessage {
  readonly verified: true;
  /** The JWT's protected header, to check it is exactly `{"alg":"HS256"}`. */
  readonly protectedHeader: JWTHeaderParameters;
  /** Every claim of the JWT, to check there are no others. */
  readonly payload: JWTPayload;
  /** The three claims the reference documents: the webhook's name, the resource as it is now, the endpoint. */
  readonly claims: { readonly webhook: unknown; readonly data: unknown; readonly url: unknown };
}

/** A message the receiver refused: a body that is not `{"data": "<JWT>"}` (400), or a JWT that did not verify (401). */
export interface RejectedMessage {
  readonly verified: false;
  /** Why: `malformed body`, `no key for webhook <id>`, or jose's error code (e.g. `ERR_JOSE_ALG_NOT_ALLOWED`). */
  readonly rejection: string;
}

/** One request the receiver took, with what it made of it and what it answered. */
export type JwtMessage = (AcceptedMessage | RejectedMessage) & {
  readonly smd: SmdHeaders;
  /** The raw request: method, path, all headers, the body as sent. */
  readonly request: ReceivedRequest;
  readonly status: number;
};

/**
 * A Shipmondo integration's endpoint on loopback, written as the reference's public documentation and the
 * published integrations describe one: each POST's JSON body `{"data": "<JWT>"}` is verified with jose's
 * `jwtVerify` pinned to HS256 and the webhook's key (its UTF-8 bytes), the claims `webhook`, `data`, `url` and the
 * five `SMD-*` headers are read, and the answer is 200 (or what `answer` sets, e.g. 500 to fail a creation's
 * verification request). The key is looked up by the `SMD-Webhook-Id` header in `keys`; a webhook not in `keys`
 * is verified with the key `useKey` sets, as a single-key integration does and as the request at a webhook's
 * creation needs, whose id the test cannot know yet.
 */
export async function startJwtReceiver() {
  const keys = new Map<string, string>();
  let fallbackKey: string | undefined;
  let status = 200;
  const messages: JwtMessage[] = [];
  const pending = new Map<ReceivedRequest, Promise<JwtMessage>>();

  async function take(request: ReceivedRequest): Promise<JwtMessage> {
    const smd = smdHeadersOf(request);
    const verdict = await verify(request, smd);
    const message: JwtMessage = {
      ...verdict,
      smd,
      request,
      status: verdict.verified ? status : verdict.rejection === 'malformed body' ? 400 : 401,
    };
    messages.push(message);
    return message;
  }

  async function verify(
    request: ReceivedRequest,
    smd: SmdHeaders,
  ): Promise<AcceptedMessage | RejectedMessage> {
    const token = request.method === 'POST' ? tokenOf(request.body) : undefined;
    if (token === undefined) return { verified: false, rejection: 'malformed body' };
    const key = (smd.webhookId === undefined ? undefined : keys.get(smd.webhookId)) ?? fallbackKey;
    if (key === undefined) return { verified: false, rejection: `no key for webhook ${smd.webhookId}` };
    try {
      const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(key), {
        algorithms: ['HS256'],
      });
      return {
        verified: true,
        protectedHeader,
        payload,
        claims: { webhook: payload.webhook, data: payload.data, url: payload.url },
      };
    } catch (error) {
      return { verified: false, rejection: error instanceof errors.JOSEError ? error.code : String(error) };
    }
  }

  const receiver = await startReceiver((request): Promise<Reply> => {
    // Stored before the reply is awaited, so `next()` finds it for a request it has just been handed.
    const message = take(request);
    pending.set(request, message);
    return message.then((taken) => ({
      status: taken.status,
      headers: { 'content-type': 'text/plain' },
      body: taken.status >= 400 ? `receiver answered ${taken.status}` : '',
    }));
  });

  return {
    url: receiver.url,
    /** Every message in the order the receiver decided on them. */
    messages,
    /** Keys by webhook id (the `SMD-Webhook-Id` header); the test sets them. */
    keys,
    /** The key for a webhook not in `keys`. */
    useKey(key: string) {
      fallbackKey = key;
    },
    /** The status verified messages get from now on. */
    answer(next: number) {
      status = next;
    },
    /** The next message not yet taken by an earlier `next()`, in arrival order, once the receiver has decided on it. */
    async next(timeoutMs?: number): Promise<JwtMessage> {
      const request = await receiver.next(timeoutMs);
      const message = pending.get(request);
      if (message === undefined) throw new Error('The JWT receiver lost track of a request');
      return message;
    },
    close: receiver.close,
  };
}

export type JwtReceiver = Awaited<ReturnType<typeof startJwtReceiver>>;

/** The JWT in a body `{"data": "<JWT>"}`, or nothing when the body is not that. */
function tokenOf(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed !== 'object' || parsed === null || !('data' in parsed)) return undefined;
    return typeof parsed.data === 'string' ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function smdHeadersOf({ headers }: ReceivedRequest): SmdHeaders {
  const one = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  return {
    resourceType: one('smd-resource-type'),
    resourceId: one('smd-resource-id'),
    webhookId: one('smd-webhook-id'),
    action: one('smd-action'),
    user: one('smd-user'),
  };
}
