/**
 * The deployment's settings, each declared once: its default, bounds, environment variable (and how the variable
 * writes it), `WebhookPlatform` prop, sandbox flag and a one-line description. The env loader
 * (`environment.ts`), the CDK props checks (`lib/setting-props.ts`), the sandbox's flags and options
 * (`sandbox/setting-flags.ts`, `sandbox/sandbox.ts`) and README's table of settings (`npm run docs:settings`) are
 * all made from {@link settings}; none restates a bound or a default.
 *
 * Plain data and small codecs, no zod and no CDK: Lambda bundles import it.
 */
/** The longest one wait of a retry schedule may be: a day (messages are kept four days). */
export const maxWaitSeconds = 24 * 3600;
/** A retry schedule has at most this many waits: 21 attempts in all. */
export const maxScheduleLength = 20;

/** The values a setting may take: a number from `min` to `max`, or for a list each of its values. */
export interface Bounds {
  readonly min: number;
  readonly max: number;
  /** A list's most values (it has one at least). */
  readonly maxLength?: number;
}

/**
 * What a kind of setting is: how its values are checked, written to an environment variable and read back,
 * read from a sandbox flag, and shown (in flags' defaults and README). Its functions are declared as methods,
 * whose parameters TypeScript compares loosely, so that {@link settingOf} can type any entry of the table.
 */
export interface Codec<T> {
  /** Times are seconds or days (a `Duration` as a CDK prop); a `list` is several of them. */
  readonly unit?: 'seconds' | 'days';
  readonly list?: true;
  /** Words that complete "<name> must be ...", for a setting with these bounds. */
  rule(bounds: Bounds): string;
  /** Whether the value is of this kind (whole, finite, ...) and within the bounds. */
  fits(value: T, bounds: Bounds): boolean;
  /** How the environment variable writes a value, for messages and README. */
  readonly encoding: string;
  encode(value: T): string;
  /** The variable's text as a value; undefined when it is not written as {@link encode} writes. */
  decode(text: string): T | undefined;
  /** What a flag's value looks like, in the sandbox's usage text. */
  readonly placeholder: string;
  /** A flag's text as a value (times may have a unit: 30s, 5m, 2h, 1d); undefined when it cannot be read. */
  parse(text: string): T | undefined;
  /** The value as a flag takes it: `5s,5m,30m`, `5d`, `100`. */
  show(value: T): string;
}

/** One setting of the table. */
export interface Setting<T> extends Bounds {
  readonly codec: Codec<T>;
  readonly default: T;
  /** One line, lower case, as the sandbox's usage text and README say what it does. */
  readonly description: string;
  /** The environment variable that carries it to the functions that read it (`platform.ts` says which). */
  readonly env: string;
  /** The `WebhookPlatform` prop that sets it (a `Duration` for a time). */
  readonly prop: string;
  /** The sandbox's flag that sets it, without the dashes. */
  readonly flag: string;
}

/** Thrown for a value that is not one of its setting's; the message names the setting as the caller knows it. */
export class SettingError extends Error {
  override name = 'SettingError';
}

const timeUnits = [
  { suffix: 'd', seconds: 86_400, word: 'day' },
  { suffix: 'h', seconds: 3600, word: 'hour' },
  { suffix: 'm', seconds: 60, word: 'minute' },
  { suffix: 's', seconds: 1, word: 'second' },
] as const;

/** The largest unit that divides the seconds. */
const unitOf = (seconds: number) =>
  timeUnits.find((candidate) => seconds % candidate.seconds === 0) ?? timeUnits[3];

/** Whole seconds in the largest unit that divides them (`show` of times): 300 is `5m`. */
function shortDuration(seconds: number): string {
  const unit = unitOf(seconds);
  return `${seconds / unit.seconds}${unit.suffix}`;
}

/** Whole seconds in words, in the largest unit that divides them: 86400 is `1 day`. */
function longDuration(seconds: number): string {
  const unit = unitOf(seconds);
  const count = seconds / unit.seconds;
  return `${count} ${unit.word}${count === 1 ? '' : 's'}`;
}

/** Seconds of a whole number with an optional unit (`s`, `m`, `h`, `d`; seconds without one). */
function readDuration(text: string): number | undefined {
  const match = /^\s*(\d{1,9})\s*([smhd]?)\s*$/.exec(text);
  const unit = timeUnits.find((candidate) => candidate.suffix === (match?.[2] || 's'));
  return match === null || unit === undefined ? undefined : Number(match[1]) * unit.seconds;
}

