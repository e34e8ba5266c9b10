import { describe, expect, it } from 'vitest';
import {
  attemptsOf,
  nextRetryDelaySeconds,
  parseRetryAfter,
  retryAfterMaxSeconds,
} from '#core/deliveries/retry-policy.ts';
import { settings } from '#core/settings.ts';

const schedule = settings.retrySchedule.default;
const neutral = () => 0.5;

describe('retry policy', () => {
  it('follows the reference schedule when jitter is neutral: eight attempts over about 27 hours', () => {
    const waits = schedule.map((_, index) => nextRetryDelaySeconds(schedule, index + 1, undefined, neutral));
    const total = schedule.reduce((sum, wait) => sum + wait, 0);

    expect(waits).toEqual([5, 300, 1800, 7200, 18_000, 36_000, 36_000]);
    expect(attemptsOf(schedule)).toBe(8);
    expect(total / 3600).toBeGreaterThan(24);
    expect(total / 3600).toBeLessThan(30);
  });

  it('spreads each wait by at most 20 % either way', () => {
    expect(nextRetryDelaySeconds(schedule, 2, undefined, () => 0)).toBe(240);
    expect(nextRetryDelaySeconds(schedule, 2, undefined, () => 1)).toBe(360);
  });

  it('stops after the last attempt', () => {
    expect(nextRetryDelaySeconds(schedule, 8)).toBeUndefined();
    expect(nextRetryDelaySeconds([1, 2, 3], 4)).toBeUndefined();
  });

  it('lets Retry-After lengthen a wait, up to 6 h, but never shorten it', () => {
    expect(nextRetryDelaySeconds(schedule, 1, 120, neutral)).toBe(120);
    expect(nextRetryDelaySeconds(schedule, 1, 0, neutral)).toBe(5);
    expect(nextRetryDelaySeconds(schedule, 2, 1, neutral)).toBe(300);
    expect(nextRetryDelaySeconds(schedule, 1, 10 * 24 * 3600, neutral)).toBe(retryAfterMaxSeconds);
    expect(nextRetryDelaySeconds(schedule, 6, 60, neutral)).toBe(36_000);
    expect(nextRetryDelaySeconds(schedule, 8, 120)).toBeUndefined();
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-27T12:00:00Z');

    expect(parseRetryAfter('30', now)).toBe(30);
    expect(parseRetryAfter('Fri, 27 Nov 2026 12:01:00 GMT', now)).toBe(60);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
