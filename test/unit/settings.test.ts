import { readFile } from 'node:fs/promises';
import { Stack } from 'aws-cdk-lib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EnvironmentError, loadEnvironment } from '#core/environment.ts';
import {
  type EnvironmentVariable,
  type EventSourceMappingDefinition,
  eventSourceMappingDeclarations,
  eventSourceMappings,
  eventSourceMappingsWith,
  functions,
} from '#core/platform.ts';
import {
  checkSetting,
  decodeSetting,
  encodeSetting,
  fitsSetting,
  parseSettingFlag,
  ruleOf,
  SettingError,
  type SettingName,
  type SettingValue,
  settingNames,
  settingOf,
  settings,
  settingsEnvironment,
  showSetting,
} from '#core/settings.ts';
import { readmePath, settingsTable, withSettingsTable } from '../../bin/docs-settings.ts';
import { settingsOfProps, toProp } from '../../lib/setting-props.ts';
import { settingOptions, settingsFromFlags, settingsUsage } from '../../sandbox/setting-flags.ts';
import { beyondBoundsOf, sampleOf } from '../support/setting-samples.ts';

/** Whole numbers around a setting's bounds, and any number at all. */
const numbers = (name: SettingName) => {
  const { min, max } = settingOf(name);
  // + 0 makes -0 a 0: a variable has no sign of zero to carry.
  return fc.oneof(fc.integer({ min: min - 2, max: max + 2 }), fc.double({ noNaN: true })).map((n) => n + 0);
};

/** Values of a setting's kind, within its bounds and beyond them. */
function valuesOf(name: SettingName): fc.Arbitrary<number | number[]> {
  const { maxLength = 1, codec } = settingOf(name);
  return codec.list ? fc.array(numbers(name), { maxLength: maxLength + 1 }) : numbers(name);
}

