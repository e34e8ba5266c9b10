/**
 * When to try a failed delivery again. The schedule spans about a day (5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
 * 10 h: eight attempts in all), each wait spread by +-20 % jitter so that a receiver coming back up is not
 * hit by every retry at once. Waits stay under SQS's 12 h visibility limit.
 */
export const retryScheduleSeconds: readonly number[] = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];

/** Attempts in all: the first one plus one per retry. */
export const maxAttempts = retryScheduleSeconds.length + 1;

const jitter = 0.2;
/** SQS's bound on a message's visibility timeout, which is how a retry waits. */
const maxWaitSeconds = 12 * 3600 - 60;
/** The longest a receiver's `Retry-After` may stretch a wait. */
export const retryAfterMaxSeconds = 6 * 3600;

/**
 * Seconds to wait before the attempt after `attempt` (1-based), or undefined when it was the last. A
 * `Retry-After` from a 429 or 503 can lengthen the schedule's wait (up to {@link retryAfterMaxSeconds}) but never
 * shorten it, so a receiver answering `Retry-After: 1` cannot burn a day's attempts in seconds.
 */
export function nextRetryDelaySeconds(
  attempt: number,
  retryAfterSeconds?: number,
  random: () => number = Math.random,
): number | undefined {
  const base = retryScheduleSeconds[attempt - 1];
  if (base === undefined) return undefined;
  const spread = base * jitter * (2 * random() - 1);
  const scheduled = Math.min(Math.max(1, Math.round(base + spread)), maxWaitSeconds);
  if (retryAfterSeconds === undefined) return scheduled;
  return Math.max(scheduled, Math.min(retryAfterSeconds, retryAfterMaxSeconds));
}

/**
 * Seconds from a `Retry-After` header: delta-seconds or an HTTP date; undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}
