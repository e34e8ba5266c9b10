import { productVersion } from '../platform.ts';

/** One POST to send: where, the exact body, its media type, and the headers (signature included). */
export interface WebhookRequest {
  readonly url: string;
  readonly body: string;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** How the platform introduces itself to receivers. */
export const userAgent = `Hookbridge/${productVersion} (webhooks; +https://www.standardwebhooks.com/)`;

/**
 * Every header a webhook request goes out with: its own, then its media type and the platform's user agent, which
 * no subscription header may replace. The sender sends these, and the request view shows these, so the two agree.
 */
export function sentHeaders(webhook: WebhookRequest): Record<string, string> {
  return { ...webhook.headers, 'content-type': webhook.contentType, 'user-agent': userAgent };
}
