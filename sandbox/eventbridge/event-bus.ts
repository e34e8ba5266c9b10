import { randomUUID } from 'node:crypto';
import {
  assertRulePatternSize,
  type CompiledEventPattern,
  compileEventPattern,
} from '../../functions/core/event-pattern/index.ts';
import type { RuleDefinition } from '../../functions/core/platform.ts';
import { AwsServiceError, errorLine } from '../aws-json-protocol.ts';
import type { Meter } from '../meter.ts';
import { DETAIL_MAX_DEPTH, nestsDeeperThan } from './limits.ts';

export { DETAIL_MAX_DEPTH } from './limits.ts';

/** The most entries one PutEvents call takes. */
const maxEntries = 10;
/** EventBridge's limit on the total size of a PutEvents request's entries (1 MB since January 2026). */
const maxEntriesBytes = 1024 * 1024;

/** Where a rule's matching events go: in the sandbox, always a queue of the SQS emulator. Throws to refuse one. */
export type EventTarget = (event: string) => void;

/** A rule target's dead-letter queue: given an event the target refused, and why. Throws to refuse it too. */
export type DeadLetterTarget = (event: string, refusal: Error) => void;

/**
 * What EventBridge counts for a rule and publishes to CloudWatch (namespace `AWS/Events`, dimension
 * `RuleName`, with `EventBusName` on a custom bus), for the sandbox's one target per rule.
 */
export interface RuleMetrics {
  /** Events sent to the rule's target, delivered or not. */
  Invocations: number;
  /** Events the target refused for good (EventBridge would have retried the retryable ones for 24 h first). */
  FailedInvocations: number;
  /** Of those, the events the rule's dead-letter queue took. */
  InvocationsSentToDlq: number;
  /** Of those, the events the dead-letter queue refused too: lost, on AWS, but for this count. */
  InvocationsFailedToBeSentToDlq: number;
}

/** An event a rule's target refused, and what became of it. */
export interface TargetFailure {
  readonly bus: string;
  readonly rule: string;
  readonly eventId: string;
  /** The event as the target was given it: EventBridge's JSON. */
  readonly event: string;
  /** Why the target refused it. */
  readonly error: Error;
  /**
   * `sentToDlq`: the rule's dead-letter queue has it. `dropped`: nothing has it, because the rule has no
   * dead-letter queue or it refused the event too ({@link deadLetterError}).
   */
  readonly outcome: 'sentToDlq' | 'dropped';
  /** Why the dead-letter queue refused the event, when it did. */
  readonly deadLetterError?: Error;
}

/** Told about every event a rule's target refused. */
export type TargetFailureHandler = (failure: TargetFailure) => void;

/** Why a target or a dead-letter queue refused an event, in one line: its error code (or name) and message. */
export function refusalReason(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return `${typeof code === 'string' ? code : error.name}: ${error.message}`.replace(/\s+/g, ' ');
}

const logTargetFailure: TargetFailureHandler = (failure) => {
  const refused = `rule ${failure.rule} could not deliver event ${failure.eventId} (${refusalReason(failure.error)})`;
  if (failure.outcome === 'sentToDlq') {
    console.warn(`[eventbridge] ${refused}; it is in the rule's dead-letter queue`);
  } else {
    const why =
      failure.deadLetterError === undefined
        ? 'the rule has no dead-letter queue'
        : `its dead-letter queue refused it too (${refusalReason(failure.deadLetterError)})`;
    console.error(`[eventbridge] EVENT LOST: ${refused}; ${why}`);
  }
};

interface BusRule {
  readonly name: string;
  readonly pattern: CompiledEventPattern;
  readonly target: EventTarget;
  readonly deadLetter: DeadLetterTarget | undefined;
  readonly metrics: RuleMetrics;
}

interface PutEventsEntry {
  Source?: unknown;
  DetailType?: unknown;
  Detail?: unknown;
  EventBusName?: unknown;
  Resources?: unknown;
  Time?: unknown;
}

type PutEventsResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

const validation = (message: string) => new AwsServiceError('ValidationException', message);
const entryError = (ErrorCode: string, ErrorMessage: string): PutEventsResultEntry => ({
  ErrorCode,
  ErrorMessage,
});
const required = (field: string) =>
  entryError('InvalidArgument', `Parameter ${field} is not valid. Reason: ${field} is a required argument.`);
const invalid = (field: string) => entryError('InvalidArgument', `Parameter ${field} is not valid.`);
const malformedDetail = () => entryError('MalformedDetail', 'Detail is malformed.');
/** What EventBridge answers for an entry it failed on itself; retryable, unlike the others. */
const internalFailure = () =>
  entryError(
    'InternalFailure',
    'The request processing has failed because of an unknown error, exception or failure.',
  );

