/**
 * EventBridge event patterns, validated and matched as AWS does: one matcher for the sandbox's event bus,
 * its `TestEventPattern` operation and the content filters of webhook subscriptions.
 */
export { type CompiledEventPattern, compileEventPattern } from './compile.ts';
export { INVALID_PATTERN_PREFIX, InvalidEventPatternError, MatchBudgetExceededError } from './errors.ts';
export {
  assertRulePatternSize,
  MATCH_STEPS_BASE,
  MATCH_STEPS_PER_UNIT,
  MAX_COMBINED_CONDITIONS,
  MAX_OR_COMBINATIONS,
  RULE_PATTERN_MAX_LENGTH,
} from './limits.ts';