describe('the settings table', () => {
  it('has a default within its bounds for every setting, and names no variable, prop or flag twice', () => {
    for (const name of settingNames) {
      expect(checkSetting(name, settingOf(name).default), name).toEqual(settingOf(name).default);
    }
    for (const field of ['env', 'prop', 'flag'] as const) {
      const names = settingNames.map((name) => settings[name][field]);
      expect(new Set(names).size, field).toBe(names.length);
    }
  });

  it('keeps the defaults a deployment had before the table', () => {
    expect(Object.fromEntries(settingNames.map((name) => [name, settingOf(name).default]))).toEqual({
      retrySchedule: [5, 300, 1800, 7200, 18_000, 36_000, 36_000],
      disableAfterSeconds: 5 * 86_400,
      deliveryTimeoutSeconds: 15,
      deliveryRetentionDays: 30,
      successRecords: 1,
      circuitBreakAfter: 5,
      circuitProbeMaxSeconds: 300,
      mainLaneConcurrency: 150,
      mainLaneBatchSize: 10,
      slowLaneConcurrency: 30,
      slowLaneBatchSize: 10,
      orderedLaneConcurrency: 20,
      subscriptionsPerAccount: 100,
    });
  });

  it.each(settingNames)(
    'carries every value %s may take through its variable and its flag unchanged, and refuses all others alike',
    (name) => {
      fc.assert(
        fc.property(valuesOf(name), (value) => {
          const typed = value as SettingValue<typeof name>;
          if (fitsSetting(name, typed)) {
            expect(checkSetting(name, typed)).toEqual(value);
            expect(decodeSetting(name, encodeSetting(name, typed))).toEqual(value);
            expect(parseSettingFlag(name, showSetting(name, typed))).toEqual(value);
          } else {
            expect(() => checkSetting(name, typed)).toThrow(SettingError);
            expect(() => decodeSetting(name, encodeSetting(name, typed))).toThrow(SettingError);
            expect(() => parseSettingFlag(name, showSetting(name, typed))).toThrow(SettingError);
          }
        }),
      );
    },
  );

  it('refuses a value beyond a setting’s bounds, or of another kind, saying what it must be', () => {
    expect(() => checkSetting('deliveryTimeoutSeconds', 21, 'deliveryTimeout')).toThrow(
      new SettingError('deliveryTimeout must be whole seconds, from 1 second to 20 seconds, got 21'),
    );
    expect(() => checkSetting('deliveryTimeoutSeconds', 2.5)).toThrow(
      'deliveryTimeoutSeconds must be whole seconds, from 1 second to 20 seconds, got 2.5',
    );
    expect(() => checkSetting('retrySchedule', [])).toThrow(
      'retrySchedule must be 1 to 20 waits, each whole seconds from 1 second to 1 day, got []',
    );
    expect(() => checkSetting('successRecords', -0.1)).toThrow('successRecords must be a share from 0 to 1');
    expect(() => decodeSetting('retrySchedule', '5,0')).toThrow(
      'must be 1 to 20 waits, each whole seconds from 1 second to 1 day (comma-separated whole seconds)',
    );
    for (const wrong of ['', ' 5', '5,', '5s', '1e3', '-1']) {
      expect(() => decodeSetting('retrySchedule', wrong), wrong).toThrow(SettingError);
    }
  });

  it('reads flags with units, and refuses ones it cannot keep', () => {
    expect(parseSettingFlag('retrySchedule', '1s,2s,3s')).toEqual([1, 2, 3]);
    expect(parseSettingFlag('retrySchedule', '5, 5m,30m,2h,1d')).toEqual([5, 300, 1800, 7200, 86_400]);
    expect(parseSettingFlag('disableAfterSeconds', '2m')).toBe(120);
    expect(parseSettingFlag('deliveryRetentionDays', '45d')).toBe(45);
    expect(parseSettingFlag('deliveryRetentionDays', '45')).toBe(45);
    expect(parseSettingFlag('successRecords', '0.1')).toBe(0.1);
    for (const wrong of ['', '0s', '1s,,2s', '2w', '-1', '25h', Array(21).fill('1s').join(',')]) {
      expect(() => parseSettingFlag('retrySchedule', wrong), wrong).toThrow(
        new SettingError(
          `--retry-schedule must be 1 to 20 waits, each whole seconds from 1 second to 1 day, not '${wrong}'`,
        ),
      );
    }
  });

  it("gives the sandbox every setting's variable: the value given, else the default; refusing one beyond its bounds", () => {
    expect(settingsEnvironment({ retrySchedule: [1, 2], deliveryTimeoutSeconds: 2 })).toEqual({
      RETRY_SCHEDULE: '1,2',
      DISABLE_AFTER_SECONDS: '432000',
      DELIVERY_TIMEOUT_SECONDS: '2',
      DELIVERY_RETENTION_DAYS: '30',
      SUCCESS_RECORDS: '1',
      CIRCUIT_BREAK_AFTER: '5',
      CIRCUIT_PROBE_MAX_SECONDS: '300',
      MAIN_LANE_CONCURRENCY: '150',
      MAIN_LANE_BATCH_SIZE: '10',
      SLOW_LANE_CONCURRENCY: '30',
      SLOW_LANE_BATCH_SIZE: '10',
      ORDERED_LANE_CONCURRENCY: '20',
      SUBSCRIPTIONS_PER_ACCOUNT: '100',
    });
    expect(() => settingsEnvironment({ subscriptionsPerAccount: 0 })).toThrow(
      'subscriptionsPerAccount must be a whole number from 1 to 999999, got 0',
    );
  });
});

/** The settings that size a delivery lane: its event source mapping takes them, no function reads them. */
const mappingSettings = settingNames.filter((name) =>
  eventSourceMappingDeclarations.some(
    (mapping) => mapping.batchSize === name || mapping.maximumConcurrency === name,
  ),
);
/** The settings the functions read. */
const functionSettings = settingNames.filter((name) => !mappingSettings.includes(name));