/** Told about an entry that failed for a reason of the sandbox's own, answered as that entry's `InternalFailure`. */
export type EntryFailureHandler = (index: number, error: unknown) => void;

const logEntryFailure: EntryFailureHandler = (index, error) =>
  console.error(
    `[eventbridge] PutEvents entry ${index} failed inside the sandbox, answered InternalFailure: ${errorLine(error)}`,
  );

/** EventBridge time format: ISO 8601 to the second. */
const eventTime = (date: Date) => `${date.toISOString().slice(0, 19)}Z`;

/** The SDK sends `Time` as epoch seconds; a string is read as a date. Anything else is no time. */
function timeOf(value: unknown): Date | undefined {
  if (value === undefined || value === null) return new Date();
  let date: Date;
  if (typeof value === 'number') date = new Date(value * 1000);
  else if (typeof value === 'string') date = new Date(value);
  else return undefined;
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** `Resources` is a list of strings (ARNs); none is an empty list. */
function resourcesOf(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((resource) => typeof resource === 'string')) return undefined;
  return value;
}

/**
 * The sandbox's event buses: `PutEvents` validates each entry as EventBridge does, turns it into an event,
 * and sends it to the target of every rule on its bus whose pattern matches. The rules are the ones the CDK
 * app deploys, compiled by the same matcher that subscriptions' content filters use.
 */
export class LocalEventBuses {
  private readonly buses = new Map<string, BusRule[]>();

  constructor(
    private readonly accountId: string,
    private readonly region: string,
    private readonly onUnknownBus: (busName: string) => void = () => undefined,
    /** @default a line on stderr, a warning for an event in a dead-letter queue, an error for one dropped */
    private readonly onTargetFailure: TargetFailureHandler = logTargetFailure,
    private readonly onEntryFailure: EntryFailureHandler = logEntryFailure,
    /** Counts the entries each PutEvents accepted, as EventBridge bills them (per 64 KB chunk). */
    private readonly meter?: Meter,
  ) {}

  /**
   * Adds a bus (idempotent) and its rules. A rule's `deadLetter`, if it has one, gets the events its target
   * refuses, as the dead-letter queue of an EventBridge target does.
   */
  addBus(
    name: string,
    rules: readonly (Pick<RuleDefinition, 'name' | 'eventPattern'> &
      Partial<RuleDefinition> & { target: EventTarget; deadLetter?: DeadLetterTarget })[],
  ): void {
    const busRules = this.buses.get(name) ?? [];
    for (const rule of rules) {
      const pattern = JSON.stringify(rule.eventPattern);
      assertRulePatternSize(pattern);
      busRules.push({
        name: rule.name,
        pattern: compileEventPattern(pattern),
        target: rule.target,
        deadLetter: rule.deadLetter,
        metrics: {
          Invocations: 0,
          FailedInvocations: 0,
          InvocationsSentToDlq: 0,
          InvocationsFailedToBeSentToDlq: 0,
        },
      });
    }
    this.buses.set(name, busRules);
  }

  /** What EventBridge would have counted for each rule of a bus since it was added, by rule name. */
  ruleMetrics(busName: string): Record<string, RuleMetrics> {
    return Object.fromEntries(
      (this.buses.get(busName) ?? []).map((rule) => [rule.name, { ...rule.metrics }]),
    );
  }

