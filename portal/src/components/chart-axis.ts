import { formatDay, formatTime } from '../format.ts';

/** A label of the chart's time axis: which hour it stands under, its time, and its date where one is needed. */
export interface HourLabel {
  readonly index: number;
  readonly time: string;
  /** The date, on the first label and on each whose day is not the label's before it; otherwise undefined. */
  readonly day: string | undefined;
}

/**
 * The labels of hours starting at `starts`, one every `every` hours counted back from the last (the hour now
 * is in, where the newest attempts are). Each says its time; the first, and each after a change of day, say
 * the date too, so that 24 hours across midnight read as two days rather than as one with its hours out of order.
 */
export function hourLabels(starts: readonly Date[], every: number): HourLabel[] {
  const labels: HourLabel[] = [];
  let previousDay: string | undefined;
  const last = starts.length - 1;
  for (const [index, start] of starts.entries()) {
    if ((last - index) % every !== 0) continue;
    const day = formatDay(start);
    labels.push({ index, time: formatTime(start), day: day === previousDay ? undefined : day });
    previousDay = day;
  }
  return labels;
}

/** A label on one line, as the table of the chart's numbers has it: "7 Dec, 10:00", or "11:00" on the same day. */
export const inOneLine = (label: HourLabel): string =>
  label.day === undefined ? label.time : `${label.day}, ${label.time}`;