describe('every setting of the table', () => {
  it('is read by functions, or sizes a lane: the lanes take their batch size and concurrency from settings', () => {
    expect(mappingSettings).toEqual([
      'mainLaneConcurrency',
      'mainLaneBatchSize',
      'slowLaneConcurrency',
      'slowLaneBatchSize',
      'orderedLaneConcurrency',
    ]);
  });

  it.each(functionSettings)(
    'reaches the functions that read it: %s is decoded, typed, when each loads',
    (name) => {
      // A setting the functions read is one of their variables (the lanes' capacity is not).
      const env = settings[name].env as EnvironmentVariable;
      const readers = Object.values(functions).filter((fn) =>
        (fn.environment as readonly string[]).includes(env),
      );
      expect(readers.length, `no function in platform.ts reads ${env}`).toBeGreaterThan(0);
      const sample = sampleOf(name);

      expect(loadEnvironment([env], { [env]: encodeSetting(name, sample) })).toEqual({ [env]: sample });
      expect(() => loadEnvironment([env], { [env]: encodeSetting(name, beyondBoundsOf(name)) })).toThrow(
        new EnvironmentError(
          `Environment: ${env} is not valid (must be ${ruleOf(name)} (${settingOf(name).codec.encoding}))`,
        ),
      );
      expect(() => loadEnvironment([env], {})).toThrow(
        new EnvironmentError(`Environment: ${env} is not set`),
      );
    },
  );

  it.each(mappingSettings)(
    "sizes its lane's mapping and no function: %s is in no function's environment",
    (name) => {
      const { env } = settings[name];
      const readers = Object.entries(functions).filter(([, fn]) =>
        (fn.environment as readonly string[]).includes(env),
      );
      const declaration = eventSourceMappingDeclarations.find(
        (mapping) => mapping.batchSize === name || mapping.maximumConcurrency === name,
      );
      const field = declaration?.batchSize === name ? 'batchSize' : 'maximumConcurrency';
      const numberOf = (mappings: readonly EventSourceMappingDefinition[]) =>
        mappings.find((mapping) => mapping.queue === declaration?.queue)?.[field];

      expect(readers.map(([fn]) => fn)).toEqual([]);
      expect(numberOf(eventSourceMappingsWith({ [name]: sampleOf(name) }))).toBe(sampleOf(name));
      expect(numberOf(eventSourceMappings)).toBe(settingOf(name).default);
    },
  );

  it.each(settingNames)('reaches the CDK props check: %s comes from its WebhookPlatform prop', (name) => {
    const { prop } = settingOf(name);
    const scope = new Stack(undefined, 'Test');

    expect(settingsOfProps(scope, { [prop]: toProp(name, sampleOf(name)) })[name]).toEqual(sampleOf(name));
    expect(settingsOfProps(scope, {})[name]).toEqual(settingOf(name).default);
    expect(() => settingsOfProps(scope, { [prop]: toProp(name, beyondBoundsOf(name)) })).toThrow(
      `Test: ${prop} must be ${ruleOf(name)}, got `,
    );
  });

  it.each(settingNames)('reaches the sandbox: %s has a flag, documented in its usage', (name) => {
    const { flag } = settings[name];
    const sample = sampleOf(name);

    expect(settingOptions[flag]).toEqual({ type: 'string' });
    expect(settingsFromFlags({ [flag]: showSetting(name, sample) })).toEqual({ [name]: sample });
    expect(settingsUsage(28)).toMatch(
      new RegExp(`^ {2}--${flag} ${settingOf(name).codec.placeholder}\\b`, 'm'),
    );
    expect(() => settingsFromFlags({ [flag]: 'x' })).toThrow(
      new SettingError(`--${flag} must be ${ruleOf(name)}, not 'x'`),
    );
  });

  it.each(settingNames)(
    'reaches README: %s has a row with its prop, flag, default, bounds and variable',
    async (name) => {
      const readme = await readFile(readmePath, 'utf8');
      const setting = settingOf(name);
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${setting.prop}\` `));

      expect(row).toBeDefined();
      for (const part of [
        `--${setting.flag}`,
        showSetting(name, setting.default),
        ruleOf(name),
        mappingSettings.includes(name)
          ? "none: no function reads it, it sizes its lane's event source mapping"
          : `\`${setting.env}\` (${setting.codec.encoding})`,
      ]) {
        expect(row).toContain(part);
      }
    },
  );

  it('is in README as `npm run docs:settings` writes it', async () => {
    const readme = await readFile(readmePath, 'utf8');

    expect(readme).toContain(settingsTable());
    expect(withSettingsTable(readme)).toBe(readme);
  });
});