/** A whole number written in digits only. */
const digits = (text: string): number | undefined => (/^\d{1,15}$/.test(text) ? Number(text) : undefined);
const whole = (value: number, { min, max }: Bounds) =>
  Number.isInteger(value) && value >= min && value <= max;

/** A whole number, e.g. a limit. */
const count = {
  rule: ({ min, max }) => `a whole number from ${min} to ${max}`,
  fits: whole,
  encoding: 'digits',
  encode: String,
  decode: digits,
  placeholder: 'N',
  parse: (text) => digits(text.trim()),
  show: String,
} satisfies Codec<number>;

/** A share from 0 (none) to 1 (all). */
const share = {
  rule: ({ min, max }) => `a share from ${min} to ${max}`,
  fits: (value, { min, max }) => value >= min && value <= max,
  encoding: 'a decimal number',
  // String() writes tiny shares with an exponent (1e-7); decode reads what it writes, so every share round-trips.
  encode: String,
  decode: (text) => (/^\d(\.\d+)?(e-\d{1,3})?$/.test(text) ? Number(text) : undefined),
  placeholder: 'SHARE',
  parse: (text) => (/^\s*(\d*\.)?\d+(e-\d{1,3})?\s*$/.test(text) ? Number(text) : undefined),
  show: String,
} satisfies Codec<number>;

/** A time in whole seconds. */
const seconds = {
  unit: 'seconds',
  rule: ({ min, max }) => `whole seconds, from ${longDuration(min)} to ${longDuration(max)}`,
  fits: whole,
  encoding: 'whole seconds',
  encode: String,
  decode: digits,
  placeholder: 'DURATION',
  parse: readDuration,
  show: shortDuration,
} satisfies Codec<number>;

/** A time in whole days. */
const days = {
  unit: 'days',
  rule: ({ min, max }) => `whole days, from ${min} to ${max}`,
  fits: whole,
  encoding: 'whole days',
  encode: String,
  decode: digits,
  placeholder: 'DAYS',
  parse: (text) => {
    const match = /^\s*(\d{1,9})\s*d?\s*$/.exec(text);
    return match === null ? undefined : Number(match[1]);
  },
  show: (value) => `${value}d`,
} satisfies Codec<number>;

/** Waits one after another, each whole seconds. */
const waits = {
  unit: 'seconds',
  list: true,
  rule: ({ min, max, maxLength = 1 }) =>
    `1 to ${maxLength} waits, each whole seconds from ${longDuration(min)} to ${longDuration(max)}`,
  fits: (value, bounds) =>
    Array.isArray(value) &&
    value.length >= 1 &&
    value.length <= (bounds.maxLength ?? 1) &&
    value.every((wait) => whole(wait, bounds)),
  encoding: 'comma-separated whole seconds',
  encode: (value) => value.join(','),
  decode: (text) => allRead(text.split(',').map(digits)),
  placeholder: 'WAITS',
  parse: (text) => allRead(text.split(',').map(readDuration)),
  show: (value) => value.map(shortDuration).join(','),
} satisfies Codec<readonly number[]>;

const allRead = (values: (number | undefined)[]): number[] | undefined =>
  values.every((value) => value !== undefined) ? (values as number[]) : undefined;

