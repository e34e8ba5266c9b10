import type { WebhookRequest } from '../egress/webhook-sender.ts';
import { shipmondoActionOf, shipmondoActionOfSelection } from '../events/shipmondo-actions.ts';
import { type Subscription, signingSecrets } from '../subscriptions/subscription.ts';
import { jwtBody, jwtKeyBytes, shipmondoHeaders } from './jwt-payload.ts';
import { webhookHeaders } from './signing.ts';
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
 * The reference platform's form: `{"data":"<JWT>"}` and its `SMD-*` headers. An event type the reference has
 * no name for (the test event; the verification at creation, which has none) carries the resource and action of
 * the subscription's first selected type.
 */
function jwtEncoded(
  subscription: Subscription,
  envelope: Record<string, unknown>,
  eventType: string,
): EncodedBody {
  if (subscription.jwtKey === undefined) throw new TypeError(`Webhook ${subscription.id} has no JWT key`);
  const named = shipmondoActionOf(eventType) ?? shipmondoActionOfSelection(subscription.events);
  return {
    body: jwtBody(jwtKeyBytes(subscription.jwtKey), {
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
 * The body of a webhook in the subscription's format (a `jwt` one's key open), and its format's headers, unsigned.
 * Throws XmlPayloadError for an envelope with no XML form.
 */
export function webhookBody(subscription: Subscription, content: WebhookContent): EncodedBody {
  switch (subscription.format) {
    case 'xml':
      return { body: toXml(JSON.parse(content.body)), contentType: xmlContentType, headers: {} };
    case 'jwt':
      return jwtEncoded(subscription, JSON.parse(content.body), content.eventType);
    default:
      return { body: content.body, contentType: 'application/json', headers: {} };
  }
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
 * The request for one attempt: the body in the subscription's format, its own headers, the format's, and the
 * Standard Webhooks headers signed with its current secrets (`subscription` holds them, and its JWT key, open).
 */
export function webhookRequest(
  subscription: Subscription,
  content: WebhookContent,
  now: Date,
): WebhookRequest {
  const encoded = webhookBody(subscription, content);
  return requestOf(
    subscription,
    encoded,
    webhookHeaders(signingSecrets(subscription, now), {
      id: content.id,
      timestamp: Math.floor(now.getTime() / 1000),
      body: encoded.body,
    }),
  );
}
