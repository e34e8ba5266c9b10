import { describe, expect, it, vi } from 'vitest';
import { LocalEventBuses, type TargetFailure } from '../../sandbox/eventbridge/event-bus.ts';

const entry = {
  EventBusName: 'bus',
  Source: 'shipping.orders',
  DetailType: 'order.created',
  Detail: '{"a":1}',
};

describe('LocalEventBuses routing', () => {
  it('sends a matching event to the rule target, as the JSON EventBridge delivers', () => {
    const delivered: string[] = [];
    const buses = new LocalEventBuses('000000000000', 'us-east-1');
    buses.addBus('bus', [
      {
        name: 'orders',
        description: '',
        eventPattern: { 'detail-type': [{ prefix: 'order.' }] },
        targetQueue: 'fanOut',
        target: (event) => delivered.push(event),
      },
    ]);

    const result = buses.putEvents({ Entries: [entry, { ...entry, DetailType: 'shipment.created' }] });

    expect(result.FailedEntryCount).toBe(0);
    expect(delivered).toHaveLength(1);
    expect(JSON.parse(delivered[0] ?? '{}')).toMatchObject({
      version: '0',
      id: (result.Entries[0] as { EventId: string }).EventId,
      'detail-type': 'order.created',
      source: 'shipping.orders',
      account: '000000000000',
      region: 'us-east-1',
      resources: [],
      detail: { a: 1 },
    });
  });

  it('never fails PutEvents when a target refuses the event, and reports the failure', () => {
    const failures: string[] = [];
    const buses = new LocalEventBuses('000000000000', 'us-east-1', undefined, (failure) =>
      failures.push(`${failure.rule}: ${failure.error.message} (${failure.outcome})`),
    );
    buses.addBus('bus', [
      {
        name: 'orders',
        description: '',
        eventPattern: { source: ['shipping.orders'] },
        targetQueue: 'fanOut',
        target: () => {
          throw new Error('message too long');
        },
      },
    ]);

    const result = buses.putEvents({ Entries: [entry] });

    expect(result).toEqual({ FailedEntryCount: 0, Entries: [{ EventId: expect.any(String) }] });
    expect(failures).toEqual(['orders: message too long (dropped)']);
  });

  it("sends an event its target refuses to the rule's dead-letter queue, with the reason, and counts both as EventBridge does", () => {
    const deadLettered: string[] = [];
    const failures: TargetFailure[] = [];
    const buses = new LocalEventBuses('000000000000', 'us-east-1', undefined, (failure) =>
      failures.push(failure),
    );
    buses.addBus('bus', [
      {
        name: 'orders',
        description: '',
        eventPattern: { source: ['shipping.orders'] },
        target: (event) => {
          if (event.includes('"big"')) throw new Error('message too long');
        },
        deadLetter: (event, refusal) => deadLettered.push(`${refusal.message}: ${JSON.parse(event).id}`),
      },
    ]);

    const result = buses.putEvents({ Entries: [entry, { ...entry, Detail: '{"big":1}' }] });

    const refusedId = (result.Entries[1] as { EventId: string }).EventId;
    expect(result.FailedEntryCount).toBe(0);
    expect(deadLettered).toEqual([`message too long: ${refusedId}`]);
    expect(failures).toEqual([
      expect.objectContaining({ bus: 'bus', rule: 'orders', eventId: refusedId, outcome: 'sentToDlq' }),
    ]);
    expect(buses.ruleMetrics('bus')).toEqual({
      orders: {
        Invocations: 2,
        FailedInvocations: 1,
        InvocationsSentToDlq: 1,
        InvocationsFailedToBeSentToDlq: 0,
      },
    });
  });

  it('answers the EventId of an event that the target and its dead-letter queue both refuse, reports it dropped with both reasons, and counts it', () => {
    const failures: TargetFailure[] = [];
    const buses = new LocalEventBuses('000000000000', 'us-east-1', undefined, (failure) =>
      failures.push(failure),
    );
    buses.addBus('bus', [
      {
        name: 'orders',
        description: '',
        eventPattern: { source: ['shipping.orders'] },
        target: () => {
          throw Object.assign(new Error('Invalid characters found.'), { code: 'InvalidMessageContents' });
        },
        deadLetter: () => {
          throw new Error('Invalid characters found, in the DLQ too.');
        },
      },
    ]);

    const result = buses.putEvents({ Entries: [{ ...entry, Detail: '{"a":"\\ufffe"}' }] });

    const eventId = (result.Entries[0] as { EventId: string }).EventId;
    expect(result).toEqual({ FailedEntryCount: 0, Entries: [{ EventId: expect.any(String) }] });
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      rule: 'orders',
      eventId,
      outcome: 'dropped',
      error: { message: 'Invalid characters found.' },
      deadLetterError: { message: 'Invalid characters found, in the DLQ too.' },
    });
    expect(JSON.parse(failures[0]?.event ?? '{}')).toMatchObject({ id: eventId, detail: { a: '\ufffe' } });
    expect(buses.ruleMetrics('bus').orders).toEqual({
      Invocations: 1,
      FailedInvocations: 1,
      InvocationsSentToDlq: 0,
      InvocationsFailedToBeSentToDlq: 1,
    });
  });

  it('says on stderr that an event nobody took is lost, when nobody else is told', () => {
    const stderr = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const buses = new LocalEventBuses('000000000000', 'us-east-1');
    buses.addBus('bus', [
      {
        name: 'orders',
        eventPattern: { source: ['shipping.orders'] },
        target: () => {
          throw new Error('message too long');
        },
      },
    ]);

    try {
      const result = buses.putEvents({ Entries: [entry] });

      expect(stderr.mock.calls).toEqual([
        [
          expect.stringMatching(
            `^\\[eventbridge\\] EVENT LOST: rule orders could not deliver event ${(result.Entries[0] as { EventId: string }).EventId} \\(Error: message too long\\); the rule has no dead-letter queue$`,
          ),
        ],
      ]);
    } finally {
      stderr.mockRestore();
    }
  });

  it('accepts and drops an event for a bus that does not exist, as EventBridge does, and says so', () => {
    const unknown: string[] = [];
    const buses = new LocalEventBuses('000000000000', 'us-east-1', (bus) => unknown.push(bus));

    const result = buses.putEvents({ Entries: [{ ...entry, EventBusName: 'nope' }] });

    expect(result.FailedEntryCount).toBe(0);
    expect(unknown).toEqual(['nope']);
  });

  it('answers an entry that fails unexpectedly with its own InternalFailure, and puts the others', () => {
    const delivered: string[] = [];
    const failures: string[] = [];
    const buses = new LocalEventBuses(
      '000000000000',
      'us-east-1',
      () => {
        throw new Error('cannot report the unknown bus');
      },
      undefined,
      (index, error) => failures.push(`${index}: ${(error as Error).message}`),
    );
    buses.addBus('bus', [
      {
        name: 'orders',
        description: '',
        eventPattern: { source: ['shipping.orders'] },
        targetQueue: 'fanOut',
        target: (event) => delivered.push(event),
      },
    ]);

    const result = buses.putEvents({ Entries: [entry, { ...entry, EventBusName: 'nope' }, entry] });

    expect(result).toEqual({
      FailedEntryCount: 1,
      Entries: [
        { EventId: expect.any(String) },
        {
          ErrorCode: 'InternalFailure',
          ErrorMessage:
            'The request processing has failed because of an unknown error, exception or failure.',
        },
        { EventId: expect.any(String) },
      ],
    });
    expect(failures).toEqual(['1: cannot report the unknown bus']);
    expect(delivered).toHaveLength(2);
  });

  it('says on stderr, in one line, why an entry failed unexpectedly, when nobody else is told', () => {
    const stderr = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const buses = new LocalEventBuses('000000000000', 'us-east-1', () => {
      throw new RangeError('Maximum call stack size exceeded');
    });

    try {
      const result = buses.putEvents({ Entries: [{ ...entry, EventBusName: 'nope' }] });

      expect(result.FailedEntryCount).toBe(1);
      expect(stderr).toHaveBeenCalledTimes(1);
      expect(stderr.mock.calls[0]?.[0]).toMatch(
        /^\[eventbridge\] PutEvents entry 0 failed inside the sandbox, answered InternalFailure: RangeError: Maximum call stack size exceeded \(at [^\n]+\)$/,
      );
    } finally {
      stderr.mockRestore();
    }
  });
});
