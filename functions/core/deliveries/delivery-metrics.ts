import type { GenericLogger } from '@aws-lambda-powertools/commons/types';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AttemptErrorKind, AttemptOutcome } from '../egress/attempt.ts';
import { deliveryMetrics } from '../platform.ts';

/** A delivery lane, as the `Lane` dimension names it. */
export type MetricsLane = (typeof deliveryMetrics.lanes)[number];

/** What one lane saw during an invocation. */
interface LaneTally {
  attempts: number;
  successes: number;
  failures: Map<AttemptErrorKind, number>;
  latenciesMs: number[];
  deliveriesFailed: number;
  movedToSlowLane: number;
}

const { names, dimensions } = deliveryMetrics;

/** The most values one metric may have in one EMF line. */
const maxValuesPerLine = 100;

/**
 * The error kind an attempt's record gets, or `undefined` for a success: a non-2xx answer is `http_status`, an
 * attempt the main lane cut off for taking longer than it waits is `slow_endpoint`.
 */
export function attemptErrorKind(outcome: AttemptOutcome, cutOff: boolean): AttemptErrorKind | undefined {
  if (outcome.kind === 'response') {
    return outcome.statusCode >= 200 && outcome.statusCode < 300 ? undefined : 'http_status';
  }
  return cutOff ? 'slow_endpoint' : outcome.errorKind;
}

/**
 * Counts a delivery function's attempts during one invocation and publishes them as embedded metrics
 * (Powertools Metrics, names and dimensions from `deliveryMetrics` of platform.ts): per lane one EMF line with
 * attempts, successes, failures, every attempt's latency, deliveries failed for good and moves to the slow lane;
 * then one line per error kind seen, with that kind's failures. Counts are sums, so zeros are published too
 * (a lane that made attempts says how many failed, even none), which keeps rates well defined.
 */
export class DeliveryMetrics {
  private readonly tallies = new Map<MetricsLane, LaneTally>();
  private readonly metrics: Metrics;

  /** @param logger where Powertools' own warnings go (e.g. the function's Logger, which honours its level) */
  public constructor(logger?: GenericLogger) {
    this.metrics = new Metrics({
      namespace: deliveryMetrics.namespace,
      serviceName: deliveryMetrics.service,
      ...(logger === undefined ? {} : { logger }),
    });
  }

  private tally(lane: MetricsLane): LaneTally {
    let tally = this.tallies.get(lane);
    if (tally === undefined) {
      tally = {
        attempts: 0,
        successes: 0,
        failures: new Map(),
        latenciesMs: [],
        deliveriesFailed: 0,
        movedToSlowLane: 0,
      };
      this.tallies.set(lane, tally);
    }
    return tally;
  }

  /** One attempt: a success when `errorKind` is undefined. */
  public attempt(lane: MetricsLane, latencyMs: number, errorKind: AttemptErrorKind | undefined): void {
    const tally = this.tally(lane);
    tally.attempts += 1;
    tally.latenciesMs.push(Math.max(0, Math.round(latencyMs)));
    if (errorKind === undefined) tally.successes += 1;
    else tally.failures.set(errorKind, (tally.failures.get(errorKind) ?? 0) + 1);
  }

  /** A delivery whose last attempt failed (or that can never be sent): it ends `failed`, in the DLQ. */
  public deliveryFailed(lane: MetricsLane): void {
    this.tally(lane).deliveriesFailed += 1;
  }

  /** A delivery moved from the main lane to the slow lane. */
  public movedToSlowLane(lane: MetricsLane): void {
    this.tally(lane).movedToSlowLane += 1;
  }

  /** Writes what was counted since the last call as EMF lines to stdout, and starts counting afresh. */
  public publish(): void {
    const m = this.metrics;
    try {
      for (const [lane, tally] of this.tallies) {
        let failures = 0;
        for (const count of tally.failures.values()) failures += count;
        // EMF takes at most 100 values per metric and line: the latencies go in lines of 100, the counts with
        // the first. (Powertools itself publishes a metric that reaches 100 values, dimensions included.)
        const latencyLines = Math.max(1, Math.ceil(tally.latenciesMs.length / maxValuesPerLine));
        for (let line = 0; line < latencyLines; line += 1) {
          m.addDimension(dimensions.lane, lane);
          if (line === 0) {
            m.addMetric(names.attempts, MetricUnit.Count, tally.attempts);
            m.addMetric(names.successes, MetricUnit.Count, tally.successes);
            m.addMetric(names.failures, MetricUnit.Count, failures);
            m.addMetric(names.deliveriesFailed, MetricUnit.Count, tally.deliveriesFailed);
            m.addMetric(names.movedToSlowLane, MetricUnit.Count, tally.movedToSlowLane);
          }
          const start = line * maxValuesPerLine;
          for (const latency of tally.latenciesMs.slice(start, start + maxValuesPerLine)) {
            m.addMetric(names.attemptLatency, MetricUnit.Milliseconds, latency);
          }
          if (m.hasStoredMetrics()) m.publishStoredMetrics();
          else m.clearDimensions();
        }
        for (const [kind, count] of tally.failures) {
          m.addDimension(dimensions.lane, lane);
          m.addDimension(dimensions.errorKind, kind);
          m.addMetric(names.failures, MetricUnit.Count, count);
          m.publishStoredMetrics();
        }
      }
    } finally {
      this.tallies.clear();
    }
  }
}
