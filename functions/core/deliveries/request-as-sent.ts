import { sentHeaders } from '../egress/request-headers.ts';
import { standardHeaders } from '../payloads/signing.ts';
import {
  bodyDraft,
  completedBody,
  requestDigest,
  requestOf,
  webhookTimestampOf,
} from '../payloads/webhook-request.ts';
import { XmlPayloadError } from '../payloads/xml-payload.ts';
import type { Subscription } from '../subscriptions/subscription.ts';
import type { AttemptRecord, DeliveryRecord } from './delivery-record.ts';

/**
 * The request a delivery's latest attempt made: as its endpoint got it, or, when that attempt never reached the
 * endpoint (`reachedEndpoint` false), as the platform tried to send it.
 */
export interface RequestAsSent {
  readonly method: 'POST';
  readonly url: string;
  /** Every header it went out with, signatures included (secrets are never in a request). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The attempt it is from (`at`). */
  readonly attemptAt: string;
  /**
   * False when that attempt never wrote its request to a connection (DNS failure, refused, TLS error, no
   * connection in time): the endpoint never got it. Older attempts, which did not record it, count as reached.
   */
  readonly reachedEndpoint: boolean;
  /**
   * True when the rebuilt request has the digest its attempt recorded: byte for byte what was sent. False when
   * its subscription or the platform's version (its user agent) changed since: then it is the request as it
   * would be built now, with the signatures that were sent.
   */
  readonly exact: boolean;
}

/** The latest attempt that made a request (an attempt the address guard stopped, or of unknown outcome, made none). */
function latestSent(record: DeliveryRecord): (AttemptRecord & { signature: string }) | undefined {
  for (let index = record.attempts.length - 1; index >= 0; index--) {
    const attempt = record.attempts[index];
    if (attempt?.signature !== undefined) return { ...attempt, signature: attempt.signature };
  }
  return undefined;
}

/**
 * The request of a delivery's latest attempt, rebuilt without any key by the code that built it
 * (webhook-request.ts) from the subscription and the event's kept body, completed with the signatures the attempt
 * recorded. Undefined when no attempt made a request, the event is no longer kept, the subscription is deleted,
 * or the body cannot be built any more (a subscription now `jwt` whose attempt signed no JWT, or now `xml` for
 * an event with no XML form).
 */
export function requestAsSent(
  record: DeliveryRecord,
  subscription: Subscription | undefined,
  eventBody: string | undefined,
): RequestAsSent | undefined {
  const attempt = latestSent(record);
  if (attempt === undefined || subscription === undefined || eventBody === undefined) return undefined;
  let draft: ReturnType<typeof bodyDraft>;
  try {
    draft = bodyDraft(subscription, { id: record.id, eventType: record.eventType, body: eventBody });
  } catch (error) {
    if (error instanceof XmlPayloadError) return undefined;
    throw error;
  }
  if ('jwtSigningInput' in draft && attempt.jwtSignature === undefined) return undefined;
  const timestamp = webhookTimestampOf(new Date(attempt.at));
  const request = requestOf(
    subscription,
    completedBody(draft, attempt.jwtSignature ?? ''),
    standardHeaders({ id: record.id, timestamp }, attempt.signature),
  );
  return {
    method: 'POST',
    url: request.url,
    headers: sentHeaders(request),
    body: request.body,
    attemptAt: attempt.at,
    reachedEndpoint: attempt.requestWritten !== false,
    exact: requestDigest(request) === attempt.requestDigest,
  };
}

/** What finding a delivery's request needs: its subscription, and its event's kept body. */
export interface RequestAsSentPorts {
  readonly subscription: (accountId: string, id: string) => Promise<Subscription | undefined>;
  readonly events: (ids: readonly string[]) => Promise<readonly { readonly body: string }[]>;
}

/**
 * The request of a delivery's latest attempt (see {@link requestAsSent}): two reads, the subscription and the
 * event, made together, and none when no attempt made a request.
 */
export async function findRequestAsSent(
  record: DeliveryRecord,
  ports: RequestAsSentPorts,
): Promise<RequestAsSent | undefined> {
  if (latestSent(record) === undefined) return undefined;
  const [subscription, [event]] = await Promise.all([
    ports.subscription(record.accountId, record.subscriptionId),
    ports.events([record.eventId]),
  ]);
  return requestAsSent(record, subscription, event?.body);
}
