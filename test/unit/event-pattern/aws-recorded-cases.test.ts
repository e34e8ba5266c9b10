import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EventBridgeApiError, testEventPattern } from '#local/eventbridge/test-event-pattern.ts';

/**
 * Patterns and events that AWS's own TestEventPattern answered, with AWS's answer. Each case names where the
 * fact was published (`source`); `pattern` and `event` are the request members exactly as they were sent.
 */
interface RecordedCase {
  readonly name: string;
  readonly source: string;
  readonly pattern: string;
  readonly event: string;
  readonly expected:
    | { readonly result: boolean }
    | { readonly error: 'InvalidEventPatternException' | 'ValidationException'; readonly message?: string };
}

const cases = JSON.parse(
  readFileSync(new URL('../../fixtures/event-patterns/aws-recorded-cases.json', import.meta.url), 'utf8'),
) as RecordedCase[];

function outcome(recorded: RecordedCase): { result: boolean } | { error: string; message: string } {
  try {
    return { result: testEventPattern({ Event: recorded.event, EventPattern: recorded.pattern }).Result };
  } catch (error) {
    if (error instanceof EventBridgeApiError) return { error: error.code, message: error.message };
    throw error;
  }
}

describe('TestEventPattern agrees with AWS on recorded cases', () => {
  it('has cases to check', () => {
    expect(cases.length).toBeGreaterThan(100);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, recorded) => {
    const actual = outcome(recorded);
    const { expected } = recorded;
    if ('result' in expected) {
      expect(actual).toEqual({ result: expected.result });
    } else if (expected.message === undefined) {
      expect(actual).toMatchObject({ error: expected.error });
    } else {
      expect(actual).toEqual({ error: expected.error, message: expected.message });
    }
  });
});
