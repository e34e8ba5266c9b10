/**
 * How long a simulated webhook receiver takes to answer: a seeded draw per request, so that a run of tests or
 * benchmarks repeats exactly. Used by the receiver farm (./receiver-farm.ts); kept apart so the sampler can be
 * tested without the network.
 */

/**
 * An answer time: fixed, or log-normal given by its median and 99th percentile. Real endpoints' latencies are
 * skewed (most answers quick, a long tail of slow ones); a log-normal is the usual two-number fit for that.
 */
export type AnswerTime =
  | { readonly fixedMs: number }
  | {
      /** The median answer time, ms. */
      readonly p50Ms: number;
      /** The 99th percentile, ms; at least `p50Ms`. */
      readonly p99Ms: number;
    };

/** The standard normal's 99th percentile: a log-normal's p99 is exp(mu + Z_99 * sigma). */
const normalP99 = 2.326347874;

/**
 * mulberry32: a 32-bit seeded generator of numbers in [0, 1). Small, fast and good enough for test traffic;
 * not for anything that needs unpredictability.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed from a name (FNV-1a), so an endpoint's draws depend on its name, not its place in a list. */
export function seedOf(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/**
 * A function that draws one answer time (ms) per call from `answerTime`, repeatably for a given `seed`.
 * Log-normal: mu = ln(p50), sigma = ln(p99 / p50) / 2.3263, a standard normal drawn by Box-Muller.
 */
export function answerTimeSampler(answerTime: AnswerTime, seed: number): () => number {
  if ('fixedMs' in answerTime) {
    if (!(answerTime.fixedMs >= 0))
      throw new RangeError(`fixedMs must be at least 0, not ${answerTime.fixedMs}`);
    return () => answerTime.fixedMs;
  }
  const { p50Ms, p99Ms } = answerTime;
  if (!(p50Ms > 0 && p99Ms >= p50Ms)) {
    throw new RangeError(`An answer time needs 0 < p50Ms <= p99Ms, not p50Ms ${p50Ms}, p99Ms ${p99Ms}`);
  }
  const mu = Math.log(p50Ms);
  const sigma = Math.log(p99Ms / p50Ms) / normalP99;
  const random = seededRandom(seed);
  return () => Math.exp(mu + sigma * standardNormal(random));
}

/** One standard normal draw (Box-Muller); 1 - u keeps the logarithm's argument in (0, 1]. */
function standardNormal(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
