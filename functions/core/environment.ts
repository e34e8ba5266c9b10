import * as z from 'zod/mini';
import type { TargetPolicy } from './delivery/target-guard.ts';
import type { EnvironmentVariable } from './platform.ts';

const flag = z.enum(['true', 'false']);

/** One schema for every environment variable a function may read; each function picks its own. */
const environmentShape = {
  TABLE_NAME: z.string().check(z.minLength(1)),
  DELIVERY_QUEUE_URL: z.url(),
  SLOW_DELIVERY_QUEUE_URL: z.url(),
  RETRY_QUEUE_URL: z.url(),
  EVENT_BUS_NAME: z.string().check(z.regex(/^[A-Za-z0-9._\-/:]{1,1600}$/)),
  RETRY_SCHEDULE: z
    .string()
    .check(z.regex(/^\d{1,6}(,\d{1,6}){0,19}$/, 'must be up to 20 whole seconds, comma-separated')),
  DISABLE_AFTER_SECONDS: z.string().check(z.regex(/^\d{1,9}$/, 'must be whole seconds')),
  SUCCESS_RECORDS: z
    .string()
    .check(z.regex(/^(0(\.\d{1,6})?|1(\.0{1,6})?)$/, 'must be a share from 0 to 1, e.g. 0.1')),
  DELIVERY_TIMEOUT_SECONDS: z.string().check(z.regex(/^([1-9]|1\d|20)$/, 'must be 1 to 20 seconds')),
  DELIVERY_RETENTION_DAYS: z.string().check(z.regex(/^[1-9]\d{0,3}$/, 'must be 1 to 9999 days')),
  FAN_OUT_DLQ_URL: z.url(),
  DELIVERY_DLQ_URL: z.url(),
  FAN_OUT_QUEUE_URL: z.url(),
  ALLOW_PRIVATE_TARGETS: flag,
  SUBSCRIPTIONS_PER_ACCOUNT: z
    .string()
    .check(z.regex(/^[1-9]\d{0,5}$/, 'must be a whole number from 1 to 999999')),
};

/** The checked environment of a function. */
export type Environment = z.infer<z.ZodMiniObject<typeof environmentShape>>;

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
  const picked = z.object(shape);
  const result = z.safeParse(picked, source);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      return source[name] === undefined ? `${name} is not set` : `${name} is not valid (${issue.message})`;
    });
    throw new EnvironmentError(`Environment: ${problems.join('; ')}`);
  }
  return result.data as Pick<Environment, K>;
}

/** Where webhooks may go: private and loopback addresses only where the deployment allows them (the sandbox). */
export function targetPolicyOf(env: Pick<Environment, 'ALLOW_PRIVATE_TARGETS'>): TargetPolicy {
  return env.ALLOW_PRIVATE_TARGETS === 'true' ? 'allow-private' : 'public-only';
}
