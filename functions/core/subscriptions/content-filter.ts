import {
  assertRulePatternSize,
  type CompiledEventPattern,
  compileEventPattern,
  InvalidEventPatternError,
} from '../event-pattern/index.ts';

/**
 * A subscription's content filter: an EventBridge event pattern matched against the webhook's JSON body (the
 * envelope a receiver gets: `id`, `type`, `occurred_at`, `data`, `previous`), e.g.
 * `{"data": {"status": ["Shipped"]}}`. Same matcher, same rules and limits as the bus's rules.
 */
export type ContentFilter = string;

/** Why a filter is refused (AWS's InvalidEventPattern reason), or undefined when it is valid. */
export function contentFilterProblem(filter: Record<string, unknown>): string | undefined {
  try {
    const text = JSON.stringify(filter);
    assertRulePatternSize(text);
    compileEventPattern(text);
    return undefined;
  } catch (error) {
    if (error instanceof InvalidEventPatternError) return error.message;
    throw error;
  }
}

const compiled = new Map<ContentFilter, CompiledEventPattern>();
/** Enough for every filter a fan-out function sees in practice; past it the oldest compilations go. */
const cacheSize = 1000;

/** True when the webhook body passes the filter; a subscription without one takes everything. */
export function passesContentFilter(filter: ContentFilter | undefined, envelope: object): boolean {
  if (filter === undefined) return true;
  let pattern = compiled.get(filter);
  if (pattern === undefined) {
    pattern = compileEventPattern(filter);
    if (compiled.size >= cacheSize) compiled.delete(compiled.keys().next().value as ContentFilter);
    compiled.set(filter, pattern);
  }
  return pattern.matches(envelope);
}
