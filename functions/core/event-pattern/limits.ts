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

/**
 * Steps every match may take whatever the sizes (see {@link MATCH_STEPS_PER_UNIT}): enough for any pattern
 * against a small event, about a millisecond of work.
 */
export const MATCH_STEPS_BASE = 20_000;

/**
 * Steps a match may take per pattern node and per value or key of the event, on top of {@link MATCH_STEPS_BASE}.
 * A step is a field looked up, an `$or` alternative tried or an array element visited. Lookups cost O(1) (dotted
 * keys are indexed once per event), so a match normally takes about one step per pattern node per event value at
 * that node's path; only a pattern that repeats work across a large array (many `$or` alternatives tried on each
 * of many elements) goes beyond, and is stopped with `MatchBudgetExceededError` instead of running for seconds.
 * With the base, a match of a filter against a 256 KiB webhook body takes at most about 0.6 million steps.
 */
export const MATCH_STEPS_PER_UNIT = 4;
