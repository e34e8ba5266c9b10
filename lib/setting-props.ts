/**
 * The settings of functions/core/settings.ts as CDK props: their types (a `Duration` for a time), the one check
 * every construct makes of them (against the table, naming the prop), and their binding to the functions that
 * read them.
 */
import { Duration } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import {
  checkSetting,
  encodeSetting,
  SettingError,
  type SettingName,
  type SettingValue,
  type SettingValues,
  settingNames,
  settingOf,
  settingOfVariable,
  settings,
} from '../functions/core/settings.ts';
import type { PlatformFunction } from './platform-function.ts';

/** The type of a setting's prop: a `Duration` for a time, `Duration`s for waits, a number otherwise. */
export type SettingProp<N extends SettingName> = (typeof settings)[N]['codec'] extends { unit: string }
  ? (typeof settings)[N]['codec'] extends { list: true }
    ? readonly Duration[]
    : Duration
  : number;

/** The props of `WebhookPlatform` that set the settings of settings.ts, each named as the table names it. */
export type SettingProps = { readonly [N in SettingName as (typeof settings)[N]['prop']]?: SettingProp<N> };

/** How README names the type of a setting's prop. */
export function propTypeOf(name: SettingName): 'Duration' | 'Duration[]' | 'number' {
  const { codec } = settingOf(name);
  if (codec.unit === undefined) return 'number';
  return codec.list ? 'Duration[]' : 'Duration';
}

/** A prop's value in its setting's unit (seconds, days), not yet checked: a fraction stays one. */
function fromProp<N extends SettingName>(name: N, prop: SettingProp<N>): SettingValue<N>;
function fromProp(
  name: SettingName,
  prop: number | Duration | readonly Duration[],
): number | readonly number[] {
  const { unit } = settingOf(name).codec;
  const inUnit = (duration: Duration) =>
    unit === 'days' ? duration.toDays({ integral: false }) : duration.toSeconds({ integral: false });
  if (prop instanceof Duration) return inUnit(prop);
  if (typeof prop === 'number') return prop;
  return prop.map(inUnit);
}

/** A setting's value as its prop gives it (`Duration.days(5)`), for tests. */
export function toProp(
  name: SettingName,
  value: number | readonly number[],
): number | Duration | readonly Duration[] {
  const { unit } = settingOf(name).codec;
  const duration = (amount: number) => (unit === 'days' ? Duration.days(amount) : Duration.seconds(amount));
  if (typeof value !== 'number') return value.map(duration);
  return unit === undefined ? value : duration(value);
}

/** A prop as a message shows it: `1 day 12 hours`, `[5 seconds, 1 hour]`, `0.5`. */
function shownProp(prop: number | Duration | readonly Duration[]): string {
  if (prop instanceof Duration) return prop.toHumanString();
  if (typeof prop === 'number') return String(prop);
  return `[${prop.map((duration) => duration.toHumanString()).join(', ')}]`;
}

/**
 * A setting's value, checked against settings.ts, from a value in its unit (`retryScheduleSeconds: [5, 300]`) or
 * its default when undefined.
 *
 * @param label the prop's name, for the message (by default the setting's name)
 * @throws Error `<path>: <label> must be <rule>, got <value>`
 */
export function checkedSetting<N extends SettingName>(
  scope: Construct,
  name: N,
  value: SettingValue<N> | undefined,
  label: string = name,
): SettingValue<N> {
  return withPath(scope, () => checkSetting(name, value, label, shownValue(value)));
}

/**
 * A setting's value, checked against settings.ts, from the prop that sets it (a `Duration` for a time) or its
 * default when undefined.
 *
 * @param label the prop's name, for the message
 * @throws Error `<path>: <label> must be <rule>, got <prop>` (e.g. `got 1 day 12 hours`)
 */
export function settingOfProp<N extends SettingName>(
  scope: Construct,
  name: N,
  prop: SettingProp<N> | undefined,
  label: string = settings[name].prop,
): SettingValue<N> {
  if (prop === undefined) return settingOf(name).default;
  return withPath(scope, () => checkSetting(name, fromProp(name, prop), label, shownProp(prop)));
}

/** Every setting of settings.ts from its `WebhookPlatform` prop, checked, or its default. */
export function settingsOfProps(scope: Construct, props: SettingProps): SettingValues {
  const entryOf = <N extends SettingName>(name: N) => {
    const prop = props[settings[name].prop] as SettingProp<N> | undefined;
    return [name, settingOfProp(scope, name, prop)] as const;
  };
  return Object.fromEntries(settingNames.map(entryOf)) as SettingValues;
}

/**
 * Binds each given setting that the function's definition reads (platform.ts) to its environment, written as
 * settings.ts encodes it. A setting no function reads (a lane's capacity, which its mapping takes) is never bound.
 */
export function bindSettings(fn: PlatformFunction, values: Partial<SettingValues>): void {
  const encoded = <N extends SettingName>(name: N) => {
    const value = values[name];
    return value === undefined ? undefined : encodeSetting(name, value);
  };
  for (const variable of fn.definition.environment) {
    const name = settingOfVariable(variable);
    const value = name === undefined ? undefined : encoded(name);
    if (value !== undefined) fn.bindEnvironment(variable, value);
  }
}

const shownValue = (value: unknown) => (Array.isArray(value) ? `[${value.join(', ')}]` : String(value));

/** What `check` answers; a SettingError it throws becomes an Error that starts with the construct's path. */
function withPath<T>(scope: Construct, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof SettingError) throw new Error(`${scope.node.path}: ${error.message}`);
    throw error;
  }
}
