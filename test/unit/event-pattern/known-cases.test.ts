import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EventBridgeApiError, testEventPattern } from '#sandbox/eventbridge/test-event-pattern.ts';

/** A pattern, an event (the TestEventPattern request members exactly as sent) and the answer a source gives. */
interface KnownCase {
  readonly name: string;
  readonly source: string;
  readonly pattern: string;
  readonly event: string;
  readonly expected:
    | { readonly result: boolean }
    | { readonly error: 'InvalidEventPatternException' | 'ValidationException'; readonly message?: string };
}

/**
 * - aws-recorded-cases.json: cases AWS's own TestEventPattern answered (LocalStack's AWS-validated templates
 *   and snapshots), with AWS's exact message where one was recorded.
 * - documented-cases.json: the Amazon EventBridge User Guide's examples and statements, and the tests of
 *   aws/event-ruler (the matching library behind EventBridge). Ruler's refusals are checked by error code only,
 *   as its messages are not EventBridge's; where the guide gives no sample event, the event is the smallest one
 *   that exercises the stated rule.
 */
const fixtures = [
  { file: 'aws-recorded-cases.json', title: 'cases AWS answered', atLeast: 150 },
  { file: 'documented-cases.json', title: 'the user guide and Ruler’s tests', atLeast: 300 },
];

function outcome(known: KnownCase): { result: boolean } | { error: string; message: string } {
  try {
    return { result: testEventPattern({ Event: known.event, EventPattern: known.pattern }).Result };
  } catch (error) {
    if (error instanceof EventBridgeApiError) return { error: error.code, message: error.message };
    throw error;
  }
}

describe.each(fixtures)('TestEventPattern agrees with $title', ({ file, atLeast }) => {
  const cases = JSON.parse(
    readFileSync(new URL(`../../fixtures/event-patterns/${file}`, import.meta.url), 'utf8'),
  ) as KnownCase[];

  it('has its cases, each with a distinct name', () => {
    expect(cases.length).toBeGreaterThanOrEqual(atLeast);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, known) => {
    const actual = outcome(known);
    const { expected } = known;
    if ('result' in expected) {
      expect(actual).toEqual({ result: expected.result });
    } else if (expected.message === undefined) {
      expect(actual).toMatchObject({ error: expected.error });
    } else {
      expect(actual).toEqual({ error: expected.error, message: expected.message });
    }
  });
});
