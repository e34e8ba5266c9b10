import type { Attempt, Delivery, Subscription } from './api.ts';

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const day = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const time = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** A moment as people read it, e.g. "27 Nov 2026, 10:15:00". */
export const formatDateTime = (iso: string | Date) => dateTime.format(new Date(iso));

/** A day of the year, short, e.g. "7 Dec". */
export const formatDay = (moment: Date) => day.format(moment);

/** An hour of the day, e.g. "10:00". */
export const formatTime = (moment: Date) => time.format(moment);

/** A moment written the ISO way in the platform's words (`2026-12-07T09:00:00.000Z`), with or without seconds. */
const isoMoment = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})/g;

/**
 * A sentence of the platform's (a subscription's `disabled_reason`) as people read it: the moments in it
 * written as the portal writes them elsewhere, and ended with a full stop, so that the portal's next sentence
 * does not run into it.
 */
export function platformSentence(text: string): string {
  const sentence = text.trim().replace(isoMoment, (iso) => formatDateTime(iso));
  return sentence === '' || /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

/** How long ago (or until), e.g. "2 minutes ago". */
export function formatRelative(iso: string, now = Date.now()): string {
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 10) return 'just now';
  if (abs < 45) return relative.format(seconds, 'second');
  if (abs < 45 * 60) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 22 * 3600) return relative.format(Math.round(seconds / 3600), 'hour');
  return relative.format(Math.round(seconds / 86_400), 'day');
}

/** The words for a subscription's status. */
export const statusLabel: Record<Subscription['status'], string> = {
  active: 'Active',
  paused: 'Paused',
  disabled: 'Disabled',
};

/** The words for a subscription's payload format. */
export const payloadFormatLabel: Record<Subscription['format'], string> = {
  json: 'JSON',
  xml: 'XML',
  jwt: 'JWT (Shipmondo)',
};

/** The words for a subscription's ordering. */
export const orderingLabel: Record<Subscription['ordering'], string> = {
  none: 'Any order',
  resource: 'In order per resource',
};

/** The words for a delivery's status. */
export const deliveryStatusLabel: Record<Delivery['status'], string> = {
  pending: 'Pending',
  succeeded: 'Succeeded',
  failed: 'Failed',
  superseded: 'Superseded',
};

const errorLabels: Record<NonNullable<Attempt['error']>, string> = {
  http_status: 'HTTP error',
  timeout: 'Timed out',
  connection_refused: 'Connection refused',
  connection_reset: 'Connection reset',
  dns_failure: 'Name not found',
  blocked_address: 'Address not allowed',
  tls_error: 'TLS error',
  slow_endpoint: 'Too slow, moved to the slow lane',
  network_error: 'Network error',
  outcome_unknown: 'Outcome unknown',
};

/** An attempt's latency: "12 ms", or "Unknown" when its outcome was never recorded. */
export function formatLatency(latencyMs: number | null): string {
  return latencyMs === null ? 'Unknown' : `${Math.round(latencyMs)} ms`;
}

/** What an attempt got: "HTTP 200", "HTTP 500", or the kind of failure without an answer. */
export function attemptResult(attempt: Pick<Attempt, 'status_code' | 'error'>): string {
  if (attempt.status_code !== null) return `HTTP ${attempt.status_code}`;
  return attempt.error === null ? 'No answer' : errorLabels[attempt.error];
}

/** How an attempt ended, for the chart: a 2xx, an HTTP error, or no answer at all. */
export type Outcome = 'succeeded' | 'http_error' | 'no_answer';

export function outcomeOf(attempt: Attempt): Outcome {
  if (attempt.status_code !== null && attempt.status_code >= 200 && attempt.status_code < 300) {
    return 'succeeded';
  }
  return attempt.status_code !== null ? 'http_error' : 'no_answer';
}

/** The words for a trigger of an attempt. */
export const triggerLabel: Record<Attempt['trigger'], string> = {
  event: 'First attempt',
  retry: 'Scheduled retry',
  manual: 'Retried by hand',
  recover: 'Recovery',
};
