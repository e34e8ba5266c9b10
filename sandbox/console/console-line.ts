/**
 * The sandbox's console line for one function log record: a delivery attempt as one short line (time, event
 * type, subscription, answer, latency, `webhook-id`, what comes next), other noteworthy records as a short line
 * each, and nothing for the rest (docs/design-notes.md: The sandbox's console).
 */
import { STATUS_CODES } from 'node:http';
import { paint, type Tone } from './colour.ts';
import { type FunctionRecord, isHandBack, type LoggedOutcome, succeeded } from './function-log.ts';
import { printableRecord } from './printable.ts';

/** How to render. */
export interface LineOptions {
  /** ANSI colours (colourWanted decides). */
  readonly colour: boolean;
}

/** What a delivery record says comes next, and in which tone. */
interface Next {
  readonly text: string;
  readonly tone: Tone;
}

/** The delivery handler's records (functions/delivery/handler.ts), by message: what each says comes next. */
const deliveryRecords: Readonly<Record<string, (record: FunctionRecord) => Next>> = {
  'Webhook delivered': () => ({ text: 'delivered', tone: 'good' }),
  'Delivery done': ({ summary = 'done', outcome }) => ({
    text: summary,
    tone: summary.startsWith('failed') ? 'bad' : succeeded(outcome) ? 'good' : 'dim',
  }),
  'Delivery attempt failed; retry scheduled': ({ delaySeconds, waitSeconds }) => ({
    text: `retry in ${duration(delaySeconds ?? waitSeconds ?? 0)}`,
    tone: 'retry',
  }),
  'Delivery moved to the slow lane': ({ outcome, reason }) => ({
    // Without an attempt (a slow-marked subscription), the reason is all there is to say.
    text:
      outcome === undefined && reason !== undefined
        ? `moved to the slow lane: ${reason}`
        : 'moved to the slow lane',
    tone: 'retry',
  }),
  'Delivery failed for good': ({ reason }) => ({
    text: `failed: ${reason ?? 'no reason given'}`,
    tone: 'bad',
  }),
  'Delivery dead-lettered: its processing failed on every receive': ({ reason }) => ({
    text: `dead-lettered: ${reason ?? 'no reason given'}`,
    tone: 'bad',
  }),
  'Delivery held: the endpoint’s circuit is open': () => ({
    text: 'held: its circuit is open',
    tone: 'retry',
  }),
  'Delivery waits for its turn': ({ until }) => ({
    text: until === undefined ? 'waits for its turn' : `waits for its turn until ${clock(until)}`,
    tone: 'dim',
  }),
  'Delivery waits': ({ waitSeconds, reason }) => ({
    text: `waits ${duration(waitSeconds ?? 0)}${reason === undefined ? '' : ` (${reason})`}`,
    tone: 'dim',
  }),
  'Delivery could not be completed; it will be made again': ({ error }) => ({
    text: `platform error, made again: ${error?.message ?? 'unknown'}`,
    tone: 'bad',
  }),
  'Circuit probed': ({ summary = 'probed', outcome }) => ({
    text: summary,
    tone: succeeded(outcome) ? 'good' : 'retry',
  }),
  'Held deliveries released': ({ summary = 'released' }) => ({ text: summary, tone: 'good' }),
};

/**
 * One console line for a function's log record, or undefined for a record not worth a line (an event fanned out
 * to its subscriptions: their delivery lines follow; one already fanned out, met again by a retried batch; a
 * hand-back or a stale probe, which sent no request; the functions' other info and debug records). Every text
 * the record holds is shown {@link printableRecord}: on one line, its control characters escaped.
 */
