import type { GenericLogger } from '@aws-lambda-powertools/commons/types';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AttemptErrorKind, AttemptOutcome } from '../egress/attempt.ts';
import { deliveryMetrics } from '../platform.ts';

/** A delivery lane, as the `Lane` dimension names it. */
export type MetricsLane = (typeof deliveryMetrics.lanes)[number];

/** The counts of what happened to endpoints, published only when not 0, by their names in platform.ts. */
type EndpointCount =
  | 'endpointsSlowed'
  | 'endpointsRestored'
  | 'circuitsOpened'
  | 'circuitsClosed'
  | 'circuitProbes'
  | 'deliveriesHeld'
  | 'deliveriesThrottled'
  | 'newConnections';

/** In the order their metrics are written. */
const endpointCounts: readonly EndpointCount[] = [
  'endpointsSlowed',
  'endpointsRestored',
  'circuitsOpened',
  'circuitsClosed',
  'circuitProbes',
  'deliveriesHeld',
  'deliveriesThrottled',
  'newConnections',
];

/** What one lane saw during an invocation. */
interface LaneTally {
  attempts: number;
  successes: number;
  failures: Map<AttemptErrorKind, number>;
  latenciesMs: number[];
  deliveriesFailed: number;
  movedToSlowLane: number;
  endpoints: Record<EndpointCount, number>;
  setupMs: number[];
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

/** A time as a metric value: whole milliseconds, never negative. */
const wholeMs = (ms: number) => Math.max(0, Math.round(ms));

/**
 * Counts a delivery function's attempts and what happened to its endpoints during one invocation, and publishes
 * them as embedded metrics (Powertools Metrics, names and dimensions from `deliveryMetrics` of platform.ts), each
 * with its `Lane`. Per lane one EMF line with attempts, successes, failures, every attempt's latency, deliveries
 * failed for good and moves to the slow lane, and the endpoints' counts (lane moves, circuits opened and closed,
 * probes, deliveries held and throttled, new connections); then the connections' setup times; then one line per
 * error kind seen, with that kind's failures. The attempt counts are published with their zeros (a lane that
 * made attempts says how many failed, even none), which keeps rates well defined; the endpoints' counts only
 * when not 0, as most invocations have none of them and a sum needs no zeros.
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
        endpoints: Object.fromEntries(endpointCounts.map((name) => [name, 0])) as Record<
          EndpointCount,
          number
        >,
        setupMs: [],
      };
      this.tallies.set(lane, tally);
    }
    return tally;
  }

  /** One attempt: a success when `errorKind` is undefined. */
  public attempt(lane: MetricsLane, latencyMs: number, errorKind: AttemptErrorKind | undefined): void {
    const tally = this.tally(lane);
    tally.attempts += 1;
    tally.latenciesMs.push(wholeMs(latencyMs));
    if (errorKind === undefined) tally.successes += 1;
    else tally.failures.set(errorKind, (tally.failures.get(errorKind) ?? 0) + 1);
  }

  /** A delivery whose last attempt failed (or that can never be sent): it ends `failed` on its record, in no DLQ. */
  public deliveryFailed(lane: MetricsLane): void {
    this.tally(lane).deliveriesFailed += 1;
  }

  /** A delivery moved from the main lane to the slow lane. */
  public movedToSlowLane(lane: MetricsLane): void {
    this.tally(lane).movedToSlowLane += 1;
  }

  /**
   * A subscription moved between lanes by its endpoint's answers (`to` the slow lane, or back to the main one),
   * counted in the lane of the delivery that moved it.
   */
  public endpointMoved(lane: MetricsLane, to: 'slow' | 'main'): void {
    this.count(lane, to === 'slow' ? 'endpointsSlowed' : 'endpointsRestored');
  }

  /** An endpoint's circuit opened: its deliveries are held. */
  public circuitOpened(lane: MetricsLane): void {
    this.count(lane, 'circuitsOpened');
  }

  /** An endpoint's circuit closed, by a probe's (or any attempt's) 2xx. */
  public circuitClosed(lane: MetricsLane): void {
    this.count(lane, 'circuitsClosed');
  }

  /** A probe of an open circuit sent. */
  public circuitProbe(lane: MetricsLane): void {
    this.count(lane, 'circuitProbes');
  }

  /** A delivery held because its endpoint's circuit was open (no attempt used). */
  public held(lane: MetricsLane): void {
    this.count(lane, 'deliveriesHeld');
  }

  /** A delivery that waits for its turn under a rate limit or an endpoint's Retry-After (no attempt used). */
  public throttled(lane: MetricsLane): void {
    this.count(lane, 'deliveriesThrottled');
  }

  /**
   * Connections the sender opened, and the setup time (DNS, TCP, TLS) of each it kept; nothing when it opened
   * none.
   */
  public connections(lane: MetricsLane, stats: { opened: number; setupMs: readonly number[] }): void {
    if (stats.opened <= 0) return;
    const tally = this.tally(lane);
    tally.endpoints.newConnections += stats.opened;
    for (const ms of stats.setupMs) tally.setupMs.push(wholeMs(ms));
  }

  private count(lane: MetricsLane, name: EndpointCount): void {
    this.tally(lane).endpoints[name] += 1;
  }

  /** Writes what was counted since the last call as EMF lines to stdout, and starts counting afresh. */
  public publish(): void {
    const m = this.metrics;
    try {
      for (const [lane, tally] of this.tallies) {
        let failures = 0;
        for (const count of tally.failures.values()) failures += count;
        const attempted = tally.attempts + tally.deliveriesFailed + tally.movedToSlowLane > 0;
        this.publishLines(lane, names.attemptLatency, tally.latenciesMs, () => {
          if (attempted) {
            m.addMetric(names.attempts, MetricUnit.Count, tally.attempts);
            m.addMetric(names.successes, MetricUnit.Count, tally.successes);
            m.addMetric(names.failures, MetricUnit.Count, failures);
            m.addMetric(names.deliveriesFailed, MetricUnit.Count, tally.deliveriesFailed);
            m.addMetric(names.movedToSlowLane, MetricUnit.Count, tally.movedToSlowLane);
          }
          for (const name of endpointCounts) {
            const count = tally.endpoints[name];
            if (count > 0) m.addMetric(names[name], MetricUnit.Count, count);
          }
        });
        if (tally.setupMs.length > 0) {
          this.publishLines(lane, names.connectionSetupTime, tally.setupMs, () => {});
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

  /**
   * The lane's lines of one metric with many values: `first` adds the counts to the first line. EMF takes at most
   * 100 values per metric and line, so the values go in lines of 100, each line with the lane's dimension, and
   * they are added last: Powertools publishes a line itself as soon as a metric reaches 100 values.
   */
  private publishLines(
    lane: MetricsLane,
    name: string,
    valuesMs: readonly number[],
    first: () => void,
  ): void {
    const m = this.metrics;
    const lines = Math.max(1, Math.ceil(valuesMs.length / maxValuesPerLine));
    for (let line = 0; line < lines; line += 1) {
      m.addDimension(dimensions.lane, lane);
      if (line === 0) first();
      const start = line * maxValuesPerLine;
      for (const value of valuesMs.slice(start, start + maxValuesPerLine)) {
        m.addMetric(name, MetricUnit.Milliseconds, value);
      }
      if (m.hasStoredMetrics()) m.publishStoredMetrics();
      else m.clearDimensions();
    }
  }
}