/** Every setting a deployment may change, by the name the sandbox's options give it. */
export const settings = {
  retrySchedule: {
    codec: waits,
    // 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: eight attempts over about 27 h.
    default: [5, 300, 1800, 7200, 18_000, 36_000, 36_000],
    min: 1,
    max: maxWaitSeconds,
    maxLength: maxScheduleLength,
    description:
      "the waits between a delivery's attempts, each spread by ±20 % jitter; Retry-After on 429 and 503 can lengthen one",
    env: 'RETRY_SCHEDULE',
    prop: 'retrySchedule',
    flag: 'retry-schedule',
  },
  disableAfterSeconds: {
    codec: seconds,
    default: 5 * 86_400,
    min: 1,
    max: 365 * 86_400,
    description: 'a subscription that fails this long without a single success is disabled',
    env: 'DISABLE_AFTER_SECONDS',
    prop: 'disableAfter',
    flag: 'disable-after',
  },
  deliveryTimeoutSeconds: {
    codec: seconds,
    default: 15,
    min: 1,
    max: 20,
    description: 'how long an endpoint may take to answer: success is a 2xx within this',
    env: 'DELIVERY_TIMEOUT_SECONDS',
    prop: 'deliveryTimeout',
    flag: 'delivery-timeout',
  },
  deliveryRetentionDays: {
    codec: days,
    default: 30,
    min: 1,
    max: 9999,
    description: 'how long delivery records, with their attempts and the event bodies retries need, are kept',
    env: 'DELIVERY_RETENTION_DAYS',
    prop: 'deliveryRetention',
    flag: 'delivery-retention',
  },
  successRecords: {
    codec: share,
    default: 1,
    min: 0,
    max: 1,
    description:
      'the share of deliveries that succeed at their first attempt which get a record (a write each); ' +
      'deliveries with a failure are always recorded',
    env: 'SUCCESS_RECORDS',
    prop: 'successRecords',
    flag: 'success-records',
  },
  circuitBreakAfter: {
    codec: count,
    default: 5,
    min: 0,
    max: 1000,
    description:
      "failed attempts in a row (errors, timeouts, 5xx, 408) that open an endpoint's circuit: its deliveries are held, one probe at a time tests it; 0 turns the breaker off",
    env: 'CIRCUIT_BREAK_AFTER',
    prop: 'circuitBreakAfter',
    flag: 'circuit-break-after',
  },
  circuitProbeMaxSeconds: {
    codec: seconds,
    default: 300,
    min: 5,
    max: 900,
    description:
      'the longest wait between probes of an open circuit: the first comes after 5 seconds, each failed one doubles the wait up to this',
    env: 'CIRCUIT_PROBE_MAX_SECONDS',
    prop: 'circuitProbeMax',
    flag: 'circuit-probe-max',
  },
  mainLaneConcurrency: {
    codec: count,
    default: 150,
    min: 2,
    max: 1000,
    description:
      "the main lane's most concurrent invocations (SQS MaximumConcurrency); deliveries a second ≈ this × batch size ÷ a batch's slowest answer",
    env: 'MAIN_LANE_CONCURRENCY',
    prop: 'mainLaneConcurrency',
    flag: 'main-lane-concurrency',
  },
  mainLaneBatchSize: {
    codec: count,
    default: 10,
    min: 1,
    max: 10,
    description: 'deliveries per main-lane invocation, attempted in parallel',
    env: 'MAIN_LANE_BATCH_SIZE',
    prop: 'mainLaneBatchSize',
    flag: 'main-lane-batch-size',
  },
  slowLaneConcurrency: {
    codec: count,
    default: 30,
    min: 2,
    max: 1000,
    description: "the slow lane's most concurrent invocations: all slow endpoints together hold at most this",
    env: 'SLOW_LANE_CONCURRENCY',
    prop: 'slowLaneConcurrency',
    flag: 'slow-lane-concurrency',
  },
  slowLaneBatchSize: {
    codec: count,
    default: 10,
    min: 1,
    max: 10,
    description: 'deliveries per slow-lane invocation, attempted in parallel',
    env: 'SLOW_LANE_BATCH_SIZE',
    prop: 'slowLaneBatchSize',
    flag: 'slow-lane-batch-size',
  },
  orderedLaneConcurrency: {
    codec: count,
    default: 20,
    min: 2,
    max: 1000,
    description:
      "the ordered lane's most concurrent invocations: deliveries of subscriptions with ordering by resource, one at a time per resource",
    env: 'ORDERED_LANE_CONCURRENCY',
    prop: 'orderedLaneConcurrency',
    flag: 'ordered-lane-concurrency',
  },
  subscriptionsPerAccount: {
    codec: count,
    default: 100,
    min: 1,
    max: 999_999,
    description: 'how many subscriptions one account may have',
    env: 'SUBSCRIPTIONS_PER_ACCOUNT',
    prop: 'subscriptionsPerAccount',
    flag: 'subscriptions-per-account',
  },
} as const satisfies Record<string, Setting<number> | Setting<readonly number[]>>;

export type SettingName = keyof typeof settings;
/** The type of a setting's value, in its codec's unit (seconds, days, a share, ...). */
export type SettingValue<N extends SettingName> = N extends SettingName
  ? (typeof settings)[N]['codec'] extends Codec<infer T>
    ? T
    : never
  : never;
