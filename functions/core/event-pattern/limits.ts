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

/**
 * Most ways a pattern's `$or`s may combine: the number of rules EventBridge's matcher (aws/event-ruler) makes of
 * the pattern, one per pick of an alternative from every `$or` reached. Sibling `$or`s multiply (ten `$or`s of two
 * alternatives make 1,024), alternatives add, a pattern without `$or` makes one. AWS documents no bound; this one
 * refuses the exponential patterns (`$or` bombs) while leaving every pattern a person writes by hand. Counted
 * without building anything, and the matcher never builds the combinations either: it tries an `$or`'s
 * alternatives where the `$or` stands (see {@link MAX_COMBINED_CONDITIONS} for the exception).
 */
export const MAX_OR_COMBINATIONS = 1000;

/**
 * Most conditions the matcher may write out when it must combine `$or` alternatives with conditions outside
 * them, summed over the pattern. That happens only where both constrain fields below one nested object (an
 * array's elements must then satisfy them together, as AWS requires) or the same field (the later condition
 * replaces the earlier one): `{"a": {"x": [1]}, "$or": [{"a": {"y": [1]}}, {"b": [1]}]}` combines into
 * `a.x & a.y | a.x & b`, four conditions. Independent `$or`s (the usual case) combine nothing.
 */
export const MAX_COMBINED_CONDITIONS = 4096;

/** The reason given for a pattern over {@link MAX_OR_COMBINATIONS}. */
export const TOO_MANY_COMBINATIONS = `Pattern is too complex: its $or alternatives combine in more than ${MAX_OR_COMBINATIONS} ways (sibling $or arrays multiply: a match picks one alternative from each)`;

/** The reason given for a pattern over {@link MAX_COMBINED_CONDITIONS}. */
export const TOO_MANY_COMBINED_CONDITIONS = `Pattern is too complex: its $or alternatives that share nested fields with other conditions need more than ${MAX_COMBINED_CONDITIONS} conditions once combined`;
