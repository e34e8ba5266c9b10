/**
 * Where the sandbox keeps the events a rule could deliver neither to its target nor to its dead-letter queue.
 * On AWS such an event is gone, and only the rule's `FailedInvocations` and `InvocationsFailedToBeSentToDlq`
 * metrics count it (the CDK app alarms on both); the sandbox keeps it, so that whoever runs it can see which
 * event it was and why.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TargetFailure } from './event-bus.ts';

/** One event no queue took, as kept: a JSON file of its own under the data directory. */
export interface UndeliverableEvent {
  /** When it was dropped (ISO 8601). */
  readonly time: string;
  readonly bus: string;
  readonly rule: string;
  readonly eventId: string;
  /** Why the rule's target refused it. */
  readonly error: { readonly code: string; readonly message: string };
  /** Why the rule's dead-letter queue refused it; none if the rule has no dead-letter queue. */
  readonly deadLetterError?: { readonly code: string; readonly message: string };
  /** The event, as EventBridge would have delivered it. */
  readonly event: unknown;
}

const describe = (error: Error) => ({
  code:
    (error as { code?: unknown }).code === undefined
      ? error.name
      : String((error as { code?: unknown }).code),
  message: error.message,
});

/** The events no queue took, on disk (one file each under `dir`) or, without a directory, in memory. */
export class UndeliverableEvents {
  private readonly kept: UndeliverableEvent[] = [];

  constructor(
    /** Where each event gets a file of its own; undefined keeps them in memory. */
    readonly dir?: string,
  ) {}

  /**
   * Keeps a dropped event. Written synchronously, before PutEvents answers, so that a sandbox that stops
   * right after still has it. Answers where it is, for the line that reports it.
   */
  keep(failure: TargetFailure, now = new Date()): string {
    const record: UndeliverableEvent = {
      time: now.toISOString(),
      bus: failure.bus,
      rule: failure.rule,
      eventId: failure.eventId,
      error: describe(failure.error),
      ...(failure.deadLetterError === undefined
        ? {}
        : { deadLetterError: describe(failure.deadLetterError) }),
      event: JSON.parse(failure.event) as unknown,
    };
    if (this.dir === undefined) {
      this.kept.push(record);
      return 'the sandbox’s memory (Sandbox.undeliverableEvents())';
    }
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    // Sorted by name is sorted by time; the event id keeps names apart within a millisecond.
    const file = join(
      this.dir,
      `${record.time.replace(/:/g, '-')}-${safe(failure.rule)}-${safe(failure.eventId)}.json`,
    );
    writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    return file;
  }

  /** Every event kept, oldest first (on disk: also those of earlier runs on the same data directory). */
  list(): UndeliverableEvent[] {
    if (this.dir === undefined) return [...this.kept];
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((name) => name.endsWith('.json'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return names
      .sort()
      .map((name) => JSON.parse(readFileSync(join(this.dir as string, name), 'utf8')) as UndeliverableEvent);
  }
}

/** A name part that is safe in a file name on any system. */
const safe = (text: string) => text.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 100);
