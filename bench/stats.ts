/** Small statistics and formatting helpers shared by the benchmarks. */

/** The value at percentile `p` (nearest rank) of `values`; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
  );
}

export const median = (values: readonly number[]): number => percentile(values, 50);

/** The median of several runs' figures, with their spread. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function spread(values: readonly number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** A whole number with thousands separators. */
export const int = (value: number): string => Math.round(value).toLocaleString('en-US');

/** A number with `digits` decimals. */
export const fixed = (value: number, digits = 2): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export const ms = (value: number): string => `${int(value)} ms`;

/** `median (min–max)` in a format. */
export const ranged = (values: readonly number[], format: (value: number) => string = int): string => {
  const { median: m, min, max } = spread(values);
  return min === max ? format(m) : `${format(m)} (${format(min)}–${format(max)})`;
};

/** Dollars, to the cent below $10 and to the tenth of a cent below 10 cents. */
export const usd = (value: number): string =>
  `$${value < 0.1 ? value.toFixed(3) : value < 10 ? value.toFixed(2) : value.toFixed(1)}`;

/** Resolves once `done()` holds, checking every `everyMs`; rejects after `timeoutMs`. */
export async function waitFor(
  done: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  everyMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Milliseconds since the epoch, sub-millisecond, comparable between processes on one machine. */
export const now = (): number => performance.timeOrigin + performance.now();

/** The runs each benchmark makes (at least 3): `BENCH_RUNS` overrides. */
export const benchRuns = (fallback: number): number =>
  Math.max(3, Number(process.env.BENCH_RUNS ?? fallback));
