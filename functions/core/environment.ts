import * as z from 'zod/mini';
import type { EnvironmentVariable } from './platform.ts';
import {
  decodeSetting,
  type SettingEnvironment,
  SettingError,
  type SettingName,
  type SettingVariable,
  settingNames,
  settings,
} from './settings.ts';

const flag = z.enum(['true', 'false']);

/** The variables that name the resources a function uses, and where it may send webhooks. */
const wiringShape = {
  TABLE_NAME: z.string().check(z.minLength(1)),
  SIGNING_SECRET_KEY_ARN: z
    .string()
    .check(z.regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/)),
  DELIVERY_QUEUE_URL: z.url(),
  SLOW_DELIVERY_QUEUE_URL: z.url(),
  ORDERED_DELIVERY_QUEUE_URL: z.url(),
  RETRY_QUEUE_URL: z.url(),
  EVENT_BUS_NAME: z.string().check(z.regex(/^[A-Za-z0-9._\-/:]{1,1600}$/)),
  FAN_OUT_DLQ_URL: z.url(),
  DELIVERY_DLQ_URL: z.url(),
  FAN_OUT_QUEUE_URL: z.url(),
  ALLOW_PRIVATE_TARGETS: flag,
};

/** A setting's variable, read into its value as the settings table decodes it. */
const settingSchema = (name: SettingName) =>
  z.pipe(
    z.string(),
    z.transform((text: string, payload) => {
      try {
        return decodeSetting(name, text);
      } catch (error) {
        if (!(error instanceof SettingError)) throw error;
        payload.issues.push({ code: 'custom', message: error.message, input: text });
        return z.NEVER;
      }
    }),
  );

/** One schema for every environment variable a function may read; each function picks its own. */
const environmentShape: Record<EnvironmentVariable, z.ZodMiniType> = {
  ...wiringShape,
  ...(Object.fromEntries(
    settingNames.map((name): [string, z.ZodMiniType] => [settings[name].env, settingSchema(name)]),
  ) as Record<SettingVariable, z.ZodMiniType>),
};

/** The checked environment of a function: resources' names as strings, settings typed (seconds, days, ...). */
export type Environment = z.infer<z.ZodMiniObject<typeof wiringShape>> & SettingEnvironment;

/** Thrown when the module loads in an environment that lacks a variable or has a bad value. */
export class EnvironmentError extends Error {
  override name = 'EnvironmentError';
}

/**
 * Reads and checks the named variables when a handler module loads, so that a misconfigured function fails
 * at cold start with the variable's name instead of on its first event.
 */
export function loadEnvironment<K extends EnvironmentVariable>(
  names: readonly K[],
  source: NodeJS.ProcessEnv = process.env,
): Pick<Environment, K> {
  const shape: Record<string, z.ZodMiniType> = Object.fromEntries(
    names.map((name) => [name, environmentShape[name]]),
  );
  const result = z.safeParse(z.object(shape), source);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      return source[name] === undefined ? `${name} is not set` : `${name} is not valid (${issue.message})`;
    });
    throw new EnvironmentError(`Environment: ${problems.join('; ')}`);
  }
  return result.data as Pick<Environment, K>;
}
