/**
 * A time window as the portal's forms take it: two `datetime-local` values in the browser's time, sent to the
 * API as ISO date-times with the browser's offset (`since` inclusive, `until` exclusive, as the API reads them).
 */

/** A window as its two inputs hold it; '' is an open end. */
export interface TimeWindow {
  readonly from: string;
  readonly to: string;
}

/** No window: everything. */
export const anyTime: TimeWindow = { from: '', to: '' };

const localValue = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::(\d{2})(\.\d{1,3})?)?$/;

/** This browser's offset from UTC in minutes east, at a local time (`new Date(value)` reads it as local). */
const browserOffset = (value: string): number => -new Date(value).getTimezoneOffset();

/**
 * A `datetime-local` value (`2026-12-07T10:30`, the browser's time) as an ISO date-time with the browser's
 * offset at that moment (`2026-12-07T10:30:00+01:00`), which the API takes; undefined when it is not a time
 * (empty, or a day that does not exist). The offset is that of the moment itself, so a window across a change
 * to or from summer time is right at both ends.
 */
export function isoOfLocal(value: string, offsetAt = browserOffset): string | undefined {
  const parts = localValue.exec(value);
  if (parts === null) return undefined;
  const [, day = '', hourMinute = '', seconds = '00', fraction = ''] = parts;
  const asUtc = new Date(`${day}T${hourMinute}:${seconds}${fraction}Z`);
  // The Date rolls 31 February over into March, and refuses hour 25: neither is a time.
  if (Number.isNaN(asUtc.getTime()) || asUtc.toISOString().slice(0, 10) !== day) return undefined;
  const offset = offsetAt(value);
  const pad = (n: number) => String(n).padStart(2, '0');
  const zone = `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return `${day}T${hourMinute}:${seconds}${fraction}${zone}`;
}

/** Whether either end of the window is set. */
export const hasWindow = (window: TimeWindow): boolean => window.from !== '' || window.to !== '';

/** What is wrong with a window, in words, or undefined when the API can be asked. */
export function windowProblem(window: TimeWindow, offsetAt = browserOffset): string | undefined {
  const since = isoOfLocal(window.from, offsetAt);
  const until = isoOfLocal(window.to, offsetAt);
  if (window.from !== '' && since === undefined) return 'Give the “From” time as a date and a time.';
  if (window.to !== '' && until === undefined) return 'Give the “To” time as a date and a time.';
  if (since !== undefined && until !== undefined && Date.parse(since) >= Date.parse(until)) {
    return 'The “From” time must be before the “To” time.';
  }
  return undefined;
}

/** Sets a window's `since` and `until` on a query, leaving out an open end. */
export function setWindow(query: URLSearchParams, window: TimeWindow, offsetAt = browserOffset): void {
  const since = isoOfLocal(window.from, offsetAt);
  const until = isoOfLocal(window.to, offsetAt);
  if (since !== undefined) query.set('since', since);
  if (until !== undefined) query.set('until', until);
}
