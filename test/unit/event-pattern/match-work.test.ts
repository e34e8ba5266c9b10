import { describe, expect, it } from 'vitest';
import {
  compileEventPattern,
  MATCH_STEPS_BASE,
  MATCH_STEPS_PER_UNIT,
  MatchBudgetExceededError,
} from '#core/event-pattern/index.ts';
import { lastMatchSteps } from '#core/event-pattern/match.ts';
import { EventBridgeApiError, testEventPattern } from '#sandbox/eventbridge/test-event-pattern.ts';

// Issue 13's hostile shapes: patterns that repeat a lookup in every $or alternative, against events that make
// each lookup expensive (thousands of dotted keys) or many (a long array of objects). The work is counted in
// steps (fields looked up, alternatives tried, array elements visited), never timed.

/** `{"$or": [{"x": [0]}, {"x": [1]}, ...]}`, n alternatives on the same field. */
const orOnX = (n: number) => ({ $or: Array.from({ length: n }, (_, i) => ({ x: [i % 10] })) });

/** An object with n keys `x.<n>`: seen from field `x`, an object of n fields. */
function dottedKeys(n: number, value: unknown = 0): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) object[`x.${i.toString(36)}`] = value;
  return object;
}

function stepsOf(pattern: object, event: unknown): { result: boolean; steps: number } {
  const result = compileEventPattern(JSON.stringify(pattern)).matches(event);
  return { result, steps: lastMatchSteps() };
}

describe('Matching work grows with the pattern and the event, not with their product', () => {
  it('looks a dotted field up in steps independent of how many dotted keys the event holds (190 alternatives)', () => {
    const pattern = { data: orOnX(190) };
    const small = stepsOf(pattern, { type: 'order.created', data: dottedKeys(10) });
    const large = stepsOf(pattern, { type: 'order.created', data: dottedKeys(20_000) });

    // `x` is an object there (20,000 dotted fields), which no value matches, as in AWS.
    expect([small.result, large.result]).toEqual([false, false]);
    expect(large.steps).toBe(small.steps);
    expect(large.steps).toBeLessThanOrEqual(2 * 190 + 2);
  });

  it('takes steps linear in the number of alternatives', () => {
    const event = { data: dottedKeys(5_000) };
    const one = stepsOf({ data: orOnX(100) }, event).steps;
    const two = stepsOf({ data: orOnX(200) }, event).steps;

    expect(two).toBeLessThanOrEqual(2 * one + 2);
  });

  it('still reads dotted keys as nested fields: the alternative on `x.<n>` among 20,000 of them matches', () => {
    const data = { ...dottedKeys(20_000), 'x.zz9': 'hit' };
    const pattern = { data: { $or: [...orOnX(189).$or, { x: { zz9: ['hit'] } }] } };

    expect(stepsOf(pattern, { data })).toEqual({ result: true, steps: expect.any(Number) });
    expect(lastMatchSteps()).toBeLessThanOrEqual(2 * 190 + 4);
  });

  it('matches 20 such patterns against one event (20 subscriptions) in 20 times one match’s steps', () => {
    const event = { data: dottedKeys(20_000) };
    const patterns = Array.from({ length: 20 }, () => compileEventPattern({ data: orOnX(190) }));
    const steps = patterns.map((pattern) => {
      expect(pattern.matches(event)).toBe(false);
      return lastMatchSteps();
    });

    expect(steps).toEqual(Array.from({ length: 20 }, () => steps[0]));
    expect(steps[0]).toBeLessThanOrEqual(2 * 190 + 2);
  });
});

describe('A match has a budget of steps for its sizes, and stops past it', () => {
  // 150 alternatives tried on each of 85,000 empty objects (a 255 KB array): 12.75 million steps unbounded.
  const alternatives = Array.from({ length: 150 }, (_, i) => ({ [`q${i % 10}`]: [1] }));
  const pattern = compileEventPattern({ data: { items: { $or: alternatives } } });
  const event = { data: { items: Array.from({ length: 85_000 }, () => ({})) } };

  it('stops 150 alternatives on each element of an 85,000-element array at its budget, with a named error', () => {
    // The event holds 85,000 elements + the array + data + the root, and 2 keys.
    const budget = MATCH_STEPS_BASE + MATCH_STEPS_PER_UNIT * (pattern.nodes + 85_000 + 3 + 2);

    expect(() => pattern.matches(event)).toThrow(MatchBudgetExceededError);
    expect(lastMatchSteps()).toBe(budget + 1);
  });

  it('matches the same pattern against a short array as AWS does', () => {
    expect(pattern.matches({ data: { items: [{}, { q3: 1 }] } })).toBe(true);
    expect(pattern.matches({ data: { items: [{}, { q3: 2 }] } })).toBe(false);
  });
});

describe('Sandbox TestEventPattern with issue 13’s inputs', () => {
  const envelope = {
    id: '1',
    account: '1',
    source: 's',
    time: '2026-01-01T00:00:00Z',
    region: 'us-east-1',
    'detail-type': 't',
    resources: [],
  };

  it('answers 390 alternatives against a 1 MB event of 100,000 dotted keys in steps linear in the pattern', () => {
    const pattern = `{"detail":{"$or":[${Array.from({ length: 390 }, (_, i) => `{"x":[${i % 10}]}`).join(',')}]}}`;
    const event = JSON.stringify({ ...envelope, detail: dottedKeys(100_000) });

    expect(pattern.length).toBe(3920);
    expect(testEventPattern({ EventPattern: pattern, Event: event })).toEqual({ Result: false });
    expect(lastMatchSteps()).toBeLessThanOrEqual(2 * 390 + 2);
  });

  it('answers LimitExceededException, not a hang, when the match runs out of its budget', () => {
    const alternatives = Array.from({ length: 300 }, (_, i) => `{"q${i % 10}":[1]}`).join(',');
    const pattern = `{"detail":{"items":{"$or":[${alternatives}]}}}`;
    const event = JSON.stringify({
      ...envelope,
      detail: { items: Array.from({ length: 50_000 }, () => ({})) },
    });

    let error: unknown;
    try {
      testEventPattern({ EventPattern: pattern, Event: event });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(EventBridgeApiError);
    expect(error).toMatchObject({ code: 'LimitExceededException', statusCode: 400 });
    expect((error as Error).message).toMatch(
      /^Matching the event against the pattern takes more than \d+ steps/,
    );
  });
});
