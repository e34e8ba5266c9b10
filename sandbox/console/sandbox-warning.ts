/**
 * The sandbox's own warning that a function's batch failed and will be retried, as the pretty console shows it.
 * sandbox/event-source-mapping.ts prints it with `console.error(prefix, error)`: one write of the prefix, the
 * error's `name: message` and its stack trace. The stack says nothing to someone reading the console (the
 * failure is the sandbox's pacing, most often a timeout under load), so the pretty console shows one line;
 * `--log-format json` keeps the write as it is, stack and all.
 */
import { paint } from './colour.ts';
import { clock } from './console-line.ts';
import { printable } from './printable.ts';

/** The warning's first line: `[event-source-mapping] fanOut failed; the batch will be retried: Name: message`. */
const batchRetried = /^\[event-source-mapping\] (\S+) failed; the batch will be retried: (.*)$/;

/** Error names the message speaks for already: `Task timed out after 5.00 seconds`. */
const unsaid = new Set(['Error', 'Sandbox.Timedout']);

/**
 * `12:04:31.207  WARN   fanOut: batch failed, retried: Task timed out after 5.00 seconds` (with its newline)
 * for a chunk that is that warning, else undefined. `now` stamps it: the warning carries no time of its own.
 */
export function batchRetriedLine(text: string, colour: boolean, now = new Date()): string | undefined {
  const matched = batchRetried.exec(text.split('\n', 1)[0] ?? '');
  if (matched === null) return undefined;
  const [, fn, error = ''] = matched;
  const named = /^([\w.]+): (.*)$/.exec(error);
  const said = named !== null && unsaid.has(named[1] ?? '') ? (named[2] ?? '') : error;
  const time = paint('dim', clock(now.toISOString()), colour);
  return `${time}  ${paint('retry', 'WARN ', colour)}  ${printable(`${fn}: batch failed, retried: ${said}`)}\n`;
}
