import { InvalidEventPatternError } from './errors.ts';

/** Default EventBridge quota on a rule's event pattern, in characters (adjustable up to 4096 on AWS). */
export const RULE_PATTERN_MAX_LENGTH = 2048;

/**
 * Refuses a rule pattern longer than EventBridge's default quota of 2048 characters. Kept apart from
 * {@link compileEventPattern} because `TestEventPattern` accepts up to 4096 characters and webhook
 * subscription filters have their own limit.
 *
 * @throws InvalidEventPatternError - when the pattern is longer than `maxLength`.
 */
export function assertRulePatternSize(pattern: string, maxLength = RULE_PATTERN_MAX_LENGTH): void {
  if (pattern.length > maxLength) {
    throw new InvalidEventPatternError(
      `Event pattern is ${pattern.length} characters long, more than the maximum of ${maxLength}`,
    );
  }
}
