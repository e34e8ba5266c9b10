import { describe, expect, it } from 'vitest';
import { optionsLine } from '../../sandbox/options-line.ts';
import { settingFlagsInEffect } from '../../sandbox/setting-flags.ts';

const declared = {
  port: { type: 'string', default: '4566' },
  memory: { type: 'boolean', default: false },
  'data-dir': { type: 'string', default: '.sandbox' },
  'api-key': { type: 'string' },
  quiet: { type: 'boolean', default: false },
} as const;
const defaults = { port: '4566', memory: false, 'data-dir': '.sandbox', quiet: false };

describe('the banner’s Options line', () => {
  it('says defaults when every option is its default', () => {
    expect(optionsLine(declared, defaults, settingFlagsInEffect({}), ['api-key'])).toBe('Options: defaults');
  });

  it('lists the options that differ, in the usage text’s order, then the settings, and hides the key', () => {
    const values = { ...defaults, memory: true, port: '0', 'api-key': 'whk_secret', quiet: true };
    const settings = settingFlagsInEffect({ retrySchedule: [1, 5], disableAfterSeconds: 3 });

    expect(optionsLine(declared, values, settings, ['api-key'])).toBe(
      'Options: --port 0 --memory --quiet --retry-schedule 1s,5s --disable-after 3s',
    );
  });

  it('quotes a value with spaces, so that the line can be pasted back', () => {
    expect(optionsLine(declared, { ...defaults, 'data-dir': '/tmp/my state' }, [])).toBe(
      'Options: --data-dir "/tmp/my state"',
    );
  });

  it('leaves out a setting given at its default, and writes one as the usage text does', () => {
    expect(settingFlagsInEffect({ disableAfterSeconds: 5 * 86_400 })).toEqual([]);
    expect(settingFlagsInEffect({ disableAfterSeconds: 120 })).toEqual(['--disable-after 2m']);
  });
});
