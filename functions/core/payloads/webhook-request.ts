import { createHash } from 'node:crypto';
import { sentHeaders, type WebhookRequest } from '../egress/request-headers.ts';
import { shipmondoActionOf, shipmondoActionOfSelection } from '../events/shipmondo-actions.ts';
import { type Subscription, signingSecrets } from '../subscriptions/subscription.ts';
import {
  jwtBodyOf,
  jwtClaimsSigningInput,
  jwtKeyBytes,
  jwtSignature,
  shipmondoHeaders,
} from './jwt-payload.ts';
import { signatureHeader, standardHeaders } from './signing.ts';
import { toXml, xmlContentType } from './xml-payload.ts';

/** What one webhook says: its `webhook-id`, its event's type and the JSON envelope (the `json` body). */
export interface WebhookContent {
  readonly id: string;
  readonly eventType: string;
  readonly body: string;
}

/** A body in a subscription's format, its media type, and the headers that go with that format. */
export interface EncodedBody {
  readonly body: string;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** The text of a resource's `id` (a string or a number), or empty when its state has none. */
function resourceIdOf(data: unknown): string {
  const id = data !== null && typeof data === 'object' ? (data as Record<string, unknown>).id : undefined;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : '';
}

/**
 * A body in a subscription's format before any key touched it. A `jwt` body is its JWT's signing input, which
 * the key's signature completes: the delivery lanes sign it, the API (which may open no key) completes it with
 * the signature an attempt recorded.
 */
export type BodyDraft = {
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string>>;
} & ({ readonly body: string } | { readonly jwtSigningInput: string });

/**
 * The reference platform's form: `{"data":"<JWT>"}` and its `SMD-*` headers. An event type the reference has
 * no name for (the test event; the verification at creation, which has none) carries the resource and action of
 * the subscription's first selected type.
 */
function jwtDraft(
  subscription: Subscription,
  envelope: Record<string, unknown>,
  eventType: string,
): BodyDraft {
  const named = shipmondoActionOf(eventType) ?? shipmondoActionOfSelection(subscription.events);
  return {
    jwtSigningInput: jwtClaimsSigningInput({
      webhook: subscription.name,
      data: envelope.data,
      url: subscription.url,
    }),
    contentType: 'application/json',
    headers: shipmondoHeaders({
      resource: named?.resource ?? '',
      action: named?.action ?? '',
      resourceId: resourceIdOf(envelope.data),
      webhookId: subscription.compatibleId === undefined ? '' : String(subscription.compatibleId),
      user: typeof envelope.actor === 'string' ? envelope.actor : '',
    }),
  };
}

/**
 * The body of a webhook in the subscription's format and its format's headers, with no key used: what any
 * reader of the subscription and the event can build. Throws XmlPayloadError for an envelope with no XML form.
 */
export function bodyDraft(subscription: Subscription, content: WebhookContent): BodyDraft {
  switch (subscription.format) {
    case 'xml':
      return { body: toXml(JSON.parse(content.body)), contentType: xmlContentType, headers: {} };
    case 'jwt':
      return jwtDraft(subscription, JSON.parse(content.body), content.eventType);
    default:
      return { body: content.body, contentType: 'application/json', headers: {} };
  }
}

/** A draft's body completed with its JWT's signature (for `json` and `xml`, which have none, `jwtSignature` is unused). */
export function completedBody(draft: BodyDraft, jwtSignature: string): EncodedBody {
  const { contentType, headers } = draft;
  const body = 'body' in draft ? draft.body : jwtBodyOf(draft.jwtSigningInput, jwtSignature);
  return { body, contentType, headers };
}

/**
 * The body of a webhook in the subscription's format (a `jwt` one's key open), and its format's headers, unsigned
 * by Standard Webhooks; `jwtSignature` is the JWT's signature for a `jwt` body. Throws XmlPayloadError for an
 * envelope with no XML form.
 */
export function webhookBody(
  subscription: Subscription,
  content: WebhookContent,
): EncodedBody & { readonly jwtSignature?: string } {
  const draft = bodyDraft(subscription, content);
  if ('body' in draft) return completedBody(draft, '');
  if (subscription.jwtKey === undefined) throw new TypeError(`Webhook ${subscription.id} has no JWT key`);
  const signature = jwtSignature(jwtKeyBytes(subscription.jwtKey), draft.jwtSigningInput);
  return { ...completedBody(draft, signature), jwtSignature: signature };
}

/**
 * The request for a body in the subscription's format: to its URL, with its own headers, the format's, and
 * `standard` (the Standard Webhooks headers) last.
 */
export function requestOf(
  subscription: Subscription,
  encoded: EncodedBody,
  standard: Readonly<Record<string, string>>,
): WebhookRequest {
  const { body, contentType, headers } = encoded;
  return {
    url: subscription.url,
    body,
    contentType,
    headers: { ...subscription.headers, ...headers, ...standard },
  };
}

/**
 * What an attempt keeps of its request, which only the delivery lanes could make: the `webhook-signature` it
 * sent, its JWT's signature (`jwt` only), and a digest of the whole request, so that a request rebuilt later
 * from the subscription and the kept event is known to be, or not to be, the one sent (design notes: The
 * request as sent).
 */
export interface RequestProof {
  readonly signature: string;
  readonly jwtSignature?: string;
  readonly digest: string;
}

/** A request signed for one attempt, with what its attempt keeps of it. */
export interface SignedWebhookRequest extends WebhookRequest {
  readonly proof: RequestProof;
}

/**
 * A short digest of a request as it goes out (URL, every header, body): 128 bits of SHA-256, base64url, enough to
 * tell a rebuilt request from the one sent, not a signature (it holds no secret).
 */
export function requestDigest(request: WebhookRequest): string {
  const headers = Object.entries(sentHeaders(request))
    .map(([name, value]) => [name.toLowerCase(), value])
    .sort(([a = ''], [b = '']) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256')
    .update(JSON.stringify(['POST', request.url, headers, request.body]))
    .digest()
    .subarray(0, 16)
    .toString('base64url');
}

/** The Unix time (s) an attempt started at `now` signs with: its `webhook-timestamp`. */
export const webhookTimestampOf = (now: Date): number => Math.floor(now.getTime() / 1000);

/**
 * The request for one attempt: the body in the subscription's format, its own headers, the format's, and the
 * Standard Webhooks headers signed with its current secrets (`subscription` holds them, and its JWT key, open).
 */
export function webhookRequest(
  subscription: Subscription,
  content: WebhookContent,
  now: Date,
): SignedWebhookRequest {
  const { jwtSignature: jwt, ...encoded } = webhookBody(subscription, content);
  const timestamp = webhookTimestampOf(now);
  const signature = signatureHeader(signingSecrets(subscription, now), {
    id: content.id,
    timestamp,
    body: encoded.body,
  });
  const request = requestOf(subscription, encoded, standardHeaders({ id: content.id, timestamp }, signature));
  return {
    ...request,
    proof: { signature, ...(jwt === undefined ? {} : { jwtSignature: jwt }), digest: requestDigest(request) },
  };
}
