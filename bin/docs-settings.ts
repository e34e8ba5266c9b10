/**
 * `npm run docs:settings`: writes README's table of settings, between its `settings:begin` and `settings:end`
 * markers, from functions/core/settings.ts. A test fails while README's table is not what this writes.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { eventSourceMappingDeclarations, functions } from '../functions/core/platform.ts';
import {
  ruleOf,
  type SettingName,
  settingNames,
  settingOf,
  showSetting,
} from '../functions/core/settings.ts';
import { propTypeOf } from '../lib/setting-props.ts';
import { parseOptions } from './cli.ts';

export const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));

const begin =
  '<!-- settings:begin: npm run docs:settings writes this table from functions/core/settings.ts -->';
const end = '<!-- settings:end -->';

const cell = (text: string) => text.replaceAll('|', '\\|');

/**
 * The variable that carries the setting to the functions that read it (platform.ts) or, for a setting that no
 * function reads (a lane's capacity), the event source mapping that takes it instead.
 */
export function variableCell(name: SettingName): string {
  const setting = settingOf(name);
  const readers = Object.values(functions).filter((fn) =>
    (fn.environment as readonly string[]).includes(setting.env),
  );
  if (readers.length > 0) return `\`${setting.env}\` (${setting.codec.encoding})`;
  const sized = eventSourceMappingDeclarations.some(
    (declaration) => declaration.batchSize === name || declaration.maximumConcurrency === name,
  );
  if (!sized) throw new Error(`No function or event source mapping of platform.ts takes ${name}`);
  return "none: no function reads it, it sizes its lane's event source mapping";
}

/** A row of the table: the setting's prop, flag, default, bounds, variable and what it is. */
function rowOf(name: SettingName): string {
  const setting = settingOf(name);
  return `| ${[
    `\`${setting.prop}\` (\`${propTypeOf(name)}\`)`,
    `\`--${setting.flag}\``,
    `\`${showSetting(name, setting.default)}\``,
    ruleOf(name),
    variableCell(name),
    setting.description,
  ]
    .map(cell)
    .join(' | ')} |`;
}

/** The table of settings, one row each, in the table's order. */
export function settingsTable(): string {
  return [
    '| `WebhookPlatform` prop | `npm start` flag | Default | Bounds | Environment variable | What it is |',
    '| --- | --- | --- | --- | --- | --- |',
    ...settingNames.map(rowOf),
  ].join('\n');
}

/** README with the table between its markers made anew. */
export function withSettingsTable(readme: string): string {
  const from = readme.indexOf(begin);
  const to = readme.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README.md has no "${begin}" ... "${end}" section`);
  return `${readme.slice(0, from)}${begin}\n${settingsTable()}\n${readme.slice(to)}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  parseOptions(
    {},
    `Usage: npm run docs:settings
Rewrites README's table of settings (between its settings:begin and settings:end markers) from
functions/core/settings.ts; a test fails while the table is not what this writes.
  -h, --help   this text`,
  );
  const readme = await readFile(readmePath, 'utf8');
  const written = withSettingsTable(readme);
  await writeFile(readmePath, written);
  console.log(
    written === readme ? 'README.md: settings are up to date' : 'README.md: settings table rewritten',
  );
}
