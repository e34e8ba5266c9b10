import {
  compileEventPattern,
  InvalidEventPatternError,
  MatchBudgetExceededError,
} from '#core/event-pattern/index.ts';
import { AwsServiceError } from '../aws-json-protocol.ts';
import { EVENT_MAX_DEPTH, nestsDeeperThan } from './limits.ts';

/** An EventBridge API error, answered on the wire in AWS's error shape. */
export class EventBridgeApiError extends AwsServiceError {
  constructor(code: string, message: string, statusCode = 400, options?: ErrorOptions) {
    super(code, message, { statusCode, cause: options?.cause });
    this.name = 'EventBridgeApiError';
  }
}

/** The API's length constraint on `EventPattern` (the 2048 rule quota does not apply here). */
export const TEST_EVENT_PATTERN_MAX_LENGTH = 4096;

/**
 * Envelope fields AWS insists on. The API reference also lists `resources`, but AWS accepts events
 * without it, and does not compare `account` with the caller's account.
 */
const REQUIRED_EVENT_FIELDS = ['id', 'account', 'source', 'time', 'region', 'detail-type'] as const;

const INVALID_EVENT = 'Parameter Event is not valid.';

/**
 * The sandbox's `TestEventPattern`: validates the request as AWS does and answers whether the event
 * matches the pattern.
 *
 * @param input - the request body, `{ Event: string, EventPattern: string }`.
 * @throws EventBridgeApiError - `ValidationException` for a missing, mistyped or too long member or an
 *   invalid event; `InvalidEventPatternException` for a pattern AWS refuses. An event or a pattern that
 *   nests deeper than {@link EVENT_MAX_DEPTH} is refused as invalid before it is parsed. `LimitExceededException`
 *   when matching would take more steps than the matcher's budget for the pattern's and the event's sizes
 *   (a pattern that repeats work over a large event); AWS has no such answer, but the sandbox must not hang.
 */
export function testEventPattern(input: unknown): { Result: boolean } {
  const request = (input !== null && typeof input === 'object' ? input : {}) as Record<string, unknown>;
  const { Event: event, EventPattern: pattern } = request;
  const problems: string[] = [];
  if (event === undefined || event === null) problems.push(notNull('event'));
  if (pattern === undefined || pattern === null) problems.push(notNull('eventPattern'));
  else if (typeof pattern === 'string' && pattern.length > TEST_EVENT_PATTERN_MAX_LENGTH) {
    problems.push(
      `Value '${pattern}' at 'eventPattern' failed to satisfy constraint: ` +
        `Member must have length less than or equal to ${TEST_EVENT_PATTERN_MAX_LENGTH}`,
    );
  }
  if (problems.length > 0) {
    const count = problems.length === 1 ? '1 validation error' : `${problems.length} validation errors`;
    throw new EventBridgeApiError('ValidationException', `${count} detected: ${problems.join('; ')}`);
  }
  if (typeof event !== 'string' || typeof pattern !== 'string') {
    throw new EventBridgeApiError(
      'SerializationException',
      'Start of structure or map found where not expected.',
    );
  }

  let compiled: ReturnType<typeof compileEventPattern>;
  try {
    // A pattern mirrors the event it matches, so it may nest as deep as an event, and no deeper.
    if (nestsDeeperThan(pattern, EVENT_MAX_DEPTH)) {
      throw new InvalidEventPatternError(`Nesting depth exceeds the maximum allowed (${EVENT_MAX_DEPTH})`);
    }
    compiled = compileEventPattern(pattern);
  } catch (error) {
    if (error instanceof InvalidEventPatternError) {
      throw new EventBridgeApiError('InvalidEventPatternException', error.message, 400, { cause: error });
    }
    throw error;
  }
  const parsed = parseEvent(event);
  try {
    return { Result: compiled.matches(parsed) };
  } catch (error) {
    if (error instanceof MatchBudgetExceededError) {
      throw new EventBridgeApiError('LimitExceededException', error.message, 400, { cause: error });
    }
    throw error;
  }
}

function notNull(member: string): string {
  return `Value null at '${member}' failed to satisfy constraint: Member must not be null`;
}

function parseEvent(text: string): Record<string, unknown> {
  // Before parsing: the matcher recurses once per level of the event.
  if (nestsDeeperThan(text, EVENT_MAX_DEPTH))
    throw new EventBridgeApiError('ValidationException', INVALID_EVENT);
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch (error) {
    throw new EventBridgeApiError('ValidationException', INVALID_EVENT, 400, { cause: error });
  }
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw new EventBridgeApiError('ValidationException', INVALID_EVENT);
  }
  const fields = event as Record<string, unknown>;
  for (const field of REQUIRED_EVENT_FIELDS) {
    if (!Object.hasOwn(fields, field)) throw new EventBridgeApiError('ValidationException', INVALID_EVENT);
  }
  return fields;
}
