import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { attemptErrorKind, DeliveryMetrics } from '#core/deliveries/delivery-metrics.ts';

/** An EMF line as CloudWatch reads it. */
interface EmfLine {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit: string }[];
    }[];
  };
  readonly [key: string]: unknown;
}

let written: string[];
let warnings: string[];

beforeEach(() => {
  written = [];
  warnings = [];
  // Powertools writes EMF through a Console of its own on process.stdout (unless POWERTOOLS_DEV is set).
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  vi.stubEnv('POWERTOOLS_DEV', 'false');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const logger = {
  debug: () => {},
  info: () => {},
  warn: (...args: unknown[]) => {
    warnings.push(args.map(String).join(' '));
  },
  error: (...args: unknown[]) => {
    warnings.push(args.map(String).join(' '));
  },
};

const lines = (): EmfLine[] =>
  written
    .join('')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as EmfLine);

/** A line's metric names with units, its dimension sets and the values of its dimensions and metrics. */
function describeLine(line: EmfLine) {
  const [directive] = line._aws.CloudWatchMetrics;
  const { _aws, ...values } = line;
  return {
    namespace: directive?.Namespace,
    dimensions: directive?.Dimensions,
    units: Object.fromEntries((directive?.Metrics ?? []).map((metric) => [metric.Name, metric.Unit])),
    values,
  };
}

describe('DeliveryMetrics', () => {
  it('publishes one EMF line per lane with the counts and latencies, and one per error kind', () => {
    const metrics = new DeliveryMetrics(logger);
    metrics.attempt('main', 120, undefined);
    metrics.attempt('main', 80.4, undefined);
    metrics.attempt('main', 1001, 'slow_endpoint');
    metrics.movedToSlowLane('main');
    metrics.attempt('main', 35, 'http_status');
    metrics.attempt('main', 40, 'http_status');
    metrics.deliveryFailed('main');

    metrics.publish();

    expect(lines().map(describeLine)).toEqual([
      {
        namespace: 'Hookbridge',
        dimensions: [['service', 'Lane']],
        units: {
          DeliveryAttempts: 'Count',
          DeliverySuccesses: 'Count',
          DeliveryFailures: 'Count',
          DeliveriesFailed: 'Count',
          MovedToSlowLane: 'Count',
          AttemptLatency: 'Milliseconds',
        },
        values: {
          service: 'delivery',
          Lane: 'main',
          DeliveryAttempts: 5,
          DeliverySuccesses: 2,
          DeliveryFailures: 3,
          DeliveriesFailed: 1,
          MovedToSlowLane: 1,
          AttemptLatency: [120, 80, 1001, 35, 40],
        },
      },
      {
        namespace: 'Hookbridge',
        dimensions: [['service', 'Lane', 'ErrorKind']],
        units: { DeliveryFailures: 'Count' },
        values: { service: 'delivery', Lane: 'main', ErrorKind: 'slow_endpoint', DeliveryFailures: 1 },
      },
      {
        namespace: 'Hookbridge',
        dimensions: [['service', 'Lane', 'ErrorKind']],
        units: { DeliveryFailures: 'Count' },
        values: { service: 'delivery', Lane: 'main', ErrorKind: 'http_status', DeliveryFailures: 2 },
      },
    ]);
    expect(warnings).toEqual([]);
  });

  it('keeps lanes apart, publishes zeros for a lane that made attempts, and starts afresh after publishing', () => {
    const metrics = new DeliveryMetrics(logger);
    metrics.attempt('slow', 9000, undefined);
    metrics.publish();
    metrics.publish();

    expect(lines().map((line) => describeLine(line).values)).toEqual([
      {
        service: 'delivery',
        Lane: 'slow',
        DeliveryAttempts: 1,
        DeliverySuccesses: 1,
        DeliveryFailures: 0,
        DeliveriesFailed: 0,
        MovedToSlowLane: 0,
        AttemptLatency: 9000,
      },
    ]);
    expect(warnings).toEqual([]);
  });

  it('writes nothing, and warns of nothing, for an invocation that attempted nothing', () => {
    new DeliveryMetrics(logger).publish();

    expect(written).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('splits more than 100 latencies over lines of 100 values, each with its lane', () => {
    const metrics = new DeliveryMetrics(logger);
    for (let i = 0; i < 250; i += 1) metrics.attempt('main', i, undefined);

    metrics.publish();

    const published = lines().map(describeLine);
    expect(
      published.map((line) => [line.values.Lane, (line.values.AttemptLatency as number[]).length]),
    ).toEqual([
      ['main', 100],
      ['main', 100],
      ['main', 50],
    ]);
    expect(published[0]?.values.DeliveryAttempts).toBe(250);
    expect(published.slice(1).map((line) => line.values.DeliveryAttempts)).toEqual([undefined, undefined]);
    expect(published.flatMap((line) => line.values.AttemptLatency as number[])).toEqual(
      Array.from({ length: 250 }, (_, i) => i),
    );
    expect(warnings).toEqual([]);
  });

  it("publishes what happened to the lane's endpoints beside its attempts, then the connections' setup times", () => {
    const metrics = new DeliveryMetrics(logger);
    metrics.attempt('main', 3001, 'slow_endpoint');
    metrics.movedToSlowLane('main');
    metrics.endpointMoved('main', 'slow');
    metrics.circuitOpened('main');
    metrics.circuitProbe('main');
    metrics.circuitProbe('main');
    metrics.circuitClosed('main');
    metrics.held('main');
    metrics.held('main');
    metrics.throttled('main');
    metrics.connections('main', { opened: 2, setupMs: [35.6, 120] });

    metrics.publish();

    expect(lines().map(describeLine)).toEqual([
      {
        namespace: 'Hookbridge',
        dimensions: [['service', 'Lane']],
        units: {
          DeliveryAttempts: 'Count',
          DeliverySuccesses: 'Count',
          DeliveryFailures: 'Count',
          DeliveriesFailed: 'Count',
          MovedToSlowLane: 'Count',
          EndpointsMovedToSlowLane: 'Count',
          CircuitsOpened: 'Count',
          CircuitsClosed: 'Count',
          CircuitProbes: 'Count',
          DeliveriesHeld: 'Count',
          DeliveriesThrottled: 'Count',
          NewConnections: 'Count',
          AttemptLatency: 'Milliseconds',
        },
        values: {
          service: 'delivery',
          Lane: 'main',
          DeliveryAttempts: 1,
          DeliverySuccesses: 0,
          DeliveryFailures: 1,
          DeliveriesFailed: 0,
          MovedToSlowLane: 1,
          EndpointsMovedToSlowLane: 1,
          CircuitsOpened: 1,
          CircuitsClosed: 1,
          CircuitProbes: 2,
          DeliveriesHeld: 2,
          DeliveriesThrottled: 1,
          NewConnections: 2,
          AttemptLatency: 3001,
        },
      },
      {
        namespace: 'Hookbridge',
        dimensions: [['service', 'Lane']],
        units: { ConnectionSetupTime: 'Milliseconds' },
        values: { service: 'delivery', Lane: 'main', ConnectionSetupTime: [36, 120] },
      },
      {
        namespace: 'Hookbridge',
        dimensions: [['service', 'Lane', 'ErrorKind']],
        units: { DeliveryFailures: 'Count' },
        values: { service: 'delivery', Lane: 'main', ErrorKind: 'slow_endpoint', DeliveryFailures: 1 },
      },
    ]);
    expect(warnings).toEqual([]);
  });

  it('publishes only the endpoint counts of a lane that made no attempt, each only when not 0', () => {
    const metrics = new DeliveryMetrics(logger);
    metrics.held('slow');
    metrics.throttled('slow');
    metrics.endpointMoved('slow', 'main');

    metrics.publish();

    expect(lines().map((line) => describeLine(line).values)).toEqual([
      {
        service: 'delivery',
        Lane: 'slow',
        EndpointsMovedToMainLane: 1,
        DeliveriesHeld: 1,
        DeliveriesThrottled: 1,
      },
    ]);
    expect(warnings).toEqual([]);
  });

  it('writes nothing for connections when none was opened', () => {
    const metrics = new DeliveryMetrics(logger);
    metrics.connections('main', { opened: 0, setupMs: [] });

    metrics.publish();

    expect(written).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('splits more than 100 setup times over lines of 100 values, each with its lane', () => {
    const metrics = new DeliveryMetrics(logger);
    metrics.connections('slow', { opened: 250, setupMs: Array.from({ length: 250 }, (_, i) => i) });

    metrics.publish();

    const published = lines().map((line) => describeLine(line).values);
    expect(published[0]).toEqual({ service: 'delivery', Lane: 'slow', NewConnections: 250 });
    expect(
      published.slice(1).map((line) => [line.Lane, (line.ConnectionSetupTime as number[]).length]),
    ).toEqual([
      ['slow', 100],
      ['slow', 100],
      ['slow', 50],
    ]);
    expect(published.slice(1).flatMap((line) => line.ConnectionSetupTime as number[])).toEqual(
      Array.from({ length: 250 }, (_, i) => i),
    );
    expect(warnings).toEqual([]);
  });

  it('writes nothing when POWERTOOLS_METRICS_DISABLED is true, as the sandbox sets it', () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    const metrics = new DeliveryMetrics(logger);
    metrics.attempt('main', 12, 'timeout');
    metrics.deliveryFailed('main');

    metrics.publish();

    expect(written).toEqual([]);
    expect(warnings).toEqual([]);
  });
});

describe('attemptErrorKind', () => {
  const response = (statusCode: number) =>
    ({ kind: 'response', statusCode, excerpt: '', latencyMs: 5, setupMs: 0 }) as const;
  const error = {
    kind: 'error',
    errorKind: 'timeout',
    error: 'timed out',
    latencyMs: 1000,
    setupMs: 0,
  } as const;

  it('names the error kind the attempt record gets', () => {
    expect(attemptErrorKind(response(204), false)).toBeUndefined();
    expect(attemptErrorKind(response(302), false)).toBe('http_status');
    expect(attemptErrorKind(response(503), false)).toBe('http_status');
    expect(attemptErrorKind(error, false)).toBe('timeout');
    expect(attemptErrorKind(error, true)).toBe('slow_endpoint');
  });
});