  /**
   * The PutEvents operation. Whatever an entry holds, it fails alone: a malformed entry gets its own
   * `ErrorCode`, and anything unexpected while putting one becomes that entry's `InternalFailure` (and is
   * reported to `onEntryFailure`), while the other entries go through. Only a request that is wrong as a
   * whole (no list, too many entries, too large) is refused, with a 400.
   */
  putEvents(input: unknown): { FailedEntryCount: number; Entries: PutEventsResultEntry[] } {
    const entries = (input as { Entries?: unknown } | null)?.Entries;
    if (entries === undefined || entries === null) {
      throw validation(
        "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null",
      );
    }
    if (!Array.isArray(entries))
      throw new AwsServiceError('SerializationException', 'Entries must be a list');
    if (entries.length < 1 || entries.length > maxEntries) {
      const bound = entries.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${maxEntries}`;
      throw validation(
        `1 validation error detected: Value '${shown(entries)}' at 'entries' failed to satisfy constraint: Member must have length ${bound}`,
      );
    }
    const fields = entries.map(entryFields);
    const size = fields.reduce((total, entry) => total + entrySize(entry), 0);
    if (size > maxEntriesBytes)
      throw validation('Total size of the entries in the request is over the limit.');

    const results = fields.map((entry, index) => {
      try {
        return this.putOne(entry);
      } catch (error) {
        this.onEntryFailure(index, error);
        return internalFailure();
      }
    });
    this.meter?.putEvents(fields.filter((_, index) => 'EventId' in (results[index] ?? {})).map(entrySize));
    return {
      FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length,
      Entries: results,
    };
  }

  private putOne(entry: PutEventsEntry): PutEventsResultEntry {
    if (typeof entry.Source !== 'string' || entry.Source === '') return required('Source');
    // The aws. prefix is reserved for events from AWS services; PutEvents refuses it.
    if (entry.Source.startsWith('aws.')) {
      return entryError('NotAuthorizedForSourceException', 'Not authorized for the source.');
    }
    if (typeof entry.DetailType !== 'string' || entry.DetailType === '') return required('DetailType');
    if (typeof entry.Detail !== 'string' || entry.Detail === '') return required('Detail');
    // Before parsing: what walks the event later (stringify, matcher, fan-out) recurses once per level.
    if (nestsDeeperThan(entry.Detail, DETAIL_MAX_DEPTH)) return malformedDetail();
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      return malformedDetail();
    }
    if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) return malformedDetail();
    const time = timeOf(entry.Time);
    if (time === undefined) return invalid('Time');
    const resources = resourcesOf(entry.Resources);
    if (resources === undefined) return invalid('Resources');

    const event = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: this.accountId,
      time: eventTime(time),
      region: this.region,
      resources,
      detail,
    };
    const busName = busNameOf(entry.EventBusName);
    const rules = this.buses.get(busName);
    if (rules === undefined) {
      // EventBridge accepts events for a bus that does not exist and drops them; say so locally.
      this.onUnknownBus(busName);
      return { EventId: event.id };
    }
    // Serialised and matched against every rule before any target sees it, so that an entry that fails
    // here is delivered nowhere rather than to some targets.
    const json = JSON.stringify(event);
    const matched = rules.filter((rule) => rule.pattern.matches(event));
    for (const rule of matched) this.invoke(busName, rule, event.id, json);
    return { EventId: event.id };
  }

  /**
   * Sends an event to a rule's target. One the target refuses never fails PutEvents: it goes to the rule's
   * dead-letter queue (EventBridge first retries what may pass later, for up to 24 h; the sandbox does not),
   * and if that refuses it too, it is dropped. Either way it is counted as EventBridge counts it and reported.
   */
  private invoke(busName: string, rule: BusRule, eventId: string, json: string): void {
    rule.metrics.Invocations++;
    try {
      rule.target(json);
      return;
    } catch (thrown) {
      rule.metrics.FailedInvocations++;
      const error = asError(thrown);
      let failure: TargetFailure = {
        bus: busName,
        rule: rule.name,
        eventId,
        event: json,
        error,
        outcome: 'dropped',
      };
      if (rule.deadLetter !== undefined) {
        try {
          rule.deadLetter(json, error);
          rule.metrics.InvocationsSentToDlq++;
          failure = { ...failure, outcome: 'sentToDlq' };
        } catch (deadLetterError) {
          rule.metrics.InvocationsFailedToBeSentToDlq++;
          failure = { ...failure, deadLetterError: asError(deadLetterError) };
        }
      }
      try {
        this.onTargetFailure(failure);
      } catch (reportError) {
        // The event was accepted and routed; a report that fails must not turn it into a failed entry.
        console.error(
          `[eventbridge] the failure of rule ${rule.name} to deliver event ${eventId} could not be reported: ${errorLine(reportError)}`,
        );
        logTargetFailure(failure);
      }
    }
  }
}

const asError = (thrown: unknown): Error => (thrown instanceof Error ? thrown : new Error(String(thrown)));

/** A bus is named by name or ARN; none means `default`. */
function busNameOf(value: unknown): string {
  if (typeof value !== 'string' || value === '') return 'default';
  return value.startsWith('arn:') ? value.slice(value.lastIndexOf('/') + 1) : value;
}

/** An entry's fields; an entry that is not an object has none, and fails as one without a Source. */
function entryFields(entry: unknown): PutEventsEntry {
  return entry !== null && typeof entry === 'object' && !Array.isArray(entry)
    ? (entry as PutEventsEntry)
    : {};
}

/** The start of a value as JSON, for an error message; never throws (a value may nest too deep to print). */
function shown(value: unknown): string {
  try {
    return String(JSON.stringify(value)).slice(0, 200);
  } catch {
    return '[too deep to show]';
  }
}

/** EventBridge counts an entry's size from its strings' UTF-8 bytes, plus 14 bytes when it gives a time. */
function entrySize(entry: PutEventsEntry): number {
  const bytes = (value: unknown) => (typeof value === 'string' ? Buffer.byteLength(value) : 0);
  const resources = Array.isArray(entry.Resources)
    ? entry.Resources.reduce((sum: number, r: unknown) => sum + bytes(r), 0)
    : 0;
  const time = entry.Time === undefined || entry.Time === null ? 0 : 14;
  return time + bytes(entry.Source) + bytes(entry.DetailType) + bytes(entry.Detail) + resources;
}
