import { describe, expect, it } from 'vitest';
import {
  maxAttempts,
  nextRetryDelaySeconds,
  parseRetryAfter,
  retryAfterMaxSeconds,
  retryScheduleSeconds,
} from '#core/delivery/retry-policy.ts';

describe('retry policy', () => {
  it('follows the reference schedule when jitter is neutral', () => {
    const waits = retryScheduleSeconds.map((_, index) =>
      nextRetryDelaySeconds(index + 1, undefined, () => 0.5),
    );

    expect(waits).toEqual([5, 300, 1800, 7200, 18_000, 36_000, 36_000]);
    expect(maxAttempts).toBe(8);
  });

  it('spreads each wait by at most 20 % either way', () => {
    expect(nextRetryDelaySeconds(2, undefined, () => 0)).toBe(240);
    expect(nextRetryDelaySeconds(2, undefined, () => 1)).toBe(360);
  });

  it('spans about a day and keeps every wait under the 12 h SQS visibility limit', () => {
    const total = retryScheduleSeconds.reduce((sum, wait) => sum + wait, 0);

    expect(total / 3600).toBeGreaterThan(24);
    expect(total / 3600).toBeLessThan(30);
    for (let attempt = 1; attempt < maxAttempts; attempt++) {
      expect(nextRetryDelaySeconds(attempt, undefined, () => 1)).toBeLessThan(12 * 3600);
    }
  });

  it('stops after the last attempt', () => {
    expect(nextRetryDelaySeconds(maxAttempts)).toBeUndefined();
  });

  it('lets Retry-After lengthen a wait, up to 6 h, but never shorten it', () => {
    const neutral = () => 0.5;

    expect(nextRetryDelaySeconds(1, 120, neutral)).toBe(120);
    expect(nextRetryDelaySeconds(1, 0, neutral)).toBe(5);
    expect(nextRetryDelaySeconds(2, 1, neutral)).toBe(300);
    expect(nextRetryDelaySeconds(1, 10 * 24 * 3600, neutral)).toBe(retryAfterMaxSeconds);
    expect(nextRetryDelaySeconds(6, 60, neutral)).toBe(36_000);
    expect(nextRetryDelaySeconds(maxAttempts, 120)).toBeUndefined();
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-27T12:00:00Z');

    expect(parseRetryAfter('30', now)).toBe(30);
    expect(parseRetryAfter('Fri, 27 Nov 2026 12:01:00 GMT', now)).toBe(60);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
