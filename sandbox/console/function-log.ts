/**
 * The functions' log records as Powertools Logger prints them (one JSON object a line: `level`, `message`,
 * `timestamp`, `service` and the keys a handler adds), read back for the sandbox's console.
 */
import * as z from 'zod/mini';

/** An attempt's outcome as the delivery handler logs it (functions/core/egress/attempt.ts's AttemptOutcome). */
const loggedOutcomeSchema = z.looseObject({
  kind: z.enum(['response', 'error']),
  statusCode: z.optional(z.number()),
  errorKind: z.optional(z.string()),
  error: z.optional(z.string()),
  latencyMs: z.optional(z.number()),
});

/** The keys every Powertools record has. */
const baseSchema = z.looseObject({
  level: z.string(),
  message: z.string(),
  timestamp: z.string(),
  service: z.optional(z.string()),
});

/**
 * The keys the console reads beyond those. Each falls back to absent when a record has it in another shape, so
 * that a record the console does not know still shows as its level and message.
 */
const detailsSchema = z.object({
  deliveryId: z.catch(z.optional(z.string()), undefined),
  subscriptionId: z.catch(z.optional(z.string()), undefined),
  subscriptionName: z.catch(z.optional(z.string()), undefined),
  eventType: z.catch(z.optional(z.string()), undefined),
  /** Fan-out's name for the event's type. */
  type: z.catch(z.optional(z.string()), undefined),
  eventId: z.catch(z.optional(z.string()), undefined),
  /** Fan-out's: the account an event was published for. */
  accountId: z.catch(z.optional(z.string()), undefined),
  deliveries: z.catch(z.optional(z.number()), undefined),
  outcome: z.catch(z.optional(loggedOutcomeSchema), undefined),
  delaySeconds: z.catch(z.optional(z.number()), undefined),
  waitSeconds: z.catch(z.optional(z.number()), undefined),
  reason: z.catch(z.optional(z.string()), undefined),
  summary: z.catch(z.optional(z.string()), undefined),
  until: z.catch(z.optional(z.string()), undefined),
  error: z.catch(
    z.optional(z.looseObject({ name: z.optional(z.string()), message: z.optional(z.string()) })),
    undefined,
  ),
});

/** An attempt's outcome, as a function logged it. */
export type LoggedOutcome = z.output<typeof loggedOutcomeSchema>;

/** Whether an attempt was answered with a 2xx. */
export const succeeded = (outcome: LoggedOutcome | undefined): boolean =>
  outcome?.statusCode !== undefined && outcome.statusCode >= 200 && outcome.statusCode < 300;

/** A function's log record: what every record has, and the keys the console reads when present. */
export type FunctionRecord = z.output<typeof baseSchema> & z.output<typeof detailsSchema>;

/**
 * A delivery handed back to its queue for lack of time in its invocation: it sent no request and comes back
 * seconds later, still pending.
 */
export const isHandBack = (record: FunctionRecord): boolean =>
  record.message === 'Delivery done' && record.summary?.startsWith('handed back') === true;

/** The record a printed line holds, or undefined when the line is not one (the sandbox's own output). */
export function functionRecordOf(line: string): FunctionRecord | undefined {
  if (!line.startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  const base = z.safeParse(baseSchema, parsed);
  if (!base.success) return undefined;
  return { ...base.data, ...z.parse(detailsSchema, parsed) };
}
