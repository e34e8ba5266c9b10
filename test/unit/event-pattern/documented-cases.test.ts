import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EventBridgeApiError, testEventPattern } from '#local/eventbridge/test-event-pattern.ts';

/**
 * Patterns and events taken from the Amazon EventBridge User Guide (its examples and statements) and from the
 * tests of aws/event-ruler, the matching library behind EventBridge, with the outcome each source states.
 * Each case names its source; Ruler's refusals are checked by error code only, as its messages are not
 * EventBridge's. The guide gives patterns and rules more often than sample events: where it gives none, the
 * event is the smallest one that exercises the stated rule, with the envelope fields TestEventPattern requires.
 */
interface DocumentedCase {
  readonly name: string;
  readonly source: string;
  readonly pattern: string;
  readonly event: string;
  readonly expected:
    | { readonly result: boolean }
    | { readonly error: 'InvalidEventPatternException' | 'ValidationException'; readonly message?: string };
}

const cases = JSON.parse(
  readFileSync(new URL('../../fixtures/event-patterns/documented-cases.json', import.meta.url), 'utf8'),
) as DocumentedCase[];

function outcome(documented: DocumentedCase): { result: boolean } | { error: string; message: string } {
  try {
    return { result: testEventPattern({ Event: documented.event, EventPattern: documented.pattern }).Result };
  } catch (error) {
    if (error instanceof EventBridgeApiError) return { error: error.code, message: error.message };
    throw error;
  }
}

describe('TestEventPattern agrees with the user guide and Ruler’s tests', () => {
  it('has cases to check, each with a distinct name', () => {
    expect(cases.length).toBeGreaterThan(150);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, documented) => {
    const actual = outcome(documented);
    const { expected } = documented;
    if ('result' in expected) {
      expect(actual).toEqual({ result: expected.result });
    } else if (expected.message === undefined) {
      expect(actual).toMatchObject({ error: expected.error });
    } else {
      expect(actual).toEqual({ error: expected.error, message: expected.message });
    }
  });
});
