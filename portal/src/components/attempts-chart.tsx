import type { RefObject } from 'preact';
import { useId, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Delivery } from '../api.ts';
import { type Outcome, outcomeOf } from '../format.ts';
import { hourLabels, inOneLine } from './chart-axis.ts';
import { ScrollRegion } from './ui.tsx';

const hours = 24;
const outcomes: readonly { key: Outcome; label: string }[] = [
  { key: 'succeeded', label: 'Succeeded (2xx)' },
  { key: 'http_error', label: 'HTTP error' },
  { key: 'no_answer', label: 'No answer' },
];

/** One hour of the chart: when it starts, and how many attempts ended each way in it. */
export interface HourOfAttempts {
  readonly start: Date;
  readonly counts: Readonly<Record<Outcome, number>>;
}

/** The attempts of these deliveries in the 24 hours before `now`, by hour and outcome, oldest hour first. */
export function attemptsByHour(deliveries: readonly Delivery[], now: Date): HourOfAttempts[] {
  const end = Math.ceil(now.getTime() / 3_600_000) * 3_600_000;
  const start = end - hours * 3_600_000;
  const buckets = Array.from({ length: hours }, (_, index) => ({
    start: new Date(start + index * 3_600_000),
    counts: { succeeded: 0, http_error: 0, no_answer: 0 },
  }));
  for (const delivery of deliveries) {
    for (const attempt of delivery.attempts) {
      const at = Date.parse(attempt.at);
      if (at < now.getTime() - hours * 3_600_000 || at > now.getTime()) continue;
      const bucket = buckets[Math.floor((at - start) / 3_600_000)];
      if (bucket !== undefined) bucket.counts[outcomeOf(attempt)]++;
    }
  }
  return buckets;
}

// The chart is drawn in CSS pixels, at the width it has on the screen, so that its labels keep their size
// (styles.css: 12px) on a phone as on a desktop; a narrow chart labels fewer hours instead. Below the axis,
// two lines: the hours, and under them the date where a day starts, each centred under its hour's bar.
const height = 174;
const top = 12;
const bottom = 38;
const left = 36;
/** The room an hour's label ("10:00 AM", 12px) needs, with a gap before the next one. */
const labelRoom = 66;
/** Room right of the last bar for the half of its label (the hour now is in) that sticks out past it. */
const right = labelRoom / 2;

/** The width of an element on the screen, in CSS pixels, kept current while it changes (a phone turned). */
function useWidth(before: number): [RefObject<HTMLDivElement | null>, number] {
  const element = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(before);
  useLayoutEffect(() => {
    const observed = element.current;
    if (observed === null) return;
    // An element not laid out (hidden, or not yet in the page) measures 0: its last width stays. Each hour
    // keeps at least 3 pixels, so that a bar is at least 1 pixel wide between its gaps.
    const measure = () => {
      const measured = Math.floor(observed.getBoundingClientRect().width);
      if (measured > 0) setWidth(Math.max(left + right + hours * 3, measured));
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(observed);
    return () => observer.disconnect();
  }, []);
  return [element, width];
}

/**
 * The last 24 hours of attempts as stacked bars, one per hour, by outcome, so that a failing endpoint shows at
 * a glance. The picture is described in words (its totals) for screen readers, and its numbers are in a table
 * beside it. Colours differ in lightness as well as hue, and the legend names them.
 */
export function AttemptsChart({ byHour, partial }: { byHour: readonly HourOfAttempts[]; partial: boolean }) {
  const id = useId();
  const [plot, width] = useWidth(720);
  const totals = { succeeded: 0, http_error: 0, no_answer: 0 };
  for (const hour of byHour) for (const { key } of outcomes) totals[key] += hour.counts[key];
  const all = totals.succeeded + totals.http_error + totals.no_answer;
  const peak = Math.max(
    1,
    ...byHour.map((hour) => hour.counts.succeeded + hour.counts.http_error + hour.counts.no_answer),
  );
  const slot = (width - left - right) / hours;
  // Every 6 hours back from the latest where there is room, else every 12 (a phone), else only the latest.
  const every = [6, 12].find((step) => step * slot >= labelRoom) ?? hours;
  const scale = (count: number) => (count / peak) * (height - top - bottom);
  const xOf = (index: number) => left + index * slot + 1;
  /** The middle of an hour's bar (its label's). */
  const middleOf = (index: number) => left + (index + 0.5) * slot;
  const starts = byHour.map((hour) => hour.start);
  const axis = hourLabels(starts, every);
  const rows = hourLabels(starts, 1);
  const summary =
    all === 0
      ? 'No attempts in the last 24 hours.'
      : `${all} attempt${all === 1 ? '' : 's'} in the last 24 hours: ${totals.succeeded} succeeded, ${totals.http_error} got an HTTP error, ${totals.no_answer} got no answer.`;

  return (
    <figure class="chart" aria-labelledby={`${id}-caption`}>
      <figcaption id={`${id}-caption`}>
        {summary}
        {partial ? ' (from the latest 500 deliveries)' : ''}
      </figcaption>
      <div class="chart-plot" ref={plot}>
        <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby={`${id}-title`} class="chart-svg">
          <title id={`${id}-title`}>Attempts per hour, stacked by outcome. {summary}</title>
          <line x1={left} x2={width - right} y1={height - bottom} y2={height - bottom} class="chart-axis" />
          <text x={left - 4} y={top + 4} class="chart-label" text-anchor="end">
            {peak}
          </text>
          <text x={left - 4} y={height - bottom} class="chart-label" text-anchor="end">
            0
          </text>
          {byHour.map((hour, index) => {
            let y = height - bottom;
            const x = xOf(index);
            return (
              <g key={hour.start.getTime()}>
                {outcomes.map(({ key }) => {
                  const size = scale(hour.counts[key]);
                  y -= size;
                  return size > 0 ? (
                    <rect key={key} x={x} y={y} width={slot - 2} height={size} class={`bar bar-${key}`} />
                  ) : null;
                })}
              </g>
            );
          })}
          {axis.map(({ index, time, day }) => (
            <g key={index}>
              <text x={middleOf(index)} y={height - bottom + 16} class="chart-label" text-anchor="middle">
                {time}
              </text>
              {day === undefined ? null : (
                <text x={middleOf(index)} y={height - 4} class="chart-label" text-anchor="middle">
                  {day}
                </text>
              )}
            </g>
          ))}
        </svg>
      </div>
      <ul class="legend">
        {outcomes.map(({ key, label }) => (
          <li key={key}>
            <span class={`swatch bar-${key}`} aria-hidden="true" />
            {label}: {totals[key]}
          </li>
        ))}
      </ul>
      <details class="chart-table">
        <summary>The numbers by hour</summary>
        <ScrollRegion label="Attempts by hour">
          <table>
            <thead>
              <tr>
                <th scope="col">Hour from</th>
                {outcomes.map(({ key, label }) => (
                  <th key={key} scope="col">
                    {label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {byHour.map((hour, index) => (
                <tr key={hour.start.getTime()}>
                  <th scope="row">{rows[index] === undefined ? null : inOneLine(rows[index])}</th>
                  {outcomes.map(({ key }) => (
                    <td key={key}>{hour.counts[key]}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      </details>
    </figure>
  );
}
