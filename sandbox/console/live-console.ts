/**
 * The sandbox's console: the functions run in this process and Powertools prints each log record as one JSON
 * line, in one `write` call, on stdout (info) or stderr (warnings and errors). The console takes those writes,
 * tallies the records and, in the `pretty` format, writes each one's {@link consoleLine} instead (or nothing);
 * any other output (the banner, the emulators' own messages) passes as it is. A record is turned into its line
 * inside its one write call, so two invocations logging at once cannot mix their lines.
 */
import { colourWanted } from './colour.ts';
import { consoleLine } from './console-line.ts';
import { DeliveryTally } from './delivery-tally.ts';
import { type FunctionRecord, functionRecordOf } from './function-log.ts';
import { batchRetriedLine } from './sandbox-warning.ts';

/** How the functions' records are shown: one short line each (`pretty`), or Powertools' JSON as it is. */
export const logFormats = ['pretty', 'json'] as const;
export type LogFormat = (typeof logFormats)[number];

export interface ConsoleOptions {
  readonly format: LogFormat;
  /** Only warnings and errors get a line (the tally still counts every record it sees). */
  readonly quiet: boolean;
  /** @default colourWanted(process.env, the stream's isTTY) */
  readonly colour?: boolean;
}

/** The console while it runs. */
export interface LiveConsole {
  /**
   * What the deliveries of this run added up to, for the sandbox's stop to print once it has stopped; undefined
   * when the console saw only warnings and errors (`--quiet` with the JSON format: the functions log no more).
   */
  summary(): string | undefined;
  /**
   * The banner is printed: the pretty lines held while it was (so that it stays together) are written, and later
   * ones as they come.
   */
  ready(): void;
  /** Writes what is still held, and gives stdout and stderr their own `write` back. */
  stop(): void;
}

/**
 * Pretty lines held until the banner is printed, at most. A restart with messages waiting makes a line each
 * while the banner waits for its portal link; past this many, the rest are counted, not kept.
 */
export const heldLinesAtMost = 1000;

type Write = NodeJS.WriteStream['write'];

/** Starts rendering the functions' records written to `streams` (the process's stdout and stderr). */
export function startConsole(
  options: ConsoleOptions,
  streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr],
): LiveConsole {
  const tally = new DeliveryTally();
  const held = new HeldLines(options.format === 'pretty');
  const restores = streams.map((stream) => {
    const colour = options.colour ?? colourWanted(process.env, stream.isTTY === true);
    const line = (record: FunctionRecord): string | undefined => {
      tally.observe(record);
      if (options.format === 'json') return undefined;
      const quietened = options.quiet && !['WARN', 'ERROR', 'CRITICAL'].includes(record.level.toUpperCase());
      return quietened ? undefined : consoleLine(record, { colour });
    };
    const original = stream.write;
    stream.write = ((...args: unknown[]) => {
      const [chunk, encoding, callback] = args;
      const text =
        typeof chunk === 'string'
          ? chunk
          : chunk instanceof Uint8Array
            ? Buffer.from(chunk).toString('utf8')
            : undefined;
      // The sandbox's own warning of a batch retried: one line instead of its stack trace, in the pretty format.
      const warning =
        options.format === 'pretty' && text?.startsWith('[event-source-mapping]')
          ? batchRetriedLine(text, colour)
          : undefined;
      // The fast way for everything else that is not a record (a record's line starts with its brace); the JSON
      // format writes records as they came too, once tallied.
      if (warning === undefined && (text === undefined || !text.startsWith('{'))) {
        return Reflect.apply(original, stream, args);
      }
      const shown = warning ?? rendered(text ?? '', line);
      if (options.format === 'json') return Reflect.apply(original, stream, args);
      const done = typeof encoding === 'function' ? encoding : callback;
      if (shown === '' || held.hold(shown, (kept) => Reflect.apply(original, stream, [kept]))) {
        if (typeof done === 'function') process.nextTick(done);
        return true;
      }
      return Reflect.apply(original, stream, [shown, ...(typeof done === 'function' ? [done] : [])]);
    }) as Write;
    return () => {
      stream.write = original;
    };
  });
  const sawEverything = !(options.quiet && options.format === 'json');
  return {
    summary: () => (sawEverything ? tally.summary() : undefined),
    ready: () => held.release(),
    stop: () => {
      held.release();
      for (const restore of restores) restore();
    },
  };
}

/** The pretty lines written while the banner is printed, in order, each with the stream it goes to. */
class HeldLines {
  private readonly chunks: { readonly text: string; readonly write: (text: string) => void }[] = [];
  private kept = 0;
  private left = 0;

  constructor(private holding: boolean) {}

  /** Keeps (or counts, past {@link heldLinesAtMost}) `text` to write later with `write`, if lines are held. */
  hold(text: string, write: (text: string) => void): boolean {
    if (!this.holding) return false;
    const lines = text.split('\n').length - 1;
    if (this.kept + lines <= heldLinesAtMost) {
      this.chunks.push({ text, write });
      this.kept += lines;
    } else this.left += lines;
    return true;
  }

  /** Writes the held lines, then how many were left out, and holds no more. */
  release(): void {
    if (!this.holding) return;
    this.holding = false;
    const chunks = this.chunks.splice(0);
    for (const { text, write } of chunks) write(text);
    const write = chunks.at(-1)?.write;
    if (this.left > 0 && write !== undefined) {
      write(
        `… and ${this.left} more lines while the sandbox started, not shown (the summary at the stop counts them)\n`,
      );
    }
  }
}

/**
 * The text to write for a chunk of printed lines: each line that is a record replaced by its `line` (dropped
 * when that is undefined), the others kept.
 */
function rendered(text: string, line: (record: FunctionRecord) => string | undefined): string {
  const lines = text.split('\n');
  return lines
    .flatMap((printed, index) => {
      // The text after the chunk's last newline (usually none) is kept as it is.
      if (index === lines.length - 1) return [printed];
      const record = functionRecordOf(printed);
      if (record === undefined) return [`${printed}\n`];
      const shown = line(record);
      return shown === undefined ? [] : [`${shown}\n`];
    })
    .join('');
}
