import { randomUUID } from 'node:crypto';
import {
  assertRulePatternSize,
  type CompiledEventPattern,
  compileEventPattern,
} from '../../functions/core/event-pattern/index.ts';
import type { RuleDefinition } from '../../functions/core/platform.ts';
import { AwsServiceError } from '../aws-json-protocol.ts';

/** The most entries one PutEvents call takes. */
const maxEntries = 10;
/** EventBridge's limit on the total size of a PutEvents request's entries (1 MB since January 2026). */
const maxEntriesBytes = 1024 * 1024;

/** Where a rule's matching events go: in the sandbox, always a queue of the SQS emulator. */
export type EventTarget = (event: string) => void;

interface BusRule {
  readonly name: string;
  readonly pattern: CompiledEventPattern;
  readonly target: EventTarget;
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

/** EventBridge time format: ISO 8601 to the second. */
const eventTime = (date: Date) => `${date.toISOString().slice(0, 19)}Z`;

function timeOf(value: unknown): Date | undefined {
  if (value === undefined || value === null) return new Date();
  const date = typeof value === 'number' ? new Date(value * 1000) : new Date(String(value));
  return Number.isNaN(date.getTime()) ? undefined : date;
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
    private readonly onTargetFailure: (rule: string, eventId: string, error: Error) => void = () => undefined,
  ) {}

  /** Adds a bus (idempotent) and its rules. */
  addBus(name: string, rules: readonly (RuleDefinition & { target: EventTarget })[]): void {
    const busRules = this.buses.get(name) ?? [];
    for (const rule of rules) {
      const pattern = JSON.stringify(rule.eventPattern);
      assertRulePatternSize(pattern);
      busRules.push({ name: rule.name, pattern: compileEventPattern(pattern), target: rule.target });
    }
    this.buses.set(name, busRules);
  }

  /** The PutEvents operation. */
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
        `1 validation error detected: Value '${JSON.stringify(entries).slice(0, 200)}' at 'entries' failed to satisfy constraint: Member must have length ${bound}`,
      );
    }
    const size = entries.reduce((total: number, entry: PutEventsEntry) => total + entrySize(entry), 0);
    if (size > maxEntriesBytes)
      throw validation('Total size of the entries in the request is over the limit.');

    const results = (entries as PutEventsEntry[]).map((entry) => this.putOne(entry));
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
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      return entryError('MalformedDetail', 'Detail is malformed.');
    }
    if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
      return entryError('MalformedDetail', 'Detail is malformed.');
    }
    const time = timeOf(entry.Time);
    if (time === undefined) return entryError('InvalidArgument', 'Parameter Time is not valid.');

    const event = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: this.accountId,
      time: eventTime(time),
      region: this.region,
      resources: Array.isArray(entry.Resources) ? entry.Resources : [],
      detail,
    };
    const busName = busNameOf(entry.EventBusName);
    const rules = this.buses.get(busName);
    if (rules === undefined) {
      // EventBridge accepts events for a bus that does not exist and drops them; say so locally.
      this.onUnknownBus(busName);
    } else {
      const json = JSON.stringify(event);
      for (const rule of rules) {
        if (!rule.pattern.matches(event)) continue;
        try {
          rule.target(json);
        } catch (error) {
          // A target that cannot take the event never fails PutEvents; EventBridge retries, then dead-letters.
          this.onTargetFailure(rule.name, event.id, error as Error);
        }
      }
    }
    return { EventId: event.id };
  }
}

/** A bus is named by name or ARN; none means `default`. */
function busNameOf(value: unknown): string {
  if (typeof value !== 'string' || value === '') return 'default';
  return value.startsWith('arn:') ? value.slice(value.lastIndexOf('/') + 1) : value;
}

/** EventBridge counts an entry's size from its strings' UTF-8 bytes, plus 14 bytes when it gives a time. */
function entrySize(entry: PutEventsEntry): number {
  const bytes = (value: unknown) => (typeof value === 'string' ? Buffer.byteLength(value) : 0);
  const resources = Array.isArray(entry.Resources)
    ? entry.Resources.reduce((sum, r) => sum + bytes(r), 0)
    : 0;
  const time = entry.Time === undefined || entry.Time === null ? 0 : 14;
  return time + bytes(entry.Source) + bytes(entry.DetailType) + bytes(entry.Detail) + resources;
}
