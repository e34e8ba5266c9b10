import { planPattern } from './alternatives.ts';
import { InvalidEventPatternError } from './errors.ts';
import { buildTree, countNodes, matchBudget, matchesTree } from './match.ts';
import { parsePattern } from './parse.ts';

/** A pattern validated and compiled once, to be matched against many events. */
export interface CompiledEventPattern {
  /**
   * True when the event (the parsed JSON of an EventBridge event, or any JSON object) matches. The event is
   * read as immutable: what is learnt about its objects (their dotted keys, its size) is kept for every later
   * match against the same objects.
   *
   * @throws MatchBudgetExceededError - when the match would take more steps than `matchBudget` allows for
   *   the pattern's nodes and the event's size (limits.ts).
   */
  matches(event: unknown): boolean;
  /**
   * How many nodes the matcher holds: one per object and field the pattern names and per `$or` alternative, so
   * it grows with the pattern's length, never with the number of its `$or` combinations. Matching an event
   * takes at most `MATCH_STEPS_BASE + MATCH_STEPS_PER_UNIT * (nodes + the event's values and keys)` steps.
   */
  readonly nodes: number;
}

/**
 * Validates an EventBridge event pattern as AWS does and compiles it into a matcher. Also refuses a pattern
 * over the matcher's complexity limits (`MAX_OR_COMBINATIONS` and `MAX_COMBINED_CONDITIONS` in limits.ts).
 *
 * @param pattern - the pattern's JSON text, or the pattern as an object (serialised with `JSON.stringify`,
 *   so error locations refer to that text).
 * @throws InvalidEventPatternError - with AWS's `InvalidEventPatternException` message, for invalid JSON too.
 */
export function compileEventPattern(pattern: string | Record<string, unknown>): CompiledEventPattern {
  const text = typeof pattern === 'string' ? pattern : serialise(pattern);
  const root = buildTree(planPattern(parsePattern(text)));
  const nodes = countNodes(root);
  return { matches: (event) => matchesTree(root, event, matchBudget(nodes, event)), nodes };
}

function serialise(pattern: Record<string, unknown>): string {
  try {
    return JSON.stringify(pattern) ?? '';
  } catch (error) {
    throw new InvalidEventPatternError('Filter is not an object', '', { cause: error });
  }
}
