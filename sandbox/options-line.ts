/**
 * The startup banner's `Options:` line: the command-line options in effect that differ from their defaults,
 * so that a console read later (or pasted into an issue) says how the sandbox was started.
 */

/** A `parseArgs` option as the sandbox declares it. */
interface DeclaredOption {
  readonly type: 'string' | 'boolean';
  readonly default?: string | boolean;
}

/**
 * `Options: --memory --retry-schedule 1s,5s`, or `Options: defaults` when nothing differs.
 *
 * @param declared the command's options with their defaults, in the order the usage text gives them
 * @param values the parsed values of those options
 * @param settingFlags the settings' flags in effect, already written as flags (settingFlagsInEffect)
 * @param hidden options not listed (e.g. `api-key`: the banner prints the key on its own line)
 */
export function optionsLine(
  declared: Readonly<Record<string, DeclaredOption>>,
  values: Readonly<Record<string, string | boolean | undefined>>,
  settingFlags: readonly string[],
  hidden: readonly string[] = [],
): string {
  const differing = Object.entries(declared).flatMap(([name, option]) => {
    const value = values[name];
    if (hidden.includes(name) || value === undefined || value === option.default) return [];
    if (option.type === 'boolean') return value === true ? [`--${name}`] : [];
    // Quoted when it has spaces, so that the line can be pasted back as a command line.
    const text = String(value);
    return [`--${name} ${/\s/.test(text) ? JSON.stringify(text) : text}`];
  });
  const shown = [...differing, ...settingFlags];
  return `Options: ${shown.length === 0 ? 'defaults' : shown.join(' ')}`;
}
