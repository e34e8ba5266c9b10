/**
 * EventBridge event patterns, validated and matched as AWS does: one matcher for the sandbox's event bus,
 * its `TestEventPattern` operation and the content filters of webhook subscriptions.
 */
export { type CompiledEventPattern, compileEventPattern } from './compile.ts';
export { INVALID_PATTERN_PREFIX, InvalidEventPatternError } from './errors.ts';
export {
  assertRulePatternSize,
  MAX_COMBINED_CONDITIONS,
  MAX_OR_COMBINATIONS,
  RULE_PATTERN_MAX_LENGTH,
} from './limits.ts';
