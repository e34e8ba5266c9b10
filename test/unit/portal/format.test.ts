import { describe, expect, it } from 'vitest';
import { formatDateTime, platformSentence } from '../../../portal/src/format.ts';

describe('the portal’s words for the platform’s sentences', () => {
  it('writes the moments in a disabled reason as the portal writes times, and ends the sentence', () => {
    const since = '2026-12-05T09:15:00.123Z';
    expect(platformSentence(`No successful delivery since ${since}, for longer than 3 days`)).toBe(
      `No successful delivery since ${formatDateTime(since)}, for longer than 3 days.`,
    );
    expect(platformSentence('No successful delivery since 2026-12-05T09:15:00Z')).not.toContain('T09:15');
    expect(platformSentence('Since 2026-12-05T09:15+01:00, nothing')).toBe(
      `Since ${formatDateTime('2026-12-05T09:15+01:00')}, nothing.`,
    );
  });

  it('keeps a sentence that is ended already, or empty, as it is', () => {
    expect(platformSentence('The endpoint answered 410 Gone.')).toBe('The endpoint answered 410 Gone.');
    expect(platformSentence('Is it gone?  ')).toBe('Is it gone?');
    expect(platformSentence('')).toBe('');
  });
});
