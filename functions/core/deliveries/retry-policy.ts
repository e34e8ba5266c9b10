/**
 * When to try a failed delivery again. A schedule is the list of waits between attempts (the platform's default,
 * `settings.retrySchedule` of settings.ts, spans about a day), each spread by +-20 % jitter so that a receiver
 * coming back up is not hit by every retry at once.
 */
import { maxWaitSeconds } from '../settings.ts';

export type RetrySchedule = readonly number[];

const jitter = 0.2;
/** The longest a receiver's `Retry-After` may stretch a wait. */
export const retryAfterMaxSeconds = 6 * 3600;

/** Attempts in all under a schedule: the first one plus one per wait. */
export const attemptsOf = (schedule: RetrySchedule) => schedule.length + 1;

/**
 * Seconds to wait before the attempt after `attempt` (1-based), or undefined when it was the last. A
 * `Retry-After` from a 429 or 503 can lengthen the schedule's wait (up to {@link retryAfterMaxSeconds}) but never
 * shorten it, so a receiver answering `Retry-After: 1` cannot burn a day's attempts in seconds.
 */
export function nextRetryDelaySeconds(
  schedule: RetrySchedule,
  attempt: number,
  retryAfterSeconds?: number,
  random: () => number = Math.random,
): number | undefined {
  const base = schedule[attempt - 1];
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
  if (/^\d{1,9}$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}
