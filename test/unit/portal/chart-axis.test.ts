import { describe, expect, it } from 'vitest';
import { hourLabels, inOneLine } from '../../../portal/src/components/chart-axis.ts';
import { formatDay, formatTime } from '../../../portal/src/format.ts';

/** 24 hours from 14:00 on 6 December, local time: they cross midnight. */
const starts = Array.from({ length: 24 }, (_, hour) => new Date(2026, 11, 6, 14 + hour));

describe('the chart’s time axis', () => {
  it('labels the latest hour (the one now is in), and every sixth before it', () => {
    // The hour of 13:00 on 7 December is the chart's last: its bar, the newest, has its label under it.
    expect(hourLabels(starts, 6).map((label) => label.index)).toEqual([5, 11, 17, 23]);
    expect(hourLabels(starts, 6).at(-1)?.time).toBe(formatTime(new Date(2026, 11, 7, 13)));
    expect(hourLabels(starts, 12).map((label) => label.index)).toEqual([11, 23]);
  });

  it('dates its first label and the first after midnight; the others give the time alone', () => {
    expect(hourLabels(starts, 6)).toEqual([
      { index: 5, time: formatTime(new Date(2026, 11, 6, 19)), day: formatDay(new Date(2026, 11, 6)) },
      { index: 11, time: formatTime(new Date(2026, 11, 7, 1)), day: formatDay(new Date(2026, 11, 7)) },
      { index: 17, time: formatTime(new Date(2026, 11, 7, 7)), day: undefined },
      { index: 23, time: formatTime(new Date(2026, 11, 7, 13)), day: undefined },
    ]);
    expect(formatDay(new Date(2026, 11, 6))).toMatch(/6/);
  });

  it('labels every hour for the table, dating the first and midnight, on one line', () => {
    const rows = hourLabels(starts, 1);
    expect(rows).toHaveLength(24);
    expect(rows.filter((row) => row.day !== undefined).map((row) => row.index)).toEqual([0, 10]);
    expect(rows.slice(10, 12).map(inOneLine)).toEqual([
      `${formatDay(new Date(2026, 11, 7))}, ${formatTime(new Date(2026, 11, 7, 0))}`,
      formatTime(new Date(2026, 11, 7, 1)),
    ]);
  });

  it('dates the only label of a chart too narrow for more: the latest hour’s', () => {
    expect(hourLabels(starts, 24)).toEqual([
      { index: 23, time: formatTime(new Date(2026, 11, 7, 13)), day: formatDay(new Date(2026, 11, 7)) },
    ]);
  });
});
