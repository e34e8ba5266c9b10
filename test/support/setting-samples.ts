/**
 * Values of each setting of functions/core/settings.ts that tests set: one other than its default within its
 * bounds, and one just beyond them. Made from the table, so that a setting added there is tested everywhere.
 */
import { type SettingName, type SettingValue, settingOf } from '../../functions/core/settings.ts';

/** A value the setting may take other than its default: its lowest (or highest), or a list of both. */
export function sampleOf<N extends SettingName>(name: N): SettingValue<N>;
export function sampleOf(name: SettingName): number | readonly number[] {
  const { min, max, codec } = settingOf(name);
  if (codec.list) return [min, max];
  return settingOf(name).default === min ? max : min;
}

/** A value just beyond the setting's bounds: one more than its highest (in a list of one). */
export function beyondBoundsOf<N extends SettingName>(name: N): SettingValue<N>;
export function beyondBoundsOf(name: SettingName): number | readonly number[] {
  const { max, codec } = settingOf(name);
  return codec.list ? [max + 1] : max + 1;
}