export function consoleLine(logged: FunctionRecord, { colour }: LineOptions): string | undefined {
  const record = printableRecord(logged);
  // A stale probe (its circuit moved on) sent no request: bookkeeping, and a failing endpoint makes bursts of them.
  if (record.message === 'Circuit probed' && record.outcome === undefined) return undefined;
  // A hand-back sent no request either: the sandbox's pacing, one per waiting message after a restart (the tally
  // still counts each delivery pending).
  if (isHandBack(record)) return undefined;
  const next = deliveryRecords[record.message]?.(record);
  if (next !== undefined) return deliveryLine(record, next, colour);
  const time = paint('dim', clock(record.timestamp), colour);
  if (record.message === 'Event fanned out' && record.deliveries === 0) {
    // The account too: an event published for another account than the subscriptions' matches none of them.
    const account = record.accountId === undefined ? '' : ` of ${record.accountId}`;
    const event = record.eventId === undefined ? '' : ` (event ${record.eventId})`;
    const text = `matched no subscription${account}${event}`;
    return `${time}  ${column(record.type ?? 'event', 16)}  ${paint('dim', text, colour)}`;
  }
  const level = record.level.toUpperCase();
  const tone: Tone | undefined =
    level === 'WARN' ? 'retry' : level === 'ERROR' || level === 'CRITICAL' ? 'bad' : undefined;
  if (tone === undefined) return undefined;
  const reason = record.reason === undefined ? '' : `: ${record.reason}`;
  const error =
    record.error === undefined ? '' : ` (${record.error.name ?? 'Error'}: ${record.error.message ?? ''})`;
  const text = `${record.service ?? 'function'}: ${record.message}${reason}${error}`;
  return `${time}  ${paint(tone, level.padEnd(5), colour)}  ${text}`;
}

function deliveryLine(record: FunctionRecord, next: Next, colour: boolean): string {
  const { outcome } = record;
  // A probe carries its held delivery's event type, but what a reader must see is that it was a probe.
  const what = record.message === 'Circuit probed' ? 'circuit probe' : (record.eventType ?? 'circuit');
  const subscription = record.subscriptionName ?? record.subscriptionId ?? '?';
  const latency = outcome?.latencyMs === undefined ? '' : `${outcome.latencyMs} ms`;
  return [
    paint('dim', clock(record.timestamp), colour),
    column(what, 16),
    `→ ${column(subscription, 14)}`,
    paint(succeeded(outcome) ? 'good' : next.tone, answerOf(outcome).padEnd(answerWidth), colour),
    latency.padStart(7),
    paint(next.tone, next.text, colour),
    // Last, whole: it is 50 characters, and a reader copies it to find the delivery (GET /v1/deliveries/{id}).
    paint('dim', record.deliveryId ?? '', colour),
  ]
    .filter((part) => part.trim() !== '')
    .join('  ');
}

/** The width of the answer's column: `401 Unauthorized`, `connection_refused` (the longest error kind). */
const answerWidth = 18;

/**
 * The answer: its status with its reason phrase when both fit the column (`200 OK`, `404 Not Found`), else the
 * status alone (`503`); or the error's kind (`timeout`, `blocked_address`); empty when no attempt was made.
 */
function answerOf(outcome: LoggedOutcome | undefined): string {
  if (outcome === undefined) return '';
  if (outcome.statusCode === undefined) return outcome.errorKind ?? 'error';
  const phrased = `${outcome.statusCode} ${STATUS_CODES[outcome.statusCode] ?? ''}`.trim();
  return phrased.length <= answerWidth ? phrased : String(outcome.statusCode);
}

/** `12:04:31.207`, local time, from a record's ISO timestamp (as it is, if it is not one). */
export function clock(timestamp: string): string {
  const at = new Date(timestamp);
  if (Number.isNaN(at.getTime())) return timestamp;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}.${String(at.getMilliseconds()).padStart(3, '0')}`;
}

/** `30s`, `5m`, `5m 30s`, `2h 5m`: a wait as a reader says it. */
function duration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole}s`;
  const [big, small, units] =
    whole < 3600
      ? [Math.floor(whole / 60), whole % 60, ['m', 's']]
      : [Math.floor(whole / 3600), Math.floor((whole % 3600) / 60), ['h', 'm']];
  return small === 0 ? `${big}${units[0]}` : `${big}${units[0]} ${small}${units[1]}`;
}

/** `text` in a column of `width` characters: padded, or cut with an ellipsis past half as much again. */
function column(text: string, width: number): string {
  const widest = Math.round(width * 1.5);
  return text.length > widest ? `${text.slice(0, widest - 1)}…` : text.padEnd(width);
}
