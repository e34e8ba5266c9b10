import { InvalidEventPatternError } from './errors.ts';
import { buildTree, matchesTree, type PatternNode } from './match.ts';
import { parsePattern } from './parse.ts';

/** A pattern validated and compiled once, to be matched against many events. */
export interface CompiledEventPattern {
  /** True when the event (the parsed JSON of an EventBridge event, or any JSON object) matches. */
  matches(event: unknown): boolean;
}

/**
 * Validates an EventBridge event pattern as AWS does and compiles it into a matcher.
 *
 * @param pattern - the pattern's JSON text, or the pattern as an object (serialised with `JSON.stringify`,
 *   so error locations refer to that text).
 * @throws InvalidEventPatternError - with AWS's `InvalidEventPatternException` message, for invalid JSON too.
 */
export function compileEventPattern(pattern: string | Record<string, unknown>): CompiledEventPattern {
  const text = typeof pattern === 'string' ? pattern : serialise(pattern);
  const branches = parsePattern(text).map(buildTree);
  if (branches.length === 1) {
    const only = branches[0] as PatternNode;
    return { matches: (event) => matchesTree(only, event) };
  }
  return { matches: (event) => branches.some((branch) => matchesTree(branch, event)) };
}

function serialise(pattern: Record<string, unknown>): string {
  try {
    return JSON.stringify(pattern) ?? '';
  } catch (error) {
    throw new InvalidEventPatternError('Filter is not an object', '', { cause: error });
  }
}
