/**
 * The sandbox's command-line flags of the settings (functions/core/settings.ts): one flag per setting
 * (`--retry-schedule 1s,2s,3s`, `--delivery-timeout 5s`, ...), its usage lines, and the values it reads.
 */
import {
  parseSettingFlag,
  type SettingFlag,
  type SettingName,
  type SettingValues,
  settingNames,
  settingOf,
  settings,
  showSetting,
} from '../functions/core/settings.ts';

/** `parseArgs` options of every setting's flag: each takes a value. */
export const settingOptions = Object.fromEntries(
  settingNames.map((name) => [settings[name].flag, { type: 'string' }]),
) as { readonly [F in SettingFlag]: { readonly type: 'string' } };

/** How durations are written, for the usage text. */
export const durationsNote =
  'A DURATION is a whole number and a unit, s, m, h or d (seconds without one); WAITS: DURATIONs, comma-separated';

/**
 * The usage lines of the settings' flags: `  --flag PLACEHOLDER` padded to `column`, then what it sets and its
 * default, wrapped at `width` characters.
 */
export function settingsUsage(column: number, width = 110): string {
  const lineOf = (name: SettingName) => {
    const setting = settingOf(name);
    const flag = `  --${setting.flag} ${setting.codec.placeholder}`;
    const words = [...setting.description.split(' '), `(default ${showSetting(name, setting.default)})`];
    return wrap(flag, words, column, width);
  };
  return settingNames.map(lineOf).join('\n');
}

/** `head` then the words, continued on lines indented by `indent` so that none is wider than `width`. */
function wrap(head: string, words: readonly string[], indent: number, width: number): string {
  const margin = ' '.repeat(indent);
  const lines: string[] = [];
  let line = margin;
  if (head.length < indent) line = head.padEnd(indent);
  else lines.push(head);
  for (const word of words) {
    const empty = line.length === indent;
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = margin;
    }
    line += line.length === indent ? word : ` ${word}`;
  }
  lines.push(line);
  return lines.join('\n');
}

/**
 * The settings given by flags, in the table's units (`--disable-after 2m` is `disableAfterSeconds: 120`).
 * @throws SettingError `--<flag> must be <rule>, not '<text>'`
 */
export function settingsFromFlags(values: Partial<Record<SettingFlag, string>>): Partial<SettingValues> {
  const given = <N extends SettingName>(name: N) => {
    const text = values[settings[name].flag];
    return text === undefined ? [] : [[name, parseSettingFlag(name, text)] as const];
  };
  return Object.fromEntries(settingNames.flatMap(given)) as Partial<SettingValues>;
}

/**
 * The settings given that differ from their defaults, as flags written the way the usage text writes them
 * (`--retry-schedule 1s,5s`, `--disable-after 3s`), in the table's order: what the startup banner lists.
 */
export function settingFlagsInEffect(given: Partial<SettingValues>): string[] {
  const flagOf = <N extends SettingName>(name: N) => {
    const value = given[name];
    if (value === undefined) return [];
    const shown = showSetting(name, value);
    return shown === showSetting(name, settingOf(name).default) ? [] : [`--${settings[name].flag} ${shown}`];
  };
  return settingNames.flatMap(flagOf);
}
