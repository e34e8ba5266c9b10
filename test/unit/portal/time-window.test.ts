import { describe, expect, it } from 'vitest';
import { anyTime, isoOfLocal, setWindow, windowProblem } from '../../../portal/src/time-window.ts';

/** Copenhagen in winter and in summer (minutes east of UTC), New York in winter, and India. */
const copenhagen = (value: string) => (value.slice(5, 7) >= '04' && value.slice(5, 7) <= '09' ? 120 : 60);
const newYork = () => -300;
const india = () => 330;

describe('a time window in the browser’s time', () => {
  it('writes a datetime-local value as an ISO time with the browser’s offset at that moment', () => {
    expect(isoOfLocal('2026-12-07T10:30', copenhagen)).toBe('2026-12-07T10:30:00+01:00');
    expect(isoOfLocal('2026-07-01T10:30', copenhagen)).toBe('2026-07-01T10:30:00+02:00');
    expect(isoOfLocal('2026-12-07T10:30:15', newYork)).toBe('2026-12-07T10:30:15-05:00');
    expect(isoOfLocal('2026-12-07T10:30:15.250', india)).toBe('2026-12-07T10:30:15.250+05:30');
    expect(Date.parse(isoOfLocal('2026-12-07T10:30', copenhagen) ?? '')).toBe(
      Date.parse('2026-12-07T09:30:00Z'),
    );
  });

  it('takes the browser’s own offset when none is given', () => {
    const iso = isoOfLocal('2026-12-07T10:30');
    expect(iso).toMatch(/^2026-12-07T10:30:00[+-]\d{2}:\d{2}$/);
    expect(Date.parse(iso ?? '')).toBe(new Date('2026-12-07T10:30').getTime());
  });

  it('is no time for an empty value, a day that does not exist, or an hour past 23', () => {
    expect(isoOfLocal('', copenhagen)).toBeUndefined();
    expect(isoOfLocal('2026-02-31T10:00', copenhagen)).toBeUndefined();
    expect(isoOfLocal('2026-12-07T25:00', copenhagen)).toBeUndefined();
    expect(isoOfLocal('yesterday', copenhagen)).toBeUndefined();
  });

  it('says what is wrong with a time window before asking the API', () => {
    expect(windowProblem(anyTime, copenhagen)).toBeUndefined();
    expect(windowProblem({ ...anyTime, from: '2026-12-07T08:00', to: '2026-12-07T12:00' }, copenhagen)).toBe(
      undefined,
    );
    expect(windowProblem({ ...anyTime, from: '2026-12-07T12:00', to: '2026-12-07T12:00' }, copenhagen)).toBe(
      'The “From” time must be before the “To” time.',
    );
    expect(windowProblem({ ...anyTime, from: '2026-02-31T12:00' }, copenhagen)).toBe(
      'Give the “From” time as a date and a time.',
    );
    expect(windowProblem({ ...anyTime, to: 'soon' }, copenhagen)).toBe(
      'Give the “To” time as a date and a time.',
    );
  });

  it('sets only the ends that are given on a query', () => {
    const query = new URLSearchParams();
    setWindow(query, { from: '2026-12-07T08:00', to: '' }, copenhagen);
    expect(Object.fromEntries(query)).toEqual({ since: '2026-12-07T08:00:00+01:00' });
  });
});
