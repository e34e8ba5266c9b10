/** Prefix of every `InvalidEventPatternException` message that EventBridge returns. */
export const INVALID_PATTERN_PREFIX = 'Event pattern is not valid. Reason: ';

/**
 * A pattern that EventBridge would refuse with `InvalidEventPatternException`.
 *
 * `message` is what AWS returns (`Event pattern is not valid. Reason: ...`, including the
 * `at [Source: ...; line: 1, column: N]` location that AWS's JSON parser appends where it appends one);
 * `reason` is the bare reason without prefix or location, for callers that compare only that part.
 */
export class InvalidEventPatternError extends Error {
  /** The reason alone, e.g. `Unrecognized match type foo`. */
  readonly reason: string;

  constructor(reason: string, location = '', options?: ErrorOptions) {
    super(`${INVALID_PATTERN_PREFIX}${reason}${location}`, options);
    this.name = 'InvalidEventPatternError';
    this.reason = reason;
  }
}

/**
 * A match that would take more steps than its budget (`matchBudget` in match.ts): the pattern and the event together
 * ask for far more work than their sizes justify. The event is neither matched nor refused; the caller decides
 * (fan-out leaves that one subscription out, the sandbox's `TestEventPattern` answers an error).
 */
export class MatchBudgetExceededError extends Error {
  /** The steps the match was allowed. */
  readonly budget: number;

  constructor(budget: number, options?: ErrorOptions) {
    super(
      `Matching the event against the pattern takes more than ${budget} steps (the budget for their sizes); it was stopped`,
      options,
    );
    this.name = 'MatchBudgetExceededError';
    this.budget = budget;
  }
}