/** A value for every setting. */
export type SettingValues = { readonly [N in SettingName]: SettingValue<N> };
/** The environment variables of the settings. */
export type SettingVariable = (typeof settings)[SettingName]['env'];
/** The sandbox's flags of the settings. */
export type SettingFlag = (typeof settings)[SettingName]['flag'];
/** The settings as handlers read them: by their variables' names, typed. */
export type SettingEnvironment = {
  readonly [N in SettingName as (typeof settings)[N]['env']]: SettingValue<N>;
};

/** The names of the settings, in the table's order. */
export const settingNames = Object.keys(settings) as SettingName[];

/** The setting, typed by its value (a table's entry is one of several kinds of setting). */
export function settingOf<N extends SettingName>(name: N): Setting<SettingValue<N>>;
export function settingOf(name: SettingName): Setting<number | readonly number[]> {
  return settings[name];
}

/** The setting a variable carries, if it carries one. */
export const settingOfVariable = (variable: string): SettingName | undefined =>
  settingNames.find((name) => settings[name].env === variable);

/** What a value of the setting must be: "a whole number from 1 to 999999". */
export const ruleOf = (name: SettingName): string => {
  const setting = settingOf(name);
  return setting.codec.rule(setting);
};

/** Whether the value is one the setting may take. */
export const fitsSetting = <N extends SettingName>(name: N, value: SettingValue<N>): boolean => {
  const setting = settingOf(name);
  return setting.codec.fits(value, setting);
};

/** The value as a flag takes it and README shows it: `5s,5m,30m`, `5d`, `100`. */
export const showSetting = <N extends SettingName>(name: N, value: SettingValue<N>): string =>
  settingOf(name).codec.show(value);

/**
 * The value, or the setting's default when it is undefined.
 *
 * @param label the name the caller gives the setting (a prop, an option), for the message
 * @param shown the value as the caller gave it (e.g. `1 day 12 hours`), for the message
 * @throws SettingError `<label> must be <rule>, got <shown>` when the setting may not take the value
 */
export function checkSetting<N extends SettingName>(
  name: N,
  value: SettingValue<N> | undefined,
  label: string = name,
  shown?: string,
): SettingValue<N> {
  if (value === undefined) return settingOf(name).default;
  if (!fitsSetting(name, value)) {
    throw new SettingError(`${label} must be ${ruleOf(name)}, got ${shown ?? JSON.stringify(value)}`);
  }
  return value;
}

/** The value as the setting's environment variable carries it. */
export const encodeSetting = <N extends SettingName>(name: N, value: SettingValue<N>): string =>
  settingOf(name).codec.encode(value);

/**
 * The value an environment variable carries.
 * @throws SettingError `must be <rule> (<encoding>)` when it is not a value of the setting, written as encode writes
 */
export function decodeSetting<N extends SettingName>(name: N, text: string): SettingValue<N> {
  const setting = settingOf(name);
  const value = setting.codec.decode(text);
  if (value === undefined || !setting.codec.fits(value, setting)) {
    throw new SettingError(`must be ${setting.codec.rule(setting)} (${setting.codec.encoding})`);
  }
  return value;
}

/**
 * The value of the setting's sandbox flag.
 * @throws SettingError `--<flag> must be <rule>, not '<text>'`
 */
export function parseSettingFlag<N extends SettingName>(name: N, text: string): SettingValue<N> {
  const setting = settingOf(name);
  const value = setting.codec.parse(text);
  if (value === undefined || !setting.codec.fits(value, setting)) {
    throw new SettingError(`--${setting.flag} must be ${setting.codec.rule(setting)}, not '${text}'`);
  }
  return value;
}

/**
 * Every setting's environment variable: the given values (checked, each named by its setting's name) or the
 * defaults. What the sandbox gives its functions.
 * @throws SettingError for a value the setting may not take
 */
export function settingsEnvironment(values: Partial<SettingValues> = {}): Record<SettingVariable, string> {
  const encoded = <N extends SettingName>(name: N) => {
    const value = checkSetting(name, values[name]);
    return [settings[name].env, encodeSetting(name, value)] as const;
  };
  return Object.fromEntries(settingNames.map(encoded)) as Record<SettingVariable, string>;
}
