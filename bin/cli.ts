/**
 * What the bin scripts share about their command line: strict options, `--help`, and how a bad command line
 * ends (the message, the usage text, exit 2) as opposed to a failure at run time (one line, exit 1).
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { parseFailure } from './operator-cli.ts';

type Options = NonNullable<ParseArgsConfig['options']>;
const help = { help: { type: 'boolean', short: 'h', default: false } } as const;
/** The parsed values of these options and `--help`, typed as `parseArgs` types them. */
type Values<T extends Options> = ReturnType<
  typeof parseArgs<{ options: T & typeof help; strict: true }>
>['values'];

/** Prints the message and the usage text on stderr and exits 2: the command line was wrong. */
export function usageError(message: string, usage: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
}

/**
 * Parses the command line strictly (unknown options and stray arguments are refused) with `--help` added:
 * `--help` prints the usage text and exits 0; a command line that does not parse is a usage error.
 */
export function parseOptions<const T extends Options>(options: T, usage: string): Values<T> {
  return parseCommandLine(options, usage, false).values;
}

/**
 * As {@link parseOptions}, for a script that also takes arguments (names, not options): they are returned
 * in order, for the script to check.
 */
export function parseOptionsAndArguments<const T extends Options>(
  options: T,
  usage: string,
): { values: Values<T>; positionals: string[] } {
  return parseCommandLine(options, usage, true);
}

function parseCommandLine<const T extends Options>(options: T, usage: string, allowPositionals: boolean) {
  let parsed: { values: Values<T>; positionals: string[] };
  try {
    parsed = parseArgs({ options: { ...options, ...help }, strict: true, allowPositionals }) as {
      values: Values<T>;
      positionals: string[];
    };
  } catch (error) {
    // Its first sentence: the advice after it, about `--` before a name that starts with -, is not this case.
    usageError(parseFailure(error), usage);
  }
  if ((parsed.values as { help: boolean }).help) {
    console.log(usage);
    process.exit(0);
  }
  return parsed;
}

/** The option's value as a whole number from min to max, or a usage error that names the option. */
export function wholeNumber(name: string, value: string, min: number, max: number, usage: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) {
    usageError(`--${name} must be a whole number from ${min} to ${max}, not '${value}'`, usage);
  }
  return number;
}

/** Prints one line on stderr and exits 1: the command line was fine, running it failed. */
export function fail(message: string): never {
  console.error(message);
  process.exit(1);
}
